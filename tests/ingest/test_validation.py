"""Bad inputs are reported to a person, and nothing is written unless --quarantine."""

from __future__ import annotations

import gzip
from pathlib import Path

import pytest

from healthscore.errors import ImportRejected
from healthscore.ingest import import_files, load_mapping_file, parse_mapping, store_status
from healthscore.store import Store

from .helpers import write_csv, write_jsonl


@pytest.fixture
def accounts(store: Store, tmp_path: Path) -> Store:
    rows = [{"account_id": f"a{i}", "name": f"Account {i}"} for i in range(1, 4)]
    import_files(store, "accounts", [write_csv(tmp_path / "accounts.csv", rows)])
    return store


def _events(tmp_path: Path, times: list[str], name: str = "events.csv") -> Path:
    rows = [
        {"account_id": "a1", "timestamp": t, "event_type": "login", "event_id": f"e{i}"}
        for i, t in enumerate(times)
    ]
    return write_csv(tmp_path / name, rows)


def test_bad_timestamp_message_names_file_line_column_and_fix(
    accounts: Store, tmp_path: Path
) -> None:
    times = ["2024-02-29T10:00:00Z"] * 1040 + ["31/02/2024", "2024-02-29T10:00:00Z"]
    path = _events(tmp_path, times)
    with pytest.raises(ImportRejected) as exc:
        import_files(accounts, "events", [path], mapping={"timestamp": "event_time"})
    assert exc.value.problems == [
        'events.csv line 1042, column "timestamp": "31/02/2024" is not a date '
        "(expected ISO 8601, e.g. 2024-02-29T10:00:00Z)"
    ]
    assert "nothing was imported" in str(exc.value)
    assert accounts.count("events") == 0
    assert accounts.count("import_batches") == 1  # only the accounts import


def test_wrong_types_required_and_choices(accounts: Store, tmp_path: Path) -> None:
    rows = [
        {
            "ticket_id": "t1",
            "account_id": "a1",
            "opened_at": "2024-01-01",
            "csat": "five",
            "status": "OPEN",
            "escalated": "maybe",
        },
        {"ticket_id": "t2", "account_id": "a1", "opened_at": "", "status": "lost"},
    ]
    with pytest.raises(ImportRejected) as exc:
        import_files(accounts, "tickets", [write_csv(tmp_path / "t.csv", rows)])
    assert exc.value.problems == [
        't.csv line 2, column "csat": "five" is not a number',
        't.csv line 2, column "escalated": "maybe" is not true/false '
        "(expected true, false, 1 or 0)",
        't.csv line 3, column "opened_at": is required but empty',
        't.csv line 3, column "status": "lost" is not one of: open, pending, resolved, closed',
    ]


def test_missing_required_column_is_named_before_reading_rows(store: Store, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "subs.csv", [{"account_id": "a1", "product": "pro", "mrr": "1"}])
    with pytest.raises(
        ImportRejected, match=r"subs.csv: missing required column\(s\) 'start_date'"
    ) as exc:
        import_files(store, "subscriptions", [path])
    assert "found columns: account_id, product, mrr" in str(exc.value)


def test_duplicate_ids_within_and_across_files_are_rejected(
    accounts: Store, tmp_path: Path
) -> None:
    a = write_csv(
        tmp_path / "a.csv", [{"account_id": "x"}, {"account_id": "y"}, {"account_id": "x"}]
    )
    b = write_csv(tmp_path / "b.csv", [{"account_id": "y"}])
    with pytest.raises(ImportRejected) as exc:
        import_files(accounts, "accounts", [a, b])
    assert exc.value.problems == [
        'a.csv line 4, column "account_id": "x" is a duplicate of line 2 (keys must be unique)',
        'b.csv line 2, column "account_id": "y" is a duplicate of a.csv line 3 '
        "(keys must be unique)",
    ]
    assert accounts.count("accounts") == 3


def test_unknown_account_is_reported_and_same_import_accounts_count(
    accounts: Store, tmp_path: Path
) -> None:
    rows = [{"contact_id": "c1", "account_id": "a1"}, {"contact_id": "c2", "account_id": "nope"}]
    with pytest.raises(ImportRejected) as exc:
        import_files(accounts, "contacts", [write_csv(tmp_path / "c.csv", rows)])
    # One summary line per kind of failure, then the rows themselves.
    assert exc.value.problems[1:] == [
        'c.csv line 3, column "account_id": "nope" is not a known account (import accounts first)'
    ]
    assert exc.value.problems[0].startswith('column "account_id": 1 row(s) name 1 account(s)')


