"""The text reads give the same rows on the machine's PostgreSQL as on the embedded store."""

from __future__ import annotations

import datetime as dt
import os
import uuid
from collections.abc import Iterator
from typing import Any

import pandas as pd
import pytest

from healthscore.store.db import Store
from healthscore.store.engines import connect_engine, copy_store_to
from healthscore.store.queries import texts as q

from .data import AS_OF

PG_URL = os.environ.get("HEALTHSCORE_TEST_POSTGRES", "postgresql://postgres@127.0.0.1:5432/test")


@pytest.fixture
def pg(analysed_store: Store) -> Iterator[Any]:
    import psycopg

    schema = f"hs_text_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(PG_URL, autocommit=True) as con:
        con.execute(f"CREATE SCHEMA {schema}")
    sep = "&" if "?" in PG_URL else "?"
    backend = connect_engine(f"{PG_URL}{sep}schema={schema}", analysed_store)
    try:
        copy_store_to(backend, analysed_store)
        assert "text_analysis" in backend.list_tables()
        yield backend
    finally:
        backend.disconnect()
        with psycopg.connect(PG_URL, autocommit=True) as con:
            con.execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE")


def _same(a: pd.DataFrame, b: pd.DataFrame, keys: list[str]) -> None:
    a = a.sort_values(keys).reset_index(drop=True)
    b = b.sort_values(keys).reset_index(drop=True)
    pd.testing.assert_frame_equal(a, b, check_dtype=False)


def test_reads_agree(analysed_store: Store, pg: Any) -> None:
    _same(q.text_rows(analysed_store), q.text_rows(pg), ["source", "text_id"])
    _same(
        q.account_quotes(analysed_store, "A1", as_of=AS_OF),
        q.account_quotes(pg, "A1", as_of=AS_OF),
        ["side", "text_id"],
    )
    for day in (AS_OF, dt.date(2024, 7, 2), dt.date(2024, 9, 18)):
        _same(q.intent_flags(analysed_store, day), q.intent_flags(pg, day), ["account_id", "kind"])
    _same(q.sentiment_history(analysed_store, "A1"), q.sentiment_history(pg, "A1"), ["occurred_at"])
    _same(
        q.analysed_texts(analysed_store, start=dt.date(2024, 6, 1), end=AS_OF),
        q.analysed_texts(pg, start=dt.date(2024, 6, 1), end=AS_OF),
        ["source", "text_id"],
    )
    assert not q.intent_flags(pg, AS_OF).empty
