"""The tiny hand-checked portfolio the metric tests run on (expected values in test_values.py)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pandas as pd

from healthscore.store import open_store
from healthscore.store.db import Store

AS_OF = dt.date(2024, 3, 31)


def ts(s: str) -> dt.datetime:
    return dt.datetime.fromisoformat(s)


def d(s: str) -> dt.date:
    return dt.date.fromisoformat(s)


ROWS: dict[str, list[dict[str, Any]]] = {
    "accounts": [
        {
            "account_id": "A1",
            "start_date": d("2024-01-01"),
            "seats_purchased": 10,
            "renewal_date": d("2024-06-30"),
        },
        {"account_id": "A2", "start_date": d("2024-03-01"), "seats_purchased": 5},
        {"account_id": "A3", "start_date": d("2024-04-15")},
        {"account_id": "A4"},
    ],
    "subscriptions": [
        {
            "subscription_id": "S1",
            "account_id": "A1",
            "product": "p",
            "start_date": d("2024-01-01"),
            "mrr": 100.0,
            "quantity": 10.0,
        },
        {
            "subscription_id": "S2",
            "account_id": "A1",
            "product": "p",
            "start_date": d("2024-03-15"),
            "mrr": 50.0,
        },
        {
            "subscription_id": "S3",
            "account_id": "A2",
            "product": "p",
            "start_date": d("2024-03-01"),
            "end_date": d("2024-03-20"),
            "mrr": 80.0,
        },
        {
            "subscription_id": "S4",
            "account_id": "A4",
            "product": "p",
            "start_date": d("2024-02-01"),
            "mrr": 30.0,
        },
        {
            "subscription_id": "S5",
            "account_id": "A3",
            "product": "p",
            "start_date": d("2024-04-15"),
            "mrr": 10.0,
        },
    ],
    "features": [
        {"feature": "login", "category": "login", "first_value": False},
        {"feature": "report", "category": "core", "first_value": True},
        {"feature": "export", "category": "high_impact", "first_value": False},
        {"feature": "help_article", "category": "help", "first_value": False},
        {"feature": "unused_feature", "category": "advanced", "first_value": False},
    ],
    "events": [
        # Usage history starts here, 212 days before AS_OF: outside every window (even the
        # previous 90 days), so it only tells TTFV that A1's start is covered by the data.
        {
            "account_id": "A1",
            "user_id": "u1",
            "event_time": ts("2023-09-01 09:00"),
            "event_type": "login",
        },
        {
            "account_id": "A1",
            "user_id": "u1",
            "event_time": ts("2024-03-31 09:00"),
            "event_type": "login",
        },
        {
            "account_id": "A1",
            "user_id": "u2",
            "event_time": ts("2024-03-30 10:00"),
            "event_type": "login",
        },
        {
            "account_id": "A1",
            "user_id": "u1",
            "event_time": ts("2024-03-30 11:00"),
            "event_type": "report",
        },
        {
            "account_id": "A1",
            "user_id": "u1",
            "event_time": ts("2024-03-20 12:00"),
            "event_type": "export",
        },
        {
            "account_id": "A1",
            "user_id": "u1",
            "event_time": ts("2024-03-10 08:00"),
            "event_type": "login",
        },
        {
            "account_id": "A1",
            "user_id": "u3",
            "event_time": ts("2024-02-10 08:00"),
            "event_type": "report",
        },
        {
            "account_id": "A1",
            "user_id": "u1",
            "event_time": ts("2024-04-01 00:00"),
            "event_type": "login",
        },
        {
            "account_id": "A1",
            "user_id": "u2",
            "event_time": ts("2024-03-29 15:00"),
            "event_type": "help_article",
        },
        {
            "account_id": "A1",
            "user_id": None,
            "event_time": ts("2024-03-31 23:59:59"),
            "event_type": "login",
        },
        {
            "account_id": "A2",
            "user_id": "u9",
            "event_time": ts("2024-03-05 10:00"),
            "event_type": "login",
        },
    ],
    "tickets": [
        {
            "ticket_id": "T1",
            "account_id": "A1",
            "opened_at": ts("2024-03-01 10:00"),
            "first_response_at": ts("2024-03-01 12:00"),
            "resolved_at": ts("2024-03-02 10:00"),
            "priority": "high",
            "category": "bug",
            "csat": 4.0,
            "escalated": True,
        },
        {
            "ticket_id": "T2",
            "account_id": "A1",
            "opened_at": ts("2024-03-20 09:00"),
            "first_response_at": ts("2024-03-20 10:00"),
            "resolved_at": ts("2024-04-02 09:00"),
            "priority": "normal",
            "category": "how-to",
            "csat": 2.0,
            "escalated": True,
            "escalated_at": ts("2024-04-01 09:00"),  # after as_of: not yet an escalation
        },
        {
            "ticket_id": "T3",
            "account_id": "A1",
            "opened_at": ts("2024-03-30 08:00"),
            "first_response_at": ts("2024-04-01 08:00"),
            "priority": "urgent",
            "category": "bug",
            "escalated": True,
            "escalated_at": ts("2024-03-30 09:00"),
        },
        {
            "ticket_id": "T4",
            "account_id": "A1",
            "opened_at": ts("2024-04-02 08:00"),
            "category": "bug",
        },
        {
            "ticket_id": "T5",
            "account_id": "A1",
            "opened_at": ts("2023-11-01 08:00"),
            "resolved_at": ts("2023-11-02 08:00"),
            "category": "billing",
        },
    ],
    "surveys": [
        {
            "response_id": "R1",
            "account_id": "A1",
            "survey_type": "nps",
            "sent_at": ts("2024-01-05 09:00"),
            "responded_at": ts("2024-01-06 09:00"),
            "score": 6.0,
        },
        {
            "response_id": "R2",
            "account_id": "A1",
            "survey_type": "nps",
            "sent_at": ts("2024-03-01 09:00"),
            "responded_at": ts("2024-03-02 09:00"),
            "score": 9.0,
        },
        {
            "response_id": "R3",
            "account_id": "A1",
            "survey_type": "nps",
            "sent_at": ts("2024-03-25 09:00"),
            "responded_at": ts("2024-04-02 09:00"),
            "score": 2.0,
        },
        {
            "response_id": "R4",
            "account_id": "A1",
            "survey_type": "csat",
            "sent_at": ts("2024-03-09 09:00"),
            "responded_at": ts("2024-03-10 09:00"),
            "score": 4.0,
        },
        {
            "response_id": "R5",
            "account_id": "A1",
            "survey_type": "csat",
            "sent_at": ts("2023-08-01 09:00"),
            "responded_at": ts("2023-08-01 10:00"),
            "score": 1.0,
        },
    ],
    "interactions": [
        {
            "interaction_id": "I1",
            "account_id": "A1",
            "kind": "call",
            "occurred_at": ts("2024-03-15 10:00"),
        },
        {
            "interaction_id": "I2",
            "account_id": "A1",
            "kind": "meeting",
            "occurred_at": ts("2024-02-01 10:00"),
        },
        {
            "interaction_id": "I3",
            "account_id": "A1",
            "kind": "call",
            "occurred_at": ts("2024-04-05 10:00"),
        },
    ],
    "judgements": [
        {
            "judgement_id": "J1",
            "account_id": "A1",
            "measure": "relationship_quality",
            "value": 3.0,
            "recorded_at": ts("2024-02-01 10:00"),
        },
        {
            "judgement_id": "J2",
            "account_id": "A1",
            "measure": "relationship_quality",
            "value": 4.0,
            "recorded_at": ts("2024-03-21 10:00"),
        },
        {
            "judgement_id": "J3",
            "account_id": "A1",
            "measure": "relationship_quality",
            "value": 1.0,
            "recorded_at": ts("2024-04-03 10:00"),
        },
        {
            "judgement_id": "J4",
            "account_id": "A1",
            "measure": "exec_sponsor_engaged",
            "value": 1.0,
            "recorded_at": ts("2024-01-15 10:00"),
        },
    ],
    "engagement": [
        *(
            {
                "engagement_id": f"E{i}",
                "account_id": "A1",
                "kind": "email_sent",
                "occurred_at": ts(f"2024-03-0{i} 10:00"),
            }
            for i in range(1, 5)
        ),
        {
            "engagement_id": "E5",
            "account_id": "A1",
            "kind": "email_opened",
            "occurred_at": ts("2024-03-02 10:00"),
        },
        {
            "engagement_id": "E6",
            "account_id": "A1",
            "kind": "email_opened",
            "occurred_at": ts("2024-03-03 10:00"),
        },
        {
            "engagement_id": "E7",
            "account_id": "A1",
            "kind": "email_clicked",
            "occurred_at": ts("2024-03-03 11:00"),
        },
        {
            "engagement_id": "E8",
            "account_id": "A1",
            "kind": "event_attended",
            "occurred_at": ts("2024-02-15 10:00"),
        },
        {
            "engagement_id": "E9",
            "account_id": "A1",
            "kind": "webinar_attended",
            "occurred_at": ts("2023-09-01 10:00"),
        },
    ],
    "milestones": [
        {
            "milestone_id": "M1",
            "account_id": "A1",
            "title": "m1",
            "due_date": d("2024-03-10"),
            "completed_date": d("2024-03-08"),
        },
        {
            "milestone_id": "M2",
            "account_id": "A1",
            "title": "m2",
            "due_date": d("2024-03-20"),
            "completed_date": d("2024-04-05"),
        },
        {"milestone_id": "M3", "account_id": "A1", "title": "m3", "due_date": d("2024-05-01")},
        {
            "milestone_id": "M4",
            "account_id": "A1",
            "title": "m4",
            "due_date": d("2024-06-01"),
            "completed_date": d("2024-03-15"),
        },
    ],
    "invoices": [
        {
            "invoice_id": "V1",
            "account_id": "A1",
            "issued_date": d("2024-01-01"),
            "due_date": d("2024-01-15"),
            "paid_date": d("2024-01-20"),
            "amount": 100.0,
            "failed_attempts": 0,
        },
        {
            "invoice_id": "V2",
            "account_id": "A1",
            "issued_date": d("2024-02-01"),
            "due_date": d("2024-02-15"),
            "paid_date": d("2024-02-10"),
            "amount": 100.0,
            "failed_attempts": 2,
        },
        {
            "invoice_id": "V3",
            "account_id": "A1",
            "issued_date": d("2024-03-01"),
            "due_date": d("2024-03-15"),
            "paid_date": d("2024-04-10"),
            "amount": 150.0,
            "failed_attempts": 1,
        },
        {
            "invoice_id": "V4",
            "account_id": "A1",
            "issued_date": d("2023-11-01"),
            "due_date": d("2023-11-15"),
            "paid_date": d("2023-12-15"),
            "amount": 100.0,
            "failed_attempts": 0,
        },
        {
            "invoice_id": "V5",
            "account_id": "A1",
            "issued_date": d("2024-04-01"),
            "due_date": d("2024-04-15"),
            "amount": 150.0,
            "failed_attempts": 4,
        },
    ],
    "advocacy": [
        {
            "advocacy_id": "D1",
            "account_id": "A1",
            "kind": "referral",
            "occurred_at": ts("2023-01-10 10:00"),
        },
        {
            "advocacy_id": "D2",
            "account_id": "A1",
            "kind": "referral",
            "occurred_at": ts("2024-02-01 10:00"),
        },
        {
            "advocacy_id": "D3",
            "account_id": "A1",
            "kind": "review",
            "occurred_at": ts("2024-03-01 10:00"),
        },
        {
            "advocacy_id": "D4",
            "account_id": "A1",
            "kind": "review",
            "occurred_at": ts("2024-05-01 10:00"),
        },
    ],
}

# Rows dated strictly after AS_OF: adding them must not change any value as of AS_OF.
FUTURE_ROWS: dict[str, list[dict[str, Any]]] = {
    "events": [
        {
            "account_id": "A1",
            "user_id": "u7",
            "event_time": ts("2024-04-01 00:00:00"),
            "event_type": "export",
        },
        {
            "account_id": "A2",
            "user_id": "u9",
            "event_time": ts("2024-04-03 00:00:00"),
            "event_type": "report",
        },
        {
            "account_id": "A4",
            "user_id": "u5",
            "event_time": ts("2024-05-03 00:00:00"),
            "event_type": "login",
        },
    ],
    "tickets": [
        {
            "ticket_id": "T9",
            "account_id": "A1",
            "opened_at": ts("2024-04-01 00:00"),
            "first_response_at": ts("2024-04-01 01:00"),
            "resolved_at": ts("2024-04-01 02:00"),
            "priority": "urgent",
            "category": "how-to",
            "csat": 1.0,
            "escalated": True,
        },
    ],
    "surveys": [
        {
            "response_id": "R9",
            "account_id": "A2",
            "survey_type": "nps",
            "sent_at": ts("2024-04-01 00:00"),
            "responded_at": ts("2024-04-01 01:00"),
            "score": 0.0,
        },
    ],
    "interactions": [
        {
            "interaction_id": "I9",
            "account_id": "A2",
            "kind": "call",
            "occurred_at": ts("2024-04-01 00:00"),
        }
    ],
    "judgements": [
        {
            "judgement_id": "J9",
            "account_id": "A2",
            "measure": "relationship_quality",
            "value": 5.0,
            "recorded_at": ts("2024-04-01 00:00"),
        }
    ],
    "engagement": [
        {
            "engagement_id": "E99",
            "account_id": "A1",
            "kind": "email_opened",
            "occurred_at": ts("2024-04-01 00:00"),
        }
    ],
    "milestones": [
        {
            "milestone_id": "M9",
            "account_id": "A2",
            "title": "m9",
            "due_date": d("2024-04-01"),
            "completed_date": d("2024-04-01"),
        }
    ],
    "invoices": [
        {
            "invoice_id": "V9",
            "account_id": "A2",
            "issued_date": d("2024-04-01"),
            "due_date": d("2024-04-01"),
            "amount": 1.0,
            "failed_attempts": 7,
        }
    ],
    "advocacy": [
        {
            "advocacy_id": "D9",
            "account_id": "A2",
            "kind": "referral",
            "occurred_at": ts("2024-04-01 00:00"),
        }
    ],
    "subscriptions": [
        {
            "subscription_id": "S9",
            "account_id": "A2",
            "product": "p",
            "start_date": d("2024-04-01"),
            "mrr": 999.0,
        },
    ],
}


def insert(store: Store, rows: dict[str, list[dict[str, Any]]]) -> None:
    """Insert rows by column name; events get a deterministic event_key."""
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