def test_malformed_csv_names_the_line(accounts: Store, tmp_path: Path) -> None:
    path = tmp_path / "bad.csv"
    path.write_text("account_id,name\na1,x\na2,y,extra\n", encoding="utf-8")
    with pytest.raises(
        ImportRejected,
        match=r"bad.csv line 3: malformed CSV: Expected Number of Columns: 2 Found: 3",
    ):
        import_files(accounts, "accounts", [path])
    path.write_text('account_id,name\na1,"never closed\n', encoding="utf-8")
    with pytest.raises(ImportRejected, match=r"bad.csv line 2: malformed CSV"):
        import_files(accounts, "accounts", [path])


def test_malformed_json_lines_name_the_line(store: Store, tmp_path: Path) -> None:
    path = tmp_path / "bad.jsonl"
    path.write_text('{"account_id": "a1"}\n{"account_id":\n{"account_id": "a3"}\n', "utf-8")
    with pytest.raises(ImportRejected, match=r"bad\.jsonl line 2: malformed JSON"):
        import_files(store, "accounts", [path])


def test_non_utf8_bytes_name_file_and_line(store: Store, tmp_path: Path) -> None:
    path = tmp_path / "latin1.csv"
    path.write_bytes("account_id,name\na1,ok\na2,Caf\xe9 M\xfcller\n".encode("latin-1"))
    with pytest.raises(ImportRejected, match=r"latin1.csv line 3: not valid UTF-8 \(byte 0xe9"):
        import_files(store, "accounts", [path])
    gz = tmp_path / "latin1.csv.gz"
    gz.write_bytes(gzip.compress(path.read_bytes()))
    with pytest.raises(ImportRejected, match=r"latin1.csv.gz line 3: not valid UTF-8"):
        import_files(store, "accounts", [gz])
    assert store.count("accounts") == 0


def test_empty_and_header_only_files(store: Store, tmp_path: Path) -> None:
    empty = tmp_path / "empty.csv"
    empty.write_bytes(b"")
    with pytest.raises(ImportRejected, match=r"empty\.csv is empty"):
        import_files(store, "accounts", [empty])
    header = tmp_path / "header.csv"
    header.write_text("account_id,name\n", encoding="utf-8")
    # A header-only file is a quiet day, not a failure: 0 rows and a note.
    quiet = import_files(store, "accounts", [header])
    assert (quiet.rows_read, quiet.rows_inserted) == (0, 0)
    assert any("no rows to import" in n for n in quiet.notes)
    blank = tmp_path / "blank.jsonl"
    blank.write_text("\n", encoding="utf-8")
    with pytest.raises(ImportRejected, match="is empty"):
        import_files(store, "accounts", [blank])


def test_unknown_extension_needs_format(store: Store, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "accounts.data", [{"account_id": "a1"}])
    with pytest.raises(
        ImportRejected,
        match=r"cannot tell the format from the file name; .* or give the format \(csv, jsonl or parquet\) explicitly",
    ):
        import_files(store, "accounts", [path])
    assert import_files(store, "accounts", [path], fmt="csv").rows_inserted == 1


def test_timezones_are_normalised_to_utc(accounts: Store, tmp_path: Path) -> None:
    times = [
        "2024-02-29T10:00:00Z",
        "2024-02-29T12:00:00+02:00",
        "2024-02-29T05:00:00-0500",
        "2024-02-29 10:00:00",
        "2024-02-29T10:00:00",
        "2024-02-29T10:00:00.250+00:00",
    ]
    import_files(
        accounts, "events", [_events(tmp_path, times)], mapping={"timestamp": "event_time"}
    )
    got = [
        r[0]
        for r in accounts.con.execute(
            "SELECT CAST(event_time AS VARCHAR) FROM events ORDER BY event_id"
        ).fetchall()
    ]
    assert got == ["2024-02-29 10:00:00"] * 5 + ["2024-02-29 10:00:00.25"]


def test_map_and_mapping_file_rename_columns(accounts: Store, tmp_path: Path) -> None:
    rows = [{"Company": "a1", "Ticket": "t1", "Opened": "2024-01-01T00:00:00Z"}]
    path = write_jsonl(tmp_path / "t.jsonl", rows)  # type: ignore[arg-type]
    yml = tmp_path / "m.yaml"
    yml.write_text("columns:\n  Company: account_id\n  Ticket: ticket_id\n", encoding="utf-8")
    mapping = load_mapping_file(yml) | parse_mapping(["Opened=opened_at"])
    assert import_files(accounts, "tickets", [path], mapping=mapping).rows_inserted == 1
    with pytest.raises(ImportRejected, match='no column "Openned" \\(did you mean "Opened"\\?\\)'):
        import_files(accounts, "tickets", [path], mapping={"Openned": "opened_at"})


