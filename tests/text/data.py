"""A small hand-written store for the text tests: three accounts, their comments, tickets and
notes, a feature catalogue and some usage (expected readings in the tests themselves)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pandas as pd

from healthscore.store import open_store
from healthscore.store.db import Store

AS_OF = dt.date(2024, 6, 30)


def ts(s: str) -> dt.datetime:
    return dt.datetime.fromisoformat(s)


ROWS: dict[str, list[dict[str, Any]]] = {
    "accounts": [
        {"account_id": "A1", "name": "Acme Labs", "segment": "enterprise", "arr": 120000.0},
        {"account_id": "A2", "name": "Blue Works", "segment": "smb", "mrr": 500.0},
        {"account_id": "A3", "name": "Cedar Bank", "segment": "smb", "arr": 24000.0},
    ],
    "subscriptions": [
        {"subscription_id": "S1", "account_id": "A1", "product": "p",
         "start_date": dt.date(2023, 7, 1), "mrr": 10000.0},
        {"subscription_id": "S2", "account_id": "A2", "product": "p",
         "start_date": dt.date(2023, 7, 1), "mrr": 500.0},
        {"subscription_id": "S3", "account_id": "A3", "product": "p",
         "start_date": dt.date(2023, 7, 1), "mrr": 2000.0},
    ],
    "features": [
        {"feature": "report_created", "category": "core", "description": "Built a report."},
        {"feature": "dashboard_viewed", "category": "core", "description": "Opened a dashboard."},
        {"feature": "api_call", "category": "advanced", "description": "Called the API."},
    ],
    "events": [
        {"account_id": "A1", "event_time": ts("2024-06-01 10:00"), "event_type": "report_created"},
        {"account_id": "A2", "event_time": ts("2024-06-02 10:00"), "event_type": "report_created"},
        {"account_id": "A2", "event_time": ts("2024-06-03 10:00"), "event_type": "api_call"},
        {"account_id": "A3", "event_time": ts("2024-06-04 10:00"), "event_type": "dashboard_viewed"},
    ],
    "surveys": [
        {"response_id": "R1", "account_id": "A1", "survey_type": "nps", "score": 3.0,
         "responded_at": ts("2024-06-10 09:00"),
         "comment": "Love the dashboards but the API keeps timing out."},
        {"response_id": "R2", "account_id": "A1", "survey_type": "nps", "score": 2.0,
         "responded_at": ts("2024-06-20 09:00"),
         "comment": "We have decided to go in another direction at renewal."},
        {"response_id": "R3", "account_id": "A2", "survey_type": "nps", "score": 10.0,
         "responded_at": ts("2024-06-15 09:00"), "comment": "Reports just work. No complaints."},
        {"response_id": "R4", "account_id": "A3", "survey_type": "csat", "score": 1.0,
         "responded_at": ts("2024-06-16 09:00"), "comment": "Das Dashboard ist sehr langsam."},
        {"response_id": "R5", "account_id": "A2", "survey_type": "nps", "score": 9.0,
         "responded_at": ts("2024-02-01 09:00"), "comment": "Great product, very reliable."},
        {"response_id": "R6", "account_id": "A3", "survey_type": "nps", "score": 8.0,
         "responded_at": ts("2024-06-18 09:00"), "comment": ""},
        # After AS_OF: must never count as of AS_OF.
        {"response_id": "R7", "account_id": "A2", "survey_type": "nps", "score": 0.0,
         "responded_at": ts("2024-07-02 09:00"),
         "comment": "We will cancel our subscription at the end of the term."},
    ],
    "tickets": [
        {"ticket_id": "T1", "account_id": "A1", "opened_at": ts("2024-06-05 08:00"),
         "subject": "CSV export of reports fails", "category": "bug", "csat": 1.0,
         "body": "<p>Every <b>report</b> export fails with error 500 since Monday.</p>",
         "feature": "report_created"},
        {"ticket_id": "T2", "account_id": "A3", "opened_at": ts("2024-06-06 08:00"),
         "subject": "How do I share a dashboard?", "category": "how-to", "csat": 5.0,
         "body": "Hi team, is there a way to share a dashboard with a manager? Thanks!",
         "feature": "dashboard_viewed"},
        {"ticket_id": "T3", "account_id": "A2", "opened_at": ts("2024-03-06 08:00"),
         "subject": "Reports slow", "category": "performance",
         "body": "The report builder takes forever to load.", "feature": "report_created"},
    ],
    "interactions": [
        {"interaction_id": "I1", "account_id": "A1", "kind": "call",
         "occurred_at": ts("2024-06-12 15:00"), "notes": "Champion left; new VP sceptical."},
        {"interaction_id": "I2", "account_id": "A2", "kind": "qbr",
         "occurred_at": ts("2024-06-14 15:00"),
         "notes": "QBR went well, exec sponsor engaged and they want to expand."},
    ],
}  # fmt: skip


def insert(store: Store, rows: dict[str, list[dict[str, Any]]]) -> None:
    offset = store.count("events") if "events" in rows else 0
    for table, items in rows.items():
        df = pd.DataFrame(items)
        if table == "events":
            df.insert(0, "event_key", range(offset + 1, offset + 1 + len(df)))
        store.con.register("hs_rows", df)
        store.con.execute(f"INSERT INTO {table} BY NAME SELECT * FROM hs_rows")
        store.con.unregister("hs_rows")


def build_store(path: Path) -> Store:
    store = open_store(path)
    insert(store, ROWS)
    return store
