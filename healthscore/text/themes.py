"""Themes of a text: what it is about (bug, usability, performance, pricing, ...).

Each theme is a list of patterns in themes.yaml.  Praise follows from the sentiment, and
cancellation and competitor from the intent patterns, so those three cannot disagree with
the score and the flags shown beside them.
"""

from __future__ import annotations

from healthscore.text._rules import any_match, rules

__all__ = ["THEMES", "find_themes"]

THEMES = (
    "bug",
    "usability",
    "performance",
    "pricing",
    "billing",
    "onboarding",
    "support",
    "integration",
    "feature_request",
    "praise",
    "cancellation",
    "competitor",
)


def find_themes(text: str, present: frozenset[int] | None = None) -> set[str]:
    """The pattern-based themes of a cleaned text (praise and intent are added by the caller)."""
    r = rules()
    have = r.present(text) if present is None else present
    return {name for name, gates in r.themes.items() if any_match(gates, text, have)}
