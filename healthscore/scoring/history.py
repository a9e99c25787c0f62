"""Score history in the store: atomic writes per as_of date, reads for trends and explain."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

import pandas as pd

from healthscore.scoring.engine import ScoreFrames
from healthscore.scoring.model import Scorecard
from healthscore.store import KINDS, Store

__all__ = [
    "data_date_range",
    "read_snapshots",
    "record_scorecard",
    "snapshot_dates",
    "write_scores",
]

_TABLES = {
    "score_snapshots": "snapshots",
    "score_groups": "groups",
    "score_measures": "measures",
}


def record_scorecard(con, card: Scorecard) -> None:
    """Keep the scorecard's source once per stored version, so every score row is traceable."""
    exists = con.execute(
        "SELECT count(*) FROM scorecards WHERE version = ?", [card.stored_version]
    ).fetchone()[0]
    if not exists:
        con.execute(
            "INSERT INTO scorecards VALUES (?, ?, ?, now()::TIMESTAMP)",
            [card.stored_version, card.name, card.source or card.model_dump_json(indent=2)],
        )


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
    day_frame = pd.DataFrame({"as_of": pd.to_datetime(pd.Series(days)).dt.date})
    with store.transaction() as con:
        record_scorecard(con, card)
        con.register("_hs_days", day_frame)
        try:
            for table, attr in _TABLES.items():
                con.execute(f"DELETE FROM {table} WHERE as_of IN (SELECT as_of FROM _hs_days)")
                df = getattr(frames, attr)
                if df.empty:
                    continue
                name = f"_hs_{attr}"
                con.register(name, df)
                try:
                    cols = ", ".join(df.columns)
                    con.execute(f"INSERT INTO {table} ({cols}) SELECT {cols} FROM {name}")
                finally:
                    con.unregister(name)
        finally:
            con.unregister("_hs_days")
    return len(frames.snapshots)


def _as_date(d: object) -> dt.date:
    if isinstance(d, dt.datetime):
        return d.date()
    if isinstance(d, dt.date):
        return d
    return pd.Timestamp(str(d)).date()


def snapshot_dates(store: Store) -> list[dt.date]:
    rows = store.con.execute("SELECT DISTINCT as_of FROM score_snapshots ORDER BY as_of").fetchall()
    return [r[0] for r in rows]


def read_snapshots(store: Store, dates: Iterable[dt.date] | None = None) -> pd.DataFrame:
    """Stored snapshot rows, optionally for some dates only."""
    if dates is None:
        return store.con.execute("SELECT * FROM score_snapshots ORDER BY as_of, account_id").df()
    days = pd.DataFrame({"as_of": [_as_date(d) for d in dates]})
    store.con.register("_hs_read_days", days)
    try:
        return store.con.execute(
            "SELECT s.* FROM score_snapshots s JOIN _hs_read_days d ON s.as_of = d.as_of "
            "ORDER BY s.as_of, s.account_id"
        ).df()
    finally:
        store.con.unregister("_hs_read_days")


def data_date_range(store: Store) -> tuple[dt.date, dt.date] | None:
    """First and last day of any recorded signal in the store (None when it holds none)."""
    parts = []
    for t in KINDS.values():
        if t.time_column and t.name != "milestones":  # due dates lie in the future
            parts.append(
                f"SELECT min({t.time_column})::DATE AS lo, max({t.time_column})::DATE AS hi "
                f"FROM {t.name}"
            )
    lo, hi = store.con.execute(
        f"SELECT min(lo), max(hi) FROM ({' UNION ALL '.join(parts)})"
    ).fetchone()  # type: ignore[misc]
    if lo is None:
        return None
    return lo, hi
