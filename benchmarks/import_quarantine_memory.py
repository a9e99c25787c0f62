"""Quarantine memory benchmark (issue 16 item 11): peak RSS of an import with and without
`--quarantine`, on a CSV of N events with some bad rows, under the store's memory limit.

    python benchmarks/import_quarantine_memory.py [--rows 5000000] [--bad-every 100000]
        [--memory-limit 1GB|none] [--modes clean,rejected,quarantine]

Generates (with DuckDB, into benchmarks/_data/, reused when present) an accounts file and an
events CSV in which every `--bad-every`-th row has a timestamp that is no date, plus the same
events without the bad rows.  Then, each in a fresh subprocess whose peak RSS is its own
(`ru_maxrss` via os.wait4), into a fresh store opened with `memory_limit` as the CLI opens
it (`open_store(db, memory_limit=...)`, i.e. the `memory_limit` setting):

* **clean**: the file without bad rows, default import (the streaming fast path);
* **rejected**: the file with bad rows, default import (refused: every problem located);
* **quarantine**: the file with bad rows, `quarantine=True` (good rows load, bad ones kept).

It prints seconds, peak RSS, and the peak as a multiple of the memory limit.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import psutil

HERE = Path(__file__).resolve().parent
DATA = HERE / "_data"
N_ACCOUNTS = 10_000
EVENT_TYPES = ["login", "view", "search", "export", "share", "comment", "upload", "invite"]


def generate(rows: int, bad_every: int) -> dict[str, Path]:
    """accounts.csv, the events with bad rows and the same events without them."""
    DATA.mkdir(exist_ok=True)
    files = {
        "accounts": DATA / "accounts.csv",
        "bad": DATA / f"qevents_{rows}_bad{bad_every}.csv",
        "clean": DATA / f"qevents_{rows}_clean.csv",
    }
    con = duckdb.connect()
    if not files["accounts"].exists():
        con.execute(
            f"COPY (SELECT 'acct-' || i AS account_id, 'Account ' || i AS name "
            f"FROM range({N_ACCOUNTS}) t(i)) TO '{files['accounts']}' (HEADER)"
        )
    types = "[" + ", ".join(f"'{t}'" for t in EVENT_TYPES) + "]"
    time_text = (
        "strftime(TIMESTAMP '2024-01-01' + to_microseconds(CAST(hash(i, 2) % 31536000000000 "
        "AS BIGINT)), '%Y-%m-%dT%H:%M:%S.%fZ')"
    )
    events = (
        f"SELECT 'ev-' || i AS event_id, 'acct-' || (hash(i) % {N_ACCOUNTS}) AS account_id, "
        f"'u' || (hash(i, 1) % 50) AS user_id, "
        f"CASE WHEN {{bad}} THEN 'not a date' ELSE {time_text} END AS event_time, "
        f"{types}[1 + CAST(hash(i, 3) % {len(EVENT_TYPES)} AS INTEGER)] AS event_type, "
        f"CASE WHEN i % 4 = 0 THEN round((hash(i, 4) % 100000) / 100.0, 2) END AS value, "
        f"'web' AS channel FROM range({rows}) t(i)"
    )
    if not files["bad"].exists():
        bad = f"i % {bad_every} = {bad_every // 2}"
        con.execute(f"COPY ({events.format(bad=bad)}) TO '{files['bad']}' (HEADER)")
    if not files["clean"].exists():
        con.execute(f"COPY ({events.format(bad='FALSE')}) TO '{files['clean']}' (HEADER)")
    return files


def child(mode: str, path: Path, db: Path, accounts: Path, memory_limit: str) -> None:
    """One measured import in its own process."""
    from healthscore.errors import ImportRejected
    from healthscore.ingest import import_files
    from healthscore.store import open_store

    store = open_store(db, memory_limit=None if memory_limit == "none" else memory_limit)
    import_files(store, "accounts", [accounts])
    t0 = time.perf_counter()
    outcome: dict[str, object]
    try:
        r = import_files(store, "events", [path], quarantine=mode == "quarantine")
        outcome = {"inserted": r.rows_inserted, "rejected": r.rows_rejected}
    except ImportRejected as exc:
        outcome = {"refused": str(exc).split("\n", 1)[0][:100]}
    elapsed = time.perf_counter() - t0
    store.close()
    print(json.dumps({"seconds": elapsed, **outcome}))


def measure(mode: str, path: Path, accounts: Path, memory_limit: str) -> dict[str, object]:
    db = DATA / f"qbench_{mode}.duckdb"
    for p in (db, Path(str(db) + ".wal")):
        p.unlink(missing_ok=True)
    cmd = [sys.executable, __file__, "--child", mode, str(path), str(db), str(accounts)]
    proc = subprocess.Popen([*cmd, memory_limit], stdout=subprocess.PIPE, text=True)
    _, status, usage = os.wait4(proc.pid, 0)
    out = proc.stdout.read() if proc.stdout else ""
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"{mode} {path.name} failed: {out}")
    for p in (db, Path(str(db) + ".wal")):
        p.unlink(missing_ok=True)
    return {**json.loads(out.strip().splitlines()[-1]), "peak_mb": usage.ru_maxrss / 1024}


def _mb(limit: str) -> float | None:
    if limit == "none":
        return None
    units = {"kb": 1e-3, "mb": 1.0, "gb": 1e3, "kib": 1 / 1024, "mib": 1.0, "gib": 1024.0}
    text = limit.strip().lower()
    for u in sorted(units, key=len, reverse=True):
        if text.endswith(u):
            return float(text[: -len(u)]) * units[u] * (1.048576 if u.endswith("ib") else 1)
    return float(text) / 1e6


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        mode, path, db, accounts, limit = sys.argv[2:7]
        child(mode, Path(path), Path(db), Path(accounts), limit)
        return
    ap = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    ap.add_argument("--rows", type=int, default=5_000_000)
    ap.add_argument("--bad-every", type=int, default=100_000)
    ap.add_argument("--memory-limit", default="1GB")
    ap.add_argument("--modes", default="clean,rejected,quarantine")
    args = ap.parse_args()
    t0 = time.perf_counter()
    files = generate(args.rows, args.bad_every)
    print(f"data ready in {time.perf_counter() - t0:.1f}s: ", end="")
    print(", ".join(f"{f.name} {f.stat().st_size / 1e6:,.0f} MB" for f in files.values()))
    mem = psutil.virtual_memory().total / 2**30
    print(
        f"machine: {platform.machine()}, {os.cpu_count()} cores, {mem:.0f} GiB RAM, "
        f"Python {platform.python_version()}, duckdb {duckdb.__version__}, "
        f"memory_limit {args.memory_limit}, load average {os.getloadavg()[0]:.1f}"
    )
    print(f"{'mode':11} {'seconds':>8} {'peak RSS':>10} {'x limit':>8}  outcome")
    for mode in args.modes.split(","):
        path = files["clean"] if mode == "clean" else files["bad"]
        r = measure(mode, path, files["accounts"], args.memory_limit)
        outcome = {k: v for k, v in r.items() if k not in ("seconds", "peak_mb")}
        limit = _mb(args.memory_limit)
        ratio = f"{float(r['peak_mb']) / limit:.2f}" if limit else "-"  # type: ignore[arg-type]
        print(
            f"{mode:11} {r['seconds']:>8.1f} {r['peak_mb']:>8,.0f}MB {ratio:>8}  {outcome}",
            flush=True,
        )
    print(f"load average after: {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
