"""Money: invoices and payments, which slip as health falls and stop before churn."""

from __future__ import annotations

from datetime import timedelta

import numpy as np
import pandas as pd

from healthscore.demo._accounts import Portfolio
from healthscore.demo._world import add_months, sig


def invoices(sim: Portfolio) -> pd.DataFrame:
    """Monthly invoices per subscription row; payment lags grow as health falls."""
    r, D = sim.rng("invoices"), sim.D
    rows = []
    subs = sim.subs_df
    acct_index = {aid: i for i, aid in enumerate(sim.ids)}
    for sub in subs.itertuples(index=False):
        a = acct_index[sub.account_id]
        k = 0
        while True:
            issued = add_months(sub.start_date, k)
            k += 1
            if sub.end_date is not None and issued >= sub.end_date:
                break
            if issued > sim.end:
                break
            d = sim.day_of(issued)
            if d < 0:
                continue
            h = sim.H[a, min(d, D - 1)]
            card = sim.seg[a] == 2
            due = issued + timedelta(days=0 if card else 30)
            failed = 0
            if card:
                if r.random() < 0.03 + 0.25 * sig(-2.5 * h - 2.0):
                    failed = int(r.integers(1, 4))
                lag = 0 if failed == 0 else int(r.integers(2, 12))
                if failed and r.random() < 0.25 + 0.4 * (sim.churn_day[a] - d < 45):
                    lag = 10**6  # never paid
            else:
                lag = int(max(0, round(r.normal(22 - 12 * h, 8))))
                if sim.churn_day[a] - d < 60 and r.random() < 0.4:
                    lag = 10**6
            paid = issued + timedelta(days=lag) if lag < 10**5 else None
            if paid is not None and paid > sim.end:
                paid = None
            status = "paid" if paid else ("overdue" if due < sim.end else "open")
            rows.append((a, issued, due, paid, float(sub.mrr), failed, status))
    df = pd.DataFrame(
        rows,
        columns=[
            "a",
            "issued_date",
            "due_date",
            "paid_date",
            "amount",
            "failed_attempts",
            "status",
        ],
    )
    df = df.sort_values(["issued_date", "a"], kind="stable").reset_index(drop=True)
    return pd.DataFrame(
        {
            "invoice_id": [f"INV-{i + 1:06d}" for i in range(len(df))],
            "account_id": sim.ids[df["a"].to_numpy(dtype=np.int64)],
            "issued_date": df["issued_date"].astype(object),
            "due_date": df["due_date"].astype(object),
            "paid_date": df["paid_date"].astype(object).where(df["paid_date"].notna(), None),
            "amount": df["amount"],
            "currency": "USD",
            "failed_attempts": df["failed_attempts"].astype(np.int32),
            "status": df["status"].astype(object),
        }
    )
