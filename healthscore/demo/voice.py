"""The demo's texts read: sentiment, themes and intent of its comments, tickets and notes.

Owned by the voice-of-the-customer work; `build_and_score` calls it after the portfolio is
built and before the history is scored, so text metrics count in the scores.
"""

from __future__ import annotations

from typing import Any

from healthscore.store import Store


def analyse_demo_texts(store: Store) -> dict[str, Any] | None:
    """Analyse every text the demo wrote; a summary with printable `lines`, or None."""
    return None
