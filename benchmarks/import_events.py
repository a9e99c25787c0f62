"""Import benchmark: 10 million synthetic usage events, CSV and Parquet, ours vs. the floor.

    python benchmarks/import_events.py [--rows 10000000] [--memory-limit 1.5GB]

Generates the files with DuckDB into benchmarks/_data/ (gitignored, reused when present),
then, for each format, runs in a fresh subprocess each:

* **ours**: `healthscore.ingest.import_files(store, "events", [file])` into a fresh store
  that already holds the accounts (validation, references, keys, dedupe, one transaction);
* **append**: the same, into a store whose events table is not empty, so rows whose key is
  already stored must be found and skipped;
* **floor**: plain DuckDB `CREATE TABLE t AS SELECT * FROM read_csv(...)/read_parquet(...)`
  into a fresh database file — the fastest anything could load the file.

It prints rows/s, the child's peak RSS (ru_maxrss via os.wait4) and ours/floor throughput.
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


def generate(rows: int) -> dict[str, Path]:
    """Write accounts.csv, events.csv and events.parquet (skipped when already there)."""
    DATA.mkdir(exist_ok=True)
    files = {
        "accounts": DATA / "accounts.csv",
        "csv": DATA / f"events_{rows}.csv",
        "parquet": DATA / f"events_{rows}.parquet",
    }
    con = duckdb.connect()
    if not files["accounts"].exists():
        con.execute(
            f"COPY (SELECT 'acct-' || i AS account_id, 'Account ' || i AS name "
            f"FROM range({N_ACCOUNTS}) t(i)) TO '{files['accounts']}' (HEADER)"
        )
    types = "[" + ", ".join(f"'{t}'" for t in EVENT_TYPES) + "]"
    events = (
        f"SELECT 'acct-' || (hash(i) % {N_ACCOUNTS}) AS account_id, "
        f"'u' || (hash(i, 1) % 50) AS user_id, "
        f"TIMESTAMP '2024-01-01' + to_microseconds(CAST(hash(i, 2) % 31536000000000 AS BIGINT)) "
        f"AS event_time, {types}[1 + CAST(hash(i, 3) % {len(EVENT_TYPES)} AS INTEGER)] "
        f"AS event_type, CASE WHEN i % 4 = 0 THEN round((hash(i, 4) % 100000) / 100.0, 2) END "
        f"AS value FROM range({rows}) t(i)"
    )
    if not files["csv"].exists():
        con.execute(
            f"COPY ({events}) TO '{files['csv']}' (HEADER, TIMESTAMPFORMAT '%Y-%m-%dT%H:%M:%S.%fZ')"
        )
    if not files["parquet"].exists():
        con.execute(f"COPY ({events}) TO '{files['parquet']}' (FORMAT parquet)")
    return files


def child(mode: str, path: Path, db: Path, accounts: Path, memory_limit: str) -> None:
    """One measured import, run in its own process so its peak RSS is its own."""
    if mode == "floor":
        con = duckdb.connect(str(db))
        con.execute(f"SET memory_limit = '{memory_limit}'")
        reader = "read_parquet" if path.suffix == ".parquet" else "read_csv"
        t0 = time.perf_counter()
        con.execute(f"CREATE TABLE events AS SELECT * FROM {reader}('{path}')")
        rows = con.execute("SELECT count(*) FROM events").fetchone()[0]  # type: ignore[index]
        con.close()
    else:
        from healthscore.ingest import import_files
        from healthscore.store import open_store

        store = open_store(db)
        store.con.execute(f"SET memory_limit = '{memory_limit}'")
        import_files(store, "accounts", [accounts])
        if mode == "append":
            # A non-empty events table: the import must skip already-stored keys.
            seed = db.with_suffix(".seed.csv")
            seed.write_text("account_id,event_time,event_type\nacct-1,2023-01-01,login\n")
            import_files(store, "events", [seed])
            seed.unlink()
        t0 = time.perf_counter()
        report = import_files(store, "events", [path])
        rows = report.rows_inserted
        store.close()
    elapsed = time.perf_counter() - t0
    print(json.dumps({"rows": rows, "seconds": elapsed}))


def measure(mode: str, path: Path, accounts: Path, memory_limit: str) -> dict[str, float]:
    db = DATA / f"bench_{mode}_{path.suffix.lstrip('.')}.duckdb"
    for p in (db, Path(str(db) + ".wal")):
        p.unlink(missing_ok=True)
    cmd = [
        sys.executable,
        __file__,
        "--child",
        mode,
        str(path),
        str(db),
        str(accounts),
        memory_limit,
    ]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True)
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    out = proc.stdout.read() if proc.stdout else ""
    if proc.returncode != 0:
        raise SystemExit(f"{mode} {path.name} failed with exit code {proc.returncode}")
    result = json.loads(out.strip().splitlines()[-1])
    peak_mb = usage.ru_maxrss / 1024  # Linux reports KiB
    for p in (db, Path(str(db) + ".wal")):
        p.unlink(missing_ok=True)
    return {
        "rows": result["rows"],
        "seconds": result["seconds"],
        "rows_per_s": result["rows"] / result["seconds"],
        "peak_mb": peak_mb,
    }


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        mode, path, db, accounts, limit = sys.argv[2:7]
        child(mode, Path(path), Path(db), Path(accounts), limit)
        return
    ap = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    ap.add_argument("--rows", type=int, default=10_000_000)
    ap.add_argument("--memory-limit", default="1.5GB")
    ap.add_argument("--formats", default="csv,parquet")
    args = ap.parse_args()
    t0 = time.perf_counter()
    files = generate(args.rows)
    print(f"data ready in {time.perf_counter() - t0:.1f}s: ", end="")
    print(", ".join(f"{f.name} {f.stat().st_size / 1e6:,.0f} MB" for f in files.values()))
    mem = psutil.virtual_memory().total / 2**30
    print(
        f"machine: {platform.machine()}, {os.cpu_count()} cores, {mem:.0f} GiB RAM, "
        f"Python {platform.python_version()}, duckdb {duckdb.__version__}, "
        f"memory_limit {args.memory_limit}"
    )
    print(
        f"{'format':8} {'what':6} {'rows':>12} {'seconds':>8} {'rows/s':>12} "
        f"{'peak RSS':>9} {'vs floor':>8}"
    )
    for fmt in args.formats.split(","):
        floor = measure("floor", files[fmt], files["accounts"], args.memory_limit)
        ours = measure("ours", files[fmt], files["accounts"], args.memory_limit)
        append = measure("append", files[fmt], files["accounts"], args.memory_limit)
        for what, r in (("floor", floor), ("ours", ours), ("append", append)):
            ratio = r["rows_per_s"] / floor["rows_per_s"]
            print(
                f"{fmt:8} {what:6} {r['rows']:>12,} {r['seconds']:>8.1f} "
                f"{r['rows_per_s']:>12,.0f} {r['peak_mb']:>7,.0f}MB {ratio:>8.2f}",
                flush=True,
            )


if __name__ == "__main__":
    main()
