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


def _write_lines(path: Path, lines: list[str]) -> Path:
    path.write_text("".join(line + "\n" for line in lines), encoding="utf-8")
    return path


def test_a_repeated_json_key_is_refused_with_its_line(store: Store, tmp_path: Path) -> None:
    f = _write_lines(
        tmp_path / "dup.jsonl",
        [
            '{"account_id": "A1", "tier": "gold"}',
            '{"account_id": "A2", "nested": {"x": 1, "y": 2}}',
            '{"account_id": "A3", "tier": "gold", "tier": "silver"}',
        ],
    )
    with pytest.raises(ImportRejected) as exc:
        import_files(store, "accounts", [f])
    assert str(exc.value).startswith('dup.jsonl line 3: key "tier" appears twice in one object')
    assert store.count("accounts") == 0


def test_a_key_repeated_only_at_different_depths_is_no_repetition(
    store: Store, tmp_path: Path
) -> None:
    f = _write_lines(tmp_path / "ok.jsonl", ['{"account_id": "A1", "a": {"a": {"a": 1}}}'])
    import_files(store, "accounts", [f])
    assert _props(store)["A1"] == {"a": {"a": {"a": 1}}}


def test_json_values_keep_their_types_in_properties(store: Store, tmp_path: Path) -> None:
    f = _write_lines(
        tmp_path / "typed.jsonl",
        [
            '{"account_id": "A1", "start_date": "2024-01-01", "mrr": 12.5, "seats_purchased": 3, '
            '"active": true, "score": 0.25, "count": 7, "label": "x", "none": null, '
            '"tags": ["a", 1], "meta": {"k": false}, "zip": "01234"}',
        ],
    )
    import_files(store, "accounts", [f])
    (mrr, seats, props) = store.con.execute(
        "SELECT mrr, seats_purchased, properties FROM accounts"
    ).fetchone()
    assert (mrr, seats) == (12.5, 3)  # fields typed from the JSON values as before
    assert json.loads(props) == {
        "active": True,
        "score": 0.25,
        "count": 7,
        "label": "x",
        "none": None,
        "tags": ["a", 1],
        "meta": {"k": False},
        "zip": "01234",  # a string stays a string
    }


def test_typed_json_properties_give_the_stored_event_key(store: Store, tmp_path: Path) -> None:
    # Id-less events are keyed on canonical properties: the key computed while importing
    # must be the one the stored (now typed) properties give, or re-imports would double.
    import_files(store, "accounts", [write_csv(tmp_path / "a.csv", [{"account_id": "A1"}])])
    f = _write_lines(
        tmp_path / "ev.jsonl",
        [
            '{"account_id": "A1", "event_time": "2024-03-01T10:00:00Z", "event_type": "login", '
            '"ok": true, "n": 2, "plan": "pro", "ctx": {"a": 1}}',
        ],
    )
    import_files(store, "events", [f])
    from healthscore.store.migrations import event_row_hash_sql

    same = store.con.execute(f"SELECT event_key = {event_row_hash_sql()} FROM events").fetchall()
    assert same == [(True,)]
    again = import_files(store, "events", [f])
    assert (again.rows_inserted, store.count("events")) == (0, 1)
    csv_twin = write_csv(
        tmp_path / "ev.csv",
        [
            {
                "account_id": "A1",
                "event_time": "2024-03-01T10:00:00Z",
                "event_type": "login",
                "ok": "true",
                "n": "2",
                "plan": "pro",
                "ctx": '{"a":1}',
            }
        ],
    )
    assert import_files(store, "events", [csv_twin]).rows_inserted == 0
