"""A 200 from the tracking API means stored: kill -9 the server right after the answer and
every event is in the store.  A real uvicorn process over loopback."""

from __future__ import annotations

import base64
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
        os.kill(proc.pid, signal.SIGKILL)  # at once: no shutdown, no checkpoint
    finally:
        proc.kill()
        proc.wait(30)
    assert r.status_code == 200, r.text
    assert r.json()["stored"] == 300
    with open_store(db) as store:
        got = {row[0] for row in store.con.execute("SELECT event_id FROM events").fetchall()}
    assert got == set(ids)
