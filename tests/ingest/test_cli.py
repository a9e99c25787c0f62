"""`healthscore init / import / status` driven through the real Typer app."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from healthscore.cli import app
from healthscore.errors import ImportRejected
from healthscore.store import open_store

from .helpers import write_csv

runner = CliRunner()


def _run(*args: str, env: dict[str, str] | None = None, input: str | None = None):
    return runner.invoke(app, list(args), env=env, input=input)


def test_init_creates_store_at_env_path(tmp_path: Path) -> None:
    db = tmp_path / "env.duckdb"
    result = _run("init", env={"HEALTHSCORE_DB": str(db)})
    assert result.exit_code == 0, result.output
    assert db.exists()
    with open_store(db, create=False) as s:
        assert s.count("accounts") == 0


def test_import_status_and_quarantine_round_trip(tmp_path: Path, cli_failure) -> None:  # type: ignore[no-untyped-def]
    db = str(tmp_path / "s.duckdb")
    assert _run("init", "--db", db).exit_code == 0
    acc = write_csv(tmp_path / "accounts.csv", [{"account_id": "a1"}, {"account_id": "a2"}])
    assert _run("import", "accounts", str(acc), "--db", db).exit_code == 0
    rows = [
        {"acct": "a1", "when": "2024-03-01T09:00:00+01:00", "what": "login"},
        {"acct": "a1", "when": "soon", "what": "login"},
        {"acct": "zz", "when": "2024-03-02T09:00:00Z", "what": "export"},
    ]
    ev = write_csv(tmp_path / "events.csv", rows)
    mapping = ["--map", "acct=account_id,when=event_time", "--map", "what=event_type"]
    bad = _run("import", "events", str(ev), *mapping, "--db", db)
    assert isinstance(bad.exception, ImportRejected)
    assert 'events.csv line 3, column "when": "soon" is not a date' in str(bad.exception)
    # What the user sees: exit 1 and the rejection's first line, no traceback.
    failed = cli_failure("import", "events", str(ev), *mapping, "--db", db)
    assert failed.exit_code == 1
    first, *listed = failed.stderr.strip().splitlines()
    assert first == (
        "error: events import rejected: 2 problem(s) in 2 row(s); nothing was imported "
        "(fix the file, or import with quarantine on to load the good rows and keep the "
        "rejected ones aside):"
    )
    assert any('events.csv line 3, column "when": "soon" is not a date' in x for x in listed)
    ok = _run("import", "events", str(ev), *mapping, "--quarantine", "--db", db)
    # Loaded, but rows were kept back: exit 3, told apart from success and from failure.
    assert ok.exit_code == 3, ok.output
    with open_store(db) as s:
        assert s.con.execute("SELECT CAST(event_time AS VARCHAR) FROM events").fetchall() == [
            ("2024-03-01 08:00:00",)
        ]
        assert s.count("quarantine") == 2
    status = _run("status", "--format", "json", "--db", db)
    assert status.exit_code == 0, status.output
    info = json.loads(status.stdout)
    assert info["quarantined_rows"] == 2
    assert {k["kind"]: k["rows"] for k in info["kinds"]}["events"] == 1
    table = _run("status", "--db", db)
    assert table.exit_code == 0 and "Quarantine (2 rows)" in table.stdout


def test_import_from_stdin_needs_format(tmp_path: Path) -> None:
    db = str(tmp_path / "s.duckdb")
    result = _run("import", "accounts", "-", "--db", db, input="account_id\nx\n")
    assert isinstance(result.exception, ImportRejected)
    result = _run("import", "accounts", "-", "--format", "csv", "--db", db, input="account_id\nx\n")
    assert result.exit_code == 0, result.output
    with open_store(db) as s:
        assert s.count("accounts") == 1


def test_import_churnsim_slice_via_cli(tmp_path: Path) -> None:
    db = str(tmp_path / "s.duckdb")
    slice_dir = Path(__file__).parents[1] / "data" / "churnsim_slice" / "parquet"
    result = _run("import", "churnsim", str(slice_dir), "--db", db)
    assert result.exit_code == 0, result.output
    info = json.loads(_run("status", "-f", "json", "--db", db).stdout)
    rows = {k["kind"]: k["rows"] for k in info["kinds"]}
    assert (rows["accounts"], rows["subscriptions"], rows["events"]) == (163, 525, 45784)
