"""A billing snapshot exported after the other signals stop: churn is read up to where they
end, and a scheduled (never paid) row's start moves neither that day nor the data end."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pandas as pd

from healthscore.ingest import import_files
from healthscore.ingest.options import build_spec
from healthscore.store import open_store
from healthscore.store.queries.outcomes import billing_today
from healthscore.store.queries.span import data_range

EVENTS_END = dt.date(2026, 6, 30)


def _sub(sid: str, cus: str, status: str, start: dt.date) -> str:
    at = int(dt.datetime(start.year, start.month, start.day, 12, tzinfo=dt.UTC).timestamp())
    sub = {
        "id": sid,
        "customer_id": cus,
        "plan_id": "growth",
        "status": status,
        "started_at": at,
        "mrr": 30000,
        "billing_period": 1,
        "billing_period_unit": "month",
    }
    return json.dumps({"subscription": sub, "customer": {"id": cus}})  # fmt: skip


def test_a_future_row_does_not_become_the_billing_today(tmp_path: Path) -> None:
    acc = tmp_path / "accounts.csv"
    acc.write_text("account_id\nc1\nc9\n")
    days = pd.date_range("2026-01-06", EVENTS_END, freq="7D")
    ev = tmp_path / "events.csv"
    ev.write_text(
        "account_id,event_time,event_type\n"
        + "\n".join(f"c1,{d.date()}T10:00:00,login" for d in days)
        + f"\nc1,{EVENTS_END}T10:00:00,login\n"
    )
    subs = tmp_path / "chargebee_subscriptions.jsonl"
    subs.write_text(
        _sub("s1", "c1", "active", dt.date(2024, 1, 10))
        + "\n"
        # Starts three weeks after the events end: scheduled, never paid.
        + _sub("s9", "c9", "future", dt.date(2026, 7, 20))
        + "\n"
    )
    with open_store(tmp_path / "s.duckdb") as store:
        import_files(store, "accounts", [acc])
        import_files(store, "events", [ev])
        spec = build_spec("subscriptions", profile="chargebee")
        report = import_files(store, "subscriptions", [subs], spec=spec)
        assert report.rows_inserted == 2, report.problems
        span = data_range(store.ibis())
        assert span is not None and span.last == EVENTS_END
        today = billing_today(store.ibis(), span.last)
        # Imported today (months after the events end): read up to the other signals' end.
        assert today.day == EVENTS_END, today
        assert "imported on" in today.reason
