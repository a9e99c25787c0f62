"""The metric families, one module each: its catalogue entries, its queries and its derived
and zero-filled columns together.  `healthscore.metrics.compute` lists them in catalogue
order; this package imports nothing, so no module here depends on its siblings through it."""
