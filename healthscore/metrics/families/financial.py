"""Financial: MRR and its change, tenure, renewal, invoices paid late or not at all, and
the contract as known on each as_of.

MRR is summed in the same query that tells whether a subscription covers each as_of (the
rows' `is_active`, see _rows), from the aggregates `subscription_aggs` declares here; the
invoices have their own query.

The contract facts read only what the billing system knew on the day: the rows running
then (start, billing period, discount, quantity, product; `end_date` only to say a row was
still running).  The end of the current term is the next anniversary of the row's start by
its billing period, never the row's recorded end nor a current-state field
(`accounts.renewal_date`, `current_period_end`), so a later renewal, cancellation or seat
change cannot move a value on an earlier date (tests/metrics/test_financial_contract.py).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

import ibis
import numpy as np
import pandas as pd
import pyarrow as pa

from healthscore.metrics._columns import Columns
from healthscore.metrics._context import Context
from healthscore.metrics._family import Family
from healthscore.metrics._helpers import date_n, merge_all, num, pct_change
from healthscore.metrics._plan import Plan
from healthscore.metrics._run import Run
from healthscore.metrics.catalog import HI, LO, MetricInfo, entries

__all__ = ["CHANGE_SHIFTS", "FAMILY", "MRR_SHIFTS", "subscription_aggs", "term_ends"]

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
        _m("financial_days_to_term_end", "Days to the end of the term", "days", None,
           "Days from as_of to the end of the current term: the next anniversary of the "
           "running subscription's start by its billing period (as known on as_of)."),
        _m("financial_term_length_days", "Term length", "days", None,
           "Length of the current term in days (billing period of the running row)."),
        _m("financial_term_elapsed_share", "Share of the term elapsed", "share", None,
           "Share of the current term already elapsed on as_of (0 = just renewed)."),
        _m("financial_bill_period_months", "Billing period", "months", None,
           "Longest billing period of the subscriptions running on as_of."),
        _m("financial_discount", "Discount", "share", None,
           "MRR-weighted discount of the subscriptions running on as_of (0 = none)."),
        _m("financial_mrr_per_seat", "MRR per seat", "currency", None,
           "MRR divided by the seats of the subscriptions running on as_of."),
        _m("financial_seats_change_28d", "Seats change, 28 days", "%", HI,
           "Change of seats bought vs 28 days earlier."),
        _m("financial_seats_change_90d", "Seats change, 90 days", "%", HI,
           "Change of seats bought vs 90 days earlier."),
        _m("financial_plan_changed_28d", "Plan changed, 28 days", "flag", None,
           "1 when the products running on as_of differ from those 28 days earlier."),
        _m("financial_plan_changed_90d", "Plan changed, 90 days", "flag", None,
           "1 when the products running on as_of differ from those 90 days earlier."),
    ]  # fmt: skip


def subscription_aggs(j: Any) -> dict[str, Any]:
    """MRR per (as_of, account) of the subscriptions active on as_of and MRR_SHIFTS days
    earlier; `j` is subscriptions joined to (as_of, at, shift) rows where they are active."""
    return {
        "financial_mrr": j.mrr.sum(where=j.shift == 0),
        **{f"mrr{s}": j.mrr.sum(where=j.shift == s) for s in MRR_SHIFTS},
    }


def query(run: Run) -> pd.DataFrame | None:
    return merge_all([p for p in (_invoice_query(run), _contract_query(run)) if p is not None])


def _invoice_query(run: Run) -> pd.DataFrame | None:
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


# Days before as_of at which the contract is also read, for plan and seat changes.
CHANGE_SHIFTS = (28, 90)
SEAT_UNITS = ("seat", "seats", "user", "users", "license", "licenses", "licence", "licences")


def _add_months(start: np.ndarray, months: np.ndarray) -> np.ndarray:
    """`start` (datetime64[D]) plus whole `months`, the day clipped to the month's end."""
    first = start.astype("datetime64[M]")
    offset = start - first.astype("datetime64[D]")
    moved = first + months.astype("timedelta64[M]")
    last = (moved + np.timedelta64(1, "M")).astype("datetime64[D]") - np.timedelta64(1, "D")
    return np.minimum(moved.astype("datetime64[D]") + offset, last)  # type: ignore[no-any-return]


