"""A small SaaS portfolio exported the way Stripe exports it (tests only).

The files a user would have: the CRM's accounts (CSV), Stripe's customer objects with the
CRM id in `metadata.account_id` (JSON Lines), Stripe's subscription objects (JSON Lines:
one object per subscription, Unix-second times, amounts in cents, `status`, `canceled_at`,
`ended_at`, `current_period_end`, `cancel_at_period_end`; no renewal rows) and product
events (CSV).  Accounts that cancel use the product less in the weeks before, so a model
has something to learn; the cancellations are known exactly, for the tests to count.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

__all__ = ["StripeExport", "write_stripe_export"]

UTC = dt.UTC


def _epoch(day: dt.date) -> int:
    return int(dt.datetime(day.year, day.month, day.day, 12, tzinfo=UTC).timestamp())


def _add_months(day: dt.date, n: int) -> dt.date:
    m = day.month - 1 + n
    y, m = day.year + m // 12, m % 12 + 1
    return dt.date(y, m, min(day.day, 28))


@dataclass
class StripeExport:
    """The files written and the truth the tests check against."""

    accounts: Path
    customers: Path
    subscriptions: Path
    events: Path
    export_day: dt.date
    churns: dict[str, dt.date]  # CRM account id -> day it stopped paying (on or before export)
    scheduled: set[str]  # accounts whose cancellation takes effect after the export day


def write_stripe_export(
    folder: Path,
    *,
    n_accounts: int = 160,
    export_day: dt.date = dt.date(2026, 6, 30),
    seed: int = 11,
) -> StripeExport:
    """Write the four files into `folder`; about a third of the accounts cancel."""
    rng = np.random.default_rng(seed)
    history_start = dt.date(2025, 1, 1)
    accounts, customers, subs, events = [], [], [], []
    churns: dict[str, dt.date] = {}
    scheduled: set[str] = set()
    segments = ("smb", "mid-market", "enterprise")
    owners = ("Maya Okafor", "Liam Novak", "Ana Silva")
    for i in range(n_accounts):
        acc = f"0015g{i:05d}"
        cus = f"cus_{i:06d}x"
        seg = segments[i % 3]
        seats = int(rng.integers(2, 12))
        price = {"smb": 1500, "mid-market": 4900, "enterprise": 9900}[seg]
        start = history_start - dt.timedelta(days=int(rng.integers(0, 700)))
        interval = "year" if rng.random() < 0.25 else "month"
        months = 12 if interval == "year" else 1
        fate = rng.random()
        sub: dict[str, object] = {
            "id": f"sub_{i:06d}",
            "object": "subscription",
            "customer": cus,
            "created": _epoch(start),
            "start_date": _epoch(start),
            "quantity": seats,
            "plan": {
                "id": f"price_{seg}",
                "nickname": seg.title(),
                "amount": price,
                "interval": interval,
                "currency": "usd",
            },
            "trial_end": None,
            "ended_at": None,
            "canceled_at": None,
            "cancel_at_period_end": False,
        }
        # The current (or last) term, counted from the start in whole billing periods.
        stop: dt.date | None = None
        if fate < 0.34:  # cancels between 2025-04 and the export day
            late = fate < 0.03  # asked in the export's last days, effective after it
            if late:
                asked = export_day - dt.timedelta(days=int(rng.integers(1, 10)))
            else:
                asked = dt.date(2025, 4, 1) + dt.timedelta(days=int(rng.integers(0, 400)))
            term_end = start
            while term_end <= asked:
                term_end = _add_months(term_end, months)
            if late:
                while term_end <= export_day:
                    term_end = _add_months(term_end, months)
            at_period_end = late or rng.random() < 0.6
            stop = term_end if at_period_end else asked
            if not late and stop > export_day - dt.timedelta(days=20):
                stop = asked = export_day - dt.timedelta(days=int(rng.integers(20, 40)))
                at_period_end = False
            sub["canceled_at"] = _epoch(asked)
            sub["cancel_at_period_end"] = at_period_end
            sub["current_period_end"] = _epoch(term_end)
            if stop <= export_day:
                sub["status"] = "canceled"
                sub["ended_at"] = _epoch(stop)
                churns[acc] = stop
            else:  # asked before the export day, effective after it: still active
                sub["status"] = "active"
                scheduled.add(acc)
        else:
            term_end = start
            while term_end <= export_day:
                term_end = _add_months(term_end, months)
            sub["status"] = "past_due" if fate > 0.97 else "active"
            sub["current_period_end"] = _epoch(term_end)
        subs.append(sub)
        accounts.append(
            f"{acc},Company {i:03d},{seg},{owners[i % 3]},{12 * price * seats / 100:.0f},{seats}"
        )
        customers.append(
            {
                "id": cus,
                "object": "customer",
                "email": f"billing@company{i:03d}.example",
                "name": f"Company {i:03d}",
                "metadata": {"account_id": acc},
            }
        )
        # Usage: a login per active user and a few actions, every few days; fading for the
        # 60 days before a cancellation takes effect.
        last = min(stop or export_day, export_day)
        first = max(start, history_start)
        day = first
        while day < last:
            fade = 1.0
            if stop is not None:
                left = (stop - day).days
                fade = max(0.1, min(1.0, left / 60))
            users = max(1, int(rng.binomial(seats, 0.6 * fade)))
            for u in range(users):
                events.append(f"{acc},u{i}-{u},{day}T09:{u % 60:02d}:00,login")
                if rng.random() < 0.5 * fade:
                    events.append(f"{acc},u{i}-{u},{day}T10:{u % 60:02d}:00,report_created")
            day += dt.timedelta(days=int(rng.integers(5, 9)))
        if acc not in churns:  # everyone still a customer was seen on the export day
            events.append(f"{acc},u{i}-0,{export_day}T08:00:00,login")
    folder.mkdir(parents=True, exist_ok=True)
    out = StripeExport(
        accounts=folder / "crm_accounts.csv",
        customers=folder / "stripe_customers.jsonl",
        subscriptions=folder / "stripe_subscriptions.jsonl",
        events=folder / "events.csv",
        export_day=export_day,
        churns=churns,
        scheduled=scheduled,
    )
    out.accounts.write_text(
        "account_id,name,segment,owner_csm,arr,seats_purchased\n" + "\n".join(accounts) + "\n"
    )
    out.customers.write_text("".join(json.dumps(c) + "\n" for c in customers))
    out.subscriptions.write_text("".join(json.dumps(s) + "\n" for s in subs))
    out.events.write_text("account_id,user_id,event_time,event_type\n" + "\n".join(events) + "\n")
    return out
