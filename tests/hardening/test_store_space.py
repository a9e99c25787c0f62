"""A full disk and the space failed imports leave behind (issue 16, items 5 and 12)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from typer.testing import CliRunner

from healthscore.ingest import import_files
from healthscore.store import open_store

from ._state import store_state

# The child sets a file-size limit (as a full disk does, writes past it fail with EFBIG)
# and ignores SIGXFSZ, then runs the real CLI.
_LIMITED = """
import resource, signal, sys
signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
limit = int(sys.argv.pop(1))
resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))
from healthscore.cli import main
sys.argv[0] = "healthscore"
main()
"""


def _events(path: Path, n: int, start: int = 0) -> Path:
    with path.open("w") as fh:
        fh.write("event_id,account_id,event_time,event_type,value,note\n")
        for i in range(start, start + n):
            fh.write(f"e{i},a1,2025-03-01T10:{i % 60:02d}:00Z,login,{i},note number {i} x\n")
    return path


def test_a_full_disk_is_one_message_and_the_next_import_works(tmp_path: Path) -> None:
    db = tmp_path / "s.duckdb"
    with open_store(db) as store:
        (tmp_path / "a.csv").write_text("account_id\na1\n")
        import_files(store, "accounts", [tmp_path / "a.csv"])
    before = store_state(db)
    size = db.stat().st_size
    big = _events(tmp_path / "events.csv", 300_000)
    r = subprocess.run(
        [sys.executable, "-c", _LIMITED, str(size + (2 << 20)), "import", "events", str(big),
         "--db", str(db)],
        capture_output=True, text=True, timeout=600, cwd=tmp_path,
    )  # fmt: skip
    assert r.returncode == 1, r.stderr
    assert "Traceback" not in r.stderr and "TransactionException" not in r.stderr, r.stderr
    lines = [ln for ln in r.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1 and "is full (or the file may not grow)" in lines[0], r.stderr
    assert store_state(db) == before
    # Space again: the same import now goes through.
    with open_store(db) as store:
        assert import_files(store, "events", [big]).rows_inserted == 300_000


def test_vacuum_gives_back_the_space_of_deleted_rows_and_keeps_the_data(
    tmp_path: Path,
) -> None:
    import healthscore.cli.store_cmds  # noqa: F401  (registers `vacuum` on the app)
    from healthscore.cli import app

    db = tmp_path / "s.duckdb"
    with open_store(db) as store:
        (tmp_path / "a.csv").write_text("account_id\na1\n")
        import_files(store, "accounts", [tmp_path / "a.csv"])
        import_files(store, "events", [_events(tmp_path / "keep.csv", 1_000)])
        import_files(store, "events", [_events(tmp_path / "drop.csv", 200_000, start=10_000)])
        store.con.execute("DELETE FROM events WHERE event_id NOT IN (SELECT event_id FROM "
                          "events ORDER BY event_id LIMIT 1000)")  # fmt: skip
        store.con.execute("CHECKPOINT")
    kept = store_state(db)
    bloated = db.stat().st_size
    r = CliRunner().invoke(app, ["vacuum", "--db", str(db)])
    assert r.exit_code == 0, r.output
    assert "reclaimed" in r.output
    assert db.stat().st_size < bloated / 2
    assert store_state(db) == kept
    with open_store(db) as store:  # still a store, migrations recorded
        assert store.count("events") == 1_000
