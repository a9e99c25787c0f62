"""Bulk copies into PostgreSQL and Spark: whole, incremental, and interrupted."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
import uuid
from pathlib import Path

import pytest

from healthscore.ingest import import_files
from healthscore.store import open_store
from healthscore.store.engines import connect_engine, copy_store_to

from .conftest import PG_URL, drop_schema

ACCOUNTS = "account_id,name,segment\nA1,Acme,smb\nA2,Bolt,enterprise\n"


def _events(n: int, start: int = 0, account: str = "A1") -> str:
    rows = [
        f"e{i},{account},login,2024-03-{1 + i % 28:02d} 10:00:00" for i in range(start, start + n)
    ]
    return "event_id,account_id,event_type,event_time\n" + "\n".join(rows) + "\n"


def _store(tmp_path: Path, events: int = 30):
    (tmp_path / "accounts.csv").write_text(ACCOUNTS)
    (tmp_path / "events.csv").write_text(_events(events))
    store = open_store(tmp_path / "s.duckdb")
    import_files(store, "accounts", [tmp_path / "accounts.csv"])
    import_files(store, "events", [tmp_path / "events.csv"])
    return store


@pytest.fixture
def pg_schema():
    import psycopg

    schema = f"engines_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(PG_URL, autocommit=True) as con:
        con.execute(f"CREATE SCHEMA {schema}")
    yield schema
    drop_schema(schema)


def _pg_url(schema: str) -> str:
    sep = "&" if "?" in PG_URL else "?"
    return f"{PG_URL}{sep}schema={schema}"


def _pg_rows(schema: str, table: str) -> list[tuple]:
    import psycopg

    with psycopg.connect(PG_URL, autocommit=True) as con:
        return con.execute(f"SELECT * FROM {schema}.{table} ORDER BY 1").fetchall()


@pytest.mark.postgres
def test_postgres_copy_is_whole_then_incremental(tmp_path, pg_schema):
    store = _store(tmp_path)
    backend = connect_engine(_pg_url(pg_schema), store)
    try:
        first = copy_store_to(backend, store, ["accounts", "events"])
        assert [(t.table, t.mode, t.rows_sent) for t in first.tables] == [
            ("accounts", "full", 2),
            ("events", "full", 30),
        ]
        again = copy_store_to(backend, store, ["accounts", "events"])
        assert [(t.mode, t.rows_sent) for t in again.tables] == [("unchanged", 0), ("unchanged", 0)]

        # A new day's import appends: only its rows travel.
        (tmp_path / "day2.csv").write_text(_events(5, start=30))
        import_files(store, "events", [tmp_path / "day2.csv"])
        grown = copy_store_to(backend, store, ["events"])
        assert [(t.mode, t.rows_sent, t.rows_total) for t in grown.tables] == [("append", 5, 35)]

        # A changed earlier row cannot be appended: the table is copied whole.
        store.con.execute("UPDATE accounts SET segment = 'mid_market' WHERE account_id = 'A1'")
        changed = copy_store_to(backend, store, ["accounts"])
        assert [(t.mode, t.rows_sent) for t in changed.tables] == [("full", 2)]
    finally:
        backend.disconnect()
        store.close()
    events = _pg_rows(pg_schema, "events")
    assert len(events) == 35 and len({e[1] for e in events}) == 35
    assert ("A1", "mid_market") in [(a[0], a[2]) for a in _pg_rows(pg_schema, "accounts")]


@pytest.mark.postgres
def test_postgres_copy_keeps_types_and_nulls(tmp_path, pg_schema):
    store = _store(tmp_path, events=3)
    backend = connect_engine(_pg_url(pg_schema), store)
    try:
        copy_store_to(backend, store, ["accounts", "events"])
        local = store.con.execute(
            "SELECT event_key, event_id, account_id, user_id, event_time, event_type, value, "
            "properties FROM events ORDER BY event_id"
        ).fetchall()
    finally:
        backend.disconnect()
        store.close()
    import psycopg

    with psycopg.connect(PG_URL, autocommit=True) as con:
        remote = con.execute(
            f"SELECT event_key, event_id, account_id, user_id, event_time, event_type, value, "
            f"properties FROM {pg_schema}.events ORDER BY event_id"
        ).fetchall()
    # UBIGINT keys travel exactly (as NUMERIC(20,0)), times unshifted, and NULL stays NULL
    # (not ''), so every value comes back as the store holds it.
    assert [(int(r[0]), *r[1:]) for r in remote] == local
    assert local[0][3] is None and local[0][7] is None


@pytest.mark.postgres
def test_a_copy_killed_half_way_leaves_the_engine_as_it_was(tmp_path, pg_schema):
    store = _store(tmp_path, events=10)
    backend = connect_engine(_pg_url(pg_schema), store)
    copy_store_to(backend, store, ["events"])
    backend.disconnect()
    # Grow the store so the next copy takes a while (and goes over parallel connections),
    # then kill it during its COPY.
    store.con.execute(
        "INSERT INTO events (event_id, account_id, event_type, event_time, event_key) "
        "SELECT 'big' || i, 'A2', 'view', TIMESTAMP '2024-03-02' + INTERVAL (i) SECOND, "
        "hash('big' || i) FROM range(3000000) t(i)"
    )
    store.con.execute("UPDATE events SET event_type = 'logout' WHERE event_id = 'e1'")
    store.close()
    script = textwrap.dedent(
        f"""
        from healthscore.store import open_store
        from healthscore.store.engines import connect_engine, copy_store_to
        store = open_store({str(tmp_path / "s.duckdb")!r}, read_only=True)
        copy_store_to(connect_engine({_pg_url(pg_schema)!r}, store), store, ["events"])
        """
    )
    proc = subprocess.Popen([sys.executable, "-c", script])
    try:
        _wait_for_copy(pg_schema)
        os.kill(proc.pid, signal.SIGKILL)
    finally:
        proc.wait(timeout=60)
    assert proc.returncode == -signal.SIGKILL
    rows = _pg_rows(pg_schema, "events")
    assert len(rows) == 10  # the previous copy, whole
    assert "e1" in [r[1] for r in rows] and "logout" not in [r[5] for r in rows]
    # The next copy finishes the job from scratch.
    with open_store(tmp_path / "s.duckdb", read_only=True) as store:
        backend = connect_engine(_pg_url(pg_schema), store)
        try:
            report = copy_store_to(backend, store, ["events"])
        finally:
            backend.disconnect()
    assert [(t.mode, t.rows_total) for t in report.tables] == [("full", 3_000_010)]


def _wait_for_copy(schema: str, timeout: float = 60) -> None:
    """Until a COPY into the staging table is running on the server."""
    import psycopg

    deadline = time.monotonic() + timeout
    with psycopg.connect(PG_URL, autocommit=True) as con:
        while time.monotonic() < deadline:
            busy = con.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE query LIKE 'COPY %events__incoming%'"
            ).fetchone()
            if busy and busy[0]:
                time.sleep(0.3)  # let some rows arrive
                return
            time.sleep(0.05)
    raise AssertionError("the copy never started")


@pytest.mark.postgres
def test_the_manifest_names_the_batches_and_an_older_manifest_still_appends(tmp_path, pg_schema):
    import json

    import psycopg

    store = _store(tmp_path)
    backend = connect_engine(_pg_url(pg_schema), store)
    try:
        copy_store_to(backend, store, ["events"])
        with psycopg.connect(PG_URL, autocommit=True) as con:
            row = con.execute(
                f"SELECT row_count, last_rowid, batches FROM {pg_schema}.healthscore_copies "
                "WHERE table_name = 'events'"
            ).fetchone()
            assert row is not None
            first = store.con.execute(
                "SELECT batch_id FROM import_batches WHERE kind = 'events'"
            ).fetchall()
            assert (row[0], row[1], json.loads(row[2])) == (30, 29, [first[0][0]])
            # A manifest written before rowids were recorded (issue 17's first round).
            con.execute(f"UPDATE {pg_schema}.healthscore_copies SET last_rowid = NULL")
        (tmp_path / "day2.csv").write_text(_events(5, start=30))
        import_files(store, "events", [tmp_path / "day2.csv"])
        grown = copy_store_to(backend, store, ["events"])
        assert [(t.mode, t.rows_sent, t.rows_total) for t in grown.tables] == [("append", 5, 35)]
        with psycopg.connect(PG_URL, autocommit=True) as con:
            row = con.execute(
                f"SELECT last_rowid, batches FROM {pg_schema}.healthscore_copies "
                "WHERE table_name = 'events'"
            ).fetchone()
        assert row is not None and row[0] == 34 and len(json.loads(row[1])) == 2
    finally:
        backend.disconnect()
        store.close()
    assert sorted(e[1] for e in _pg_rows(pg_schema, "events")) == sorted(f"e{i}" for i in range(35))