def test_extra_columns_go_to_properties(store: Store, tmp_path: Path) -> None:
    import_files(
        store, "accounts", [write_csv(tmp_path / "a.csv", [{"account_id": "a1", "tier": "gold"}])]
    )
    assert store.con.execute("SELECT properties FROM accounts").fetchone()[0] == '{"tier":"gold"}'


def test_quarantine_loads_good_rows_and_status_shows_bad_ones(
    accounts: Store, tmp_path: Path
) -> None:
    times = ["2024-01-01T00:00:00Z"] * 30 + ["yesterday"] * 25
    path = _events(tmp_path, times)
    with pytest.raises(ImportRejected) as exc:
        import_files(accounts, "events", [path], mapping={"timestamp": "event_time"})
    assert len(exc.value.problems) == 20 and "and 5 more" in str(exc.value)
    report = import_files(
        accounts, "events", [path], mapping={"timestamp": "event_time"}, quarantine=True
    )
    assert (report.rows_inserted, report.rows_rejected) == (30, 25)
    assert accounts.count("events") == 30
    q = accounts.con.execute(
        "SELECT file, line, field, value, reason FROM quarantine ORDER BY line LIMIT 1"
    ).fetchone()
    assert q == (
        "events.csv",
        32,
        "timestamp",
        "yesterday",
        "is not a date (expected ISO 8601, e.g. 2024-02-29T10:00:00Z)",
    )
    status = store_status(accounts)
    assert status["quarantined_rows"] == 25
    assert status["quarantine"][0]["kind"] == "events"
    events = next(k for k in status["kinds"] if k["kind"] == "events")
    assert events["rows"] == 30 and events["accounts_without_data"] == 2
    assert events["first"] == "2024-01-01 00:00:00"
    assert status["imports"][0]["status"] == "committed_with_quarantine"


def test_identical_rows_get_the_same_keys_on_fast_and_checking_paths(
    tmp_path: Path, accounts: Store
) -> None:
    from healthscore.store import open_store

    rows = [{"account_id": "a1", "event_time": "2024-01-01T00:00:00Z", "event_type": "like"}] * 3
    f = write_csv(tmp_path / "same.csv", rows)  # type: ignore[arg-type]
    other = write_csv(
        tmp_path / "other.csv",
        [{"account_id": "a2", "event_time": "2024-01-02T00:00:00Z", "event_type": "x"}],
    )
    import_files(accounts, "events", [f])  # empty table: bulk fast path
    fast = {r[0] for r in accounts.con.execute("SELECT event_key FROM events").fetchall()}
    assert accounts.count("events") == 3 and len(fast) == 1
    with open_store(tmp_path / "second.duckdb") as s2:
        import_files(s2, "accounts", [tmp_path / "accounts.csv"])
        import_files(s2, "events", [other])
        import_files(s2, "events", [f])  # non-empty table: staged path with anti-join
        checked = {r[0] for r in s2.con.execute("SELECT event_key FROM events").fetchall()}
        assert s2.count("events") == 4
    assert fast < checked
    assert import_files(accounts, "events", [f]).rows_inserted == 0


def test_append_skips_stored_keys_and_failed_append_changes_nothing(
    accounts: Store, tmp_path: Path
) -> None:
    def ev(i: int, account: str = "a1") -> dict[str, object]:
        return {
            "event_id": f"e{i}",
            "account_id": account,
            "event_time": "2024-01-01",
            "event_type": "login",
        }

    import_files(accounts, "events", [write_csv(tmp_path / "one.csv", [ev(1), ev(2)])])
    report = import_files(accounts, "events", [write_csv(tmp_path / "two.csv", [ev(2), ev(3)])])
    assert (report.rows_read, report.rows_inserted, report.rows_duplicate) == (2, 1, 1)
    assert accounts.count("events") == 3
    bad = write_csv(tmp_path / "bad.csv", [ev(4), ev(5, account="ghost")])
    with pytest.raises(ImportRejected, match=r'bad\.csv line 3, column "account_id": "ghost"'):
        import_files(accounts, "events", [bad])
    assert accounts.count("events") == 3
    assert accounts.count("import_batches") == 3  # accounts, one.csv, two.csv
