"""Issue 11 item 1: churn from the billing systems' own exports, read through the shipped
import profiles (Stripe, Chargebee) and a user profile for Recurly, as a user imports them.

Each file holds the shapes a real export mixes: open-ended active rows, cancellations at
once and at the term end (reached or not by the export day), trials, pauses, add-on rows
that overlap a base subscription, and rows that never turned paid.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pandas as pd
import pytest

from healthscore.ingest import import_files
from healthscore.ingest.options import build_spec
from healthscore.predict.outcomes import derive_outcomes
from healthscore.store import Store, open_store

# The files are exported today and imported today, as a user does: every date below is
# written as if today were 2026-06-30 and moved by the same number of days.
WRITTEN_FOR = dt.date(2026, 6, 30)
EXPORT_DAY = dt.datetime.now(dt.UTC).date()
SHIFT = EXPORT_DAY - WRITTEN_FOR


def D(y: int, m: int, d: int) -> dt.date:
    return dt.date(y, m, d) + SHIFT


def _t(day: str) -> int:
    """Unix seconds at noon UTC, as Stripe and Chargebee write times."""
    d = dt.date.fromisoformat(day) + SHIFT
    return int(dt.datetime(d.year, d.month, d.day, 12, tzinfo=dt.UTC).timestamp())


def _iso(text: str) -> str:
    """`text` with each ISO day in it moved by SHIFT (Recurly writes ISO 8601 times)."""
    import re

    return re.sub(
        r"\d{4}-\d{2}-\d{2}",
        lambda m: str(dt.date.fromisoformat(m.group(0)) + SHIFT),
        text,
    )


def _store(tmp_path: Path, ids: list[str]) -> Store:
    """Accounts `ids` and a weekly login each up to the export day."""
    acc = tmp_path / "accounts.csv"
    acc.write_text("account_id\n" + "\n".join(ids) + "\n")
    days = pd.date_range(D(2025, 10, 1), EXPORT_DAY, freq="7D").append(
        pd.DatetimeIndex([pd.Timestamp(EXPORT_DAY)])
    )
    ev = tmp_path / "events.csv"
    ev.write_text(
        "account_id,event_time,event_type\n"
        + "\n".join(f"{a},{d.date()}T10:00:00,login" for a in ids for d in days)
    )
    store = open_store(tmp_path / "s.duckdb")
    import_files(store, "accounts", [acc])
    import_files(store, "events", [ev])
    return store


def _import(store: Store, path: Path, profile: str) -> None:
    report = import_files(
        store, "subscriptions", [path], spec=build_spec("subscriptions", profile=profile)
    )
    assert report.rows_rejected == 0 and report.rows_inserted > 0, report.problems


def _churns(store: Store, **kw: object) -> dict[str, dt.date]:
    o = derive_outcomes(store, **kw)  # type: ignore[arg-type]
    return {r.account_id: r.date for r in o.of("churn").itertuples()}


# -- Chargebee: the shipped profile on API resources --------------------------------------


def _cb(sid: str, cus: str, status: str, start: str, **extra: object) -> str:
    sub = {
        "id": sid,
        "customer_id": cus,
        "plan_id": "growth-monthly",
        "plan_quantity": 3,
        "status": status,
        "started_at": _t(start),
        "mrr": 30000,
        "billing_period": 1,
        "billing_period_unit": "month",
    }
    sub.update({k: _t(v) if isinstance(v, str) else v for k, v in extra.items()})
    return json.dumps({"subscription": sub, "customer": {"id": cus}})


CHARGEBEE = [
    _cb("cb1", "c1", "active", "2024-01-10", current_term_end="2026-07-10"),
    # cancelled at once, mid-term
    _cb("cb2", "c2", "cancelled", "2024-03-01", cancelled_at="2026-02-14",
        current_term_end="2026-03-01"),
    # cancelled at the term end: Chargebee writes the term end as cancelled_at
    _cb("cb3", "c3", "cancelled", "2023-05-20", cancelled_at="2026-04-20",
        current_term_end="2026-04-20"),
    # non-renewing: stops at the term end, after the export day -> not churn yet
    _cb("cb4", "c4", "non_renewing", "2024-07-15", cancelled_at="2026-07-15",
        current_term_end="2026-07-15"),
    # a trial still running: no paying customer, its end no churn
    _cb("cb5", "c5", "in_trial", "2026-06-10", trial_end="2026-07-10",
        current_term_end="2026-07-10"),
    # a trial that never converted
    _cb("cb6", "c6", "cancelled", "2026-01-05", trial_end="2026-02-04",
        cancelled_at="2026-02-04"),
    # paused since May, resumes in August: a customer, MRR 0, no churn
    _cb("cb7", "c7", "paused", "2024-02-01", pause_date="2026-05-01", resume_date="2026-08-01",
        current_term_end="2026-08-01"),
    # an add-on subscription of c1 that ended under the running base: contraction, no churn
    _cb("cb8", "c1", "cancelled", "2025-06-01", cancelled_at="2026-03-01",
        current_term_end="2026-03-01"),
    # c8: base and add-on overlap; the account churns when the last of them ends
    _cb("cb9", "c8", "cancelled", "2023-09-09", cancelled_at="2026-01-09",
        current_term_end="2026-01-09"),
    _cb("cb10", "c8", "cancelled", "2025-01-01", cancelled_at="2026-03-03",
        current_term_end="2026-03-03"),
    # starts next month: never paid yet
    _cb("cb11", "c9", "future", "2026-07-20"),
]  # fmt: skip


def test_chargebee_export_through_its_profile(tmp_path: Path) -> None:
    store = _store(tmp_path, [f"c{i}" for i in range(1, 10)])
    path = tmp_path / "chargebee_subscriptions.jsonl"
    path.write_text("\n".join(CHARGEBEE) + "\n")
    _import(store, path, "chargebee")
    o = derive_outcomes(store)
    assert o.billing_end == EXPORT_DAY
    assert _churns(store) == {
        "c2": D(2026, 2, 14),
        "c3": D(2026, 4, 20),
        "c8": D(2026, 3, 3),
    }
    assert set(o.of("contraction")["account_id"]) >= {"c1"}
    active = set(o.active_at([EXPORT_DAY])["account_id"])
    assert active == {"c1", "c4", "c7"}  # c5 in trial, c9 not started
    # Known on 2026-03-01: c2 had churned; c8's add-on still ran; c3 had not cancelled.
    assert _churns(store, as_of=D(2026, 3, 1)) == {"c2": D(2026, 2, 14)}


# -- Recurly: no shipped profile; a user profile maps its export ----------------------------

RECURLY_PROFILE = """
profile: recurly-subscriptions
version: 1
kind: subscriptions
tool: Recurly
export: Subscriptions export (CSV), or the v3 API's subscription objects flattened
source: recurly
columns:
  subscription_id: [uuid, id]
  account_id: [account_code, account.code]
  product: [plan_code, plan.code]
  start_date: [activated_at]
  # Recurly's expires_at is the day an ended ("expired") subscription stopped; a
  # "canceled" one still runs to its current_period_ends_at.
  end_date:
    columns: [expires_at]
    when: {column: state, in: [expired]}
  mrr: {columns: [unit_amount], times: quantity}
  quantity: [quantity]
