"""Feature frames for the models: the metric library as of each observation date.

`build_features` calls `healthscore.metrics.compute_metrics` once for all dates, so the
models see exactly the metrics the scorecard sees.  The naive baseline
`days_since_last_activity` is computed here, independently of the metric library, so the
baseline a model is compared against cannot share a metric bug with it.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import duckdb
import numpy as np
import pandas as pd

__all__ = ["BASELINE", "baseline_recency", "build_features", "metric_directions"]

BASELINE = "days_since_last_activity"
_KEYS = ("as_of", "account_id")


def _con(store: Any) -> duckdb.DuckDBPyConnection:
    return store.con


def _dates_frame(dates: list[dt.date]) -> pd.DataFrame:
    return pd.DataFrame({"as_of": sorted({pd.Timestamp(d).date() for d in dates})})


def baseline_recency(store: Any, dates: list[dt.date]) -> pd.DataFrame:
    """Days since the account's last event (or first subscription) as of each date."""
    con = _con(store)
    d = _dates_frame(dates)
    con.register("_hs_dates", d)
    try:
        out = con.execute(
            f"""
            WITH last_ev AS (
              SELECT d.as_of, e.account_id, max(CAST(e.event_time AS DATE)) AS last_day
              FROM _hs_dates d JOIN events e ON e.event_time < d.as_of + INTERVAL 1 DAY
              GROUP BY ALL),
            first_sub AS (
              SELECT d.as_of, s.account_id, min(s.start_date) AS first_day
              FROM _hs_dates d JOIN subscriptions s ON s.start_date <= d.as_of GROUP BY ALL)
            SELECT coalesce(l.as_of, f.as_of) AS as_of,
                   CAST(coalesce(l.account_id, f.account_id) AS VARCHAR) AS account_id,
                   (coalesce(l.as_of, f.as_of) - coalesce(l.last_day, f.first_day))::DOUBLE
                     AS {BASELINE}
            FROM last_ev l FULL JOIN first_sub f USING (as_of, account_id)"""
        ).df()
    finally:
        con.unregister("_hs_dates")
    out["as_of"] = pd.to_datetime(out["as_of"]).dt.date
    return out


def build_features(store: Any, dates: list[dt.date]) -> tuple[pd.DataFrame, str]:
    """(feature frame keyed by as_of/account_id, source name) for all `dates` in one call."""
    from healthscore.metrics import compute_metrics

    dates = sorted({pd.Timestamp(d).date() for d in dates})
    if not dates:
        return pd.DataFrame(columns=["as_of", "account_id"]), "none"
    frame = compute_metrics(store.ibis(), dates).copy()
    frame["as_of"] = pd.to_datetime(frame["as_of"]).dt.date
    frame["account_id"] = frame["account_id"].astype(str)
    if BASELINE not in frame.columns:
        frame = frame.merge(baseline_recency(store, dates), on=list(_KEYS), how="left")
    num = [c for c in frame.columns if c not in _KEYS]
    frame[num] = frame[num].apply(pd.to_numeric, errors="coerce").astype(float)
    return frame, "healthscore.metrics"


def feature_columns(frame: pd.DataFrame) -> list[str]:
    """Model inputs: every numeric metric except keys, the activity flag and metrics read from
    current-state fields (they would leak the future into every past observation)."""
    from healthscore.metrics import CURRENT_STATE

    skip = {*_KEYS, "is_active", *CURRENT_STATE}
    return [c for c in frame.columns if c not in skip and np.issubdtype(frame[c].dtype, np.number)]


def metric_directions(store: Any) -> dict[str, str | None]:
    """Direction per metric from the catalogue (higher or lower is better, or None)."""
    from healthscore.metrics import metric_catalog

    return {m.name: m.direction for m in metric_catalog(store.ibis())}
