"""The bridge to `healthscore.scoring`: the configured scorecard's scores and bands.

Prediction compares its models with the scorecard in force; when that scorecard cannot
score a store (e.g. no account has enough of its data), `scorecard_scores` says why in a
warning and returns None, and prediction goes on without it.
"""

from __future__ import annotations

import datetime as dt
import warnings
from typing import Any

import pandas as pd

from healthscore.errors import HealthscoreError

__all__ = ["band_of", "default_bands", "scorecard_scores"]


def default_bands(scorecard: Any = None) -> list[tuple[str, float]]:
    """(name, min) worst to best, from the configured (or shipped) scorecard if available."""
    from healthscore.scoring.run import resolve_scorecard

    card = resolve_scorecard(scorecard)
    return [(b.name, float(b.min)) for b in card.bands]


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
    from healthscore.metrics import CURRENT_STATE
    from healthscore.scoring import compute_scores
    from healthscore.scoring.run import resolve_scorecard

    want = sorted({pd.Timestamp(d).date() for d in dates})
    try:
        peeking = sorted(resolve_scorecard(scorecard).metrics() & CURRENT_STATE)
    except HealthscoreError:
        peeking = []
    if peeking:
        warnings.warn(
            f"the scorecard reads {', '.join(peeking)}, which hold only their current value: "
            "its backtest sees the future for every past date and looks better than it is",
            RuntimeWarning,
            stacklevel=2,
        )
    try:
        frames, _ = compute_scores(store, want, scorecard)
    except HealthscoreError as exc:  # the scorecard cannot score this store; say why
        warnings.warn(f"scorecard scores unavailable: {exc}", RuntimeWarning, stacklevel=2)
        return None
    out = frames.snapshots[["as_of", "account_id", "score", "band"]].copy()
    out["as_of"] = pd.to_datetime(out["as_of"]).dt.date
    out["account_id"] = out["account_id"].astype(str)
    return out
