"""DuckDB's write lock is a POSIX lock, which the process loses when it closes *any*
descriptor of the file.  Copying a store for a background job must not let another process
in (it goes through DuckDB, not through a file copy)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from healthscore.store import open_store

PROBE = """
import sys, duckdb
try:
    duckdb.connect(sys.argv[1]).close()
    print("opened")
except duckdb.IOException as exc:
    print("refused" if "lock" in str(exc).lower() else f"error: {exc}")
"""


def _other_process_can_open(path: Path) -> str:
    done = subprocess.run(
        [sys.executable, "-c", PROBE, str(path)], capture_output=True, text=True, timeout=60
    )
    return done.stdout.strip() or done.stderr


def test_a_copy_of_an_open_store_keeps_the_lock_and_the_data(tmp_path: Path) -> None:
    path = tmp_path / "s.duckdb"
    with open_store(path) as store:
        store.con.execute("INSERT INTO accounts (account_id) VALUES ('A1'), ('A2')")
        store.copy_to(tmp_path / "copy.duckdb")
        assert _other_process_can_open(path) == "refused"
    with open_store(tmp_path / "copy.duckdb", create=False) as copy:
        assert copy.count("accounts") == 2


def test_two_copies_at_once_in_one_process(tmp_path: Path) -> None:
    """The web app's backtest and insights jobs copy the store at the same moment."""
    import threading

    path = tmp_path / "s.duckdb"
    with open_store(path) as store:
        store.con.execute("INSERT INTO accounts (account_id) VALUES ('A1')")
    errors: list[BaseException] = []

    def copy(i: int) -> None:
        try:
            with open_store(path, create=False) as s:
                s.copy_to(tmp_path / f"copy{i}.duckdb")
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=copy, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    for i in range(4):
        with open_store(tmp_path / f"copy{i}.duckdb", create=False) as c:
            assert c.count("accounts") == 1
