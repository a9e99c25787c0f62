"""The reads behind the portfolio KPIs: account attributes, survey answers, ticket CSAT,
feature use per period, CSM interaction days and score bands (first-value times:
`queries.engagement`).

Each read filters and aggregates in the backend (Ibis), so a year of events reaches Python
as one row per period, account and event type rather than one row per event.  Time
windows are half-open, ``[lo, hi)``: `lo` and `hi` are days, and a timestamp on day
``hi - 1`` counts.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Literal

import ibis
import pandas as pd

from healthscore.store.queries._backend import Source, frame, table

__all__ = [
    "account_attributes",
    "band_rows",
    "feature_rows",
    "feature_use",
    "interaction_days",
    "survey_rows",
    "ticket_rows",
]

Unit = Literal["month", "quarter"]
_TRUNC = {"month": "M", "quarter": "Q"}


def _ts(day: dt.date) -> ibis.expr.types.TimestampScalar:
    return ibis.timestamp(dt.datetime.combine(day, dt.time()))


def account_attributes(source: Source) -> pd.DataFrame:
    """Every account: account_id (text), name, segment, plan, owner, start_date, mrr, arr
    (ARR, else 12 x MRR; NaN without either)."""
    a = table(source, "accounts")
    return frame(
        a.select(
            account_id=a.account_id.cast("string"),
            name=a.name,
            segment=a.segment,
            plan=a.plan,
            owner=a.owner_csm,
            start_date=a.start_date.cast("date"),
            mrr=a.mrr.cast("float64"),
            arr=ibis.coalesce(a.arr, 12 * a.mrr).cast("float64"),
        )
    )


def survey_rows(source: Source, lo: dt.date, hi: dt.date) -> pd.DataFrame:
    """Survey rows sent or answered in ``[lo, hi)``: account_id, survey_type, sent_at,
    responded_at, score (NaN while unanswered)."""
    s = table(source, "surveys")
    a, b = _ts(lo), _ts(hi)
    sent = s.sent_at.notnull() & (s.sent_at >= a) & (s.sent_at < b)
    answered = s.responded_at.notnull() & (s.responded_at >= a) & (s.responded_at < b)
    return frame(
        s.filter(sent | answered).select(
            account_id=s.account_id.cast("string"),
            survey_type=s.survey_type,
            sent_at=s.sent_at,
            responded_at=s.responded_at,
            score=s.score.cast("float64"),
        )
    )


def ticket_rows(source: Source, lo: dt.date, hi: dt.date) -> pd.DataFrame:
    """Tickets opened or resolved in ``[lo, hi)``: account_id, opened_at, resolved_at, csat."""
    t = table(source, "tickets")
    a, b = _ts(lo), _ts(hi)
    opened = (t.opened_at >= a) & (t.opened_at < b)
    resolved = t.resolved_at.notnull() & (t.resolved_at >= a) & (t.resolved_at < b)
    return frame(
        t.filter(opened | resolved).select(
            account_id=t.account_id.cast("string"),
            opened_at=t.opened_at,
            resolved_at=t.resolved_at,
            csat=t.csat.cast("float64"),
        )
    )


def feature_rows(source: Source) -> pd.DataFrame:
    """The feature catalogue: feature, category, first_value (None where not given)."""
    f = table(source, "features")
    return frame(f.select("feature", "category", "first_value"))


def feature_use(source: Source, lo: dt.date, hi: dt.date, unit: Unit) -> pd.DataFrame:
    """Events of ``[lo, hi)`` counted per calendar `unit` (month or quarter), account and
    event type: period_start (date), account_id, event_type, n."""
    e = table(source, "events")
    e = e.filter((e.event_time >= _ts(lo)) & (e.event_time < _ts(hi)))
    e = e.mutate(
        period_start=e.event_time.truncate(_TRUNC[unit]).cast("date"),  # type: ignore[arg-type]
        account_id=e.account_id.cast("string"),
    )
    return frame(e.group_by(["period_start", "account_id", "event_type"]).aggregate(n=e.count()))


def interaction_days(source: Source, lo: dt.date, hi: dt.date) -> pd.DataFrame:
    """The days of ``[lo, hi)`` with a CSM interaction logged, per account: account_id,
    day (date); one row per account and day."""
    i = table(source, "interactions")
    i = i.filter((i.occurred_at >= _ts(lo)) & (i.occurred_at < _ts(hi)))
    return frame(
        i.select(account_id=i.account_id.cast("string"), day=i.occurred_at.cast("date"))
        .distinct()
        .order_by(["account_id", "day"])
    )


def band_rows(source: Source, dates: Iterable[dt.date]) -> pd.DataFrame:
    """Stored scores of the snapshots of `dates`: as_of (date), account_id, score, band."""
    s = table(source, "score_snapshots")
    days = sorted(set(dates))
    if not days:
        return pd.DataFrame({"as_of": [], "account_id": [], "score": [], "band": []})
    s = s.filter(s.as_of.isin([ibis.date(d) for d in days]))
    return frame(
        s.select(
            as_of=s.as_of.cast("date"),
            account_id=s.account_id.cast("string"),
            score=s.score.cast("float64"),
            band=s.band,
        )
    )
