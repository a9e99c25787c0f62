"""Extra source columns in `properties` (issue 16 item 10): nothing lost, nothing retyped.

A file's own `_line` column keeps its values (the importer's line numbers use a reserved
name), a JSON object repeating a key is refused with its line, and JSON booleans,
numbers and nested values keep their JSON types in `properties`.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from healthscore.errors import ImportRejected
from healthscore.ingest import import_files
from healthscore.store import Store

from .helpers import write, write_csv

ROWS = [
    {"account_id": "A1", "start_date": "2024-01-01", "_line": "L-7"},
    {"account_id": "A2", "start_date": "2024-01-02", "_line": "L-9"},
]


def _props(store: Store) -> dict[str, dict]:
    rows = store.con.execute("SELECT account_id, properties FROM accounts").fetchall()
    return {a: json.loads(p) if p else {} for a, p in rows}


@pytest.mark.parametrize("suffix", [".csv", ".jsonl", ".parquet"])
def test_a_source_column_named_line_keeps_its_values(
    store: Store, tmp_path: Path, suffix: str
) -> None:
    import_files(store, "accounts", [write(tmp_path / f"a{suffix}", ROWS)])
    p = _props(store)
    assert (p["A1"]["_line"], p["A2"]["_line"]) == ("L-7", "L-9")


def test_a_line_column_survives_the_checking_path_and_lines_stay_right(
    store: Store, tmp_path: Path
) -> None:
    # A bad row sends the import down the numbered (checking) path: the file's `_line`
    # values must not be taken for line numbers, nor line numbers for its values.
    bad = [*ROWS, {"account_id": "A3", "start_date": "not a date", "_line": "1"}]
    f = write_csv(tmp_path / "bad.csv", bad)
    with pytest.raises(ImportRejected, match=r'bad.csv line 4, column "start_date"'):
        import_files(store, "accounts", [f])
    r = import_files(store, "accounts", [f], quarantine=True)
    assert (r.rows_inserted, r.rows_rejected) == (2, 1)
    assert _props(store)["A2"]["_line"] == "L-9"
    (line,) = store.con.execute("SELECT line FROM quarantine").fetchone()
    assert line == 4


@pytest.mark.parametrize("suffix", [".csv", ".jsonl", ".parquet"])
def test_the_reserved_line_name_is_refused_with_what_to_do(
    store: Store, tmp_path: Path, suffix: str
) -> None:
    rows = [{"account_id": "A1", "_healthscore_line": "x"}]
    with pytest.raises(ImportRejected, match=r"_healthscore_line.*reserves.*rename"):
        import_files(store, "accounts", [write(tmp_path / f"r{suffix}", rows)])
    assert store.count("accounts") == 0
