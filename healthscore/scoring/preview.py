"""Preview a candidate scorecard against stored history without writing anything.

Changing a scorecard changes who gets a call this week; leaders should see exactly which
accounts move band, and how past red/green flags would have differed, before switching.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from healthscore.errors import NotEnoughData
from healthscore.scoring.history import read_snapshots, snapshot_dates
from healthscore.scoring.model import Scorecard
from healthscore.scoring.run import compute_scores, resolve_scorecard
from healthscore.store import Store

__all__ = ["Preview", "preview_scorecard"]


@dataclass
class Preview:
    candidate_version: str
    current_versions: list[str]
    dates: list[dt.date]
    latest: dt.date
    accounts_compared: int
    band_moves: list[dict[str, Any]]  # on the latest date, biggest score change first
    mean_abs_change: float
    red_band: str
    green_band: str
    red_added: int  # (date, account) pairs red under the candidate but not in history
    red_removed: int
    green_added: int
    green_removed: int
    snapshots_compared: int
    unscored_now: int = 0
    moves_by_band: dict[str, int] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        d = dict(self.__dict__)
        d["dates"] = [x.isoformat() for x in self.dates]
        d["latest"] = self.latest.isoformat()
        return d


def preview_scorecard(
    store: Store,
    candidate: Scorecard | str,
    since: dt.date | None = None,
    engine: Any = None,
) -> Preview:
    """Replay `candidate` over the stored snapshot dates (>= since) and compare to history."""
    card = resolve_scorecard(candidate)
    dates = [d for d in snapshot_dates(store) if since is None or d >= since]
    if not dates:
        raise NotEnoughData(
            "no stored scores to compare against"
            + (f" on or after {since}" if since else "")
            + "; score (or backfill) some dates with the scorecard in force first"
        )
    frames, _ = compute_scores(store, dates, card, engine)
    new = frames.snapshots[["as_of", "account_id", "score", "band"]]
    old = read_snapshots(store, dates)[
        ["as_of", "account_id", "score", "band", "scorecard_version"]
    ]
    old["as_of"] = pd.to_datetime(old["as_of"]).dt.date
    both = old.merge(new, on=["as_of", "account_id"], how="inner", suffixes=("_old", "_new"))

    red, green = card.worst_band, card.best_band
    was_red, is_red = both["band_old"] == red, both["band_new"] == red
    was_green, is_green = both["band_old"] == green, both["band_new"] == green

    latest = max(dates)
    now = both[both["as_of"] == latest].copy()
    now["delta"] = now["score_new"] - now["score_old"]
    moved = now[now["band_old"].fillna("") != now["band_new"].fillna("")]
    moved = moved.reindex(
        moved["delta"].abs().sort_values(ascending=False, na_position="first").index
    )
    moves = [
        {
            "account_id": r.account_id,
            "band_now": r.band_old,
            "band_candidate": r.band_new,
            "score_now": None if pd.isna(r.score_old) else round(float(r.score_old), 1),
            "score_candidate": None if pd.isna(r.score_new) else round(float(r.score_new), 1),
            "change": None if pd.isna(r.delta) else round(float(r.delta), 1),
        }
        for r in moved.itertuples(index=False)
    ]
    by_band: dict[str, int] = {}
    for mv in moves:
        k = f"{mv['band_now'] or 'unscored'} -> {mv['band_candidate'] or 'unscored'}"
        by_band[k] = by_band.get(k, 0) + 1
    diffs = (both["score_new"] - both["score_old"]).abs().dropna()
    return Preview(
        candidate_version=card.stored_version,
        current_versions=sorted(set(old["scorecard_version"])),
        dates=dates,
        latest=latest,
        accounts_compared=len(now),
        band_moves=moves,
        mean_abs_change=round(float(diffs.mean()), 2) if len(diffs) else 0.0,
        red_band=red,
        green_band=green,
        red_added=int((is_red & ~was_red).sum()),
        red_removed=int((was_red & ~is_red).sum()),
        green_added=int((is_green & ~was_green).sum()),
        green_removed=int((was_green & ~is_green).sum()),
        snapshots_compared=len(both),
        unscored_now=int(now["score_new"].isna().sum()),
        moves_by_band=by_band,
    )
