"""Benchmark: what single hand-written DuckDB queries cost on the metrics benchmark store.

    python benchmarks/metrics_query_costs.py        # needs the store metrics_snapshot.py made

Why: the snapshot target is "within 3x the floor", where the floor counts events per account
for the 7/28/90-day windows.  The metric set needs per-type counts, distinct active days and
distinct active users too.  This prints, for the same as_of, the floor and the cheapest
hand-written query for each of those shapes, so the gap between the floor and
compute_metrics can be read as "engine work any implementation must do" versus overhead.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import time
from pathlib import Path

import duckdb

AS_OF = dt.date(2024, 6, 30)


def queries(as_of: dt.date) -> dict[str, str]:
    end = as_of + dt.timedelta(days=1)

    def ts(days_back: int) -> str:
        return f"TIMESTAMP '{end - dt.timedelta(days=days_back)}'"

    recent = f"event_time >= {ts(180)} AND event_time < {ts(0)}"
    counts = []
    for w in (7, 28, 90):
        counts.append(f"count(*) FILTER (WHERE event_time >= {ts(w)})")
        counts.append(f"count(*) FILTER (WHERE event_time >= {ts(2 * w)} AND event_time < {ts(w)})")
    seg = (
        f"CASE WHEN event_time >= {ts(28)} THEN (CASE WHEN event_time >= {ts(7)} THEN 0 "
        f"WHEN event_time >= {ts(14)} THEN 1 ELSE 2 END) ELSE (CASE WHEN event_time >= {ts(56)} "
        f"THEN 3 WHEN event_time >= {ts(90)} THEN 4 ELSE 5 END) END"
    )
    # Day number relative to as_of (0 = as_of), for weekly bins and day bitmaps.
    rel = f"(DATE '{as_of}' - CAST(event_time AS DATE))"
    weeks = [f"count(*) FILTER (WHERE {rel} >= {7 * k} AND {rel} < {7 * k + 7})" for k in range(12)]
    bitmaps = [
        f"bit_or(CASE WHEN {rel} >= {62 * k} AND {rel} < {62 * k + 62} "
        f"THEN 1::BIGINT << CAST({rel} - {62 * k} AS INTEGER) ELSE 0::BIGINT END)"
        for k in range(3)
    ]
    return {
        "floor: per account, 6 window counts (180 days)": (
            f"SELECT account_id, {', '.join(counts)} FROM events WHERE {recent} GROUP BY 1"
        ),
        "per account, count only (all history)": (
            f"SELECT account_id, count(*) FROM events WHERE event_time < {ts(0)} GROUP BY 1"
        ),
        "per (account, type), count only (180 days)": (
            f"SELECT account_id, event_type, count(*) FROM events WHERE {recent} GROUP BY 1, 2"
        ),
        "per (account, type), 5 filtered counts, one per window bound (180 days)": (
            "SELECT account_id, event_type, count(*), "
            + ", ".join(
                f"count(*) FILTER (WHERE event_time >= {ts(w)})" for w in (7, 14, 28, 56, 90)
            )
            + f" FROM events WHERE {recent} GROUP BY 1, 2"
        ),
        "per (account, type, window segment), count (180 days)": (
            f"SELECT account_id, event_type, {seg} AS s, count(*) FROM events "
            f"WHERE {recent} GROUP BY 1, 2, 3"
        ),
        "per account, 6 window counts x 12 types as FILTERs (180 days)": (
            "SELECT account_id, "
            + ", ".join(
                c.replace("FILTER (WHERE ", f"FILTER (WHERE event_type = '{t}' AND ")
                for t in _types()
                for c in counts
            )
            + f" FROM events WHERE {recent} GROUP BY 1"
        ),
        "one per-account query: 6 window counts, 12 weekly counts, 3 day bitmaps, first/last (180 days)": (
            f"SELECT account_id, min(event_time), max(event_time), "
            f"{', '.join(counts + weeks + bitmaps)} FROM events WHERE {recent} GROUP BY 1"
        ),
        "active days: COUNT(DISTINCT day) per (account, window segment) (180 days)": (
            f"SELECT account_id, {seg} AS s, count(DISTINCT CAST(event_time AS DATE)) "
            f"FROM events WHERE {recent} GROUP BY 1, 2"
        ),
        "active users: distinct (account, user) (90 days)": (
            f"SELECT DISTINCT account_id, user_id FROM events "
            f"WHERE event_time >= {ts(90)} AND event_time < {ts(0)}"
        ),
        "active users: COUNT(DISTINCT user) per account, one per window (180 days)": (
            "SELECT account_id, "
            + ", ".join(
                f"count(DISTINCT user_id) FILTER (WHERE event_time >= {ts(w)})" for w in (7, 28, 90)
            )
            + f" FROM events WHERE {recent} GROUP BY 1"
        ),
        "first and last activity before the windows, per account (older than 180 days)": (
            f"SELECT account_id, min(event_time), max(event_time) FROM events "
            f"WHERE event_time < {ts(180)} GROUP BY 1"
        ),
        "one scan, three GROUPING SETS: (account, week), (account, type), (account, user)": (
            f"SELECT account_id, event_type, user_id, {rel} // 7 AS wk, count(*), "
            f"bit_or(1::BIGINT << CAST({rel} % 62 AS INTEGER)) FROM events WHERE {recent} "
            "GROUP BY GROUPING SETS ((account_id, wk), (account_id, event_type), (account_id, user_id))"
        ),
    }


# The cheapest query above for each shape the metric list cannot do without: window counts
# (the floor itself), per-type counts (breadth, depth, underused features), distinct active
# users, and first activity over the whole history (tenure, days since last activity).
LOWER_BOUND = (
    "floor: per account, 6 window counts (180 days)",
    "per (account, type), count only (180 days)",
    "active users: distinct (account, user) (90 days)",
    "first and last activity before the windows, per account (older than 180 days)",
)


def _types() -> list[str]:
    return [
        "login", "view_dashboard", "create_report", "export", "share", "comment",
        "search", "upload", "integration_sync", "api_call", "help_article", "invite_user",
    ]  # fmt: skip


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    default = Path(__file__).parent / "_data" / "metrics_100000a_100000000e.duckdb"
    ap.add_argument("--db", type=Path, default=default)
    ap.add_argument("--threads", type=int, default=os.cpu_count() or 2)
    args = ap.parse_args()
    if not args.db.exists():
        raise SystemExit(f"{args.db} not found: run benchmarks/metrics_snapshot.py first")
    con = duckdb.connect(str(args.db), read_only=True)
    con.execute(f"SET threads = {args.threads}")
    print(
        f"machine: {platform.machine()}, {os.cpu_count()} cores; duckdb {duckdb.__version__}; "
        f"threads={args.threads}; store={args.db.name}",
        flush=True,
    )
    took: dict[str, float] = {}
    for name, sql in queries(AS_OF).items():
        t0 = time.perf_counter()
        rows = len(con.execute(sql).fetchall())
        took[name] = time.perf_counter() - t0
        print(f"{took[name]:7.2f} s  {rows:>10,} rows  {name}", flush=True)
    bound = sum(took[name] for name in LOWER_BOUND)
    floor = took[LOWER_BOUND[0]]
    print(
        f"{bound:7.2f} s  lower bound of the usage family's engine work: the cheapest query for "
        f"each shape it needs, summed ({bound / floor:.1f}x the floor, before active days, "
        "other families and scoring)",
        flush=True,
    )
    # The usage family's own queries, as compute_metrics generates them for this date: their
    # sum is the engine's share of a snapshot (the rest is other families and numpy).
    con.close()
    from healthscore.metrics.compute import metric_sql
    from healthscore.store import open_store

    store = open_store(args.db, read_only=True)
    store.con.execute(f"SET threads = {args.threads}")
    own = metric_sql(store.ibis(), [AS_OF])["usage"].split("-- next query")
    total = 0.0
    for k, sql in enumerate(own, 1):
        t0 = time.perf_counter()
        rows = len(store.con.execute(sql).fetchall())
        took = time.perf_counter() - t0
        total += took
        print(
            f"{took:7.2f} s  {rows:>10,} rows  compute_metrics usage query {k} of {len(own)}",
            flush=True,
        )
    print(f"{total:7.2f} s  usage queries together", flush=True)


if __name__ == "__main__":
    main()
