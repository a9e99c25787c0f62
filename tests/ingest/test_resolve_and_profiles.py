"""Account references by id, external id, name and e-mail; profiles as files; --dry-run."""

from __future__ import annotations

from pathlib import Path

import pytest

from healthscore.errors import ImportRejected
from healthscore.ingest import import_files
from healthscore.ingest.links import import_links
from healthscore.ingest.options import build_spec
from healthscore.ingest.profiles import find_profile, shipped_profiles
from healthscore.store import Store

from .helpers import write_csv, write_jsonl


@pytest.fixture
def crm(store: Store, tmp_path: Path) -> Store:
    accounts = [
        {"account_id": "a1", "name": "Acme  Corp"},
        {"account_id": "a2", "name": "Twin"},
        {"account_id": "a3", "name": "twin"},
    ]
    import_files(store, "accounts", [write_csv(tmp_path / "acc.csv", accounts)])
    contacts = [
        {"contact_id": "c1", "account_id": "a1", "email": "Ada@Acme.example"},
        {"contact_id": "c2", "account_id": "a2", "email": "shared@x.example"},
        {"contact_id": "c3", "account_id": "a3", "email": "shared@x.example"},
    ]
    import_files(store, "contacts", [write_csv(tmp_path / "con.csv", contacts)])
    return store


def _surveys(refs: list[str]) -> list[dict[str, str]]:
    return [
        {
            "response_id": f"r{i}",
            "account": ref,
            "survey_type": "NPS",
            "responded_at": "2026-10-01T10:00:00Z",
            "score": "9",
        }
        for i, ref in enumerate(refs)
    ]


def test_references_resolve_by_id_name_and_email(crm: Store, tmp_path: Path) -> None:
    rows = _surveys(["a1", "acme corp", "ada@acme.example"])
    report = import_files(crm, "surveys", [write_csv(tmp_path / "s.csv", rows)])
    assert report.rows_inserted == 3
    got = crm.con.execute("SELECT DISTINCT account_id, survey_type FROM surveys").fetchall()
    assert got == [("a1", "nps")]  # and NPS matched case-insensitively


def test_ambiguous_and_unresolved_are_reported_per_kind_never_guessed(
    crm: Store, tmp_path: Path
) -> None:
    rows = _surveys(["Twin", "twin", "shared@x.example", "Nobody Inc", "ghost@x.example", "a1"])
    with pytest.raises(ImportRejected) as exc:
        import_files(crm, "surveys", [write_csv(tmp_path / "s.csv", rows)])
    msg = str(exc.value)
    assert 'column "account": 2 row(s) name 2 account(s) found by no' in msg
    assert '"Nobody Inc"' in msg and '"ghost@x.example"' in msg
    assert "2 row(s) with 2 value(s) match several accounts by account name" in msg
    assert "1 row(s) with 1 value(s) match several accounts by contact e-mail" in msg
    assert "matches 2 accounts by name (a2, a3); give the account id" in msg
    assert crm.count("surveys") == 0
    # With quarantine the resolvable row loads and every other row is kept back.
    kept = import_files(crm, "surveys", [write_csv(tmp_path / "s.csv", rows)], quarantine=True)
    assert (kept.rows_inserted, kept.rows_rejected) == (1, 5)


def test_external_ids_from_accounts_and_from_a_links_file(store: Store, tmp_path: Path) -> None:
    accounts = [
        {"Id": "001A", "Name": "Acme", "Stripe_Customer_ID__c": "cus_1"},
        {"Id": "001B", "Name": "Globex", "Stripe_Customer_ID__c": ""},
    ]
    spec = build_spec("accounts", profile="salesforce-accounts")
    import_files(store, "accounts", [write_csv(tmp_path / "a.csv", accounts)], spec=spec)
    customers = [
        {"id": "cus_1", "email": "x@acme.example", "name": "Acme"},
        {"id": "cus_2", "email": "", "name": "GLOBEX"},
        {"id": "cus_3", "email": "", "name": "Unknown"},
    ]
    path = write_jsonl(tmp_path / "c.jsonl", customers)  # type: ignore[arg-type]
    links = build_spec("links", profile="stripe-customers")
    with pytest.raises(ImportRejected, match=r'1 row\(s\) name 1 account\(s\).*"Unknown"'):
        import_links(store, [path], links)
    report = import_links(store, [path], links, quarantine=True)
    assert (report.rows_inserted, report.rows_rejected) == (1, 1)
    subs = [
        {
            "id": "sub_1",
            "customer": "cus_2",
            "status": "active",
            "start_date": "1767225600",
            "quantity": "2",
            "plan": {"amount": 5000, "interval": "month", "nickname": "Team"},
        }
    ]
    sp = build_spec("subscriptions", profile="stripe")
    import_files(store, "subscriptions", [write_jsonl(tmp_path / "s.jsonl", subs)], spec=sp)  # type: ignore[arg-type]
    assert store.con.execute(
        "SELECT account_id, product, start_date::VARCHAR, mrr FROM subscriptions"
    ).fetchall() == [("001B", "Team", "2026-01-01", 100.0)]


