"""Every shipped profile on a sample written in its tool's documented layout
(tests/data/exports/more), chained as a user would: HubSpot gives the accounts, the others
find them by id, registered external id, name or e-mail."""

from __future__ import annotations

from pathlib import Path

import pytest

from healthscore.ingest import import_files
from healthscore.ingest.links import import_links
from healthscore.ingest.options import build_spec
from healthscore.store import Store, open_store

MORE = Path(__file__).resolve().parents[1] / "data" / "exports" / "more"

STEPS = [
    ("accounts", "hubspot_companies.jsonl", "hubspot-companies"),
    ("contacts", "hubspot_contacts.csv", "hubspot-contacts"),
    ("interactions", "hubspot_engagements.jsonl", "hubspot-engagements"),
    ("interactions", "salesforce_events.csv", "salesforce-events"),
    ("subscriptions", "chargebee_subscriptions.jsonl", "chargebee"),
    ("invoices", "chargebee_invoices.jsonl", "chargebee"),
    ("links", "zendesk_organizations.jsonl", str(MORE / "zendesk_orgs_links.yaml")),
    ("tickets", "zendesk_tickets.jsonl", "zendesk-tickets"),
    ("surveys", "zendesk_satisfaction.jsonl", "zendesk-satisfaction"),
    ("tickets", "intercom_conversations.jsonl", "intercom"),
    ("contacts", "segment_identify.jsonl", "segment-identify"),
    ("surveys", "delighted_responses.jsonl", "delighted"),
]


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Store:
    s = open_store(tmp_path_factory.mktemp("samples") / "s.duckdb")
    for kind, name, profile in STEPS:
        spec = build_spec(kind, profile=profile)
        if kind == "links":
            report = import_links(s, [MORE / name], spec)
        else:
            report = import_files(s, kind, [MORE / name], spec=spec)
        assert report.rows_rejected == 0 and report.rows_inserted > 0, (name, report.problems)
    yield s
    s.close()


def _all(store: Store, sql: str) -> list[tuple[object, ...]]:
    return store.con.execute(sql).fetchall()


def test_hubspot(store: Store) -> None:
    assert _all(
        store, "SELECT account_id, name, industry, start_date::VARCHAR FROM accounts ORDER BY 1"
    ) == [
        ("9001", "Northwind", "RETAIL", "2025-02-01"),
        ("9002", "Contoso", "SOFTWARE", "2025-05-11"),
    ]
    assert ("domain", "northwind.example") in _all(
        store, "SELECT source, external_id FROM account_external_ids"
    )
    assert _all(
        store,
        "SELECT contact_id, account_id, name, email FROM contacts "
        "WHERE contact_id IN ('501', '502') ORDER BY 1",
    ) == [
        ("501", "9001", "Nia Stone", "nia@northwind.example"),
        ("502", "9002", "Omar Haddad", "omar@contoso.example"),
    ]
    assert _all(
        store,
        "SELECT interaction_id, account_id, kind, direction, "
        "occurred_at::VARCHAR FROM interactions WHERE interaction_id LIKE '6%' "
        "ORDER BY 1",
    ) == [
        ("61", "9001", "call", None, "2026-09-21 14:13:20"),
        ("62", "9002", "email", "inbound", "2026-09-27 09:06:40"),
        ("63", "9001", "meeting", None, "2026-10-03 04:00:00"),
    ]


def test_salesforce_events_default_to_meetings(store: Store) -> None:
    assert _all(
        store,
        "SELECT interaction_id, kind, occurred_at::VARCHAR FROM interactions "
        "WHERE interaction_id LIKE '00U%' ORDER BY 1",
    ) == [("00U1", "meeting", "2026-10-05 14:00:00"), ("00U2", "meeting", "2026-10-07 09:00:00")]


def test_chargebee(store: Store) -> None:
    assert _all(
        store,
        "SELECT subscription_id, account_id, product, start_date::VARCHAR, "
        "end_date::VARCHAR, mrr, quantity FROM subscriptions ORDER BY 1",
    ) == [
        ("cb_sub_1", "9001", "growth-monthly", "2025-10-09", None, 396.0, 4.0),
        ("cb_sub_2", "9002", "starter-yearly", "2025-02-19", "2026-08-29", 50.0, 1.0),
    ]
    assert _all(
        store, "SELECT invoice_id, amount, status, paid_date::VARCHAR FROM invoices ORDER BY 1"
    ) == [("cb_inv_1", 396.0, "paid", "2026-09-21"), ("cb_inv_2", 600.0, "overdue", None)]


def test_zendesk_and_intercom_tickets(store: Store) -> None:
    assert _all(
        store,
        "SELECT ticket_id, account_id, status, priority, channel, csat FROM tickets ORDER BY 1",
    ) == [
        ("1911149811", "9001", "closed", "high", "chat", 5.0),
        ("1911149812", "9002", "pending", "normal", "email", None),
        ("35436", "9001", "resolved", "high", "portal", 5.0),
        ("35437", "9002", "pending", "normal", "email", None),
    ]


def test_surveys_from_zendesk_ratings_and_delighted(store: Store) -> None:
    assert _all(
        store,
        "SELECT response_id, account_id, survey_type, score, "
        "responded_at IS NOT NULL FROM surveys ORDER BY 1",
    ) == [
        ("1", "9002", "nps", 0.0, True),
        ("2", "9001", "nps", 10.0, True),
        ("7001", "9001", "csat", 5.0, True),
        ("7002", "9002", "csat", None, False),
    ]


def test_segment_identify_keeps_only_identify_calls(store: Store) -> None:
    assert _all(
        store,
        "SELECT contact_id, account_id, name FROM contacts WHERE contact_id LIKE 'u_%' ORDER BY 1",
    ) == [("u_nia", "9001", "Nia Stone"), ("u_omar", "9002", "Omar Haddad")]
