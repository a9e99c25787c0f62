"""`imports list`, `imports undo` (atomic, refusing when later --update batches changed the
rows unless told which way to go) and `quarantine list|export|clear|retry`."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from healthscore.cli import app
from healthscore.errors import ImportRejected
from healthscore.ingest import import_files
from healthscore.ingest.batches import list_batches, undo_batch
from healthscore.store import Store, open_store

from .helpers import write_csv

runner = CliRunner()


def _tickets(status: str, ids: range) -> list[dict[str, str]]:
    return [
        {
            "ticket_id": f"t{i}",
            "account_id": "a1",
            "opened_at": "2026-10-01T10:00:00Z",
            "status": status,
            "priority": "high",
        }
        for i in ids
    ]


@pytest.fixture
def accounts(store: Store, tmp_path: Path) -> Store:
    import_files(store, "accounts", [write_csv(tmp_path / "a.csv", [{"account_id": "a1"}])])
    return store


def test_list_shows_batches_with_profile_and_rows(accounts: Store, tmp_path: Path) -> None:
    import_files(accounts, "tickets", [write_csv(tmp_path / "t.csv", _tickets("open", range(3)))])
    rows = list_batches(accounts)
    assert [r["kind"] for r in rows] == ["tickets", "accounts"]
    assert rows[0]["rows_inserted"] == 3 and rows[0]["files"] == "t.csv"


def test_undo_removes_a_batch_and_restores_what_an_update_replaced(
    accounts: Store, tmp_path: Path
) -> None:
    first = import_files(
        accounts, "tickets", [write_csv(tmp_path / "t1.csv", _tickets("open", range(4)))]
    )
    upd = import_files(
        accounts,
        "tickets",
        [write_csv(tmp_path / "t2.csv", _tickets("resolved", range(2, 6)))],
        update=True,
    )
    assert (upd.rows_inserted, upd.rows_updated) == (2, 2)
    # The first batch's rows t2, t3 were changed by the later update: undo refuses.
    with pytest.raises(ImportRejected, match="later --update batch"):
        undo_batch(accounts, first.batch_id)
    assert accounts.count("tickets") == 6
    # Undoing the update deletes its rows and puts the replaced versions back.
    r = undo_batch(accounts, upd.batch_id)
    assert (r.rows_deleted, r.rows_restored) == (4, 2)
    assert accounts.con.execute("SELECT ticket_id, status FROM tickets ORDER BY 1").fetchall() == [
        ("t0", "open"),
        ("t1", "open"),
        ("t2", "open"),
        ("t3", "open"),
    ]
    # Now the first batch can go too, and a second undo is refused.
    assert undo_batch(accounts, first.batch_id).rows_deleted == 4
    assert accounts.count("tickets") == 0
    with pytest.raises(ImportRejected, match="already undone"):
        undo_batch(accounts, first.batch_id)


@pytest.mark.parametrize(("later", "left"), [("keep", ["t2", "t3"]), ("undo", [])])
def test_undo_told_which_way_to_go(
    accounts: Store, tmp_path: Path, later: str, left: list[str]
) -> None:
    first = import_files(
        accounts, "tickets", [write_csv(tmp_path / "t1.csv", _tickets("open", range(4)))]
    )
    import_files(
        accounts,
        "tickets",
        [write_csv(tmp_path / "t2.csv", _tickets("resolved", range(2, 4)))],
        update=True,
    )
    undo_batch(accounts, first.batch_id, later=later)  # type: ignore[arg-type]
    got = [
        r[0] for r in accounts.con.execute("SELECT ticket_id FROM tickets ORDER BY 1").fetchall()
    ]
    assert got == left


def test_undo_of_events_and_of_accounts_still_referred_to(accounts: Store, tmp_path: Path) -> None:
    rows = [
        {"account_id": "a1", "event_type": "login", "event_time": f"2026-10-01T10:0{i}:00Z"}
        for i in range(5)
    ]
    ev = import_files(accounts, "events", [write_csv(tmp_path / "e.csv", rows)])
    acc_batch = list_batches(accounts, kind="accounts")[0]["batch"]
    with pytest.raises(ImportRejected, match="5 events row\\(s\\) refer to accounts"):
        undo_batch(accounts, str(acc_batch))
    assert undo_batch(accounts, ev.batch_id).rows_deleted == 5
    assert accounts.count("events") == 0
    assert undo_batch(accounts, str(acc_batch)).rows_deleted == 1


def test_a_big_event_batch_keeps_its_keys_in_several_lists_and_undoes_whole(
    accounts: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # One list of every key of a 38M-row export could not be held under the import's
    # memory budget; the keys go in lists of _KEYS_PER_ROW (2M; 1,000 here to see it).
    import healthscore.ingest.batches as batches

    monkeypatch.setattr(batches, "_KEYS_PER_ROW", 1000)
    first = [{"account_id": "a1", "event_type": "x", "event_time": "2026-09-01T10:00:00Z"}]
    import_files(accounts, "events", [write_csv(tmp_path / "first.csv", first)])
    rows = [
        {"account_id": "a1", "event_type": "login", "event_time": f"2026-10-01T10:00:{i % 60:02d}Z",
         "event_id": f"e{i}"}
        for i in range(4_500)
    ]  # fmt: skip
    ev = import_files(accounts, "events", [write_csv(tmp_path / "e.csv", rows)])
    lists = accounts.con.execute(
        "SELECT len(event_keys) FROM import_batch_event_keys WHERE batch_id = ? ORDER BY 1",
        [ev.batch_id],
    ).fetchall()
    assert [n for (n,) in lists] == [500, 1000, 1000, 1000, 1000]
    assert undo_batch(accounts, ev.batch_id).rows_deleted == 4_500
    assert accounts.con.execute("SELECT event_type FROM events").fetchall() == [("x",)]


def test_undo_is_atomic(accounts: Store, tmp_path: Path) -> None:
    with pytest.raises(ImportRejected, match="no import batch 'nope'"):
        undo_batch(accounts, "nope")
    assert accounts.count("accounts") == 1


def test_quarantine_commands_and_reimport_of_a_fixed_export(tmp_path: Path) -> None:
    db = str(tmp_path / "s.duckdb")
    run = lambda *a: runner.invoke(app, [*a, "--db", db])  # noqa: E731
    assert (
        run(
            "import", "accounts", str(write_csv(tmp_path / "a.csv", [{"account_id": "a1"}]))
        ).exit_code
        == 0
    )
    rows = _tickets("open", range(3))
    rows[1]["status"] = "stuck"
    kept = run("import", "tickets", str(write_csv(tmp_path / "t.csv", rows)), "--quarantine")
    assert kept.exit_code == 3
    with open_store(db) as s:
        batch = s.con.execute("SELECT batch_id FROM quarantine").fetchone()[0]  # type: ignore[index]
    listed = run("quarantine", "list", "--format", "csv")
    assert "stuck" in listed.output and "t.csv" in listed.output
    fix = tmp_path / "fix.csv"
    assert run("quarantine", "export", "--batch", batch, "-o", str(fix)).exit_code == 0
    with fix.open(encoding="utf-8") as fh:
        exported = list(csv.DictReader(fh))
    assert [r["ticket_id"] for r in exported] == ["t1"]
    exported[0]["status"] = "pending"
    write_csv(fix, exported)
    retry = run("quarantine", "retry", batch, str(fix))
    assert retry.exit_code == 0, retry.output
    with open_store(db) as s:
        assert s.count("tickets") == 3 and s.count("quarantine") == 0
    assert run("quarantine", "clear").exit_code == 1  # says what to clear
    assert run("quarantine", "clear", "--all").exit_code == 0


def test_imports_cli_list_and_undo(tmp_path: Path) -> None:
    db = str(tmp_path / "s.duckdb")
    run = lambda *a: runner.invoke(app, [*a, "--db", db])  # noqa: E731
    assert (
        run(
            "import", "accounts", str(write_csv(tmp_path / "a.csv", [{"account_id": "a1"}]))
        ).exit_code
        == 0
    )
    listed = run("imports", "list", "--format", "json")
    assert '"kind": "accounts"' in listed.output
    with open_store(db) as s:
        batch = s.con.execute("SELECT batch_id FROM import_batches").fetchone()[0]  # type: ignore[index]
    undone = run("imports", "undo", batch)
    assert undone.exit_code == 0 and "1 row(s) removed" in undone.output
    after = json.loads(run("imports", "list", "--format", "json").output)
    assert after[0]["batch"] == batch and after[0]["undone_at"] is not None