def test_dry_run_shows_mapping_and_problems_and_writes_nothing(crm: Store, tmp_path: Path) -> None:
    rows = _surveys(["a1", "Nobody Inc"])
    before = crm.count("import_batches")
    report = import_files(crm, "surveys", [write_csv(tmp_path / "s.csv", rows)], dry_run=True)
    assert report.dry_run and report.rows_read == 2 and report.rows_rejected == 1
    assert "account_id ← account" in report.mapping["s.csv"]
    assert any("Nobody Inc" in p for p in report.problems)
    assert crm.count("surveys") == 0 and crm.count("quarantine") == 0
    assert crm.count("import_batches") == before


def test_shipped_profiles_load_and_cite_their_docs() -> None:
    profiles = shipped_profiles()
    tools = {p.tool for p in profiles}
    assert {
        "Salesforce",
        "HubSpot",
        "Stripe",
        "Chargebee",
        "Zendesk",
        "Intercom",
        "Segment",
        "Delighted",
    } <= tools
    for p in profiles:
        assert p.version >= 1 and p.docs and all(d.startswith("https://") for d in p.docs)


def test_a_users_profile_extends_a_shipped_one_and_typos_are_refused(
    crm: Store, tmp_path: Path
) -> None:
    mine = tmp_path / "my.yaml"
    mine.write_text(
        "extends: zendesk-tickets\nprofile: our-zendesk\nversion: 2\n"
        "columns:\n  category: {column: Form, values: {Billing Form: billing}}\n",
        encoding="utf-8",
    )
    prof = find_profile(str(mine), "tickets")
    assert prof.label == "our-zendesk@2" and "status" in prof.fields
    bad = tmp_path / "bad.yaml"
    bad.write_text("kind: tickets\ncolums: {}\n", encoding="utf-8")
    with pytest.raises(
        ImportRejected, match="unknown key 'colums' \\(did you mean \"columns\"\\?\\)"
    ):
        find_profile(str(bad))
    with pytest.raises(ImportRejected, match="describes tickets, not surveys"):
        find_profile("zendesk-tickets", "surveys")
    with pytest.raises(ImportRejected, match=r'unknown profile .*did you mean "zendesk-tickets"'):
        find_profile("zendesk-tikets", "tickets")


def test_segment_mixed_file_keeps_its_track_calls(crm: Store, tmp_path: Path) -> None:
    calls = [
        {"type": "identify", "userId": "u1", "traits": {"email": "ada@acme.example"}},
        {
            "type": "track",
            "messageId": "m1",
            "userId": "u1",
            "event": "Report Viewed",
            "timestamp": "2026-10-01T10:00:00Z",
            "context": {"groupId": "a1"},
            "properties": {"report": "churn"},
        },
        {"type": "group", "groupId": "a1", "traits": {"name": "Acme"}},
    ]
    path = write_jsonl(tmp_path / "seg.jsonl", calls)  # type: ignore[arg-type]
    spec = build_spec("events", profile="segment-track")
    report = import_files(crm, "events", [path], spec=spec)
    assert report.rows_inserted == 1
    assert crm.con.execute(
        "SELECT event_id, account_id, event_type, properties FROM events"
    ).fetchall() == [("m1", "a1", "Report Viewed", '{"report":"churn"}')]


def test_undo_of_a_links_batch_forgets_its_ids(crm: Store, tmp_path: Path) -> None:
    from healthscore.ingest.batches import undo_batch

    rows = [{"id": "cus_9", "email": "ada@acme.example"}]
    path = write_jsonl(tmp_path / "c.jsonl", rows)  # type: ignore[arg-type]
    report = import_links(crm, [path], build_spec("links", profile="stripe-customers"))
    assert crm.con.execute("SELECT account_id FROM account_external_ids").fetchall() == [("a1",)]
    assert undo_batch(crm, report.batch_id).links_deleted == 1
    assert crm.count("account_external_ids") == 0
