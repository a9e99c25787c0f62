"""Each defect a new user met (issue 15), as a test that failed on the code before it."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from healthscore.cli import app
from healthscore.errors import ImportRejected
from healthscore.ingest import import_files
from healthscore.ingest.options import build_spec
from healthscore.scoring import DEFAULT_SCORECARD, load_scorecard
from healthscore.store import Store, open_store

from .helpers import write_csv

runner = CliRunner()


def _run(*args: str):  # type: ignore[no-untyped-def]
    return runner.invoke(app, list(args))


@pytest.fixture
def accounts(store: Store, tmp_path: Path) -> Store:
    rows = [
        {"account_id": "a1", "name": "Acme Corp", "segment": "Enterprise"},
        {"account_id": "a2", "name": "Globex", "segment": "SMB"},
    ]
    import_files(store, "accounts", [write_csv(tmp_path / "accounts.csv", rows)])
    return store


def test_zendesk_statuses_and_satisfaction_map_to_stored_values(
    accounts: Store, tmp_path: Path
) -> None:
    rows = [
        {
            "ticket_id": "1",
            "account_id": "a1",
            "opened_at": "2026-10-01T10:00:00Z",
            "status": "Solved",
            "csat": "Good",
        },
        {
            "ticket_id": "2",
            "account_id": "a2",
            "opened_at": "2026-10-02T10:00:00Z",
            "status": "hold",
            "csat": "BAD",
        },
    ]
    path = write_csv(tmp_path / "tickets.csv", rows)
    with pytest.raises(ImportRejected, match='"Solved" is not one of'):
        import_files(accounts, "tickets", [path])
    spec = build_spec(
        "tickets", values=["status:Solved=resolved,Hold=pending", "csat:Good=5,Bad=1"]
    )
    assert import_files(accounts, "tickets", [path], spec=spec).rows_inserted == 2
    assert accounts.con.execute(
        "SELECT ticket_id, status, csat FROM tickets ORDER BY 1"
    ).fetchall() == [("1", "resolved", 5.0), ("2", "pending", 1.0)]


def test_a_constant_fills_a_column_the_export_lacks(accounts: Store, tmp_path: Path) -> None:
    rows = [
        {
            "response_id": "r1",
            "account_id": "a1",
            "score": "9",
            "responded_at": "2026-10-01T10:00:00Z",
        }
    ]
    path = write_csv(tmp_path / "nps.csv", rows)
    with pytest.raises(ImportRejected, match=r"missing required column.*survey_type"):
        import_files(accounts, "surveys", [path])
    spec = build_spec("surveys", constants=["survey_type=nps"])
    import_files(accounts, "surveys", [path], spec=spec)
    assert accounts.con.execute("SELECT survey_type FROM surveys").fetchall() == [("nps",)]


@pytest.mark.parametrize(
    ("fmt", "text", "stored"),
    [
        ("us", "10/28/2026 11:07 PM", "2026-10-28 23:07:00"),
        ("us", "10/28/2026", "2026-10-28 00:00:00"),
        ("dayfirst", "28/10/2026 23:07", "2026-10-28 23:07:00"),
        ("epoch_s", "1793228820", "2026-10-28 23:07:00"),
        ("epoch_ms", "1793228820000", "2026-10-28 23:07:00"),
        ("epoch", "1793228820000", "2026-10-28 23:07:00"),
        ("%d.%m.%Y %H:%M", "28.10.2026 23:07", "2026-10-28 23:07:00"),
    ],
)
def test_date_formats_can_be_named(
    accounts: Store, tmp_path: Path, fmt: str, text: str, stored: str
) -> None:
    rows = [
        {
            "response_id": "r1",
            "account_id": "a1",
            "survey_type": "nps",
            "responded_at": text,
            "score": "9",
        }
    ]
    path = write_csv(tmp_path / "nps.csv", rows)
    with pytest.raises(ImportRejected, match="is not a date"):
        import_files(accounts, "surveys", [path])
    import_files(accounts, "surveys", [path], spec=build_spec("surveys", date_formats=[fmt]))
    got = accounts.con.execute("SELECT CAST(responded_at AS VARCHAR) FROM surveys").fetchone()
    assert got == (stored,)


def test_an_unreadable_date_in_a_named_format_is_reported_not_emptied(
    accounts: Store, tmp_path: Path
) -> None:
    rows = [
        {
            "response_id": "r1",
            "account_id": "a1",
            "survey_type": "nps",
            "responded_at": "28/10/2026",
            "score": "9",
        }
    ]
    path = write_csv(tmp_path / "nps.csv", rows)
    with pytest.raises(ImportRejected, match='line 2, column "responded_at": "28/10/2026"'):
        import_files(accounts, "surveys", [path], spec=build_spec("surveys", date_formats=["us"]))


def test_a_mapping_typo_is_an_error_with_a_did_you_mean(tmp_path: Path) -> None:
    db = str(tmp_path / "s.duckdb")
    path = write_csv(tmp_path / "a.csv", [{"account_id": "a1", "ARR": "1200", "Segment": "smb"}])
    bad_target = _run("import", "accounts", str(path), "--map", "ARR=annual_revenue", "--db", db)
    assert bad_target.exit_code == 1
    assert '"annual_revenue" is not a field of accounts' in str(bad_target.exception)
    bad_source = _run("import", "accounts", str(path), "--map", "Segmnt=segment", "--db", db)
    assert bad_source.exit_code == 1
    assert 'no column "Segmnt" (did you mean "Segment"?)' in str(bad_source.exception)
    ok = _run("import", "accounts", str(path), "--map", "ARR=arr", "--db", db)
    assert ok.exit_code == 0, ok.output
    with open_store(db) as s:
        assert s.con.execute("SELECT arr, segment FROM accounts").fetchall() == [(1200.0, "smb")]


@pytest.mark.parametrize("name", ["AccountId", "Account ID", "account-id", "ACCOUNT_ID"])
def test_account_id_spellings_match_without_a_map(
    accounts: Store, tmp_path: Path, name: str
) -> None:
    rows = [{"Contact ID": "c1", name: "a1", "E-mail": "x@acme.example"}]
    report = import_files(accounts, "contacts", [write_csv(tmp_path / "c.csv", rows)])
    assert report.rows_inserted == 1
    assert f"account_id ← {name}" in report.mapping["c.csv"]
    assert accounts.con.execute("SELECT contact_id, account_id FROM contacts").fetchall() == [
        ("c1", "a1")
    ]


def test_two_columns_that_could_be_one_field_are_refused(accounts: Store, tmp_path: Path) -> None:
    rows = [{"contact_id": "c1", "AccountId": "a1", "Account ID": "a2"}]
    with pytest.raises(ImportRejected, match="could each be 'account_id'"):
        import_files(accounts, "contacts", [write_csv(tmp_path / "c.csv", rows)])


def _events() -> list[dict[str, str]]:
    rows = []
    for i in range(50):
        row = {
            "account_id": "a1",
            "user_id": f"u{i % 3}",
            "event_type": "login",
            "event_time": f"2026-10-01T10:{i:02d}:00Z",
            "uuid": f"m{i}",
        }
        rows.append(row)
    return rows


def test_events_imported_with_and_without_their_id_are_not_stored_twice(
    accounts: Store, tmp_path: Path
) -> None:
    path = write_csv(tmp_path / "events.csv", _events())
    first = import_files(accounts, "events", [path], mapping={"uuid": "event_id"})
    assert first.rows_inserted == 50
    with pytest.raises(
        ImportRejected, match=r"50 event\(s\) match stored events.*have no event id now"
    ):
        import_files(accounts, "events", [path])
    assert accounts.count("events") == 50
    again = import_files(accounts, "events", [path], dedupe=True)
    assert (again.rows_inserted, again.rows_duplicate) == (0, 50)
    assert accounts.count("events") == 50


def test_the_reverse_order_is_caught_too(accounts: Store, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "events.csv", _events())
    import_files(accounts, "events", [path])  # uuid went to properties
    with pytest.raises(ImportRejected, match="have an event id now but were stored without one"):
        import_files(accounts, "events", [path], mapping={"uuid": "event_id"})
    assert accounts.count("events") == 50


def test_segment_overrides_match_whatever_the_case(tmp_path: Path) -> None:
    card = load_scorecard(DEFAULT_SCORECARD)
    assert card.segment_key("SMB") == "smb"
    assert card.segment_key("Enterprise") == "enterprise"
    assert card.segment_key("Mid-Market") is None
    smb = {g.name: g.weight for g in card.resolve("SMB")}
    assert smb == {g.name: g.weight for g in card.resolve("smb")}
    assert smb != {g.name: g.weight for g in card.resolve(None)}


def test_scorecard_check_warns_about_segments_the_store_lacks(tmp_path: Path) -> None:
    db = str(tmp_path / "s.duckdb")
    rows = [{"account_id": "a1", "segment": "SMB"}, {"account_id": "a2", "segment": "Mid-Market"}]
    assert (
        _run("import", "accounts", str(write_csv(tmp_path / "a.csv", rows)), "--db", db).exit_code
        == 0
    )
    card = tmp_path / "card.yaml"
    card.write_text(DEFAULT_SCORECARD.read_text(encoding="utf-8"), encoding="utf-8")
    result = _run("scorecard", "check", str(card), "--db", db)
    assert result.exit_code == 0, result.output
    out = result.output
    assert "segment override(s) enterprise match no segment in the store" in out
    assert "Mid-Market, SMB" in out  # the ones it has
    assert "smb match no" not in out  # SMB meets smb:


def test_exit_codes_a_scheduler_can_use(tmp_path: Path) -> None:
    db = str(tmp_path / "s.duckdb")
    header = tmp_path / "quiet.csv"
    header.write_text("account_id,name\n", encoding="utf-8")
    quiet = _run("import", "accounts", str(header), "--db", db)
    assert quiet.exit_code == 0, quiet.output
    assert "no rows to import" in quiet.output
    empty = tmp_path / "empty.csv"
    empty.write_bytes(b"")
    assert _run("import", "accounts", str(empty), "--db", db).exit_code == 1
    accounts = write_csv(tmp_path / "a.csv", [{"account_id": "a1"}])
    assert _run("import", "accounts", str(accounts), "--db", db).exit_code == 0
    bad = write_csv(tmp_path / "c.csv", [{"contact_id": "c1", "account_id": "nobody"}])
    kept = _run("import", "contacts", str(bad), "--quarantine", "--db", db)
    assert kept.exit_code == 3, kept.output
    refused = _run("import", "contacts", str(bad), "--db", db)
    assert refused.exit_code == 1


def test_segment_message_id_is_the_event_id_without_a_map(accounts: Store, tmp_path: Path) -> None:
    rows = [
        {
            "account_id": "a1",
            "event": "login",
            "timestamp": "2026-10-01T10:00:00Z",
            "messageId": "m1",
        }
    ]
    report = import_files(accounts, "events", [write_csv(tmp_path / "e.csv", rows)])
    assert "event_id ← messageId" in report.mapping["e.csv"]
    assert accounts.con.execute("SELECT event_id, event_type FROM events").fetchall() == [
        ("m1", "login")
    ]
