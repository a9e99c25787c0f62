"""Events without an event_id: the key is canonical, so a re-shaped re-export adds nothing."""

from __future__ import annotations

from pathlib import Path

import duckdb

from healthscore.ingest import import_files
from healthscore.store import Store, open_store
from healthscore.store.migrations import event_row_hash_sql

from .helpers import write_csv, write_jsonl

EVENTS = [
    {
        "account_id": f"a{i % 2 + 1}",
        "event_time": f"2024-03-0{i % 9 + 1}T10:00:00Z",
        "event_type": "login",
        "colour": f"c{i}",
        "size": str(i % 3),
    }
    for i in range(12)
]

# How the first releases keyed id-less events: the properties text as it was stored.
LEGACY_KEY = "hash(account_id, user_id, event_time, event_type, value, properties)"


def _accounts(store: Store, tmp_path: Path) -> None:
    acc = write_csv(tmp_path / "accounts.csv", [{"account_id": "a1"}, {"account_id": "a2"}])
    import_files(store, "accounts", [acc])


def test_swapped_and_added_empty_csv_columns_add_nothing(store: Store, tmp_path: Path) -> None:
    _accounts(store, tmp_path)
    first = write_csv(tmp_path / "e1.csv", EVENTS)
    assert import_files(store, "events", [first]).rows_inserted == 12
    header = ["size", "event_type", "note", "colour", "event_time", "account_id"]
    again = write_csv(tmp_path / "e2.csv", EVENTS, header=header)  # `note` is empty throughout
    report = import_files(store, "events", [again])
    assert (report.rows_inserted, report.rows_duplicate) == (0, 12)
    assert store.count("events") == 12


def test_json_lines_key_order_does_not_change_the_key(store: Store, tmp_path: Path) -> None:
    _accounts(store, tmp_path)
    write_jsonl(tmp_path / "e1.jsonl", EVENTS)
    reordered = [dict(reversed(list(e.items()))) | {"empty": ""} for e in EVENTS]
    write_jsonl(tmp_path / "e2.jsonl", reordered)
    store.con.execute("SET threads = 1")
    import_files(store, "events", [tmp_path / "e1.jsonl"])
    store.con.execute("SET threads = 2")
    report = import_files(store, "events", [tmp_path / "e2.jsonl"], quarantine=True)
    assert report.rows_inserted == 0
    assert store.count("events") == 12


def test_values_are_trimmed_and_events_without_extras_keep_their_key(
    store: Store, tmp_path: Path
) -> None:
    _accounts(store, tmp_path)
    plain = [{k: v for k, v in e.items() if k not in ("colour", "size")} for e in EVENTS]
    import_files(store, "events", [write_csv(tmp_path / "p.csv", plain)])
    stored = store.con.execute(
        f"SELECT count(*) FROM events WHERE event_key = {LEGACY_KEY}"
    ).fetchone()
    assert stored == (12,)  # no properties: the key is what it always was
    padded = [e | {"colour": f"  {e['colour']} "} for e in EVENTS]
    import_files(store, "events", [write_csv(tmp_path / "e1.csv", EVENTS)])
    assert (
        import_files(store, "events", [write_csv(tmp_path / "e2.csv", padded)]).rows_inserted == 0
    )


def test_keys_stored_the_old_way_are_recomputed_on_upgrade(tmp_path: Path) -> None:
    path = tmp_path / "old.duckdb"
    with open_store(path) as store:
        _accounts(store, tmp_path)
        import_files(store, "events", [write_csv(tmp_path / "e1.csv", EVENTS)])
    # Make it a store of the previous release: old keys, the key migration not yet applied.
    con = duckdb.connect(str(path))
    con.execute(f"UPDATE events SET event_key = {LEGACY_KEY} WHERE event_id IS NULL")
    con.execute("DELETE FROM schema_migrations WHERE name = ?", ["006_canonical_event_keys"])
    con.close()
    header = ["size", "event_type", "colour", "event_time", "account_id"]
    with open_store(path) as store:
        again = write_csv(tmp_path / "e2.csv", EVENTS, header=header)
        assert import_files(store, "events", [again]).rows_inserted == 0
        assert import_files(store, "events", [tmp_path / "e1.csv"]).rows_inserted == 0
        assert store.count("events") == 12


def test_the_key_from_the_file_equals_the_key_from_the_stored_properties(
    store: Store, tmp_path: Path
) -> None:
    # Imports compute the canonical properties from the source values (cheap); a migration
    # or a data frame from the stored JSON text: both must agree, whatever the values hold.
    _accounts(store, tmp_path)
    values = ['say "hi"', "back\\slash", '{"nested": [1, 2]}', " pad ", "\t", "", "é ü 日本", "0"]
    rows = [
        {
            "account_id": "a1",
            "event_time": f"2024-03-01T10:00:0{i % 10}Z",
            "event_type": "login",
            "z.key": v,
            "A key": values[(i + 3) % len(values)],
            "ключ": values[(i + 5) % len(values)],
        }
        for i, v in enumerate(values)
    ]
    import_files(store, "events", [write_csv(tmp_path / "e.csv", rows)])
    import_files(store, "events", [write_jsonl(tmp_path / "e.jsonl", rows)], quarantine=True)
    assert store.count("events") == len(values)
    differing = store.con.execute(
        f"SELECT count(*) FROM events WHERE event_key <> {event_row_hash_sql()}"
    ).fetchone()
    assert differing == (0,)
