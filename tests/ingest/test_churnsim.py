"""ChurnSim folders: the committed slice (Parquet and CSV), checked against its source files."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from healthscore.errors import ImportRejected
from healthscore.ingest import import_churnsim, store_status
from healthscore.store import Store

SLICE = Path(__file__).parents[1] / "data" / "churnsim_slice"


def _rows(store: Store) -> tuple[int, int, int, int]:
    return tuple(store.count(t) for t in ("accounts", "subscriptions", "events", "features"))  # type: ignore[return-value]


def test_slice_parquet_maps_every_table(store: Store) -> None:
    reports = import_churnsim(store, SLICE / "parquet")
    assert {k: r.rows_inserted for k, r in reports.items()} == {
        "accounts": 163,
        "subscriptions": 525,
        "features": 8,
        "events": 45784,
    }
    acc = store.con.execute(
        "SELECT account_id, segment, start_date, properties FROM accounts WHERE account_id = '2728'"
    ).fetchone()
    first_sub = store.con.execute(
        "SELECT min(start_date) FROM subscriptions WHERE account_id = '2728'"
    ).fetchone()[0]
    assert acc[0] == "2728" and acc[2] == first_sub
    props = json.loads(acc[3])
    assert set(props) == {"channel", "date_of_birth", "country"} and acc[1] == props["channel"]
    sub = store.con.execute(
        "SELECT subscription_id, product, mrr, bill_period_months, discount FROM subscriptions "
        "WHERE account_id = '2728' ORDER BY start_date LIMIT 1"
    ).fetchone()
    assert sub[0] == f"2728|basic|{first_sub}" and sub[1:] == ("basic", 10.0, 1, 0.0)
    # Identical event rows (two likes in the same second) are all kept, sharing their key.
    distinct = store.con.execute("SELECT count(DISTINCT event_key) FROM events").fetchone()[0]
    assert distinct < 45784
    assert (
        store.con.execute("SELECT count(*) FROM features WHERE category IS NULL").fetchone()[0] == 8
    )


def test_slice_csv_with_event_type_table_gives_identical_rows(store: Store) -> None:
    import_churnsim(store, SLICE / "csv")
    assert _rows(store) == (163, 525, 45784, 8)
    # The Parquet copy is the same data: same keys, so nothing new is added.
    reports = import_churnsim(store, SLICE / "parquet")
    assert sum(r.rows_inserted for r in reports.values()) == 0
    assert _rows(store) == (163, 525, 45784, 8)


def test_not_a_churnsim_folder(store: Store, tmp_path: Path) -> None:
    (tmp_path / "account.csv").write_text("account_id\n1\n", encoding="utf-8")
    with pytest.raises(ImportRejected, match="missing subscription, event"):
        import_churnsim(store, tmp_path)


def test_slice_status_matches_the_source_files(store: Store) -> None:
    """Counts, time range and per-type counts, recomputed from the Parquet files by pyarrow."""
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    src = {
        t: pq.read_table(SLICE / "parquet" / f"{t}.parquet")
        for t in ("account", "subscription", "event", "event_type")
    }
    import_churnsim(store, SLICE / "parquet")
    kinds = {k["kind"]: k for k in store_status(store)["kinds"]}
    assert kinds["accounts"]["rows"] == src["account"].num_rows == 163
    assert kinds["subscriptions"]["rows"] == src["subscription"].num_rows == 525
    assert kinds["events"]["rows"] == src["event"].num_rows == 45784
    times = src["event"]["event_time"]
    first, last = (pc.min(times).as_py(), pc.max(times).as_py())
    assert (kinds["events"]["first"], kinds["events"]["last"]) == (
        first.strftime("%Y-%m-%d %H:%M:%S"),
        last.strftime("%Y-%m-%d %H:%M:%S"),
    )
    names = dict(
        zip(
            src["event_type"]["event_type_id"].to_pylist(),
            src["event_type"]["event_type_name"].to_pylist(),
            strict=True,
        )
    )
    expected: dict[str, int] = {}
    for type_id in src["event"]["event_type_id"].to_pylist():
        expected[names[type_id]] = expected.get(names[type_id], 0) + 1
    by_type = dict(
        store.con.execute("SELECT event_type, count(*) FROM events GROUP BY 1").fetchall()
    )
    assert by_type == expected and len(expected) == len(names)
