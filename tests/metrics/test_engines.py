"""The same metric code on DuckDB, PostgreSQL and Spark gives the same frame."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from healthscore.errors import StoreError
from healthscore.metrics import compute_metrics, connect_engine, copy_store_to

from .data import AS_OF

DATES = [AS_OF - dt.timedelta(days=9), AS_OF]
CUSTOM = [
    {
        "name": "exports_28d",
        "kind": "count",
        "table": "events",
        "where": {"event_type": "export"},
        "window_days": 28,
    },
    {"name": "late_fee_days", "kind": "days_since", "table": "invoices"},
    {
        "name": "logins_change_7d",
        "kind": "pct_change",
        "table": "events",
        "where": {"event_type": "login"},
        "window_days": 7,
    },
]


def assert_same(reference: pd.DataFrame, other: pd.DataFrame) -> None:
    key = ["as_of", "account_id"]
    a = reference.sort_values(key).reset_index(drop=True)
    b = other.sort_values(key).reset_index(drop=True)
    assert a.columns.tolist() == b.columns.tolist()
    pd.testing.assert_frame_equal(a, b, check_exact=False, rtol=0, atol=1e-9)


def test_duckdb_is_the_default(tiny_store):
    assert connect_engine(None, tiny_store) is tiny_store.ibis()
    assert connect_engine("duckdb", tiny_store) is tiny_store.ibis()
    with pytest.raises(StoreError, match="unknown engine 'oracle://x'"):
        connect_engine("oracle://x", tiny_store)


@pytest.mark.postgres
def test_postgres_matches_duckdb(tiny_store, postgres_url):
    reference = compute_metrics(tiny_store.ibis(), DATES, custom=CUSTOM)
    backend = connect_engine(postgres_url, tiny_store)
    try:
        copy_store_to(backend, tiny_store)
        result = compute_metrics(backend, DATES, custom=CUSTOM)
    finally:
        backend.disconnect()
    assert len(result) == 6
    assert_same(reference, result)


@pytest.mark.spark
@pytest.mark.slow
# PySpark 4.0 reads each result from a local socket it leaves to the garbage collector to
# close; the ResourceWarning is its own, not a leak of ours.
@pytest.mark.filterwarnings("ignore:unclosed <socket.socket:ResourceWarning")
def test_spark_matches_duckdb(tiny_store, spark_session):
    import ibis

    reference = compute_metrics(tiny_store.ibis(), DATES, custom=CUSTOM)
    backend = ibis.pyspark.connect(spark_session)
    copy_store_to(backend, tiny_store)
    result = compute_metrics(backend, DATES, custom=CUSTOM)
    assert len(result) == 6
    assert_same(reference, result)
