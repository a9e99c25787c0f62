"""Benchmark: `import --update` of a daily ticket export into a store that holds the history.

    python benchmarks/import_update.py [--tickets 1000000] [--changed 0.05] [--new 0.01]

A help desk re-exports its recent tickets every day: most are unchanged, some were resolved
since, a few are new. This imports `--tickets` tickets, then an export holding every stored
ticket again (a worst case: a full re-export) in which `--changed` of them were resolved
since and `--new` are new, once skipping stored keys (the default) and once with `update`.
Each import runs in a fresh process on a copy of the loaded store; the figures are wall
time and the child's peak RSS. Files go to benchmarks/_data/ (gitignored).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import shutil
import subprocess
import sys
import time
from pathlib import Path

import duckdb

HERE = Path(__file__).resolve().parent
DATA = HERE / "_data"
N_ACCOUNTS = 10_000


def generate(n: int, changed: float, new: float) -> dict[str, Path]:
    DATA.mkdir(exist_ok=True)
    tag = f"{n}_{changed}_{new}"
    files = {
        "accounts": DATA / "update_accounts.csv",
        "first": DATA / f"tickets_first_{n}.csv",
        "later": DATA / f"tickets_later_{tag}.csv",
    }
    con = duckdb.connect()
    con.execute(
        f"COPY (SELECT 'acct-' || i AS account_id FROM range({N_ACCOUNTS}) t(i)) "
        f"TO '{files['accounts']}' (HEADER)"
    )
    rows = (
        "SELECT 'T' || i AS ticket_id, 'acct-' || (hash(i) % {na}) AS account_id, "
        "TIMESTAMP '2024-01-01' + to_seconds(CAST(hash(i, 1) % 31536000 AS BIGINT)) AS opened_at, "
        "{resolved} AS resolved_at, ['low','normal','high','urgent'][1 + CAST(i % 4 AS INTEGER)] "
        "AS priority, ['bug','how-to','billing'][1 + CAST(i % 3 AS INTEGER)] AS category, "
        "{status} AS status FROM range({n}) t(i)"
    )
    open_ = {"resolved": "CAST(NULL AS TIMESTAMP)", "status": "'open'"}
    con.execute(f"COPY ({rows.format(na=N_ACCOUNTS, n=n, **open_)}) TO '{files['first']}' (HEADER)")
    cut = int(n * changed)
    later = {
        "resolved": f"CASE WHEN i < {cut} THEN opened_at + INTERVAL 2 DAY END",
        "status": f"CASE WHEN i < {cut} THEN 'resolved' ELSE 'open' END",
    }
    total = n + int(n * new)
    con.execute(
        f"COPY ({rows.format(na=N_ACCOUNTS, n=total, **later)}) TO '{files['later']}' (HEADER)"
    )
    return files


def child(store_path: str, kind: str, file: str, update: bool) -> None:
    from healthscore.ingest import import_files
    from healthscore.store import open_store

    store = open_store(store_path)
    t0 = time.perf_counter()
    r = import_files(store, kind, [file], update=update)
    wall = time.perf_counter() - t0
    store.close()
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024**2
    print(
        json.dumps(
            {
                "wall_s": round(wall, 2),
                "peak_rss_gb": round(rss, 2),
                "read": r.rows_read,
                "new": r.rows_inserted,
                "updated": r.rows_updated,
                "unchanged": r.rows_duplicate,
            }
        )
    )


def run(store_path: Path, kind: str, file: Path, update: bool) -> dict[str, float]:
    out = subprocess.run(
        [sys.executable, __file__, "--child", str(store_path), kind, str(file), str(update)],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    return json.loads(out.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--tickets", type=int, default=1_000_000)
    ap.add_argument("--changed", type=float, default=0.05)
    ap.add_argument("--new", type=float, default=0.01)
    ap.add_argument("--child", nargs=4, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        path, kind, file, update = args.child
        child(path, kind, file, update == "True")
        return
    print(
        f"machine: {platform.machine()}, {os.cpu_count()} cores; python "
        f"{platform.python_version()}; duckdb {duckdb.__version__}",
        flush=True,
    )
    files = generate(args.tickets, args.changed, args.new)
    base = DATA / "update_base.duckdb"
    base.unlink(missing_ok=True)
    run(base, "accounts", files["accounts"], False)
    first = run(base, "tickets", files["first"], False)
    print(f"first import     {json.dumps(first)}", flush=True)
    for update in (False, True):
        copy = DATA / "update_copy.duckdb"
        shutil.copy(base, copy)
        res = run(copy, "tickets", files["later"], update)
        print(f"{'update' if update else 'skip stored':<16} {json.dumps(res)}", flush=True)
        copy.unlink()
    base.unlink()


if __name__ == "__main__":
    main()
