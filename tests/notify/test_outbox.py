"""The outbox: idempotent on its key, and all-or-nothing with the caller's transaction."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from healthscore.store import open_store
from healthscore.store.outbox import enqueue, enqueue_many

PAYLOAD = {
    "id": "cta-1",
    "account_id": "A1",
    "account_name": "Acme",
    "owner": "dana@example.com",
    "type": "risk",
    "reason": "usage drop",
    "evidence": ["weekly active users fell from 40 to 12"],
    "priority": 12.5,
    "critical": True,
    "due": dt.date(2026, 11, 7),
}


def test_enqueue_writes_one_pending_row_and_ignores_the_same_key(tmp_path: Path) -> None:
    with open_store(tmp_path / "s.duckdb") as store:
        assert enqueue(store.con, topic="cta.opened", key="cta:1:open:1", payload=PAYLOAD)
        assert not enqueue(store.con, topic="cta.opened", key="cta:1:open:1", payload=PAYLOAD)
        assert enqueue(store.con, topic="cta.changed", key="cta:1:open:2", payload=PAYLOAD)
        rows = store.con.execute(
            "SELECT id, topic, key, payload, status FROM outbox ORDER BY key"
        ).fetchall()
    assert [r[1:3] for r in rows] == [
        ("cta.opened", "cta:1:open:1"),
        ("cta.changed", "cta:1:open:2"),
    ]
    assert all(r[4] == "pending" for r in rows)
    assert all(r[0].startswith("msg_") for r in rows) and rows[0][0] != rows[1][0]
    stored = json.loads(rows[0][3])
    assert stored["due"] == "2026-11-07" and stored["critical"] is True
    assert stored["evidence"] == PAYLOAD["evidence"]


def test_a_rolled_back_transaction_leaves_no_row(tmp_path: Path) -> None:
    with open_store(tmp_path / "s.duckdb") as store:
        with pytest.raises(RuntimeError), store.transaction() as con:
            assert enqueue(con, topic="cta.opened", key="cta:1:open:1", payload=PAYLOAD)
            raise RuntimeError("the CTA write failed")
        assert store.count("outbox") == 0
        # after the rollback the key is free again: the retried change is notified once
        with store.transaction() as con:
            assert enqueue(con, topic="cta.opened", key="cta:1:open:1", payload=PAYLOAD)
        assert store.count("outbox") == 1


def test_a_duplicate_inside_the_callers_transaction_does_not_abort_it(tmp_path: Path) -> None:
    with open_store(tmp_path / "s.duckdb") as store:
        with store.transaction() as con:
            enqueue(con, topic="cta.opened", key="k1", payload=PAYLOAD)
            assert not enqueue(con, topic="cta.opened", key="k1", payload=PAYLOAD)
            enqueue(con, topic="cta.closed", key="k2", payload=PAYLOAD)
        assert store.count("outbox") == 2


def test_a_committed_row_survives_reopening_and_the_key_stays_taken(tmp_path: Path) -> None:
    path = tmp_path / "s.duckdb"
    with open_store(path) as store, store.transaction() as con:
        enqueue(con, topic="cta.opened", key="k1", payload=PAYLOAD)
    with open_store(path) as store:
        assert not enqueue(store.con, topic="cta.opened", key="k1", payload=PAYLOAD)
        assert store.count("outbox") == 1


def test_a_payload_that_is_not_json_is_refused_and_nothing_written(tmp_path: Path) -> None:
    with open_store(tmp_path / "s.duckdb") as store:
        with pytest.raises(TypeError, match="not JSON"):
            enqueue(store.con, topic="cta.opened", key="k1", payload={"x": object()})
        assert store.count("outbox") == 0


def test_enqueue_many_writes_new_keys_once_in_the_callers_transaction(tmp_path: Path) -> None:
    with open_store(tmp_path / "s.duckdb") as store:
        assert enqueue(store.con, topic="cta.opened", key="cta:1:open:1", payload=PAYLOAD)
        rows = [
            ("cta.opened", "cta:1:open:1", PAYLOAD),  # stored already
            ("cta.opened", "cta:2:open:1", {**PAYLOAD, "id": "cta-2"}),
            ("cta.opened", "cta:2:open:1", {**PAYLOAD, "id": "cta-2"}),  # twice in one call
            ("cta.closed", "cta:3:closed:2", {**PAYLOAD, "id": "cta-3"}),
        ]
        with store.transaction() as con:
            assert enqueue_many(con, rows) == 2
        with pytest.raises(RuntimeError), store.transaction() as con:
            enqueue_many(con, [("cta.opened", "cta:4:open:1", PAYLOAD)])
            raise RuntimeError("the CTA write failed")
        stored = store.con.execute("SELECT key, payload FROM outbox ORDER BY key").fetchall()
    assert [k for k, _ in stored] == ["cta:1:open:1", "cta:2:open:1", "cta:3:closed:2"]
    assert (
        json.loads(stored[1][1])["id"] == "cta-2"
        and json.loads(stored[1][1])["due"] == "2026-11-07"
    )
