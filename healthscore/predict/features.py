"""Feature frames for the models: the metric library as of each observation date.

`build_features` calls `healthscore.metrics.compute_metrics` once for all dates, so the
models see exactly the metrics the scorecard sees.  The naive baseline
`days_since_last_activity` comes from its own store query, independent of the metric library, so the
baseline a model is compared against cannot share a metric bug with it.

`compact_frame` is the short input list of the compact candidates (predict/selection.py):
per-event-type 28-day counts and the same per active user, a few usage totals and their
trend, tenure and the contract facts as known at each date (days to the end of the term,
billing period, discount, MRR, seats against active users).  It is computed from the panel's
metric columns only, each known at its own as_of, so it leaks nothing the metrics do not.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import numpy as np
import pandas as pd

from healthscore.store.queries.activity import days_since_activity

__all__ = [
    "BASELINE",
    "COMPACT_CONTRACT",
    "COMPACT_USAGE",
    "baseline_recency",
    "build_features",
    "compact_frame",
    "event_count_columns",
    "metric_directions",
]

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
    # The metric frame is this call's own: it is changed in place, never copied whole (at
    # 100,000 accounts x 13 dates each copy of it is 2 GB).
    frame = compute_metrics(store.ibis(), dates)
    frame["as_of"] = pd.to_datetime(frame["as_of"]).dt.date
    frame["account_id"] = frame["account_id"].astype(str)
    if BASELINE not in frame.columns:
        frame = frame.merge(baseline_recency(store, dates), on=list(_KEYS), how="left")
    other = [c for c in frame.columns if c not in _KEYS and frame[c].dtype != np.float64]
    if other:
        frame[other] = frame[other].apply(pd.to_numeric, errors="coerce").astype(float)
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


# Contract facts, each as known on as_of (financial family; days_to_renewal is current state).
COMPACT_CONTRACT = (
    "financial_tenure_days",
    "financial_mrr",
    "financial_bill_period_months",
    "financial_discount",
    "financial_days_to_term_end",
    "financial_term_elapsed_share",
    "financial_mrr_per_seat",
    "financial_mrr_change_90d",
    "financial_seats_change_90d",
)
# Account-level usage: activity, its 28-day trend (Gold ch. 7), users against seats.
COMPACT_USAGE = (
    "usage_active_days_28d",
    "usage_active_days_change_28d",
    "usage_events_change_28d",
    "usage_active_users_28d",
    "usage_active_users_per_seat_28d",
    BASELINE,
)
_USERS = "usage_active_users_28d"


def event_count_columns(columns: Any) -> list[str]:
    """Per-event-type 28-day counts (`events_<type>_28d`) among `columns`."""
    return [
        c
        for c in map(str, columns)
        if c.startswith("events_")
        and c.endswith("_28d")
        and not any(k in c for k in ("_change_", "_per_", "_share_"))
    ]


def compact_frame(X: pd.DataFrame) -> pd.DataFrame:
    """The compact inputs from a frame of metric columns (missing metrics are left out).

    Per-type counts per active user are counts / active users (28 d), NaN where no user was
    active: the same as-of values divided, so no later data can enter.
    """
    counts = event_count_columns(X.columns)
    out: dict[str, Any] = {c: X[c] for c in counts}
    if _USERS in X.columns and counts:
        users = pd.to_numeric(X[_USERS], errors="coerce")
        users = users.where(users > 0)
        for c in counts:
            out[c.removesuffix("_28d") + "_per_user_28d"] = X[c] / users
    for c in (*COMPACT_USAGE, *COMPACT_CONTRACT):
        if c in X.columns:
            out[c] = X[c]
    return pd.DataFrame(out, index=X.index).astype(float)
