"""The new user's exports (tests/data/exports), each in its tool's documented layout and
linked as real ones are (a Stripe customer id, an organisation's name, a Segment groupId, a
respondent's e-mail), import with their profiles and no script, and score exactly as the
same data cleaned by hand (tests/data/exports/clean) does."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd
import pytest

from healthscore.ingest import import_files
from healthscore.ingest.links import import_links
from healthscore.ingest.options import build_spec
from healthscore.scoring.run import compute_scores
from healthscore.store import Store, open_store

EXPORTS = Path(__file__).resolve().parents[1] / "data" / "exports"
CLEAN = EXPORTS / "clean"
AS_OF = dt.date(2026, 10, 31)

# (kind, file, profile) in the order a new user imports them.
STEPS = [
    ("accounts", "salesforce_accounts.csv", "salesforce"),
    ("contacts", "salesforce_contacts.csv", "salesforce"),
    ("interactions", "salesforce_tasks.csv", "salesforce-tasks"),
    ("links", "stripe_customers.jsonl", "stripe-customers"),
    ("subscriptions", "stripe_subscriptions.jsonl", "stripe"),
    ("invoices", "stripe_invoices.jsonl", "stripe"),
    ("links", "segment_events.jsonl", "segment-group"),
    ("events", "segment_events.jsonl", "segment-track"),
    ("tickets", "zendesk_tickets.csv", "zendesk"),
    ("surveys", "delighted_nps.csv", "delighted"),
]
CLEAN_KINDS = [
    "accounts",
    "contacts",
    "interactions",
    "subscriptions",
    "invoices",
    "events",
    "tickets",
    "surveys",
]


def _import_exports(store: Store) -> None:
    for kind, name, profile in STEPS:
        spec = build_spec(kind, profile=profile)
        if kind == "links":
            import_links(store, [EXPORTS / name], spec)
        else:
            report = import_files(store, kind, [EXPORTS / name], spec=spec)
            assert report.rows_rejected == 0, report.problems


@pytest.fixture(scope="module")
def stores(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Store]:
    tmp = tmp_path_factory.mktemp("scenario")
    raw = open_store(tmp / "exports.duckdb")
    _import_exports(raw)
    clean = open_store(tmp / "clean.duckdb")
    for kind in CLEAN_KINDS:
        import_files(clean, kind, [CLEAN / f"{kind}.csv"])
    yield {"raw": raw, "clean": clean}
    raw.close()
    clean.close()


def _rows(store: Store, sql: str) -> list[tuple[object, ...]]:
    return store.con.execute(sql).fetchall()


@pytest.mark.parametrize(
    "sql",
    [
        "SELECT account_id, name, segment, industry, owner_csm, renewal_date FROM accounts",
        "SELECT contact_id, account_id, email, name, role, created_at FROM contacts",
        "SELECT interaction_id, account_id, contact_id, kind, direction, occurred_at FROM interactions",
        "SELECT subscription_id, account_id, product, start_date, end_date, mrr, quantity, "
        "bill_period_months FROM subscriptions",
        "SELECT invoice_id, account_id, issued_date, due_date, paid_date, amount, status, "
        "failed_attempts FROM invoices",
        "SELECT event_id, account_id, user_id, event_time, event_type FROM events",
        "SELECT ticket_id, account_id, opened_at, resolved_at, status, priority, channel, csat "
        "FROM tickets",
        "SELECT response_id, account_id, survey_type, responded_at, score FROM surveys",
    ],
)
def test_profiles_store_what_hand_cleaning_stores(stores: dict[str, Store], sql: str) -> None:
    got = sorted(_rows(stores["raw"], sql), key=repr)
    want = sorted(_rows(stores["clean"], sql), key=repr)
    assert got and got == want


def test_every_account_resolved_through_the_way_its_tool_names_it(stores: dict[str, Store]) -> None:
    ids = dict(
        _rows(
            stores["raw"],
            "SELECT source || ':' || external_id, account_id FROM account_external_ids "
            "WHERE source IN ('stripe', 'segment')",
        )
    )
    # Stripe: Acme by the CRM's Stripe field, Initech by metadata, Globex and Hooli by a
    # contact's e-mail, Umbrella by its name (other case and spacing).
    assert ids["stripe:cus_Acme01"] == "0015g00000AcmeAAA"
    assert ids["stripe:cus_Init03"] == "0015g00000InitAAC"
    assert ids["stripe:cus_Glob02"] == "0015g00000GlobAAB"
    assert ids["stripe:cus_Umbr04"] == "0015g00000UmbrAAD"
    assert ids["segment:ws_glob"] == "0015g00000GlobAAB"  # group named "GLOBEX LTD"
    assert len(ids) == 10


def test_scores_match_hand_cleaned_files(stores: dict[str, Store]) -> None:
    def scores(store: Store) -> pd.DataFrame:
        frames, empty = compute_scores(store, [AS_OF])
        assert not empty
        snap = frames.snapshots[["account_id", "score", "band", "confidence"]]
        return snap.sort_values("account_id").reset_index(drop=True)

    got, want = scores(stores["raw"]), scores(stores["clean"])
    assert len(got) == 4  # Initech churned: its subscription ended on 2026-09-30
    pd.testing.assert_frame_equal(got, want)
