"""Score history in the store: atomic writes per as_of date, reads for trends and explain.

The queries themselves live in the store package (`healthscore.store.scores` writes,
`healthscore.store.queries` reads); this module speaks in scorecards and score frames.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

import pandas as pd

from healthscore.scoring.engine import ScoreFrames
from healthscore.scoring.model import Scorecard
from healthscore.store import Store
from healthscore.store import scores as score_writes
from healthscore.store.queries.scores import read_snapshots, snapshot_dates
from healthscore.store.queries.span import data_range

__all__ = [
    "data_date_range",
    "read_snapshots",
    "record_scorecard",
    "snapshot_dates",
    "write_scores",
]


def _stored(card: Scorecard) -> tuple[str, str, str]:
    return card.stored_version, card.name, card.source or card.model_dump_json(indent=2)


def record_scorecard(con, card: Scorecard) -> None:
    """Keep the scorecard's source once per stored version, so every score row is traceable."""
    score_writes.record_scorecard(con, *_stored(card))


def write_scores(
    store: Store, frames: ScoreFrames, card: Scorecard, dates: Iterable[dt.date] | None = None
) -> int:
    """Replace the snapshots of `dates` (default: the frames' dates) in one transaction.

    Replacing, not appending, makes recomputing a date idempotent; the single transaction
    means a crash leaves the previous snapshot intact rather than half a new one.
    """
    days = sorted({_as_date(d) for d in (dates if dates is not None else frames.dates)})
    if not days:
        return 0
    score_writes.replace_snapshots(
        store,
        days,
        frames.snapshots,
        frames.groups,
        frames.measures,
        scorecard=_stored(card),
        metrics=frames.metrics,
    )
    return len(frames.snapshots)


def _as_date(d: object) -> dt.date:
    if isinstance(d, dt.datetime):
        return d.date()
    if isinstance(d, dt.date):
        return d
    return pd.Timestamp(str(d)).date()


def data_date_range(store: Store) -> tuple[dt.date, dt.date] | None:
    """First and last day of any recorded signal in the store (None when it holds none)."""
    return data_range(store)
