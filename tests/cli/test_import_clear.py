"""`import --update --clear COL`: the CLI passes the columns whose empty cells empty the
stored value, and refuses the flag without --update with a message."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

from typer.testing import CliRunner

from healthscore.cli import app
from healthscore.store import open_store

TICKET = {
    "ticket_id": "T1",
    "account_id": "A1",
    "opened_at": "2024-03-01T10:00:00Z",
    "priority": "high",
    "status": "resolved",
    "resolved_at": "2024-03-04T10:00:00Z",
}


def _csv(path: Path, rows: list[dict[str, str]]) -> Path:
    with path.open("w", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=list(rows[0]))
        w.writeheader()
        w.writerows(rows)
    return path


def _stored(db: Path) -> tuple[str, object, str]:
    with open_store(db) as s:
        return s.con.execute(
            "SELECT status, resolved_at, priority FROM tickets WHERE ticket_id = 'T1'"
        ).fetchone()


def test_clear_empties_only_the_named_column(tmp_path: Path) -> None:
    db = tmp_path / "s.duckdb"
    run = CliRunner().invoke
    accounts = _csv(tmp_path / "a.csv", [{"account_id": "A1", "start_date": "2024-01-01"}])
    assert run(app, ["import", "accounts", str(accounts), "--db", str(db)]).exit_code == 0
    first = _csv(tmp_path / "t1.csv", [TICKET])
    assert run(app, ["import", "tickets", str(first), "--db", str(db)]).exit_code == 0
    # The ticket is reopened: the export has an empty resolved_at and an empty priority.
    reopened = _csv(
        tmp_path / "t2.csv", [{**TICKET, "status": "open", "resolved_at": "", "priority": ""}]
    )
    r = run(
        app,
        ["import", "tickets", str(reopened), "--update", "--clear", "resolved_at", "--db", str(db)],
    )
    assert r.exit_code == 0, r.output
    status, resolved, priority = _stored(db)
    assert (status, resolved, priority) == ("open", None, "high")


def test_clear_without_update_is_refused_with_a_message(tmp_path: Path, cli_failure: Any) -> None:
    db = tmp_path / "s.duckdb"
    run = CliRunner().invoke
    accounts = _csv(tmp_path / "a.csv", [{"account_id": "A1", "start_date": "2024-01-01"}])
    assert run(app, ["import", "accounts", str(accounts), "--db", str(db)]).exit_code == 0
    t = _csv(tmp_path / "t.csv", [TICKET])
    r = cli_failure("import", "tickets", str(t), "--clear", "resolved_at", "--db", str(db))
    assert r.exit_code == 1
    assert r.stderr.startswith("error: ") and "add --update" in r.stderr
    with open_store(db) as s:
        assert s.con.execute("SELECT count(*) FROM tickets").fetchone() == (0,)
