"""The SQL each metric family, and each kind of custom metric, compiles to on DuckDB,
stored under tests/metrics/sql/.

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
# One custom metric of every kind and shape (a where list, a sum, a pct_change of a sum, a
# days_since without a window, a ratio, which runs no query): custom.sql.
CUSTOM = [
    {"name": "logins_7d", "kind": "count", "table": "events",
     "where": {"event_type": "login"}, "window_days": 7},
    {"name": "bug_or_howto_90d", "kind": "count", "table": "tickets",
     "where": {"category": ["bug", "how-to"]}, "window_days": 90},
    {"name": "login_share_7d", "kind": "ratio", "numerator": "logins_7d",
     "denominator": "usage_events_7d"},
    {"name": "logins_change_7d", "kind": "pct_change", "table": "events",
     "where": {"event_type": "login"}, "window_days": 7},
    {"name": "invoiced_change_30d", "kind": "pct_change", "table": "invoices",
     "value_column": "amount", "window_days": 30},
    {"name": "days_since_call", "kind": "days_since", "table": "interactions",
     "where": {"kind": "call"}},
    {"name": "failed_attempts_365d", "kind": "sum", "table": "invoices",
     "value_column": "failed_attempts", "window_days": 365},
]  # fmt: skip


@pytest.fixture(scope="module")
def compiled(tmp_path_factory) -> dict[str, str]:
    from .data import build_store

    store = build_store(tmp_path_factory.mktemp("sql") / "tiny.duckdb")
    try:
        return metric_sql(store.ibis(), [AS_OF], dialect="duckdb")
    finally:
        store.close()


@pytest.fixture(scope="module")
def compiled_custom(tmp_path_factory) -> str:
    from .data import build_store

    store = build_store(tmp_path_factory.mktemp("sql") / "tiny.duckdb")
    try:
        return metric_sql(store.ibis(), [AS_OF], custom=CUSTOM, dialect="duckdb")["custom"]
    finally:
        store.close()


def test_every_family_compiles(compiled):
    assert set(compiled) == set(FAMILIES)


@pytest.mark.parametrize("family", FAMILIES)
def test_sql_snapshot(compiled, family):
    _check_snapshot(family, compiled[family])


def test_custom_sql_snapshot(compiled_custom):
    # The queries of the custom metrics above, in their order (the ratio has none).
    assert compiled_custom.count("-- next query") == len(CUSTOM) - 2
    _check_snapshot("custom", compiled_custom)


def _check_snapshot(family: str, sql: str) -> None:
    path = SQL_DIR / f"{family}.sql"
    if os.environ.get("HEALTHSCORE_UPDATE_SQL") == "1":
        path.write_text(sql)
    assert path.exists(), f"missing {path}; run with HEALTHSCORE_UPDATE_SQL=1 to create it"
    assert sql == path.read_text(), (
        f"SQL of the {family!r} metrics changed; review the diff and regenerate with "
        "HEALTHSCORE_UPDATE_SQL=1 if intended"
    )
