"""The bridge to `healthscore.scoring`: scorecard scores as of dates, bands, suggested YAML.

Everything degrades gracefully while the scoring package is absent: `scorecard_scores`
returns None and the default bands (red < 40 <= yellow < 70 <= green) apply.
"""

from __future__ import annotations

import datetime as dt
import warnings
from typing import Any

import pandas as pd

__all__ = ["DEFAULT_BANDS", "band_of", "default_bands", "scorecard_scores"]

DEFAULT_BANDS: list[tuple[str, float]] = [("red", 0.0), ("yellow", 40.0), ("green", 70.0)]


def default_bands(scorecard: Any = None) -> list[tuple[str, float]]:
    """(name, min) worst to best, from the configured (or shipped) scorecard if available."""
    try:
        from healthscore.scoring.run import resolve_scorecard

        card = resolve_scorecard(scorecard)
        return [(b.name, float(b.min)) for b in card.bands]
    except Exception:  # scoring absent or no shipped scorecard yet
        return list(DEFAULT_BANDS)


def band_of(score: float, bands: list[tuple[str, float]]) -> str:
    """The band whose `min` is the highest one at or below `score`."""
    name = bands[0][0]
    for b, lo in bands:
        if score >= lo:
            name = b
    return name


def scorecard_scores(
    store: Any, dates: list[dt.date], scorecard: Any = None
) -> pd.DataFrame | None:
    """as_of, account_id, score, band of the configured scorecard (None if unavailable).

    Computed in memory with `scoring.compute_scores` (one metrics call, nothing written).
    """
    try:
        from healthscore.scoring import compute_scores
    except ImportError:
        return None
    want = sorted({pd.Timestamp(d).date() for d in dates})
    try:
        frames, _ = compute_scores(store, want, scorecard)
    except Exception as exc:  # scoring is optional for prediction; say why it was skipped
        warnings.warn(f"scorecard scores unavailable: {exc}", RuntimeWarning, stacklevel=2)
        return None
    out = frames.snapshots[["as_of", "account_id", "score", "band"]].copy()
    out["as_of"] = pd.to_datetime(out["as_of"]).dt.date
    out["account_id"] = out["account_id"].astype(str)
    return out
