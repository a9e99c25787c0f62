"""A 200 from the tracking API means durably stored: kill -9 the server right after the
answer and every event reaches the store (from the spool, replayed when the server starts
again), exactly once, also when a crash left a drained file behind.  A real uvicorn
process over loopback."""

from __future__ import annotations

import base64
import datetime as dt
import json
import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path

import httpx

from healthscore.auth.keys import create_key
from healthscore.ingest import import_files
from healthscore.store import open_store
from healthscore.store.tracking import Calls, drain_spool, spool_calls, spool_dir, spooled_files

SERVER = """
import sys, uvicorn
from healthscore.app import App
from healthscore.web import create_app
app = create_app(App.from_env({{}}, db={db!r}), secret="durability")
uvicorn.run(app, host="127.0.0.1", port={port}, log_level="warning")
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_server(db: Path, port: int, log: Path) -> subprocess.Popen[bytes]:
    with log.open("wb") as fh:
        proc = subprocess.Popen(
            [sys.executable, "-c", SERVER.format(db=str(db), port=port)],
            stdout=subprocess.DEVNULL,
            stderr=fh,
        )
    deadline = time.monotonic() + 240  # a loaded CI machine imports slowly
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(log.read_text())
        try:
            httpx.get(f"http://127.0.0.1:{port}/openapi.json", timeout=2)
            return proc
        except httpx.TransportError:
            time.sleep(0.1)
    proc.kill()
    proc.wait(30)
    raise AssertionError("the server did not start: " + log.read_text()[-2000:])


def _events(db: Path) -> list[str]:
    with open_store(db) as store:
        return [row[0] for row in store.con.execute("SELECT event_id FROM events").fetchall()]


def _wait_drained(db: Path, proc: subprocess.Popen[bytes], timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while spooled_files(spool_dir(db)):
        assert proc.poll() is None, "the server died"
        assert time.monotonic() < deadline, "the spool was not drained"
        time.sleep(0.1)


def _stop(proc: subprocess.Popen[bytes]) -> None:
    proc.terminate()
    try:
        proc.wait(60)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(30)


def test_kill_9_after_the_200_loses_nothing(tmp_path: Path) -> None:
    db = tmp_path / "store.duckdb"
    accounts = tmp_path / "accounts.csv"
    accounts.write_text("account_id,name\nA-1,Acme\nA-2,Beta\n")
    with open_store(db) as store:
        import_files(store, "accounts", [accounts])
        token = create_key(store, "durability", "ingest").token
    port = free_port()
    proc = start_server(db, port, tmp_path / "server.log")
    ids = [uuid.uuid4().hex for _ in range(300)]
    batch = {
        "batch": [
            {
                "type": "track",
                "userId": f"u{i % 7}",
                "event": "feature_used",
                "messageId": m,
                "context": {"groupId": "A-1" if i % 2 else "A-2"},
            }
            for i, m in enumerate(ids)
        ]
    }
    auth = {"Authorization": "Basic " + base64.b64encode(f"{token}:".encode()).decode()}
    try:
        r = httpx.post(f"http://127.0.0.1:{port}/v1/batch", json=batch, headers=auth, timeout=60)
        os.kill(proc.pid, signal.SIGKILL)  # at once: no shutdown, no checkpoint, no drain
    finally:
        proc.kill()
        proc.wait(30)
    assert r.status_code == 200, r.text
    assert r.json()["stored"] == 300
    # Wherever the kill caught it (spooled, or drained already), every event is kept ...
    spooled = spooled_files(spool_dir(db))
    in_spool = {t[0] for f in spooled for t in json.loads(f.read_bytes())["tracks"]}
    assert in_spool | set(_events(db)) == set(ids)

    # ... and the next start replays the spool: each event in the store exactly once.
    proc = start_server(db, port, tmp_path / "server2.log")
    try:
        _wait_drained(db, proc)
    finally:
        _stop(proc)
    got = _events(db)
    assert sorted(got) == sorted(ids)


def test_a_replayed_spool_file_is_not_stored_twice(tmp_path: Path) -> None:
    """A crash after the drain's commit but before it deleted the file: the replay finds
    the ids already in the store (and repeats across files) and drops them."""
    db = tmp_path / "store.duckdb"
    accounts = tmp_path / "accounts.csv"
    accounts.write_text("account_id,name\nA-1,Acme\n")
    with open_store(db) as store:
        import_files(store, "accounts", [accounts])
    t = dt.datetime(2026, 11, 20, 9, 0)
    first = Calls(tracks=[(f"m{i}", "u1", "A-1", t, "login", None, None) for i in range(50)])
    folder = spool_dir(db)
    done = spool_calls(folder, first, t)
    copy = done.read_bytes()
    with open_store(db) as store:  # drained: in the store, the file deleted
        assert drain_spool(store, folder).stored == 50
    assert not done.exists()
    # the crash: the drained file is back, next to a request that repeats some of its ids
    (folder / done.name).write_bytes(copy)
    later = Calls(tracks=[(f"m{i}", "u1", "A-1", t, "login", None, None) for i in range(40, 60)])
    spool_calls(folder, later, t)
    port = free_port()
    proc = start_server(db, port, tmp_path / "server.log")
    try:
        _wait_drained(db, proc)
    finally:
        _stop(proc)
    got = _events(db)
    assert sorted(got) == sorted(f"m{i}" for i in range(60))
