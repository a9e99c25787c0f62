"""Benchmark: the full metric set and scorecard on a synthetic portfolio, against a one-scan floor.

    python benchmarks/metrics_snapshot.py                      # 100k accounts, 100M events
    python benchmarks/metrics_snapshot.py --accounts 10000 --events 10000000
    python benchmarks/metrics_snapshot.py --phases floor,snapshot   # any subset

Generates a store under benchmarks/_data/ with DuckDB `range()` (reused when it exists),
then runs, each in a fresh subprocess so peak RSS is per phase (wall and CPU seconds each):
  floor          one hand-written DuckDB query: scan events once, per-account counts for
                 the same windows (7/28/90 days and the previous 7/28/90 days);
  metrics        compute_metrics for one as_of (every metric family), no scorecard;
  snapshot       metrics + the default scorecard for one as_of (compute_scores, in memory);
  backfill       metrics + scorecard for 12 (--weeks) weekly as_of dates: one metrics call, scored in
                 chunks of dates (score_chunks, in memory, nothing written);
  backfill-write healthscore's `score --backfill` path (scoring.backfill) over the same 12
                 dates on a temporary copy of the store: metrics, scorecard and every
                 snapshot, group and measure row written.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import resource
import subprocess
import sys
import time
from pathlib import Path

AS_OF = dt.date(2024, 6, 30)
HISTORY_DAYS = 365
EVENT_TYPES = [
    "login", "view_dashboard", "create_report", "export", "share", "comment",
    "search", "upload", "integration_sync", "api_call", "help_article", "invite_user",
]  # fmt: skip
USERS_PER_ACCOUNT = 20


def generate(path: Path, n_accounts: int, n_events: int) -> None:
    """Write the synthetic store with set-based DuckDB SQL (no Python loop over rows)."""
    from healthscore.store import open_store

    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp.duckdb")
    tmp.unlink(missing_ok=True)
    store = open_store(tmp)
    con = store.con
    start = AS_OF - dt.timedelta(days=HISTORY_DAYS - 1)
    secs = HISTORY_DAYS * 86400
    types = "[" + ", ".join(f"'{t}'" for t in EVENT_TYPES) + "]"
    na = n_accounts

    def acc(expr: str) -> str:
        return f"'acc' || lpad(CAST({expr} AS VARCHAR), 7, '0')"

    con.execute(f"""
        INSERT INTO accounts (account_id, segment, seats_purchased, start_date, renewal_date, mrr)
        SELECT {acc("i")}, ['smb','mid','ent'][1 + i % 3], 5 + i % 50,
               DATE '{start}' - CAST(i % 700 AS INTEGER),
               DATE '{AS_OF}' + CAST(1 + i % 365 AS INTEGER), 100 + i % 900
        FROM range({na}) t(i)""")
    con.execute(f"""
        INSERT INTO subscriptions (subscription_id, account_id, product, start_date, end_date, mrr, quantity)
        SELECT 's' || i, {acc("i % " + str(na))}, 'core',
               DATE '{start}' - CAST(i % 700 AS INTEGER) + CAST((i // {na}) * 200 AS INTEGER),
               CASE WHEN i % 7 = 0 THEN DATE '{AS_OF}' - CAST(i % 120 AS INTEGER) END,
               50 + (i * 37) % 500, 5 + i % 50
        FROM range({na * 3 // 2}) t(i)""")
    feats = ", ".join(
        f"('{t}', '{'login' if t == 'login' else 'help' if t == 'help_article' else 'high_impact' if t in ('export', 'integration_sync') else 'core'}', {str(t == 'create_report').lower()})"
        for t in EVENT_TYPES
    )
    con.execute(f"INSERT INTO features (feature, category, first_value) VALUES {feats}")
    # Events: skewed activity per account, spread over the year, 12 types, 20 users per account.
    con.execute(f"""
        INSERT INTO events (event_key, account_id, user_id, event_time, event_type)
        SELECT i, {acc(f"(hash(i) % {na})")},
               'u' || ((hash(i) % {na}) * {USERS_PER_ACCOUNT} + hash(i + 7) % {USERS_PER_ACCOUNT}),
               TIMESTAMP '{start}' + to_seconds(CAST(hash(i * 3 + 1) % {secs} AS BIGINT)),
               {types}[1 + CAST(hash(i * 5 + 2) % {len(EVENT_TYPES)} AS INTEGER)]
        FROM range({n_events}) t(i)""")
    nt = na * 10
    con.execute(f"""
        INSERT INTO tickets (ticket_id, account_id, opened_at, first_response_at, resolved_at,
                             priority, category, csat, escalated)
        SELECT 't' || i, {acc(f"hash(i) % {na}")}, o, o + to_seconds(CAST(600 + hash(i+1) % 86400 AS BIGINT)),
               CASE WHEN i % 10 <> 0 THEN o + to_seconds(CAST(3600 + hash(i+2) % 604800 AS BIGINT)) END,
               ['low','normal','high','urgent'][1 + CAST(i % 4 AS INTEGER)],
               ['bug','how-to','billing','feature-request','access','other'][1 + CAST(i % 6 AS INTEGER)],
               CASE WHEN i % 3 = 0 THEN 1 + i % 5 END, i % 17 = 0
        FROM (SELECT i, TIMESTAMP '{start}' + to_seconds(CAST(hash(i * 11) % {secs} AS BIGINT)) AS o
              FROM range({nt}) t(i))""")
    con.execute(f"""
        INSERT INTO surveys (response_id, account_id, survey_type, sent_at, responded_at, score)
        SELECT 'r' || i, {acc(f"hash(i) % {na}")}, ['nps','csat'][1 + CAST(i % 2 AS INTEGER)], s,
               CASE WHEN i % 3 <> 0 THEN s + INTERVAL 2 DAY END,
               CASE WHEN i % 3 <> 0 THEN CASE WHEN i % 2 = 0 THEN i % 11 ELSE 1 + i % 5 END END
        FROM (SELECT i, TIMESTAMP '{start}' + to_seconds(CAST(hash(i * 13) % {secs} AS BIGINT)) AS s
              FROM range({na * 3}) t(i))""")
    con.execute(f"""
        INSERT INTO interactions (interaction_id, account_id, kind, occurred_at)
        SELECT 'i' || i, {acc(f"hash(i) % {na}")}, ['call','meeting','email','qbr'][1 + CAST(i % 4 AS INTEGER)],
               TIMESTAMP '{start}' + to_seconds(CAST(hash(i * 17) % {secs} AS BIGINT))
        FROM range({na * 5}) t(i)""")
    con.execute(f"""
        INSERT INTO judgements (judgement_id, account_id, measure, value, recorded_at)
        SELECT 'j' || i, {acc(f"hash(i) % {na}")}, ['relationship_quality','exec_sponsor_engaged'][1 + CAST(i % 2 AS INTEGER)],
               1 + i % 5, TIMESTAMP '{start}' + to_seconds(CAST(hash(i * 19) % {secs} AS BIGINT))
        FROM range({na * 2}) t(i)""")
    con.execute(f"""
        INSERT INTO engagement (engagement_id, account_id, kind, occurred_at)
        SELECT 'e' || i, {acc(f"hash(i) % {na}")},
               ['email_sent','email_sent','email_opened','email_clicked','event_attended','webinar_attended'][1 + CAST(i % 6 AS INTEGER)],
               TIMESTAMP '{start}' + to_seconds(CAST(hash(i * 23) % {secs} AS BIGINT))
        FROM range({na * 10}) t(i)""")
    con.execute(f"""
        INSERT INTO invoices (invoice_id, account_id, issued_date, due_date, paid_date, amount, failed_attempts)
        SELECT 'v' || i, {acc(f"i % {na}")}, d, d + 14,
               CASE WHEN i % 9 <> 0 THEN d + CAST(hash(i) % 40 AS INTEGER) END, 100, CAST(i % 4 = 0 AS INTEGER)
        FROM (SELECT i, DATE '{start}' + CAST((i // {na}) * 30 AS INTEGER) AS d FROM range({na * 12}) t(i))""")
    con.execute(f"""
        INSERT INTO milestones (milestone_id, account_id, title, due_date, completed_date)
        SELECT 'm' || i, {acc(f"hash(i) % {na}")}, 'm', d, CASE WHEN i % 3 <> 0 THEN d - CAST(i % 20 AS INTEGER) + 10 END
        FROM (SELECT i, DATE '{start}' + CAST(hash(i * 29) % {HISTORY_DAYS + 90} AS INTEGER) AS d
              FROM range({na * 3}) t(i))""")
    con.execute(f"""
        INSERT INTO advocacy (advocacy_id, account_id, kind, occurred_at)
        SELECT 'a' || i, {acc(f"hash(i) % {na}")}, ['referral','review','case_study'][1 + CAST(i % 3 AS INTEGER)],
               TIMESTAMP '{start}' + to_seconds(CAST(hash(i * 31) % {secs} AS BIGINT))
        FROM range({na // 2}) t(i)""")
    con.execute("CHECKPOINT")
    store.close()
    tmp.rename(path)


FLOOR_SQL = """
SELECT account_id,
  {cols}
FROM events
WHERE event_time >= TIMESTAMP '{lo}' AND event_time < TIMESTAMP '{hi}'
GROUP BY account_id
"""


def floor_query(as_of: dt.date, windows: tuple[int, ...]) -> str:
    end = as_of + dt.timedelta(days=1)
    cols = []
    for w in windows:
        s, p = end - dt.timedelta(days=w), end - dt.timedelta(days=2 * w)
        cols.append(f"count(*) FILTER (WHERE event_time >= TIMESTAMP '{s}') AS n{w}")
        cols.append(
            f"count(*) FILTER (WHERE event_time >= TIMESTAMP '{p}' AND event_time < TIMESTAMP '{s}') AS p{w}"
        )
    lo = end - dt.timedelta(days=2 * max(windows))
    return FLOOR_SQL.format(cols=",\n  ".join(cols), lo=lo, hi=end)


def run_phase(
    phase: str, path: Path, threads: int, memory_limit: str | None, weeks: int = 12
) -> dict[str, float]:
    """One measured phase in this (fresh) process."""
    from healthscore.metrics import compute_metrics
    from healthscore.scoring.run import backfill, compute_scores, resolve_scorecard, score_chunks
    from healthscore.store import open_store

    if phase == "backfill-write":  # writes: work on a throw-away copy of the store
        import shutil
        import tempfile

        copy = Path(tempfile.mkdtemp(dir=path.parent)) / path.name
        shutil.copy(path, copy)
        path = copy
    store = open_store(path, read_only=phase != "backfill-write")
    store.con.execute(f"SET threads = {threads}")
    # Let DuckDB's allocator return freed memory to the OS in the background: otherwise the
    # memory of a finished big aggregate stays in this process's RSS while pandas works.
    store.con.execute("SET allocator_background_threads = true")
    if memory_limit:
        # DuckDB otherwise sizes its buffers to 80 % of RAM; a limit makes it spill instead.
        store.con.execute(f"SET memory_limit = '{memory_limit}'")
    t0, cpu0 = time.perf_counter(), _cpu_seconds()
    dates = [AS_OF - dt.timedelta(days=7 * k) for k in range(weeks)]
    if phase == "floor":
        rows = len(store.con.execute(floor_query(AS_OF, (7, 28, 90))).fetchall())
        cols = 6
    elif phase == "metrics":
        df = compute_metrics(store.ibis(), [AS_OF])
        rows, cols = df.shape
    elif phase == "snapshot":
        frames, _ = compute_scores(store, [AS_OF])
        rows, cols = len(frames.snapshots), len(frames.measures)
    elif phase == "backfill":
        run = score_chunks(store, dates, resolve_scorecard(None))
        rows = cols = 0
        for frames in run.chunks:  # each chunk scored, then dropped
            rows, cols = rows + len(frames.snapshots), cols + len(frames.measures)
    elif phase == "backfill-write":
        result = backfill(store, dates[-1], dates[0], 7)
        rows = sum(store.count(t) for t in ("score_snapshots",))
        cols = store.count("score_measures")
        assert len(result.dates) == len(dates)
    else:
        raise SystemExit(f"unknown phase {phase}")
    wall, cpu = time.perf_counter() - t0, _cpu_seconds() - cpu0
    if phase == "backfill-write":
        store.close()
        import shutil

        shutil.rmtree(path.parent)
    rss_gb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024**2
    sizes = (
        {"rows": rows, "cols": cols}
        if phase in ("floor", "metrics")
        else {"snapshots": rows, "measure_rows": cols}
    )
    return {
        "wall_s": round(wall, 2),
        "cpu_s": round(cpu, 2),
        "peak_rss_gb": round(rss_gb, 2),
        **sizes,
    }


def _cpu_seconds() -> float:
    """User + system CPU time of this process, all threads (DuckDB's included): on a shared
    machine it moves far less with other people's load than wall time does."""
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--accounts", type=int, default=100_000)
    ap.add_argument("--events", type=int, default=100_000_000)
    ap.add_argument("--threads", type=int, default=os.cpu_count() or 2)
    ap.add_argument("--phases", default="floor,metrics,snapshot,backfill,backfill-write")
    ap.add_argument("--memory-limit", default=None, help="DuckDB memory_limit, e.g. 5GB")
    ap.add_argument("--weeks", type=int, default=12, help="weekly as_of dates in a backfill")
    ap.add_argument("--phase", help=argparse.SUPPRESS)
    ap.add_argument("--db", type=Path, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.phase:
        print(
            json.dumps(run_phase(args.phase, args.db, args.threads, args.memory_limit, args.weeks))
        )
        return
    data = Path(__file__).parent / "_data"
    path = data / f"metrics_{args.accounts}a_{args.events}e.duckdb"
    if not path.exists():
        t0 = time.perf_counter()
        generate(path, args.accounts, args.events)
        print(f"generated {path} in {time.perf_counter() - t0:.1f}s", flush=True)
    print(
        f"machine: {platform.machine()}, {os.cpu_count()} cores, "
        f"{os.sysconf('SC_PAGE_SIZE') * os.sysconf('SC_PHYS_PAGES') / 1024**3:.1f} GiB; "
        f"python {platform.python_version()}; threads={args.threads}; "
        f"memory_limit={args.memory_limit or 'DuckDB default (80% of RAM)'}; "
        "allocator_background_threads=true",
        flush=True,
    )
    results = {}
    for phase in args.phases.split(","):
        out = subprocess.run(
            [sys.executable, __file__, "--phase", phase, "--db", str(path),
             "--threads", str(args.threads), "--weeks", str(args.weeks),
             *(["--memory-limit", args.memory_limit] if args.memory_limit else [])],
            check=True, capture_output=True, text=True,
        )  # fmt: skip
        results[phase] = json.loads(out.stdout.strip().splitlines()[-1])
        print(f"{phase:9s} {json.dumps(results[phase])}", flush=True)
    for a, b in (("metrics", "floor"), ("snapshot", "floor"), ("backfill", "snapshot")):
        if a in results and b in results:
            print(f"{a} / {b} = {results[a]['wall_s'] / results[b]['wall_s']:.2f}x")
    if "backfill-write" in results and "snapshot" in results:
        ratio = results["backfill-write"]["wall_s"] / results["snapshot"]["wall_s"]
        print(f"backfill-write / snapshot = {ratio:.2f}x")


if __name__ == "__main__":
    main()