def term_ends(
    start: np.ndarray, as_of: np.ndarray, period_months: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """(end, start) of the term running on `as_of`: the anniversaries of `start` by
    `period_months` around it (the end is the first one after `as_of`)."""
    start = start.astype("datetime64[D]")
    as_of = as_of.astype("datetime64[D]")
    p = np.maximum(period_months.astype("int64"), 1)
    elapsed = (as_of.astype("datetime64[M]") - start.astype("datetime64[M]")).astype("int64")
    k = np.maximum(elapsed // p, 0)
    end = _add_months(start, k * p)
    late = end <= as_of
    k = np.where(late, k + 1, k)
    end = _add_months(start, k * p)
    # A clipped month end can leave `end` on or before as_of once more (Jan 31 -> Feb 28).
    again = end <= as_of
    k = np.where(again, k + 1, k)
    end = _add_months(start, k * p)
    return end, _add_months(start, (k - 1) * p)


def _rows(run: Run) -> pd.DataFrame:
    """Subscription rows running on as_of and CHANGE_SHIFTS days before, per as_of."""
    subs = run.table("subscriptions")
    at = [(d, d - dt.timedelta(days=s), s) for d in run.plan.dates for s in (0, *CHANGE_SHIFTS)]
    lookup = ibis.memtable(
        pa.table(
            {
                "as_of": pa.array([r[0] for r in at], type=pa.date32()),
                "at": pa.array([r[1] for r in at], type=pa.date32()),
                "shift": pa.array([r[2] for r in at], type=pa.int64()),
            }
        )
    )
    running = (subs.start_date <= lookup.at) & (
        subs.end_date.isnull() | (subs.end_date > lookup.at)
    )
    j = subs.join(lookup, running)
    return run.fetch(
        j.select(
            j.as_of,
            j.shift,
            account_id=j.account_id.cast("string"),
            product=j.product.cast("string"),
            start_date=j.start_date,
            period=j.bill_period_months.cast("float64"),
            discount=j.discount.cast("float64"),
            mrr=j.mrr.cast("float64"),
            quantity=j.quantity.cast("float64"),
            seat_like=j.units.isnull() | j.units.lower().isin(list(SEAT_UNITS)),
        )
    )


def _product_set(rows: pd.DataFrame, key: list[str]) -> pd.Series:
    """A number per (as_of, account) standing for its set of products: equal sets, equal
    numbers.  The sum of each distinct product's 40-bit hash, vectorised: a Python join
    of sorted names per group took a fifth of an alerts run at 100,000 accounts."""
    one = rows[[*key, "product"]].drop_duplicates()
    bits = pd.util.hash_array(one["product"].astype(str).to_numpy()) & np.uint64((1 << 40) - 1)
    return (
        pd.Series(bits.astype(np.int64), index=one.index)
        .groupby([one[k] for k in key], sort=False)
        .sum()
    )


def _contract_query(run: Run) -> pd.DataFrame | None:
    """Per (as_of, account): days to the end of the current term, its length and progress,
    the billing period, the discount, MRR per seat, and plan and seat changes."""
    if not run.ctx.has("subscriptions"):
        return None
    r = _rows(run)
    if not (r["shift"] == 0).any():
        return None
    r["mrr"] = num(r["mrr"], 0.0)
    r["seats"] = np.where(r["seat_like"].astype(bool), num(r["quantity"]), np.nan)
    now = r[r["shift"] == 0].copy()
    period = num(now["period"]).fillna(1.0).clip(lower=1.0).to_numpy()
    end, begin = term_ends(
        pd.to_datetime(now["start_date"]).to_numpy().astype("datetime64[D]"),
        pd.to_datetime(now["as_of"]).to_numpy().astype("datetime64[D]"),
        period,
    )
    as_of_d = pd.to_datetime(now["as_of"]).to_numpy().astype("datetime64[D]")
    now["to_end"] = (end - as_of_d).astype("int64").astype(float)
    now["term_days"] = (end - begin).astype("int64").astype(float)
    now["w_disc"] = num(now["discount"]) * now["mrr"]
    now["w_mrr"] = now["mrr"].where(num(now["discount"]).notna())
    key = ["as_of", "account_id"]
    # The term that ends first is the one up for renewal next.
    first = now.sort_values([*key, "to_end"], kind="stable").drop_duplicates(key)
    g = now.groupby(key, sort=False)
    out = first[[*key, "to_end", "term_days"]].set_index(key)
    out["period"] = g["period"].max()
    out["w_disc"] = g["w_disc"].sum(min_count=1)
    out["w_mrr"] = g["w_mrr"].sum(min_count=1)
    out["n_disc"] = g["discount"].count()
    out["mrr"] = g["mrr"].sum()
    out["seats"] = g["seats"].sum(min_count=1)
    out["products"] = _product_set(now, key).reindex(out.index)
    for s in CHANGE_SHIFTS:
        rows_then = r[r["shift"] == s]
        then = rows_then.groupby(key, sort=False)
        # Reindexed: assigning to an empty frame would adopt the other frame's rows.
        out[f"seats{s}"] = then["seats"].sum(min_count=1).reindex(out.index)
        out[f"products{s}"] = _product_set(rows_then, key).reindex(out.index)
    out = out.reset_index()
    res = pd.DataFrame({"as_of": out["as_of"], "account_id": out["account_id"]})
    res["financial_days_to_term_end"] = out["to_end"]
    res["financial_term_length_days"] = out["term_days"]
    res["financial_term_elapsed_share"] = 1.0 - out["to_end"] / out["term_days"]
    res["financial_bill_period_months"] = num(out["period"])
    plain = out["n_disc"] > 0
    res["financial_discount"] = (out["w_disc"] / out["w_mrr"].where(out["w_mrr"] > 0)).where(plain)
    # A discount known on unpriced rows only (MRR 0) still says whether there is one.
    res["financial_discount"] = res["financial_discount"].fillna(
        pd.Series(np.where(plain, 0.0, np.nan), index=res.index).where(out["w_disc"] == 0)
    )
    res["financial_mrr_per_seat"] = out["mrr"] / num(out["seats"]).where(out["seats"] > 0)
    for s in CHANGE_SHIFTS:
        res[f"financial_seats_change_{s}d"] = pct_change(num(out["seats"]), num(out[f"seats{s}"]))
        before = out[f"products{s}"]
        changed = (out["products"] != before).astype(float)
        res[f"financial_plan_changed_{s}d"] = changed.where(before.notna())
    return res


FAMILY = Family("financial", catalog, query, derive)
