"""Stores for the query-layer tests, and the same tables on the PostgreSQL of this machine."""

from __future__ import annotations

import datetime as dt
import os
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from healthscore.store import Store, open_store
from healthscore.store.engines import connect_engine, copy_store_to
from healthscore.store.scores import SCORE_TABLES

PG_URL = os.environ.get("HEALTHSCORE_TEST_POSTGRES", "postgresql://postgres@127.0.0.1:5432/test")

# The scored demo: weekly snapshots over its last two months.
FIRST_SNAPSHOT = dt.date(2026, 9, 5)
LAST_SNAPSHOT = dt.date(2026, 10, 31)


@pytest.fixture(scope="session")
def scored_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A small demo store with nine weekly snapshots (read-only for the tests)."""
    from healthscore.demo import build_demo
    from healthscore.scoring import backfill

    path = tmp_path_factory.mktemp("queries") / "demo.duckdb"
    with open_store(path) as store:
        build_demo(store, seed=1, n_accounts=80, months=8)
        backfill(store, FIRST_SNAPSHOT, LAST_SNAPSHOT, every_days=7)
    return path


@pytest.fixture(scope="session")
def scored(scored_path: Path) -> Iterator[Store]:
    with open_store(scored_path, read_only=True) as store:
        yield store


def copy_to_postgres(store: Store, schema: str) -> Any:
    """A PostgreSQL backend on a new `schema` holding every table the queries read."""
    import psycopg

    with psycopg.connect(PG_URL, autocommit=True) as con:
        con.execute(f"CREATE SCHEMA {schema}")
    sep = "&" if "?" in PG_URL else "?"
    backend = connect_engine(f"{PG_URL}{sep}schema={schema}", store)
    copy_store_to(backend, store)
    for name in SCORE_TABLES:
        backend.create_table(name, store.con.execute(f"SELECT * FROM {name}").to_arrow_table())
    return backend


def drop_schema(schema: str) -> None:
    import psycopg

    with psycopg.connect(PG_URL, autocommit=True) as con:
        con.execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE")


@pytest.fixture(scope="session")
def _pg_copies() -> Iterator[dict[Path, Any]]:
    """Copies of read-only stores on PostgreSQL, one schema each, made once per worker."""
    made: dict[Path, Any] = {}
    yield made
    for backend in made.values():
        schema = backend._hs_schema
        backend.disconnect()
        drop_schema(schema)


@pytest.fixture(params=["duckdb", pytest.param("postgres", marks=pytest.mark.postgres)])
def engine(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def on(
    engine: str, _pg_copies: dict[Path, Any], request: pytest.FixtureRequest
) -> Callable[..., Any]:
    """`on(store)`: the source a query reads — the store itself, or its tables copied to a
    fresh PostgreSQL schema (unique per test run, so parallel workers never share one).
    `on(store, shared=True)` reuses one copy of a store no test modifies."""

    def source(store: Store, *, shared: bool = False) -> Any:
        if engine == "duckdb":
            return store
        if shared and store.path in _pg_copies:
            return _pg_copies[store.path]
        schema = f"hs_queries_{uuid.uuid4().hex[:12]}"
        try:
            backend = copy_to_postgres(store, schema)
        except BaseException:
            drop_schema(schema)
            raise
        backend._hs_schema = schema
        if shared:
            _pg_copies[store.path] = backend
        else:

            def cleanup() -> None:
                backend.disconnect()
                drop_schema(schema)

            request.addfinalizer(cleanup)
        return backend

    return source
