"""A real `healthscore serve` process on a free loopback port, for browser and
concurrency tests."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

CLI = [sys.executable, "-c", "from healthscore.cli import main; main()"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def cli_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("HEALTHSCORE_")}
    env.update(extra)
    return env


@contextmanager
def serving(db: Path, *, timeout: float = 90.0, lock_timeout: float = 120.0) -> Iterator[str]:
    """`healthscore serve --db db` until the block ends; yields its base URL."""
    port = free_port()
    log = db.with_name(db.name + ".server.log")
    with log.open("w") as out:
        proc = subprocess.Popen(
            [*CLI, "serve", "--db", str(db), "--port", str(port)],
            env=cli_env(HEALTHSCORE_LOCK_TIMEOUT=str(lock_timeout)),
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + timeout
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"the server exited: {log.read_text()}")
            try:
                if httpx.get(base + "/login", timeout=5).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError("the server did not start in time")
            time.sleep(0.3)
        yield base
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
