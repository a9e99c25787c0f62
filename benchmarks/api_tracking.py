"""Tracking ingestion through a real uvicorn over loopback: Segment batches per second.

Builds a store with accounts, starts ``uvicorn`` serving `healthscore.web.create_app` in a
child process, and posts /v1/batch calls of track events (each with its messageId and
groupId) from concurrent clients; every answer is a 200 only after the events are
durably stored (spooled and fsync'd).  Two rates: "accepted" (events answered with a 200
per second of the load) and "in store" (events per second until the server's drain has
moved the last of them into the store's tables, i.e. the spool is empty).  Then it counts
the events in the store.  Target: >= 5,000 events/s.

    python benchmarks/api_tracking.py                 # 60,000 events, batches of 500 and 2,000
    python benchmarks/api_tracking.py --events 20000 --batch 1000 --clients 2
"""

from __future__ import annotations

import argparse
import base64
import concurrent.futures as cf
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import httpx

from healthscore.auth.keys import create_key
from healthscore.ingest import import_files
from healthscore.store import open_store

try:
    from healthscore.store.tracking import spool_dir, spooled_files
except ImportError:  # a build without the spool (answers after the store commit)

    def spool_dir(db: Path) -> Path:
        return db.with_name(db.name + ".spool")

    def spooled_files(folder: Path) -> list[Path]:
        return []


SERVER = """
import uvicorn
from healthscore.app import App
from healthscore.web import create_app
app = create_app(App.from_env({{}}, db={db!r}), secret="bench")
uvicorn.run(app, host="127.0.0.1", port={port}, log_level="warning", access_log=False)
"""


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _start(db: Path, port: int, log: Path) -> subprocess.Popen[bytes]:
    with log.open("wb") as fh:
        proc = subprocess.Popen(
            [sys.executable, "-c", SERVER.format(db=str(db), port=port)],
            stdout=subprocess.DEVNULL,
            stderr=fh,
        )
    for _ in range(600):
        if proc.poll() is not None:
            raise SystemExit(log.read_text())
        try:
            httpx.get(f"http://127.0.0.1:{port}/openapi.json", timeout=2)
            return proc
        except httpx.TransportError:
            time.sleep(0.1)
    proc.kill()
    raise SystemExit("server did not start")


def _batch(n: int, accounts: int) -> dict[str, object]:
    now = time.time()
    return {
        "sentAt": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(now)),
        "batch": [
            {
                "type": "track",
                "messageId": uuid.uuid4().hex,
                "userId": f"user-{i % 97}",
                "event": ("report_viewed", "dashboard_opened", "export_csv")[i % 3],
                "timestamp": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(now - i)),
                "context": {"groupId": f"ACC-{i % accounts:05d}"},
                "properties": {"plan": "pro", "duration_ms": 120 + i % 50},
            }
            for i in range(n)
        ],
    }


HOLDER = """
import sys, time
from healthscore.store import open_store
store = open_store(sys.argv[1], lock_timeout=120)
print(time.time(), flush=True)
time.sleep(float(sys.argv[2]))
store.close()
"""


def _hold(db: Path, seconds: float) -> subprocess.Popen[bytes]:
    """A CLI-like process that opens the store for writing and keeps it for `seconds`."""
    return subprocess.Popen([sys.executable, "-c", HOLDER, str(db), str(seconds)])


def run(
    events: int, batch: int, clients: int, accounts: int, workdir: Path, hold: float = 0.0
) -> dict[str, float]:
    db = workdir / f"bench-{batch}-{clients}.duckdb"
    csv = workdir / "accounts.csv"
    csv.write_text(
        "account_id,name\n" + "".join(f"ACC-{i:05d},Account {i}\n" for i in range(accounts))
    )
    with open_store(db) as store:
        import_files(store, "accounts", [csv])
        token = create_key(store, "bench", "ingest").token
    auth = {"Authorization": "Basic " + base64.b64encode(f"{token}:".encode()).decode()}
    port = _port()
    proc = _start(db, port, workdir / "server.log")
    n_batches = events // batch
    bodies = [_batch(batch, accounts) for _ in range(n_batches)]
    latencies: list[float] = []
    failures = 0
    try:
        with httpx.Client(timeout=120) as warm:  # first call: imports and store open
            warm.post(f"http://127.0.0.1:{port}/v1/batch", json=_batch(10, accounts), headers=auth)

        def send(body: dict[str, object]) -> tuple[int, float]:
            with httpx.Client(timeout=120) as c:
                t = time.perf_counter()
                r = c.post(f"http://127.0.0.1:{port}/v1/batch", json=body, headers=auth)
                return r.status_code, time.perf_counter() - t

        t0 = time.perf_counter()
        holder = None
        with cf.ThreadPoolExecutor(clients) as pool:
            for i, (status, dt) in enumerate(pool.map(send, bodies)):
                latencies.append(dt)
                failures += status != 200
                if hold and holder is None and i >= len(bodies) // 4:
                    holder = _hold(db, hold)  # the CLI takes the store mid-run
        wall = time.perf_counter() - t0
        if holder is not None:
            holder.wait(300)
        while spooled_files(spool_dir(db)) and time.perf_counter() - t0 < 600:
            time.sleep(0.02)
        drained = time.perf_counter() - t0
    finally:
        proc.terminate()
        proc.wait(60)
    with open_store(db) as store:
        stored = store.count("events")
    latencies.sort()
    return {
        "batch": batch,
        "clients": clients,
        "events": n_batches * batch,
        "stored": stored - 10,
        "hold_s": hold,
        "failures": failures,
        "seconds": wall,
        "events_per_s": n_batches * batch / wall,
        "drained_s": drained,
        "stored_per_s": n_batches * batch / drained,
        "p50_ms": 1000 * statistics.median(latencies),
        "p95_ms": 1000 * latencies[int(0.95 * (len(latencies) - 1))],
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--events", type=int, default=60_000)
    ap.add_argument("--batch", type=int, action="append", help="events per batch (repeat)")
    ap.add_argument("--clients", type=int, action="append", help="concurrent clients (repeat)")
    ap.add_argument("--accounts", type=int, default=500)
    ap.add_argument(
        "--hold",
        type=float,
        default=0.0,
        help="a second process holds the store for this many seconds mid-run (the CLI)",
    )
    args = ap.parse_args()
    batches = args.batch or [500, 2000]
    clients = args.clients or [1, 4]
    print(f"machine: {os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f}")
    if args.hold:
        print(
            f"a second process holds the store for {args.hold:g} s after a quarter of the batches"
        )
    print(
        "batch  clients   events   stored  fail   seconds   accepted/s   p50 ms   p95 ms"
        "   in store after   in store/s"
    )
    with tempfile.TemporaryDirectory(prefix="hs-bench-") as tmp:
        for b in batches:
            for c in clients:
                r = run(args.events, b, c, args.accounts, Path(tmp), args.hold)
                print(
                    f"{r['batch']:>5} {r['clients']:>8} {r['events']:>8,.0f} {r['stored']:>8,.0f} "
                    f"{r['failures']:>5.0f} {r['seconds']:>9.1f} {r['events_per_s']:>12,.0f} "
                    f"{r['p50_ms']:>8.0f} {r['p95_ms']:>8.0f} {r['drained_s']:>14.1f} s"
                    f" {r['stored_per_s']:>12,.0f}",
                    flush=True,
                )
    print(f"load average after: {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
