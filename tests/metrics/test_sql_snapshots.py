"""The SQL each metric family compiles to on DuckDB, stored under tests/metrics/sql/.

A changed metric definition shows as a readable diff of these files.  After an intended
change, regenerate them with:

    HEALTHSCORE_UPDATE_SQL=1 python -m pytest tests/metrics/test_sql_snapshots.py
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from healthscore.metrics.compute import FAMILIES, metric_sql

from .data import AS_OF

SQL_DIR = Path(__file__).parent / "sql"


@pytest.fixture(scope="module")
def compiled(tmp_path_factory) -> dict[str, str]:
    from .data import build_store

    store = build_store(tmp_path_factory.mktemp("sql") / "tiny.duckdb")
    try:
        return metric_sql(store.ibis(), [AS_OF], dialect="duckdb")
    finally:
        store.close()


def test_every_family_compiles(compiled):
    assert set(compiled) == set(FAMILIES)


@pytest.mark.parametrize("family", FAMILIES)
def test_sql_snapshot(compiled, family):
    path = SQL_DIR / f"{family}.sql"
    if os.environ.get("HEALTHSCORE_UPDATE_SQL") == "1":
        path.write_text(compiled[family])
    assert path.exists(), f"missing {path}; run with HEALTHSCORE_UPDATE_SQL=1 to create it"
    assert compiled[family] == path.read_text(), (
        f"SQL of the {family!r} metrics changed; review the diff and regenerate with "
        "HEALTHSCORE_UPDATE_SQL=1 if intended"
    )
