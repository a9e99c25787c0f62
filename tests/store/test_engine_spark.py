"""Spark copies: views kept while their files stand, a half-written copy ignored, the folder
taken from the session's settings, and one scan of the store deciding what travels."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import ibis
import pytest

from healthscore.ingest import import_files
from healthscore.store import open_store
from healthscore.store.engine_copy import PARQUET_DIR_CONF
from healthscore.store.engines import copy_store_to, spark_session

pytestmark = [
    pytest.mark.spark,
    # PySpark 4.0 leaves its result sockets to the garbage collector (its warning, not ours).
    pytest.mark.filterwarnings("ignore:unclosed <socket.socket:ResourceWarning"),
]


@pytest.fixture(scope="module")
def spark() -> Iterator[Any]:
    yield spark_session("local[2]")


def _events(n: int, start: int = 0) -> str:
    rows = [f"e{i},A1,login,2024-03-{1 + i % 28:02d} 10:00:00" for i in range(start, start + n)]
    return "event_id,account_id,event_type,event_time\n" + "\n".join(rows) + "\n"


def _store(tmp_path: Path, events: int = 12):
    (tmp_path / "accounts.csv").write_text("account_id,name\nA1,Acme\n")
    (tmp_path / "events.csv").write_text(_events(events))
    store = open_store(tmp_path / "s.duckdb")
    import_files(store, "accounts", [tmp_path / "accounts.csv"])
    import_files(store, "events", [tmp_path / "events.csv"])
    return store


def test_an_unchanged_copy_keeps_the_views_and_a_new_session_gets_them_back(tmp_path, spark):
    store = _store(tmp_path)
    backend = ibis.pyspark.connect(spark)
    parquet = tmp_path / "parquet"
    try:
        copy_store_to(backend, store, ["accounts", "events"], parquet_dir=parquet)
        again = copy_store_to(backend, store, ["accounts", "events"], parquet_dir=parquet)
        assert [t.mode for t in again.tables] == ["unchanged", "unchanged"]
        assert spark.table("events").count() == 12
        # A session without the view (a new process, or a dropped view) gets it from the
        # files on the next copy, which sends nothing.
        spark.catalog.dropTempView("events")
        third = copy_store_to(backend, store, ["accounts", "events"], parquet_dir=parquet)
        assert [(t.mode, t.rows_sent) for t in third.tables] == [("unchanged", 0)] * 2
        assert spark.table("events").count() == 12
        manifest = json.loads((parquet / "healthscore_copies.json").read_text())
        batches = store.con.execute(
            "SELECT batch_id FROM import_batches WHERE kind = 'events'"
        ).fetchall()
        assert manifest["events"]["batches"] == [b[0] for b in batches]
        assert manifest["events"]["rows"] == 12
    finally:
        store.close()


def test_a_copy_killed_while_writing_leaves_files_no_reader_takes(tmp_path, spark):
    store = _store(tmp_path)
    backend = ibis.pyspark.connect(spark)
    parquet = tmp_path / "parquet"
    copy_store_to(backend, store, ["events"], parquet_dir=parquet)
    manifest = (parquet / "healthscore_copies.json").read_text()
    # Grow the store so that writing the new part takes a while, then kill a copy in another
    # process while DuckDB writes it.
    store.con.execute(
        "INSERT INTO events (event_id, account_id, event_type, event_time, event_key) "
        "SELECT 'big' || i, 'A1', 'view', TIMESTAMP '2024-03-02' + INTERVAL (i) SECOND, "
        "hash('big' || i) FROM range(3000000) t(i)"
    )
    store.close()
    script = textwrap.dedent(
        f"""
        from healthscore.store import open_store
        from healthscore.store.engines import connect_engine, copy_store_to
        store = open_store({str(tmp_path / "s.duckdb")!r}, read_only=True)
        backend = connect_engine("spark-local", store)
        copy_store_to(backend, store, ["events"], parquet_dir={str(parquet)!r})
        """
    )
    proc = subprocess.Popen([sys.executable, "-c", script])
    try:
        left = _wait_for(parquet / "events", lambda p: p.name.endswith(".tmp"), proc)
        os.kill(proc.pid, signal.SIGKILL)
    finally:
        proc.wait(timeout=60)
    assert left.name.startswith(".")  # hidden: Spark and Hadoop skip it when they list
    assert (parquet / "healthscore_copies.json").read_text() == manifest
    spark.catalog.dropTempView("events")
    with open_store(tmp_path / "s.duckdb", read_only=True) as store:
        report = copy_store_to(backend, store, ["events"], parquet_dir=parquet)
    assert [(t.mode, t.rows_sent, t.rows_total) for t in report.tables] == [
        ("append", 3_000_000, 3_000_012)
    ]
    assert spark.table("events").count() == 3_000_012


def _wait_for(
    folder: Path, match: Any, proc: subprocess.Popen[bytes], timeout: float = 180
) -> Path:
    """The first file in `folder` that `match`es, while `proc` runs."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and proc.poll() is None:
        for path in folder.iterdir():
            if match(path):
                return path
        time.sleep(0.01)
    raise AssertionError(f"the copy wrote no matching file (exit {proc.poll()})")


def test_the_parquet_folder_can_come_from_the_session(tmp_path, spark):
    store = _store(tmp_path)
    backend = ibis.pyspark.connect(spark)
    shared = tmp_path / "shared"
    spark.conf.set(PARQUET_DIR_CONF, str(shared))
    try:
        copy_store_to(backend, store, ["events"])
    finally:
        spark.conf.unset(PARQUET_DIR_CONF)
        store.close()
    assert sorted(p.name for p in (shared / "events").iterdir()) == ["part-0.parquet"]
    assert json.loads((shared / "healthscore_copies.json").read_text())["events"]["rows"] == 12
