"""Benchmark: copying the store to PostgreSQL and Spark, against the engines' own bulk loads.

    python benchmarks/engines.py                     # socialnet7 (4.5M events), both engines
    python benchmarks/engines.py --engines postgres  # or spark
    python benchmarks/engines.py --no-metrics        # copies only
    python benchmarks/engines.py --store /tmp/engines/socialnet7.duckdb   # a store built before
    python benchmarks/engines.py --engines spark --synthetic 20000000      # Spark at scale

Imports ../shared/data/socialnet7 into benchmarks/_data/socialnet7.duckdb once (reused; or
--store names one), then prints, per engine:
  copy         healthscore's copy_store_to, whole (a fresh engine schema / Parquet folder);
               PostgreSQL's tables are UNLOGGED (the default), and once more logged;
  floor        PostgreSQL: a plain server-side `COPY … FROM 'file' CSV` of the same rows into
               an ordinary (logged) table, from a CSV that DuckDB wrote beforehand (not
               timed), and the same into an UNLOGGED table; Spark: `spark.read.parquet` of
               the same Parquet, every column of every row, into the "noop" sink (a count
               alone reads only the files' footers);
  unchanged    a second copy with nothing imported since (manifest check only);
  append       a copy after one more day of events was imported (only the new rows travel);
  metrics      compute_metrics for one as_of on the engine, and on the embedded store.
--synthetic N builds benchmarks/metrics_snapshot.py's synthetic store with N events (1 per
20 accounts... see there) under /tmp and runs the Spark steps on it.
Peak RSS of this process and of its children (Spark's JVM) is printed at the end.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import shutil
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent
DATA = ROOT.parent.parent / "shared" / "data" / "socialnet7"
STORE = ROOT / "_data" / "socialnet7.duckdb"
PG_URL = os.environ.get("HEALTHSCORE_TEST_POSTGRES", "postgresql://postgres@127.0.0.1:5432/test")


def clock() -> float:
    return time.perf_counter()


def load() -> str:
    return f"load {os.getloadavg()[0]:.1f}"


class PeakRss:
    """Samples the RSS of this process plus its descendants (Spark's JVM) twice a second."""

    def __init__(self) -> None:
        self.peak = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    @staticmethod
    def _tree_rss(root: int) -> int:
        children: dict[int, list[int]] = {}
        rss: dict[int, int] = {}
        for entry in os.listdir("/proc"):
            if not entry.isdigit():
                continue
            try:
                with open(f"/proc/{entry}/stat") as f:
                    parts = f.read().rsplit(")", 1)[1].split()
            except OSError:
                continue
            pid, ppid = int(entry), int(parts[1])
            children.setdefault(ppid, []).append(pid)
            rss[pid] = int(parts[21]) * os.sysconf("SC_PAGE_SIZE")
        total, todo = 0, [root]
        while todo:
            pid = todo.pop()
            total += rss.get(pid, 0)
            todo.extend(children.get(pid, []))
        return total

    def _run(self) -> None:
        while not self._stop.wait(0.5):
            self.peak = max(self.peak, self._tree_rss(os.getpid()))

    def stop(self) -> int:
        self._stop.set()
        self._thread.join()
        return self.peak


def build_store(path: Path) -> None:
    from healthscore.ingest import import_churnsim
    from healthscore.store import open_store

    if path.exists():
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    t = clock()
    with open_store(path) as store:
        import_churnsim(store, DATA)
    print(f"built {path.name} in {clock() - t:.1f} s")


def build_synthetic(n_events: int) -> Path:
    sys.path.insert(0, str(ROOT))
    from metrics_snapshot import generate  # type: ignore[import-not-found]

    n_accounts = max(1000, n_events // 1000)
    path = Path(tempfile.gettempdir()) / "engines" / f"synthetic_{n_events}.duckdb"
    if not path.exists():
        t = clock()
        generate(path, n_accounts, n_events)
        print(f"built {path.name} ({n_accounts:,} accounts) in {clock() - t:.1f} s")
    return path


def as_of(store) -> dt.date:
    row = store.con.execute("SELECT max(event_time)::DATE FROM events").fetchone()
    return row[0]


def add_a_day(store) -> int:
    """One more day of events: the last day's rows again, a day later, with new ids."""
    day = as_of(store)
    before = store.count("events")
    store.con.execute(
        "INSERT INTO events SELECT hash(event_key, 'next'), event_id || '+1', account_id, "
        "user_id, event_time + INTERVAL 1 DAY, event_type, value, properties FROM events "
        f"WHERE event_time::DATE = DATE '{day}'"
    )
    return store.count("events") - before


def _pg_schema() -> tuple[str, str]:
    import psycopg

    schema = f"engines_bench_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(PG_URL, autocommit=True) as con:
        con.execute(f"CREATE SCHEMA {schema}")
    return schema, f"{PG_URL}{'&' if '?' in PG_URL else '?'}schema={schema}"


def _drop(schema: str) -> None:
    import psycopg

    with psycopg.connect(PG_URL, autocommit=True) as con:
        con.execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE")


def bench_postgres(source: Path, work: Path, metrics: bool) -> None:
    import psycopg

    from healthscore.metrics import compute_metrics
    from healthscore.store import open_store
    from healthscore.store.engines import connect_engine, copy_store_to

    schema, url = _pg_schema()
    logged_schema, logged_url = _pg_schema()
    copy = work / "store.duckdb"
    shutil.copyfile(source, copy)  # the append step writes; keep the cached store as is
    try:
        with open_store(copy) as store:
            n_events = store.count("events")
            backend = connect_engine(url, store)
            t = clock()
            report = copy_store_to(backend, store)
            full = clock() - t
            print(f"postgres copy (whole)      {full:7.2f} s  {report.rows_sent:,} rows  {load()}")
            for tc in report.tables:
                if tc.rows_sent:
                    print(f"    {tc.table:<14} {tc.seconds:7.2f} s  {tc.rows_sent:,} rows")
            ev = next(tc for tc in report.tables if tc.table == "events")

            logged = connect_engine(logged_url, store)
            t = clock()
            copy_store_to(logged, store, ["events"], unlogged=False)
            ev_logged = clock() - t
            logged.disconnect()
            print(f"postgres copy events, logged tables {ev_logged:7.2f} s  {load()}")

            # The floor: the same events as CSV (written by DuckDB, not timed), loaded by the
            # server itself with COPY FROM a file.
            csv = work / "events.csv"
            store.con.execute(
                "COPY (SELECT CAST(event_key AS DECIMAL(20,0)), event_id, account_id, user_id, "
                f"event_time, event_type, value, properties FROM events) TO '{csv}' (HEADER false)"
            )
            os.chmod(work, 0o755)
            os.chmod(csv, 0o644)
            floors = {}
            with psycopg.connect(PG_URL, autocommit=True) as con:
                for kind in ("", "UNLOGGED "):
                    name = f"{schema}.floor_{'unlogged' if kind else 'logged'}"
                    con.execute(
                        f"CREATE {kind}TABLE {name} (LIKE {schema}.events INCLUDING DEFAULTS)"
                    )
                    t = clock()
                    con.execute(f"COPY {name} FROM '{csv}' (FORMAT csv)")
                    floors[kind] = clock() - t
            print(
                f"postgres COPY FROM file    {floors['']:7.2f} s  {n_events:,} events, ordinary table; "
                f"{floors['UNLOGGED ']:.2f} s into an UNLOGGED one  {load()}"
            )
            print(
                f"    ratio: healthscore's events copy {ev.seconds:.2f} s = {ev.seconds / floors['']:.2f}x "
                f"the plain COPY FROM; {ev.seconds / floors['UNLOGGED ']:.2f}x the unlogged one; "
                f"logged copy {ev_logged / floors['']:.2f}x"
            )

            t = clock()
            copy_store_to(backend, store)
            print(f"postgres copy (unchanged)  {clock() - t:7.2f} s  {load()}")
            added = add_a_day(store)
            t = clock()
            report = copy_store_to(backend, store, ["events"])
            print(
                f"postgres copy (one day)    {clock() - t:7.2f} s  "
                f"{report.tables[0].mode}, {report.rows_sent:,} of {report.tables[0].rows_total:,} "
                f"rows ({added:,} new)  {load()}"
            )
            if metrics:
                day = as_of(store)
                t = clock()
                compute_metrics(store.ibis(), [day])
                local = clock() - t
                t = clock()
                compute_metrics(backend, [day])
                print(
                    f"metrics, one date          {clock() - t:7.2f} s on postgres; "
                    f"{local:.2f} s embedded  {load()}"
                )
            backend.disconnect()
    finally:
        _drop(schema)
        _drop(logged_schema)


def bench_spark(source: Path, work: Path, metrics: bool, *, append: bool = True) -> None:
    from healthscore.metrics import compute_metrics
    from healthscore.store import open_store
    from healthscore.store.engines import connect_engine, copy_store_to

    copy = work / "store.duckdb"
    if not copy.exists():
        shutil.copyfile(source, copy)
    with open_store(copy) as store:
        backend = connect_engine("spark-local", store)
        parquet = work / "parquet"
        t = clock()
        report = copy_store_to(backend, store, parquet_dir=parquet)
        full = clock() - t
        print(f"spark copy (whole)         {full:7.2f} s  {report.rows_sent:,} rows  {load()}")
        from pyspark.sql import SparkSession

        spark = SparkSession.builder.getOrCreate()
        t = clock()
        n = spark.read.parquet(str(parquet / "events")).count()
        counted = clock() - t
        # A count reads only the files' footers (row counts); the floor is a read of every
        # column of every row, into Spark's "noop" sink (it discards what it is given).
        t = clock()
        spark.read.parquet(str(parquet / "events")).write.format("noop").mode("overwrite").save()
        floor = clock() - t
        ev = next(tc for tc in report.tables if tc.table == "events")
        t = clock()
        spark.table("events").count()
        view = clock() - t
        print(
            f"spark read.parquet, every column {floor:7.2f} s  {n:,} events  "
            f"(events copy = {ev.seconds:.2f} s, {ev.seconds / floor:.2f}x; a count of the "
            f"files {counted:.2f} s, of the copied view {view:.2f} s)  {load()}"
        )
        t = clock()
        copy_store_to(backend, store, parquet_dir=parquet)
        print(f"spark copy (unchanged)     {clock() - t:7.2f} s  {load()}")
        if append:
            add_a_day(store)
            t = clock()
            report = copy_store_to(backend, store, ["events"], parquet_dir=parquet)
            print(
                f"spark copy (one day)       {clock() - t:7.2f} s  {report.tables[0].mode}, "
                f"{report.rows_sent:,} rows  {load()}"
            )
        if metrics:
            day = as_of(store)
            t = clock()
            compute_metrics(backend, [day])
            print(f"metrics, one date          {clock() - t:7.2f} s on spark local[2]  {load()}")
            t = clock()
            compute_metrics(store.ibis(), [day])
            print(f"metrics, one date          {clock() - t:7.2f} s embedded  {load()}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--engines", default="postgres,spark")
    parser.add_argument("--no-metrics", action="store_true")
    parser.add_argument("--store", type=Path, default=STORE, help="a socialnet7 store to reuse")
    parser.add_argument("--synthetic", type=int, help="Spark on a synthetic store of N events")
    args = parser.parse_args()
    print(f"python {platform.python_version()}, {os.cpu_count()} cores, {load()}")
    peak = PeakRss()
    if args.synthetic:
        source = build_synthetic(args.synthetic)
    else:
        source = args.store
        build_store(source)
    with tempfile.TemporaryDirectory(prefix="hs-engines-") as tmp:
        work = Path(tmp)
        for engine in args.engines.split(","):
            if engine == "postgres":
                bench_postgres(source, work, not args.no_metrics)
            else:
                bench_spark(source, work, not args.no_metrics, append=not args.synthetic)
    print(f"peak RSS {peak.stop() / 2**20:,.0f} MiB (this process and Spark's JVM)")


if __name__ == "__main__":
    sys.exit(main())
