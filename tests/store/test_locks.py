"""A store held by another process, and a store file that may only be read (issue 16,
item 8): a bounded wait with a message naming the holder, and reads that still work."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from healthscore.errors import StoreError
from healthscore.store import open_store

_HOLD = """
import sys, time
from healthscore.store import open_store
s = open_store(sys.argv[1])
print("held", flush=True)
time.sleep(float(sys.argv[2]))
s.close()
"""


def _hold(path: Path, seconds: float) -> subprocess.Popen[str]:
    p = subprocess.Popen(
        [sys.executable, "-c", _HOLD, str(path), str(seconds)], stdout=subprocess.PIPE, text=True
    )
    assert p.stdout is not None and p.stdout.readline().strip() == "held"
    p.stdout.close()
    return p


def _make_read_only(path: Path) -> None:
    """No write permission; for root (who may write anyway) the immutable attribute too."""
    path.chmod(stat.S_IRUSR | stat.S_IRGRP)
    if os.geteuid() == 0 and subprocess.run(["chattr", "+i", str(path)]).returncode:
        pytest.skip("running as root on a file system without chattr +i")


def _make_writable(path: Path) -> None:
    if os.geteuid() == 0:
        subprocess.run(["chattr", "-i", str(path)], capture_output=True)
    path.chmod(stat.S_IRUSR | stat.S_IWUSR)


def _run_cli(*args: str, cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", "from healthscore.cli import main; main()", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, **env},
    )


def test_a_held_store_is_waited_for_then_refused_naming_the_holder(tmp_path: Path) -> None:
    path = tmp_path / "s.duckdb"
    open_store(path).close()
    holder = _hold(path, 30)
    try:
        told: list[str] = []
        started = time.monotonic()
        with pytest.raises(StoreError) as exc:
            open_store(path, lock_timeout=1.0, on_wait=told.append)
        waited = time.monotonic() - started
        assert f"process {holder.pid}" in str(exc.value) and "after waiting 1 s" in str(exc.value)
        assert len(told) == 1 and f"in use by process {holder.pid}" in told[0]
        assert waited >= 1.0
    finally:
        holder.kill()
        holder.wait()


def test_the_wait_ends_when_the_holder_lets_go(tmp_path: Path) -> None:
    path = tmp_path / "s.duckdb"
    open_store(path).close()
    holder = _hold(path, 1.5)
    told: list[str] = []
    with open_store(path, lock_timeout=60, on_wait=told.append) as store:
        assert store.count("accounts") == 0
    holder.wait()
    assert len(told) == 1


def test_the_cli_says_it_is_waiting_on_stderr(tmp_path: Path) -> None:
    path = tmp_path / "s.duckdb"
    open_store(path).close()
    holder = _hold(path, 60)
    try:
        r = _run_cli(
            "status",
            cwd=tmp_path,
            env={"HEALTHSCORE_DB": str(path), "HEALTHSCORE_LOCK_TIMEOUT": "1"},
        )
    finally:
        holder.kill()
        holder.wait()
    assert r.returncode == 1 and "Traceback" not in r.stderr, r.stderr
    lines = [ln for ln in r.stderr.splitlines() if ln.strip()]
    assert f"in use by process {holder.pid}" in lines[0] and "waiting up to 1 s" in lines[0]
    assert lines[-1].startswith("error: ") and "HEALTHSCORE_LOCK_TIMEOUT" in lines[-1]


def test_read_only_commands_work_on_a_read_only_store_file(tmp_path: Path) -> None:
    path = tmp_path / "s.duckdb"
    with open_store(path) as store:
        store.con.execute("INSERT INTO accounts (account_id, name) VALUES ('a1', 'Acme')")
    _make_read_only(path)
    try:
        with open_store(path) as store:  # opens read-only by itself
            assert store.read_only and store.count("accounts") == 1
            with pytest.raises(StoreError, match="is read-only"), store.transaction():
                pass
        env = {"HEALTHSCORE_DB": str(path)}
        r = _run_cli("status", cwd=tmp_path, env=env)
        assert r.returncode == 0, r.stderr
        assert "accounts" in r.stdout
        r = _run_cli("explain", "a1", cwd=tmp_path, env=env)
        assert "Traceback" not in r.stderr and "read-only" not in r.stderr, r.stderr
        (tmp_path / "b.csv").write_text("account_id\nb1\n")
        r = _run_cli("import", "accounts", "b.csv", cwd=tmp_path, env=env)
        assert r.returncode == 1 and "Traceback" not in r.stderr, r.stderr
        assert "is read-only (the file cannot be written)" in r.stderr
    finally:
        _make_writable(path)


def test_threads_opening_and_closing_one_store_never_see_a_handle_race(tmp_path: Path) -> None:
    """DuckDB refuses a connect while another thread closes the file's last connection
    ("Unique file handle conflict"); the web server's per-request opens hit it.  The store
    retries that moment instead of calling the file "not a store"."""

    path = tmp_path / "s.duckdb"
    open_store(path).close()
    errors: list[str] = []

    def work() -> None:
        for _ in range(150):
            try:
                open_store(path, create=False).close()
            except Exception as exc:  # the assertion below shows which
                errors.append(str(exc))

    threads = [threading.Thread(target=work) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
