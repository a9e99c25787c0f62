"""`healthscore score --engine postgresql://… --copy` gives the very scores the store gives."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from typer.testing import CliRunner

from healthscore.cli import app
from healthscore.store import open_store

PG_URL = os.environ.get("HEALTHSCORE_TEST_POSTGRES", "postgresql://postgres@127.0.0.1:5432/test")
AS_OF = "2026-10-24"


@pytest.fixture
def pg_schema_url() -> Iterator[str]:
    schema = f"hs_score_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(PG_URL, autocommit=True) as con:
        con.execute(f"CREATE SCHEMA {schema}")
    try:
        yield f"{PG_URL}?schema={schema}"
    finally:
        with psycopg.connect(PG_URL, autocommit=True) as con:
            con.execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE")


def _snapshot(path: Path) -> list[tuple]:
    with open_store(path) as s:
        return s.con.execute(
            "SELECT account_id, round(score, 6), band, confidence FROM score_snapshots "
            "WHERE as_of = ? ORDER BY account_id",
            [AS_OF],
        ).fetchall()


@pytest.mark.postgres
def test_scores_computed_on_postgres_equal_the_stores(store_file: Path, pg_schema_url: str) -> None:
    runner = CliRunner()
    local = runner.invoke(app, ["score", "--as-of", AS_OF, "--db", str(store_file)])
    assert local.exit_code == 0, local.output
    expected = _snapshot(store_file)
    assert len(expected) > 20

    remote = runner.invoke(
        app,
        ["score", "--as-of", AS_OF, "--db", str(store_file), "--engine", pg_schema_url, "--copy"],
    )
    assert remote.exit_code == 0, remote.output
    assert _snapshot(store_file) == expected
    with psycopg.connect(PG_URL) as con:  # the copy really landed in PostgreSQL
        schema = pg_schema_url.rsplit("=", 1)[1]
        n = con.execute(f"SELECT count(*) FROM {schema}.events").fetchone()
    assert n is not None and n[0] > 1000


def test_copy_without_an_engine_is_refused(store_file: Path) -> None:
    r = CliRunner().invoke(app, ["score", "--db", str(store_file), "--copy"])
    assert r.exit_code == 2
    assert "--copy needs a non-DuckDB --engine" in r.output
