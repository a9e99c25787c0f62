"""`import --update`: a later export of stateful records replaces what changed, nothing else."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from typer.testing import CliRunner

from healthscore.cli import app
from healthscore.errors import ImportRejected
from healthscore.ingest import import_files
from healthscore.metrics import compute_metrics
from healthscore.store import Store, open_store

from .helpers import write_csv

FIRST = [  # the Monday export: both tickets open
    {
        "ticket_id": "T1",
        "account_id": "A1",
        "opened_at": "2024-03-01T10:00:00Z",
        "priority": "high",
        "category": "bug",
        "status": "open",
    },
    {
        "ticket_id": "T2",
        "account_id": "A1",
        "opened_at": "2024-03-02T10:00:00Z",
        "priority": "low",
        "category": "how-to",
        "status": "open",
    },
]
# The Friday export is narrower (no priority or category) and knows T1 was resolved.
LATER = [
    {
        "ticket_id": "T1",
        "account_id": "A1",
        "opened_at": "2024-03-01T10:00:00Z",
        "resolved_at": "2024-03-04T10:00:00Z",
        "status": "resolved",
        "csat": "5",
    },
    {
        "ticket_id": "T2",
        "account_id": "A1",
        "opened_at": "2024-03-02T10:00:00Z",
        "resolved_at": "",
        "status": "open",
        "csat": "",
    },
    {
        "ticket_id": "T3",
        "account_id": "A1",
        "opened_at": "2024-03-05T10:00:00Z",
        "resolved_at": "",
        "status": "open",
        "csat": "",
    },
]


def _tickets(store: Store) -> dict[str, tuple]:
    rows = store.con.execute(
        "SELECT ticket_id, status, resolved_at, priority, category, csat FROM tickets"
    ).fetchall()
    return {r[0]: r[1:] for r in rows}


def _state(store: Store) -> tuple:
    return tuple(
        store.con.execute(
            f"SELECT count(*), coalesce(md5(string_agg(x::VARCHAR, '|' ORDER BY x::VARCHAR)), '') "
            f"FROM {t} x"
        ).fetchone()
        for t in ("tickets", "import_batches", "quarantine")
    )


@pytest.fixture
def loaded(store: Store, tmp_path: Path) -> Store:
    import_files(
        store,
        "accounts",
        [write_csv(tmp_path / "a.csv", [{"account_id": "A1", "start_date": "2024-01-01"}])],
    )
    import_files(store, "tickets", [write_csv(tmp_path / "monday.csv", FIRST)])
    return store


def test_without_update_stored_rows_stay(loaded: Store, tmp_path: Path) -> None:
    before = _tickets(loaded)
    r = import_files(loaded, "tickets", [write_csv(tmp_path / "friday.csv", LATER)])
    assert (r.rows_inserted, r.rows_updated, r.rows_duplicate) == (1, 0, 2)
    after = _tickets(loaded)
    assert {k: after[k] for k in before} == before  # T1 still open: the default never rewrites


def test_update_replaces_changed_rows_and_keeps_what_the_file_lacks(
    loaded: Store, tmp_path: Path
) -> None:
    friday = write_csv(tmp_path / "friday.csv", LATER)
    r = import_files(loaded, "tickets", [friday], update=True)
    assert (r.rows_read, r.rows_inserted, r.rows_updated, r.rows_duplicate) == (3, 1, 1, 1)
    t = _tickets(loaded)
    # T1 resolved, its priority and category (absent from the file) kept.
    assert t["T1"] == ("resolved", dt.datetime(2024, 3, 4, 10), "high", "bug", 5.0)
    assert t["T2"] == ("open", None, "low", "how-to", None)  # unchanged
    assert t["T3"] == ("open", None, None, None, None)  # new
    assert loaded.count("tickets") == 3
    (recorded,) = loaded.con.execute(
        "SELECT rows_updated FROM import_batches WHERE batch_id = ?", [r.batch_id]
    ).fetchone()
    assert recorded == 1
    # The same export again changes nothing.
    again = import_files(loaded, "tickets", [friday], update=True)
    assert (again.rows_inserted, again.rows_updated, again.rows_duplicate) == (0, 0, 3)
    assert _tickets(loaded) == t


def test_update_moves_metrics_only_from_the_resolution_date_on(
    loaded: Store, tmp_path: Path
) -> None:
    before_fix, after_fix = dt.date(2024, 3, 3), dt.date(2024, 3, 4)

    def open_tickets() -> dict[dt.date, float]:
        f = compute_metrics(loaded.ibis(), [before_fix, after_fix])
        return dict(zip(f["as_of"], f["support_open_tickets"], strict=True))

    assert open_tickets() == {before_fix: 2.0, after_fix: 2.0}  # T1 looks open forever
    import_files(loaded, "tickets", [write_csv(tmp_path / "friday.csv", LATER)], update=True)
    # T1 was resolved on 03-04: still open as of 03-03, closed as of 03-04 (T3 opens 03-05).
    assert open_tickets() == {before_fix: 2.0, after_fix: 1.0}
    f = compute_metrics(loaded.ibis(), [dt.date(2024, 3, 10)])
    assert f["support_tickets_28d"].tolist() == [3.0]
    assert f["support_csat_avg_90d"].tolist() == [5.0]


def test_a_bad_row_rejects_the_whole_update(loaded: Store, tmp_path: Path) -> None:
    before = _state(loaded)
    bad = [*LATER, {**LATER[2], "ticket_id": "T4", "opened_at": "yesterday"}]
    with pytest.raises(ImportRejected) as exc:
        import_files(loaded, "tickets", [write_csv(tmp_path / "bad.csv", bad)], update=True)
    assert 'bad.csv line 5, column "opened_at"' in str(exc.value)
    assert _state(loaded) == before  # T1 not resolved, nothing recorded


def test_update_with_quarantine_applies_the_good_rows(loaded: Store, tmp_path: Path) -> None:
    bad = [*LATER, {**LATER[2], "ticket_id": "T4", "account_id": "NOPE"}]
    r = import_files(
        loaded, "tickets", [write_csv(tmp_path / "q.csv", bad)], update=True, quarantine=True
    )
    assert (r.rows_inserted, r.rows_updated, r.rows_rejected) == (1, 1, 1)
    assert _tickets(loaded)["T1"][0] == "resolved" and "T4" not in _tickets(loaded)


def test_cli_update_reports_the_rows_it_changed(db_path: Path, tmp_path: Path) -> None:
    runner = CliRunner()
    acc = write_csv(tmp_path / "a.csv", [{"account_id": "A1", "start_date": "2024-01-01"}])
    monday = write_csv(tmp_path / "monday.csv", FIRST)
    friday = write_csv(tmp_path / "friday.csv", LATER)
    for args in (["accounts", str(acc)], ["tickets", str(monday)]):
        assert runner.invoke(app, ["import", *args, "--db", str(db_path)]).exit_code == 0
    r = runner.invoke(app, ["import", "tickets", str(friday), "--update", "--db", str(db_path)])
    assert r.exit_code == 0, r.output
    assert "tickets: 1 new, 1 updated, 1 already stored" in r.stderr
    with open_store(db_path) as s:
        assert _tickets(s)["T1"][0] == "resolved"
