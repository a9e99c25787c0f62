"""A killed import (SIGKILL, mid-statement) leaves the store exactly as before."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pytest

from healthscore.ingest import import_files
from healthscore.store import open_store

from .helpers import write_csv

SNAPSHOT = ("accounts", "events", "import_batches", "quarantine")


def _counts(db: Path) -> dict[str, int]:
    with open_store(db, create=False) as s:
        return {t: s.count(t) for t in SNAPSHOT}


@pytest.mark.skipif(sys.platform == "win32", reason="SIGKILL is POSIX")
def test_kill_9_mid_import_leaves_store_unchanged(tmp_path: Path) -> None:
    db = tmp_path / "store.duckdb"
    with open_store(db) as s:
        accounts = [{"account_id": f"a{i}"} for i in range(5)]
        import_files(s, "accounts", [write_csv(tmp_path / "accounts.csv", accounts)])
        first = [{"account_id": "a1", "event_time": "2024-01-01", "event_type": "login"}]
        import_files(s, "events", [write_csv(tmp_path / "first.csv", first)])
    before = _counts(db)
    big = tmp_path / "big.csv"
    duckdb.sql(
        "COPY (SELECT 'a' || (i % 5) AS account_id, 'e' || i AS event_id, "
        "TIMESTAMP '2024-01-01' + INTERVAL (i) SECOND AS event_time, 'login' AS event_type "
        f"FROM range(4000000) t(i)) TO '{big}' (HEADER)"
    )
    code = "import sys; from healthscore.cli import main; sys.argv[0] = 'healthscore'; main()"
    # The context manager closes the stderr pipe (no unclosed-file warning).
    with subprocess.Popen(
        [sys.executable, "-c", code, "import", "events", str(big), "--db", str(db)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    ) as proc:
        try:
            # Wait until the import is well under way (the whole import takes > 5 s here).
            deadline = time.monotonic() + 2.0
            while time.monotonic() < deadline and proc.poll() is None:
                time.sleep(0.05)
            assert proc.poll() is None, (
                "import finished before it could be killed; use a bigger file"
            )
            os.kill(proc.pid, signal.SIGKILL)
        finally:
            proc.wait(timeout=30)
    assert proc.returncode == -signal.SIGKILL
    assert _counts(db) == before
    # The store is healthy: it opens, and a fresh import of the same file works.
    with open_store(db) as s:
        small = [{"account_id": "a2", "event_time": "2024-01-02", "event_type": "x"}]
        import_files(s, "events", [write_csv(tmp_path / "after.csv", small)])
        assert s.count("events") == before["events"] + 1


def test_failed_import_rolls_back_everything(tmp_path: Path) -> None:
    db = tmp_path / "store.duckdb"
    with open_store(db) as s:
        good = write_csv(tmp_path / "good.csv", [{"account_id": "a1"}])
        bad = write_csv(tmp_path / "bad.csv", [{"account_id": "a2", "mrr": "lots"}])
        with pytest.raises(Exception, match="not a number"):
            import_files(s, "accounts", [good, bad])
        assert s.count("accounts") == 0 and s.count("import_batches") == 0
