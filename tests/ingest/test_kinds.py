"""Every kind imports from CSV, gzipped CSV, JSON Lines and Parquet."""

from __future__ import annotations

from pathlib import Path

import pytest

from healthscore.ingest import import_files
from healthscore.store import KINDS, Store

from .helpers import sample_rows, write

FILE_NAMES = ["rows.csv", "rows.csv.gz", "rows.jsonl", "rows.ndjson.gz", "rows.parquet"]


@pytest.mark.parametrize("name", FILE_NAMES)
@pytest.mark.parametrize("kind_name", list(KINDS))
def test_each_kind_imports(store: Store, tmp_path: Path, kind_name: str, name: str) -> None:
    table = KINDS[kind_name]
    if kind_name != "accounts":
        import_files(
            store, "accounts", [write(tmp_path / "acc.csv", sample_rows(KINDS["accounts"]))]
        )
    path = write(tmp_path / f"{kind_name}-{name}", sample_rows(table))  # type: ignore[arg-type]
    report = import_files(store, kind_name, [path])
    assert (report.rows_read, report.rows_inserted, report.rows_rejected) == (2, 2, 0)
    assert store.count(kind_name) == 2
    # Values arrive typed: timestamps in UTC, dates as dates, numbers as numbers.
    for col in table.columns:
        if col.name == "event_key":
            continue
        got = store.con.execute(
            f"SELECT CAST({col.name} AS VARCHAR) FROM {kind_name} ORDER BY {table.key[0]} LIMIT 1"
        ).fetchone()[0]
        if col.type == "TIMESTAMP":
            assert got == "2024-01-02 03:04:05"
        elif col.type == "DOUBLE":
            assert got == "1.5"
        elif col.name == "account_id":
            assert got == "a1"
    # The same file again adds nothing.
    again = import_files(store, kind_name, [path])
    assert (again.rows_inserted, again.rows_duplicate) == (0, 2)
    assert store.count(kind_name) == 2
