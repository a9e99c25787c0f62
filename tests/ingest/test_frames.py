"""The trusted DataFrame loader used by the demo generator."""

from __future__ import annotations

import pandas as pd
import pytest

from healthscore.errors import ImportRejected, UnknownKind
from healthscore.ingest import load_frames
from healthscore.store import Store


def _frames() -> dict[str, pd.DataFrame]:
    return {
        "accounts": pd.DataFrame({"account_id": ["a", "b"], "mrr": [10.0, 20.0]}),
        "subscriptions": pd.DataFrame(
            {
                "account_id": ["a"],
                "product": ["pro"],
                "start_date": pd.to_datetime(["2024-01-01"]),
                "mrr": [10.0],
            }
        ),
        "events": pd.DataFrame(
            {
                "account_id": ["a", "a", "b"],
                "event_time": pd.to_datetime(
                    ["2024-01-01 10:00", "2024-01-01 10:00", "2024-01-02 00:00"]
                ),
                "event_type": ["login", "login", "report"],
            }
        ),
    }


def test_load_frames_inserts_derives_keys_and_is_idempotent(store: Store) -> None:
    assert load_frames(store, _frames()) == {"accounts": 2, "subscriptions": 1, "events": 3}
    # Two identical events both survive (sharing their content key) ...
    assert store.count("events") == 3
    assert store.con.execute("SELECT count(DISTINCT event_key) FROM events").fetchone()[0] == 2
    sub_id = store.con.execute("SELECT subscription_id FROM subscriptions").fetchone()[0]
    assert sub_id == "a|pro|2024-01-01"
    # ... and loading the same frames again adds nothing.
    assert load_frames(store, _frames()) == {"accounts": 0, "subscriptions": 0, "events": 0}
    assert store.count("events") == 3
    assert store.count("import_batches") == 6


def test_load_frames_stores_aware_timestamps_as_utc(store: Store) -> None:
    ev = pd.DataFrame(
        {
            "account_id": ["a"],
            "event_time": pd.to_datetime(["2024-01-01 10:00+02:00"]),
            "event_type": ["x"],
        }
    )
    load_frames(store, {"events": ev})
    got = store.con.execute("SELECT CAST(event_time AS VARCHAR) FROM events").fetchone()[0]
    assert got == "2024-01-01 08:00:00"


def test_load_frames_rejects_bad_columns_atomically(store: Store) -> None:
    frames = _frames()
    frames["subscriptions"] = frames["subscriptions"].drop(columns=["mrr"])
    with pytest.raises(ImportRejected, match=r"missing required column.*mrr"):
        load_frames(store, frames)
    assert store.count("accounts") == 0  # accounts were loaded first, then rolled back
    with pytest.raises(ImportRejected, match="unknown column"):
        load_frames(store, {"accounts": pd.DataFrame({"account_id": ["a"], "colour": ["red"]})})
    with pytest.raises(UnknownKind):
        load_frames(store, {"acounts": pd.DataFrame({"account_id": ["a"]})})


def test_load_frames_rejects_duplicate_keys(store: Store) -> None:
    with pytest.raises(ImportRejected, match="repeat a key"):
        load_frames(store, {"accounts": pd.DataFrame({"account_id": ["a", "a"]})})
    assert store.count("accounts") == 0
