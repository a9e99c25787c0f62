"""The rows of the metric table: the accounts that exist at each as_of, and is_active.

An account exists from its start date, else its first subscription, else its first event
(read off the usage scans).  It is active when a subscription covers as_of; accounts with
no subscription rows count as active.  The columns every family may read are placed here:
as_of_n, start_n, renewal_n, seats_purchased, seats (held at as_of), has_subs.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import ibis
import numpy as np
import pandas as pd
import pyarrow as pa

from healthscore.metrics._columns import Columns, Dense, take
from healthscore.metrics._helpers import day_n, num
from healthscore.metrics._plan import day_number
from healthscore.metrics._run import Run
from healthscore.metrics.families.financial import MRR_SHIFTS, subscription_aggs

__all__ = ["rows"]

SEAT_UNITS = ("seat", "seats", "user", "users", "license", "licenses", "licence", "licences")


def rows(run: Run, usage: Dense | None) -> Columns:
    """The rows (accounts that exist at each as_of) with is_active and the shared columns;
    the usage arrays are placed in too."""
    accounts = run.fetch(
        run.table("accounts").select("account_id", "start_date", "seats_purchased", "renewal_date")
    )
    subs = run.table("subscriptions")
    first_sub = run.fetch(subs.group_by("account_id").agg(first_sub=subs.start_date.min()))
    acc = accounts.merge(first_sub, on="account_id", how="outer")
    start = pd.concat([day_n(acc["start_date"]), day_n(acc["first_sub"])], axis=1).min(axis=1)
    ids = pd.Index(acc["account_id"].astype(str), dtype=object)
    dates = run.plan.dates
    as_of_n = np.array([day_number(d) for d in dates], dtype="float64")
    # Every (account, date) pair, then only those where the account exists.
    a_idx = np.repeat(np.arange(len(acc)), len(dates))
    d_idx = np.tile(np.arange(len(dates)), len(acc))
    start_n = start.to_numpy(dtype="float64")[a_idx]
    if usage is not None:
        # No start date and no subscription: the account exists from its first event
        # (first_n = day of the first event on or before as_of, from the usage scan).
        every = Columns(ids, dates, a_idx, d_idx)
        first_n = take(usage.values["first_n"].reshape(-1), every.dense_positions(usage))
        start_n = np.where(np.isnan(start_n), first_n, start_n)
    keep = start_n <= as_of_n[d_idx]
    frame = Columns(ids, dates, a_idx[keep], d_idx[keep])
    frame["as_of_n"] = as_of_n[frame.day]
    frame["start_n"] = start_n[keep]
    seats = pd.to_numeric(acc["seats_purchased"], errors="coerce").to_numpy(dtype="float64")
    frame["seats_purchased"] = seats[frame.acc]
    frame["renewal_n"] = day_n(acc["renewal_date"]).to_numpy()[frame.acc]
    has_subs = acc["first_sub"].notna().to_numpy()[frame.acc]
    frame.attach_dense(usage, skip=("first_n",))
    frame.attach(_active_subs(run))
    n_active = num(frame["n_active"], 0.0) if "n_active" in frame else 0.0
    frame["is_active"] = np.where(has_subs, (n_active > 0) * 1.0, 1.0)
    frame["has_subs"] = has_subs
    return frame


def _active_subs(run: Run) -> pd.DataFrame:
    """Active subscriptions, seats and MRR per (as_of, account), MRR also some days earlier."""
    subs = run.table("subscriptions")
    shifted = [0, *MRR_SHIFTS]
    at = [(d, d - dt.timedelta(days=s), s) for d in run.plan.dates for s in shifted]
    lookup = ibis.memtable(
        pa.table(
            {
                "as_of": pa.array([r[0] for r in at], type=pa.date32()),
                "at": pa.array([r[1] for r in at], type=pa.date32()),
                "shift": pa.array([r[2] for r in at], type=pa.int64()),
            }
        )
    )
    active = (subs.start_date <= lookup.at) & (subs.end_date.isnull() | (subs.end_date > lookup.at))
    j = subs.join(lookup, active)
    mrr = subscription_aggs(j)
    agg = j.group_by([j.as_of, j.account_id]).agg(
        n_active=j.mrr.count(where=j.shift == 0),
        **mrr,
        seats=j.quantity.sum(where=(j.shift == 0) & _counts_seats(j.units)),
    )
    df = run.fetch(agg)
    for c in mrr:
        df[c] = num(df[c], 0.0)
    return df


def _counts_seats(units: Any) -> Any:
    """Subscription rows whose quantity counts seats (units unset or seat-like)."""
    return units.isnull() | units.lower().isin(list(SEAT_UNITS))
