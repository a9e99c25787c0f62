"""Column helpers every family shares: float columns, ratios, changes, day numbers, and the
few Ibis expressions whose portable form is not the obvious one."""

from __future__ import annotations

from typing import Any

import ibis
import pandas as pd

from healthscore.metrics._columns import KEY

__all__ = [
    "as_dates",
    "date_n",
    "day_n",
    "div",
    "median",
    "merge_all",
    "num",
    "pct_change",
]


def as_dates(s: pd.Series) -> pd.Series:
    """Dates (`datetime.date`) of a fetched date or timestamp column."""
    return pd.to_datetime(s).dt.date


def day_n(ts: pd.Series) -> pd.Series:
    """Day number (days since 1970) of timestamps/dates fetched from an engine."""
    t = pd.to_datetime(ts)
    return (t.dt.normalize() - pd.Timestamp("1970-01-01")).dt.days.astype("float64")


def num(s: pd.Series, fill: float | None = None) -> pd.Series:
    """A float column (an all-NULL aggregate arrives as object dtype)."""
    out = pd.to_numeric(s, errors="coerce").astype("float64")
    return out if fill is None else out.fillna(fill)


def pct_change(cur: pd.Series, prev: pd.Series) -> pd.Series:
    """(cur - prev) / prev in %, NaN when there is no previous level to compare with."""
    prev = prev.astype("float64")
    return ((cur - prev) / prev.where(prev != 0)) * 100.0


def div(a: pd.Series, b: pd.Series) -> pd.Series:
    """a / b, NaN where b is 0."""
    b = b.astype("float64")
    return a.astype("float64") / b.where(b != 0)


def merge_all(parts: list[pd.DataFrame]) -> pd.DataFrame | None:
    """Outer merge of (as_of, account_id, ...) frames; None when there are none."""
    if not parts:
        return None
    out = parts[0]
    for p in parts[1:]:
        out = out.merge(p, on=KEY, how="outer")
    return out


def median(value: Any, where: Any) -> Any:
    """Exact median of `value` where `where` holds: NULL-out the rest (ibis' median(where=)
    mis-compiles on Spark) and take the interpolating median, identical on all engines."""
    return ibis.ifelse(where, value, ibis.null(value.type())).median()


def date_n(col: Any) -> Any:
    """Day number of a DATE column, portable (epoch seconds of its midnight / 86400)."""
    return (col.cast("timestamp").epoch_seconds() // 86400).cast("int64")
