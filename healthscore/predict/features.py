"""Feature frames for the models: the metric library as of each observation date.

`build_features` calls `healthscore.metrics.compute_metrics` once for all dates, so the
models see exactly the metrics the scorecard sees.  The naive baseline
`days_since_last_activity` comes from its own store query, independent of the metric library, so the
baseline a model is compared against cannot share a metric bug with it.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import numpy as np
import pandas as pd

from healthscore.store.queries.activity import days_since_activity

__all__ = ["BASELINE", "baseline_recency", "build_features", "metric_directions"]

BASELINE = "days_since_last_activity"
_KEYS = ("as_of", "account_id")


def baseline_recency(store: Any, dates: list[dt.date]) -> pd.DataFrame:
    """Days since the account's last event (or first subscription) as of each date."""
    return days_since_activity(store, dates, BASELINE)


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
