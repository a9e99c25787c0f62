"""The metric families, one module each: its catalogue entries, its queries and its derived
and zero-filled columns together.  `healthscore.metrics.compute` lists them in catalogue
order; this package imports nothing, so no module here depends on its siblings through it.

Families added by feature work, in the catalogue order they take after the core's
families (`compute` places each after the family named beside it):
"""

# (module, comes after): `sentiment` reads text_analysis (healthscore.text) and follows voice.
ADDED_FAMILIES: tuple[tuple[str, str], ...] = (("sentiment", "voice"),)
