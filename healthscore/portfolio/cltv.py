"""Customer lifetime value: average MRR x gross margin x expected lifetime.

The expected lifetime is 1 / the monthly logo churn rate (the mean of a geometric
lifetime with that monthly hazard; Skok, "SaaS Metrics 2.0", and most SaaS references).
The rate is pooled over the trailing twelve months (churned accounts / account-periods
at risk), so one quiet month does not make the lifetime infinite, and converted to a
monthly rate when periods are quarters: ``r_month = 1 - (1 - r_period) ** (1 / 3)``.

Per account (`predict`'s output): the account's MRR x gross margin x its expected
remaining lifetime, which is the survival model's expected months to churn where there is
one, else 1 / the portfolio's monthly churn rate over the twelve months up to the day
(`pooled_monthly_churn`); with a constant hazard the remaining lifetime has the same mean
as the whole one, so the fallback needs no age.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from itertools import pairwise

import numpy as np
import pandas as pd

from healthscore.portfolio._figures import Figures
from healthscore.portfolio.retention import Book

__all__ = [
    "FROM_CHURN_RATE",
    "FROM_SURVIVAL",
    "account_lifetime_values",
    "cltv_figures",
    "monthly_rate",
    "pooled_monthly_churn",
]

FROM_SURVIVAL = "survival model"
FROM_CHURN_RATE = "1 / churn rate"


def monthly_rate(rate: float, months: int) -> float:
    """The monthly churn rate equivalent to `rate` over `months` months."""
    return 1.0 - (1.0 - rate) ** (1.0 / months)


def cltv_figures(
    trailing: Sequence[Figures],
    months_per_period: int,
    *,
    gross_margin: float | None = None,
) -> Figures:
    """arpa, churn_rate_monthly_ttm, lifetime_months and cltv of the last of `trailing`
    (the retention figures of the periods of the trailing twelve months, oldest first)."""
    f = Figures()
    current = trailing[-1]
    start_n = current.values.get("accounts_start") or 0
    arpa = current.values["mrr_start"] / start_n if start_n else None
    f.put("arpa", arpa, "no account active at the period's start")
    at_risk = sum(t.values.get("accounts_start") or 0 for t in trailing)
    churned = sum(t.values.get("churned") or 0 for t in trailing)
    if not at_risk:
        why = "no account active in the trailing twelve months"
        for k in ("churn_rate_monthly_ttm", "lifetime_months", "cltv"):
            f.put(k, None, why)
        return f
    rate = monthly_rate(churned / at_risk, months_per_period)
    f.put("churn_rate_monthly_ttm", rate)
    if rate <= 0:
        why = "no churn in the trailing twelve months: 1 / churn rate is unbounded"
        f.put("lifetime_months", None, why)
        f.put("cltv", None, why)
        return f
    f.put("lifetime_months", 1.0 / rate)
    margin = 1.0 if gross_margin is None else float(gross_margin)
    f.put("cltv", None if arpa is None else arpa * margin / rate, "no average MRR")
    return f


def pooled_monthly_churn(book: Book, as_of: dt.date, months: int = 12) -> tuple[int, int]:
    """(churned, at risk) over the `months` month-long windows ending on `as_of`.

    Window k runs from the same day k months back to the same day k - 1 months back
    (a month-end stays a month-end): its accounts at risk are those active on its first
    day, its churned those of them no longer active on its last.  ``churned / at risk`` is
    the pooled monthly logo churn rate.
    """
    day = pd.Timestamp(as_of)
    days = [(day - pd.DateOffset(months=k)).date() for k in range(months + 1)]
    churned = at_risk = 0
    for closing_day, opening_day in pairwise(days):
        opening = set(book.mrr_on(opening_day).index)
        closing = set(book.mrr_on(closing_day).index)
        at_risk += len(opening)
        churned += len(opening - closing)
    return churned, at_risk


def account_lifetime_values(
    mrr: pd.Series,
    months_to_churn: pd.Series | None,
    monthly_churn: float | None,
    *,
    gross_margin: float | None = None,
) -> pd.DataFrame:
    """expected_lifetime_months, lifetime_source and cltv per account (`mrr`'s index).

    The lifetime is `months_to_churn` (the survival model's) where given, else
    ``1 / monthly_churn``; without either (or with no churn at all) it is NaN, as is the
    CLTV of an account without MRR.  ``cltv = mrr x gross_margin x lifetime``.
    """
    margin = 1.0 if gross_margin is None else float(gross_margin)
    survival = (
        pd.Series(np.nan, index=mrr.index)
        if months_to_churn is None
        else pd.to_numeric(months_to_churn, errors="coerce").reindex(mrr.index)
    )
    fallback = 1.0 / monthly_churn if monthly_churn else np.nan
    has = survival.notna()
    lifetime = survival.where(has, fallback).astype(float)
    source = [
        FROM_SURVIVAL if h else (None if np.isnan(v) else FROM_CHURN_RATE)
        for h, v in zip(has, lifetime, strict=True)
    ]
    return pd.DataFrame(
        {
            "expected_lifetime_months": lifetime,
            "lifetime_source": source,
            "cltv": mrr.astype(float) * margin * lifetime,
        },
        index=mrr.index,
    )
