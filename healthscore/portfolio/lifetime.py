"""Each account's MRR, expected remaining lifetime and CLTV as of a day, read from the store.

One definition for every place that shows it: `predict`'s output and `explain`.  The MRR is
what the account's subscriptions bill on the day (else its stated ARR / 12); the lifetime is
the survival model's expected months to churn where the caller has one, else 1 / the
portfolio's monthly churn rate over the twelve months up to the day (see `cltv`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from healthscore.portfolio.cltv import account_lifetime_values, pooled_monthly_churn
from healthscore.portfolio.retention import Book
from healthscore.store.queries import Source
from healthscore.store.queries.kpis import account_attributes
from healthscore.store.queries.outcomes import subscription_rows

__all__ = ["AccountLifetimes", "account_lifetimes"]


@dataclass
class AccountLifetimes:
    """`frame`: mrr, expected_lifetime_months, lifetime_source, cltv per account id (index).

    `churned` of `account_months_at_risk` is the pooled churn the fallback lifetime comes
    from; `monthly_churn_rate` is their ratio (None with no account at risk)."""

    frame: pd.DataFrame
    churned: int
    account_months_at_risk: int

    @property
    def monthly_churn_rate(self) -> float | None:
        return self.churned / self.account_months_at_risk if self.account_months_at_risk else None


def account_lifetimes(
    source: Source,
    account_ids: Sequence[str],
    as_of: dt.date,
    *,
    grace_days: int = 7,
    gross_margin: float | None = None,
    months_to_churn: pd.Series | None = None,
) -> AccountLifetimes:
    """MRR, lifetime and CLTV of `account_ids` as of `as_of` (nothing after it is read).

    `months_to_churn` (indexed by account id) is a survival model's expected months to
    churn; without it every lifetime is the churn-rate fallback."""
    ids = pd.Index([str(a) for a in account_ids], name="account_id")
    subs = subscription_rows(source, as_of)
    newest_start = pd.to_datetime(subs["start_date"]).max() if len(subs) else pd.NaT
    # Billing known to as_of: spells ending within the grace of it may still renew.
    billing_end = min(newest_start.date(), as_of) if pd.notna(newest_start) else as_of
    book = Book(subs, grace_days, billing_end)
    billed = book.mrr_on(as_of).reindex(ids) if not book.empty else pd.Series(np.nan, ids)
    attrs = account_attributes(source).set_index("account_id")
    stated = (attrs["arr"] / 12).reindex(ids)
    mrr = billed.where(billed > 0, stated).fillna(billed)
    churned, at_risk = pooled_monthly_churn(book, as_of) if not book.empty else (0, 0)
    rate = churned / at_risk if at_risk else None
    months = None if months_to_churn is None else months_to_churn.reindex(ids)
    life = account_lifetime_values(mrr, months, rate, gross_margin=gross_margin)
    frame = life.assign(mrr=mrr)[["mrr", "expected_lifetime_months", "lifetime_source", "cltv"]]
    return AccountLifetimes(frame, int(churned), int(at_risk))
