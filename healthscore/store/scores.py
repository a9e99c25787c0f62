"""Writes of score history: the scorecards used, and whole snapshots replaced atomically.

DuckDB-specific on purpose: a backfill writes millions of measure rows, which go in as
bulk inserts from the frames themselves (no row-by-row parameters).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import duckdb
import pandas as pd

from healthscore.store.db import Store
from healthscore.store.migrations_actions import METRIC_HISTORY_COLUMNS

__all__ = ["SCORE_TABLES", "record_scorecard", "replace_snapshots"]

# The tables one snapshot spans, in the order they are written.
SCORE_TABLES = ("score_snapshots", "score_groups", "score_measures")


def record_scorecard(con: duckdb.DuckDBPyConnection, version: str, name: str, source: str) -> None:
    """Keep a scorecard's source once per stored version, so every score row is traceable."""
    row = con.execute("SELECT count(*) FROM scorecards WHERE version = ?", [version]).fetchone()
    if not row or not row[0]:
        con.execute(
            "INSERT INTO scorecards VALUES (?, ?, ?, now()::TIMESTAMP)", [version, name, source]
        )


def replace_snapshots(
    store: Store,
    days: Sequence[dt.date],
    snapshots: pd.DataFrame,
    groups: pd.DataFrame,
    measures: pd.DataFrame,
    *,
    scorecard: tuple[str, str, str],
    metrics: pd.DataFrame | None = None,
) -> None:
    """Replace the snapshots of `days` by these rows, in one transaction.

    `scorecard` is (version, name, source) of the scorecard that scored them, recorded in
    the same transaction.  Replacing, not appending, makes recomputing a date idempotent;
    the single transaction means a crash leaves the previous snapshot intact rather than
    half a new one.  `metrics` (as_of, account_id and any of METRIC_HISTORY_COLUMNS), when
    given, replaces the same dates' metric history.
    """
    day_frame = pd.DataFrame({"as_of": pd.to_datetime(pd.Series(list(days))).dt.date})
    tables: list[tuple[str, pd.DataFrame]] = list(
        zip(SCORE_TABLES, (snapshots, groups, measures), strict=True)
    )
    if metrics is not None:
        keep = ["as_of", "account_id", *(c for c in METRIC_HISTORY_COLUMNS if c in metrics)]
        tables.append(("metric_history", metrics[keep]))
    with store.transaction() as con:
        record_scorecard(con, *scorecard)
        con.register("_hs_days", day_frame)
        try:
            for name, df in tables:
                con.execute(f"DELETE FROM {name} WHERE as_of IN (SELECT as_of FROM _hs_days)")
                if df.empty:
                    continue
                view = f"_hs_{name}"
                con.register(view, df)
                try:
                    cols = ", ".join(df.columns)
                    con.execute(f"INSERT INTO {name} ({cols}) SELECT {cols} FROM {view}")
                finally:
                    con.unregister(view)
        finally:
            con.unregister("_hs_days")