optional_columns:
  status: [state]
  canceled_at: [canceled_at]
  current_period_end: [current_period_ends_at]
  trial_end: [trial_ends_at]
  paused_at: [paused_at]
"""

RECURLY = """uuid,account_code,plan_code,state,activated_at,canceled_at,expires_at,current_period_ends_at,trial_ends_at,paused_at,unit_amount,quantity
r1,k1,team,active,2024-02-02T09:00:00Z,,,2026-07-02T09:00:00Z,,,49.00,5
r2,k2,team,expired,2023-11-11T09:00:00Z,2026-03-01T15:00:00Z,2026-03-11T09:00:00Z,2026-03-11T09:00:00Z,,,49.00,2
r3,k3,team,canceled,2025-01-20T09:00:00Z,2026-06-01T10:00:00Z,2026-07-20T09:00:00Z,2026-07-20T09:00:00Z,,,49.00,1
r4,k4,team,canceled,2025-01-25T09:00:00Z,2026-04-02T10:00:00Z,2026-04-25T09:00:00Z,2026-04-25T09:00:00Z,,,49.00,1
r5,k5,pro,paused,2024-05-05T09:00:00Z,,,2026-08-05T09:00:00Z,,2026-05-05T09:00:00Z,99.00,1
r6,k6,pro,active,2026-06-01T09:00:00Z,,,2026-07-15T09:00:00Z,2026-07-15T09:00:00Z,,99.00,1
r7,k7,pro,future,2026-07-10T09:00:00Z,,,,,,99.00,1
"""


def test_recurly_export_through_a_user_profile(tmp_path: Path) -> None:
    store = _store(tmp_path, [f"k{i}" for i in range(1, 8)])
    profile = tmp_path / "recurly.yaml"
    profile.write_text(RECURLY_PROFILE)
    path = tmp_path / "recurly_subscriptions.csv"
    path.write_text(_iso(RECURLY))
    _import(store, path, str(profile))
    # k2 expired; k4 canceled for its term end, reached before the export day (Recurly
    # still calls it "canceled" until the export catches up); k3's term ends after it.
    assert _churns(store) == {"k2": D(2026, 3, 11), "k4": D(2026, 4, 25)}
    o = derive_outcomes(store)
    assert set(o.active_at([EXPORT_DAY])["account_id"]) == {"k1", "k3", "k5"}


# -- The billing export's today -------------------------------------------------------------


@pytest.mark.parametrize("given", [None, D(2026, 3, 1)])
def test_billing_today_is_the_export_never_the_newest_start(
    tmp_path: Path, given: dt.date | None
) -> None:
    store = _store(tmp_path, [f"c{i}" for i in range(1, 10)])
    path = tmp_path / "chargebee_subscriptions.jsonl"
    path.write_text("\n".join(CHARGEBEE) + "\n")
    _import(store, path, "chargebee")
    o = derive_outcomes(store, billing_date=given)
    # The newest start is a future row's (in 20 days), the newest paid one 20 days ago;
    # neither is today.
    assert o.billing_end == (given or EXPORT_DAY)
    if given is not None:  # a date the user gives bounds what is known
        assert set(_churns(store, billing_date=given)) == {"c2"}
        assert "given" in o.billing_reason
    else:  # the day the snapshot was imported
        assert "imported on" in o.billing_reason and str(EXPORT_DAY) in o.billing_reason
