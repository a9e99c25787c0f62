"""The outbox: notifications written as rows in the same transaction as their cause.

A change that should reach someone (a CTA opened, a digest due) calls `enqueue` on the
connection that writes the change, inside its transaction.  The row commits or rolls back
with the change, so a crash never loses a notification nor sends one for a change that did
not happen; the unique `key` makes a re-run a no-op.  Delivery (healthscore.notify) reads
the rows later and records every attempt (the transactional-outbox pattern).
"""

from __future__ import annotations

import datetime as dt
import json
import uuid
from typing import Any

import duckdb

__all__ = ["PENDING", "ROUTED", "enqueue", "new_message_id"]

PENDING = "pending"
ROUTED = "routed"


def new_message_id() -> str:
    """A fresh outbox id, ``msg_`` + 32 hex digits: the receivers' idempotency key."""
    return f"msg_{uuid.uuid4().hex}"


def enqueue(
    con: duckdb.DuckDBPyConnection,
    *,
    topic: str,
    key: str,
    payload: dict[str, Any],
    now: dt.datetime | None = None,
) -> bool:
    """Insert a pending outbox row; False (and nothing written) when `key` already exists.

    Runs on the caller's connection and inside the caller's transaction: it neither begins
    nor commits.  `payload` must be JSON-serialisable (dates become ISO text).  `now` is
    the row's creation time (UTC, naive), default the current time.
    """
    if not topic or not key:
        raise ValueError("an outbox row needs a topic and a key")
    created = now or dt.datetime.now(dt.UTC).replace(tzinfo=None)
    text = json.dumps(payload, default=_json_default, sort_keys=True)
    row = con.execute(
        "INSERT INTO outbox (id, topic, key, payload, created_at, status) "
        "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING RETURNING id",
        [new_message_id(), topic, key, text, created, PENDING],
    ).fetchone()
    return row is not None


def _json_default(value: object) -> object:
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    if isinstance(value, set | frozenset | tuple):
        return list(value)
    raise TypeError(f"outbox payload value of type {type(value).__name__} is not JSON")
