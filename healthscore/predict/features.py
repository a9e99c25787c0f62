"""Feature frames for the models: the metric library as of each observation date.

`build_features` calls `healthscore.metrics.compute_metrics` once for all dates.  While the
metric library is absent (or fails on a store) it falls back to a small activity feature set
computed here from events and subscriptions, so prediction still works on any store.  The
naive baseline `days_since_last_activity` is always computed here, independently.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import warnings
from typing import Any

import duckdb
import numpy as np
import pandas as pd

__all__ = ["BASELINE", "activity_features", "build_features", "metric_directions"]

BASELINE = "days_since_last_activity"
_KEYS = ("as_of", "account_id")


def _con(store: Any) -> duckdb.DuckDBPyConnection:
    return store.con


def _dates_frame(dates: list[dt.date]) -> pd.DataFrame:
    return pd.DataFrame({"as_of": sorted({pd.Timestamp(d).date() for d in dates})})


def activity_features(store: Any, dates: list[dt.date]) -> pd.DataFrame:
    """Per-event-type counts (7/28 days), active days, recency and tenure as of each date.

    Uses only rows on or before each date (events before `as_of + 1 day`).
    """
    con = _con(store)
    d = _dates_frame(dates)
    con.register("_hs_dates", d)
    try:
        daily = """
          SELECT account_id, CAST(event_time AS DATE) AS day, event_type, count(*)::DOUBLE AS n
          FROM events GROUP BY ALL"""
        con.execute(f"CREATE OR REPLACE TEMP TABLE _hs_daily AS {daily}")
        types = [r[0] for r in con.execute(
            "SELECT DISTINCT event_type FROM _hs_daily ORDER BY 1").fetchall()]
        counts = ",\n".join(
            f"sum(CASE WHEN event_type = '{_q(t)}' AND day > as_of - {w} THEN n END) "
            f'AS "events_{_safe(t)}_{w}d"'
            for t in types
            for w in (7, 28)
        )
        sep = "," if counts else ""
        ev = con.execute(
            f"""
            SELECT d.as_of, e.account_id,
              sum(CASE WHEN day > as_of - 28 THEN n END) AS events_all_28d,
              count(DISTINCT CASE WHEN day > as_of - 28 THEN day END)::DOUBLE AS active_days_28d,
              count(DISTINCT CASE WHEN day > as_of - 7 THEN day END)::DOUBLE AS active_days_7d,
              (d.as_of - max(day))::DOUBLE AS {BASELINE}{sep}
              {counts}
            FROM _hs_dates d JOIN _hs_daily e ON e.day <= d.as_of
            GROUP BY d.as_of, e.account_id"""
        ).df()
        subs = con.execute(
            """
            SELECT d.as_of, s.account_id,
              (d.as_of - min(s.start_date))::DOUBLE AS tenure_days,
              max(CASE WHEN s.start_date <= d.as_of
                    AND d.as_of < coalesce(s.end_date, DATE '2200-01-01')
                  THEN 1.0 ELSE 0.0 END) AS is_active,
              sum(CASE WHEN s.start_date <= d.as_of
                    AND d.as_of < coalesce(s.end_date, DATE '2200-01-01')
                  THEN s.mrr END) AS mrr
            FROM _hs_dates d JOIN subscriptions s ON s.start_date <= d.as_of
            GROUP BY d.as_of, s.account_id"""
        ).df()
    finally:
        con.unregister("_hs_dates")
        con.execute("DROP TABLE IF EXISTS _hs_daily")
    for f in (ev, subs):
        f["as_of"] = pd.to_datetime(f["as_of"]).dt.date
        f["account_id"] = f["account_id"].astype(str)
    out = subs.merge(ev, on=list(_KEYS), how="left")
    count_cols = [c for c in out.columns if c.startswith(("events_", "active_days"))]
    out[count_cols] = out[count_cols].fillna(0.0)
    # Never active: recency counts from the first subscription.
    out[BASELINE] = out[BASELINE].fillna(out["tenure_days"])
    return out.sort_values(list(_KEYS)).reset_index(drop=True)


def _q(text: str) -> str:
    return str(text).replace("'", "''")


def _safe(name: str) -> str:
    return "".join(ch if ch.isalnum() else "_" for ch in str(name)).lower()


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
    dates = sorted({pd.Timestamp(d).date() for d in dates})
    if not dates:
        return pd.DataFrame(columns=["as_of", "account_id"]), "none"
    frame: pd.DataFrame | None = None
    source = "activity_features"
    compute_metrics: Any = None
    with contextlib.suppress(ImportError):
        from healthscore.metrics import compute_metrics
    if compute_metrics is not None:
        try:
            frame = compute_metrics(store.ibis(), dates)
        except Exception as exc:  # keep predicting on the built-in activity features
            warnings.warn(f"metric library failed ({exc}); using built-in activity features",
                          RuntimeWarning, stacklevel=2)
            frame = None
    if frame is not None:
        source = "healthscore.metrics"
        frame = frame.copy()
        frame["as_of"] = pd.to_datetime(frame["as_of"]).dt.date
        frame["account_id"] = frame["account_id"].astype(str)
    if frame is None:
        frame = activity_features(store, dates)
    if BASELINE not in frame.columns:
        frame = frame.merge(baseline_recency(store, dates), on=list(_KEYS), how="left")
    num = [c for c in frame.columns if c not in _KEYS]
    frame[num] = frame[num].apply(pd.to_numeric, errors="coerce").astype(float)
    return frame, source


def feature_columns(frame: pd.DataFrame) -> list[str]:
    """Model inputs: every numeric metric except keys, activity flag and the baseline."""
    skip = {*_KEYS, "is_active"}
    return [
        c for c in frame.columns
        if c not in skip and np.issubdtype(frame[c].dtype, np.number)
    ]


def metric_directions(store: Any) -> dict[str, str | None]:
    """Direction per metric from the catalogue (empty when the metric library is absent)."""
    try:
        from healthscore.metrics import metric_catalog  # type: ignore[attr-defined]
    except ImportError:
        return {}
    try:
        return {m.name: m.direction for m in metric_catalog(store.ibis())}
    except Exception:  # the catalogue is advisory only
        return {}
