"""Spark gets the store's tables as Parquet that DuckDB writes, and only new rows after that."""

from __future__ import annotations

from pathlib import Path

import ibis
import pytest

from healthscore.ingest import import_files
from healthscore.store import open_store
from healthscore.store.engines import copy_store_to

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


@pytest.mark.spark
# PySpark 4.0 reads each result from a local socket it leaves to the garbage collector to
# close; the ResourceWarning is its own, not a leak of ours.
@pytest.mark.filterwarnings("ignore:unclosed <socket.socket:ResourceWarning")
def test_spark_copy_reads_parquet_and_appends(tmp_path, spark_session):
    store = _store(tmp_path)
    backend = ibis.pyspark.connect(spark_session)
    parquet = tmp_path / "parquet"
    first = copy_store_to(backend, store, ["accounts", "events"], parquet_dir=parquet)
    assert [(t.mode, t.rows_sent) for t in first.tables] == [("full", 2), ("full", 30)]
    (tmp_path / "day2.csv").write_text(_events(4, start=30, account="A2"))
    import_files(store, "events", [tmp_path / "day2.csv"])
    grown = copy_store_to(backend, store, ["accounts", "events"], parquet_dir=parquet)
    assert [(t.mode, t.rows_sent) for t in grown.tables] == [("unchanged", 0), ("append", 4)]
    events = backend.table("events")
    counts = events.group_by("account_id").aggregate(
        n=events.count(), first=events.event_time.min()
    )
    got = {r["account_id"]: (r["n"], str(r["first"])) for r in counts.to_pyarrow().to_pylist()}
    # Times arrive as stored (UTC), not shifted to the driver's local zone.
    assert got == {"A1": (30, "2024-03-01 10:00:00"), "A2": (4, "2024-03-03 10:00:00")}
    store.close()
