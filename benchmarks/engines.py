"""Benchmark: copying the store to PostgreSQL and Spark, against the engines' own bulk loads.

    python benchmarks/engines.py                     # socialnet7 (4.5M events), both engines
    python benchmarks/engines.py --engines postgres  # or spark
    python benchmarks/engines.py --no-metrics        # copies only

Imports ../shared/data/socialnet7 into benchmarks/_data/socialnet7.duckdb once (reused), then
prints, per engine:
  copy         healthscore's copy_store_to, whole (a fresh engine schema / Parquet folder);
  floor        PostgreSQL: a plain server-side `COPY … FROM 'file' CSV` of the same rows, from
               a CSV that DuckDB wrote beforehand (not timed); Spark: `spark.read.parquet` of
               the same Parquet, counted (so every file is read);
  unchanged    a second copy with nothing imported since (manifest check only);
  append       a copy after one more day of events was imported (only the new rows travel);
  metrics      compute_metrics for one as_of on the engine, and on the embedded store.
Peak RSS of this process is printed at the end (the copy streams; it never holds a table).
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import resource
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent
DATA = ROOT.parent.parent / "shared" / "data" / "socialnet7"
STORE = ROOT / "_data" / "socialnet7.duckdb"
PG_URL = os.environ.get("HEALTHSCORE_TEST_POSTGRES", "postgresql://postgres@127.0.0.1:5432/test")


def clock() -> float:
    return time.perf_counter()


def build_store() -> None:
    from healthscore.ingest import import_churnsim
    from healthscore.store import open_store

    if STORE.exists():
        return
    STORE.parent.mkdir(parents=True, exist_ok=True)
    t = clock()
    with open_store(STORE) as store:
        import_churnsim(store, DATA)
    print(f"built {STORE.name} in {clock() - t:.1f} s")


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


def bench_postgres(work: Path, metrics: bool) -> None:
    import psycopg

    from healthscore.metrics import compute_metrics
    from healthscore.store import open_store
    from healthscore.store.engines import connect_engine, copy_store_to

    schema = f"bench_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(PG_URL, autocommit=True) as con:
        con.execute(f"CREATE SCHEMA {schema}")
    url = f"{PG_URL}{'&' if '?' in PG_URL else '?'}schema={schema}"
    copy = work / "store.duckdb"
    copy.write_bytes(STORE.read_bytes())  # the append step writes; keep the cached store as is
    try:
        with open_store(copy) as store:
            n_events = store.count("events")
            backend = connect_engine(url, store)
            t = clock()
            report = copy_store_to(backend, store)
            full = clock() - t
            print(f"postgres copy (whole)      {full:7.2f} s  {report.rows_sent:,} rows")
            for tc in report.tables:
                if tc.rows_sent:
                    print(f"    {tc.table:<14} {tc.seconds:7.2f} s  {tc.rows_sent:,} rows")

            # The floor: the same events as CSV (written by DuckDB, not timed), loaded by the
            # server itself with COPY FROM a file.
            csv = work / "events.csv"
            store.con.execute(
                "COPY (SELECT CAST(event_key AS DECIMAL(20,0)), event_id, account_id, user_id, "
                f"event_time, event_type, value, properties FROM events) TO '{csv}' (HEADER false)"
            )
            os.chmod(work, 0o755)
            os.chmod(csv, 0o644)
            with psycopg.connect(PG_URL, autocommit=True) as con:
                con.execute(f"CREATE TABLE {schema}.floor_events (LIKE {schema}.events)")
                t = clock()
                con.execute(f"COPY {schema}.floor_events FROM '{csv}' (FORMAT csv)")
                floor = clock() - t
            ev = next(tc for tc in report.tables if tc.table == "events")
            print(
                f"postgres COPY FROM file    {floor:7.2f} s  {n_events:,} events  "
                f"(healthscore's events copy = {ev.seconds / floor:.2f}x)"
            )

            t = clock()
            copy_store_to(backend, store)
            print(f"postgres copy (unchanged)  {clock() - t:7.2f} s")
            added = add_a_day(store)
            t = clock()
            report = copy_store_to(backend, store, ["events"])
            print(
                f"postgres copy (one day)    {clock() - t:7.2f} s  "
                f"{report.tables[0].mode}, {report.rows_sent:,} of {report.tables[0].rows_total:,} rows ({added:,} new)"
            )
            if metrics:
                day = as_of(store)
                t = clock()
                compute_metrics(store.ibis(), [day])
                local = clock() - t
                t = clock()
                compute_metrics(backend, [day])
                print(
                    f"metrics, one date          {clock() - t:7.2f} s on postgres; {local:.2f} s embedded"
                )
            backend.disconnect()
    finally:
        with psycopg.connect(PG_URL, autocommit=True) as con:
            con.execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE")


def bench_spark(work: Path, metrics: bool) -> None:
    from healthscore.metrics import compute_metrics
    from healthscore.store import open_store
    from healthscore.store.engines import connect_engine, copy_store_to

    copy = work / "store.duckdb"
    if not copy.exists():
        copy.write_bytes(STORE.read_bytes())
    with open_store(copy) as store:
        backend = connect_engine("spark-local", store)
        parquet = work / "parquet"
        t = clock()
        report = copy_store_to(backend, store, parquet_dir=parquet)
        full = clock() - t
        print(f"spark copy (whole)         {full:7.2f} s  {report.rows_sent:,} rows")
        from pyspark.sql import SparkSession

        spark = SparkSession.builder.getOrCreate()
        t = clock()
        n = spark.read.parquet(str(parquet / "events")).count()
        floor = clock() - t
        ev = next(tc for tc in report.tables if tc.table == "events")
        # The copy also makes Spark list the files and read the schema; a count reads them.
        t = clock()
        spark.table("events").count()
        view = clock() - t
        print(
            f"spark read.parquet + count {floor:7.2f} s  {n:,} events  "
            f"(events copy = {ev.seconds:.2f} s, {ev.seconds / floor:.2f}x; a count of the copied view {view:.2f} s)"
        )
        t = clock()
        copy_store_to(backend, store, parquet_dir=parquet)
        print(f"spark copy (unchanged)     {clock() - t:7.2f} s")
        add_a_day(store)
        t = clock()
        report = copy_store_to(backend, store, ["events"], parquet_dir=parquet)
        print(
            f"spark copy (one day)       {clock() - t:7.2f} s  {report.tables[0].mode}, {report.rows_sent:,} rows"
        )
        if metrics:
            day = as_of(store)
            t = clock()
            compute_metrics(backend, [day])
            print(f"metrics, one date          {clock() - t:7.2f} s on spark local[2]")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--engines", default="postgres,spark")
    parser.add_argument("--no-metrics", action="store_true")
    args = parser.parse_args()
    print(
        f"python {platform.python_version()}, {os.cpu_count()} cores, load {os.getloadavg()[0]:.1f}"
    )
    build_store()
    with tempfile.TemporaryDirectory(prefix="hs-engines-") as tmp:
        work = Path(tmp)
        for engine in args.engines.split(","):
            {"postgres": bench_postgres, "spark": bench_spark}[engine](work, not args.no_metrics)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak RSS {peak:,.0f} MiB")


if __name__ == "__main__":
    sys.exit(main())
