"""Score history: snapshot dates, snapshot rows, and one account's groups and measures."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any, NamedTuple

import ibis
import pandas as pd

from healthscore.store.queries._backend import (
    Source,
    frame,
    param_arrow,
    param_frame,
    param_rows,
    table,
)

__all__ = [
    "PreviousScore",
    "account_snapshot",
    "all_score_series",
    "group_rows",
    "known_bands",
    "latest_snapshot_date",
    "latest_snapshot_dates",
    "measure_rows",
    "previous_score",
    "read_snapshots",
    "snapshot_dates",
]


def snapshot_dates(source: Source) -> list[dt.date]:
    """Every date with a stored snapshot, oldest first."""
    got = param_rows(source, "SELECT DISTINCT as_of FROM score_snapshots ORDER BY as_of")
    return [r["as_of"] for r in got]


def read_snapshots(source: Source, dates: Iterable[dt.date] | None = None) -> pd.DataFrame:
    """Stored snapshot rows (all columns), of `dates` only when given, by date and account."""
    s = table(source, "score_snapshots")
    if dates is not None:
        s = s.filter(s.as_of.isin([ibis.date(d) for d in sorted(set(dates))]))
    # Ordered here: a server's text collation need not be DuckDB's byte order.
    out = frame(s).sort_values(["as_of", "account_id"], kind="stable")
    return out.reset_index(drop=True)


def known_bands(source: Source) -> list[str]:
    """The bands any stored snapshot carries, sorted."""
    s = table(source, "score_snapshots")
    got = s.filter(s.band.notnull()).select("band").distinct().to_pyarrow()
    return sorted(str(v) for v in got.column("band").to_pylist())


def latest_snapshot_date(
    source: Source, account_id: str, on_or_before: dt.date | None = None
) -> dt.date | None:
    """The newest snapshot date holding `account_id` (on or before a date when given)."""
    if on_or_before is None:
        got = param_rows(
            source,
            "SELECT max(as_of) AS as_of FROM score_snapshots WHERE account_id = $account",
            {"account": account_id},
        )
    else:
        got = param_rows(
            source,
            "SELECT max(as_of) AS as_of FROM score_snapshots "
            "WHERE account_id = $account AND as_of <= $day",
            {"account": account_id, "day": on_or_before},
        )
    return got[0]["as_of"] if got else None


def all_score_series(source: Source) -> Any:
    """account_id, as_of, score, band, scorecard_version of every snapshot, by account
    and date, as a pyarrow Table (each account's rows side by side, oldest first)."""
    return param_arrow(
        source,
        "SELECT account_id, as_of, score, band, scorecard_version FROM score_snapshots "
        "ORDER BY account_id, as_of",
    )


def latest_snapshot_dates(source: Source) -> dict[str, dt.date]:
    """account_id -> the newest snapshot date holding it, for every scored account."""
    got = param_rows(
        source, "SELECT account_id, max(as_of) AS as_of FROM score_snapshots GROUP BY account_id"
    )
    return {str(r["account_id"]): r["as_of"] for r in got}


def account_snapshot(source: Source, account_id: str, as_of: dt.date) -> dict[str, Any] | None:
    """One account's stored score on `as_of`: score, band, confidence, coverage,
    confidence_note, scorecard_version (None when it has none that day)."""
    got = param_rows(
        source,
        "SELECT score, band, confidence, coverage, confidence_note, scorecard_version "
        "FROM score_snapshots WHERE account_id = $account AND as_of = $day LIMIT 1",
        {"account": account_id, "day": as_of},
    )
    return got[0] if got else None


class PreviousScore(NamedTuple):
    """The snapshot before another one: its date and score."""

    as_of: dt.date
    score: float | None


def previous_score(source: Source, account_id: str, before: dt.date) -> PreviousScore | None:
    """The account's newest snapshot strictly before `before` (None when there is none)."""
    got = param_rows(
        source,
        "SELECT as_of, score FROM score_snapshots WHERE account_id = $account "
        "AND as_of < $day ORDER BY as_of DESC LIMIT 1",
        {"account": account_id, "day": before},
    )
    return PreviousScore(got[0]["as_of"], got[0]["score"]) if got else None


def group_rows(source: Source, account_id: str, as_of: dt.date) -> pd.DataFrame:
    """The account's group scores on `as_of`: group_name, score, weight, effective_weight,
    contribution, in the order they were written."""
    return param_frame(
        source,
        "SELECT group_name, score, weight, effective_weight, contribution FROM score_groups "
        "WHERE account_id = $account AND as_of = $day",
        {"account": account_id, "day": as_of},
    )


def measure_rows(source: Source, account_id: str, as_of: dt.date) -> pd.DataFrame:
    """The account's measure rows on `as_of` (every column of score_measures)."""
    return param_frame(
        source,
        "SELECT * FROM score_measures WHERE account_id = $account AND as_of = $day",
        {"account": account_id, "day": as_of},
    )
