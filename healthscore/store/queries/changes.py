"""Reads of detected changes and of the metric history detection works on."""

from __future__ import annotations

import datetime as dt

import ibis
import pandas as pd

from healthscore.store.queries._backend import Source, frame, table

__all__ = ["change_rows", "latest_detection_date", "metric_history"]


def change_rows(
    source: Source,
    *,
    detected_on: dt.date | None = None,
    account_id: str | None = None,
    since: dt.date | None = None,
) -> pd.DataFrame:
    """Stored detections (every column of `changes`), newest start first.

    `detected_on` picks one run's detections (default: the newest run); `since` keeps the
    changes that started on or after a date."""
    c = table(source, "changes")
    if detected_on is None:
        newest = c.detected_on.max().to_pyarrow().as_py()
        if newest is None:
            return frame(c.limit(0))
        detected_on = newest
    cond = c.detected_on == ibis.date(detected_on)
    if account_id is not None:
        cond &= c.account_id == account_id
    if since is not None:
        cond &= c.started >= ibis.date(since)
    got = frame(c.filter(cond))
    return got.sort_values(["started", "account_id", "metric"], ascending=[False, True, True])


def latest_detection_date(source: Source) -> dt.date | None:
    c = table(source, "changes")
    return c.detected_on.max().to_pyarrow().as_py()  # type: ignore[no-any-return]


def metric_history(source: Source, dates: list[dt.date]) -> pd.DataFrame:
    """The metric history scoring runs kept for `dates` (as_of as a date, account_id and
    METRIC_HISTORY_COLUMNS); dates never scored have no rows."""
    if not dates:
        return frame(table(source, "metric_history").limit(0))
    h = table(source, "metric_history")
    got = frame(h.filter(h.as_of.isin([ibis.date(d) for d in dates])))
    got["as_of"] = pd.to_datetime(got["as_of"]).dt.date
    return got
