"""Financial: MRR and its change, tenure, renewal, invoices paid late or not at all.

MRR is summed in the same query that tells whether a subscription covers each as_of (the
rows' `is_active`, see _rows), from the aggregates `subscription_aggs` declares here; the
invoices have their own query.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import ibis
import numpy as np
import pandas as pd

from healthscore.metrics._columns import Columns
from healthscore.metrics._context import Context
from healthscore.metrics._family import Family
from healthscore.metrics._helpers import date_n, num, pct_change
from healthscore.metrics._plan import Plan
from healthscore.metrics._run import Run
from healthscore.metrics.catalog import HI, LO, MetricInfo, entries

__all__ = ["FAMILY", "MRR_SHIFTS", "subscription_aggs"]

_m = entries("financial")
# Days before as_of at which MRR is also read, for its change.
MRR_SHIFTS = (28, 90)
# Counts that are 0, not unknown, for an account with invoices but none of these.
_COUNTS = ("financial_failed_payments_90d", "financial_unpaid_overdue_invoices")


def catalog(ctx: Context, windows: Sequence[int]) -> list[MetricInfo]:
    return [
        _m("financial_mrr", "MRR", "currency", HI, "MRR of subscriptions active on as_of."),
        _m("financial_mrr_change_28d", "MRR change, 28 days", "%", HI,
           "Change of MRR vs 28 days earlier."),
        _m("financial_mrr_change_90d", "MRR change, 90 days", "%", HI,
           "Change of MRR vs 90 days earlier."),
        _m("financial_days_late_max_90d", "Most days late, invoices due in 90 days", "days",
           LO, "Max days late of invoices due in the last 90 days (unpaid: days so far)."),
        _m("financial_days_late_avg_90d", "Average days late, invoices due in 90 days",
           "days", LO, "Average days late of invoices due in the last 90 days."),
        _m("financial_days_late_max_180d", "Most days late, invoices due in 180 days", "days",
           LO, "Max days late of invoices due in the last 180 days."),
        _m("financial_days_late_avg_180d", "Average days late, invoices due in 180 days",
           "days", LO, "Average days late of invoices due in the last 180 days."),
        _m("financial_unpaid_overdue_invoices", "Unpaid overdue invoices", "invoices", LO,
           "Invoices past due and unpaid at as_of."),
        _m("financial_failed_payments_90d", "Failed payments, last 90 days", "attempts", LO,
           "Failed payment attempts on invoices issued in the last 90 days."),
        _m("financial_tenure_days", "Tenure", "days", HI, "Days since the account started."),
        _m("financial_days_to_renewal", "Days to renewal", "days", None,
           "Days from as_of to the account's current renewal date (current state: not used "
           "to train or backtest models)."),
    ]  # fmt: skip


def subscription_aggs(j: Any) -> dict[str, Any]:
    """MRR per (as_of, account) of the subscriptions active on as_of and MRR_SHIFTS days
    earlier; `j` is subscriptions joined to (as_of, at, shift) rows where they are active."""
    return {
        "financial_mrr": j.mrr.sum(where=j.shift == 0),
        **{f"mrr{s}": j.mrr.sum(where=j.shift == s) for s in MRR_SHIFTS},
    }


def query(run: Run) -> pd.DataFrame | None:
    if not run.ctx.has("invoices"):
        return None
    inv = run.table("invoices")
    j = run.by_date(inv.filter(inv.status.isnull() | (inv.status != "void")), "issued_date")
    paid = j.paid_date.notnull() & (j.paid_date <= j.as_of)
    due_n = date_n(j.due_date)
    late = ibis.ifelse(paid, date_n(j.paid_date) - due_n, j.as_of_n - due_n)
    late = ibis.greatest(late, 0)
    past_due = j.due_date < j.as_of
    aggs: dict[str, Any] = {
        "financial_unpaid_overdue_invoices": j.count(where=past_due & ~paid),
        "financial_failed_payments_90d": j.failed_attempts.sum(where=j.issued_date >= j.d90),
    }
    for w in (90, 180):
        window = (j.due_date >= j[f"d{w}"]) & (j.due_date <= j.as_of)
        aggs[f"financial_days_late_max_{w}d"] = late.max(where=window)
        aggs[f"financial_days_late_avg_{w}d"] = late.mean(where=window)
    return run.fetch(j.group_by(["as_of", "account_id"]).agg(**aggs))


def derive(f: Columns, ctx: Context, plan: Plan) -> None:
    # MRR changes over the accounts the subscription query returned (MRR 0 there when
    # none is active); NaN for the others.
    if "financial_mrr" in f:
        for s in MRR_SHIFTS:
            f[f"financial_mrr_change_{s}d"] = pct_change(f["financial_mrr"], f[f"mrr{s}"])
    f["financial_tenure_days"] = f["as_of_n"] - f["start_n"]
    days_left = f["renewal_n"].to_numpy() - f["as_of_n"].to_numpy()
    f["financial_days_to_renewal"] = np.where(days_left >= 0, days_left, np.nan)
    if "financial_failed_payments_90d" in f:
        for c in _COUNTS:
            f[c] = num(f[c], 0.0)
    if ctx.has("subscriptions") and "financial_mrr" in f:
        # No active subscription = 0 MRR; no subscription data at all = unknown.
        f["financial_mrr"] = num(f["financial_mrr"], 0.0).where(f["has_subs"])


FAMILY = Family("financial", catalog, query, derive)
