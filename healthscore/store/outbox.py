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

__all__ = [
    "DEAD",
    "PENDING",
    "RETRY",
    "ROUTED",
    "SENDING",
    "SENT",
    "claim_due",
    "digest_id_of",
    "enqueue",
    "enqueue_cta_rows",
    "enqueue_many",
    "log_digest",
    "new_message_id",
    "pending_rows",
    "record_attempt",
    "route",
]

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


def enqueue_many(
    con: duckdb.DuckDBPyConnection,
    rows: list[tuple[str, str, dict[str, Any]]],
    *,
    now: dt.datetime | None = None,
) -> int:
    """`enqueue` for many (topic, key, payload) rows in one statement; the number written.

    A first rules run over a large portfolio opens thousands of CTAs: one INSERT each costs
    more than the run itself.  Keys already stored (or repeated in `rows`) are skipped, so
    the same idempotency holds."""
    if not rows:
        return 0
    if any(not topic or not key for topic, key, _ in rows):
        raise ValueError("an outbox row needs a topic and a key")
    import pyarrow as pa

    created = now or dt.datetime.now(dt.UTC).replace(tzinfo=None)
    unique = list({key: (topic, key, payload) for topic, key, payload in reversed(rows)}.values())
    unique.reverse()  # the first row of each key, in the order given
    frame = pa.table(
        {
            "id": [new_message_id() for _ in unique],
            "topic": [r[0] for r in unique],
            "key": [r[1] for r in unique],
            "payload": [json.dumps(r[2], default=_json_default, sort_keys=True) for r in unique],
        }
    )
    before = _count(con)
    con.register("_outbox_incoming", frame)
    try:
        # An anti-join rather than ON CONFLICT DO NOTHING: DuckDB checks conflicts row by
        # row, which on a large outbox costs seconds per ten thousand rows; the keys in
        # `frame` are unique, so skipping the stored ones is the same idempotency.
        con.execute(
            "INSERT INTO outbox (id, topic, key, payload, created_at, status) "
            "SELECT i.id, i.topic, i.key, i.payload, ?, ? FROM _outbox_incoming i "
            "WHERE NOT EXISTS (SELECT 1 FROM outbox o WHERE o.key = i.key)",
            [created, PENDING],
        )
    finally:
        con.unregister("_outbox_incoming")
    return _count(con) - before


def enqueue_cta_rows(
    con: duckdb.DuckDBPyConnection,
    topic: str,
    names: dict[int, str | None],
    *,
    now: dt.datetime | None = None,
) -> int:
    """One `topic` row per CTA id in `names` (id -> account name), keyed
    ``cta:{id}:{status}:{version}`` and built from the stored CTA in one statement, with
    the fields of healthscore.actions.lifecycle.outbox_payload.  Held-back CTAs and keys
    already stored are skipped.  The number written."""
    if not names:
        return 0
    import pyarrow as pa

    created = now or dt.datetime.now(dt.UTC).replace(tzinfo=None)
    frame = pa.table(
        {
            "cta_id": pa.array([int(i) for i in names], pa.int64()),
            "account_name": pa.array(
                [None if n is None else str(n) for n in names.values()], pa.string()
            ),
        }
    )
    key = "'cta:' || c.id || ':' || c.status || ':' || c.version"
    before = _count(con)
    con.register("_outbox_ctas", frame)
    try:
        con.execute(
            f"""
            INSERT INTO outbox (id, topic, key, payload, created_at, status)
            SELECT 'msg_' || replace(CAST(uuid() AS VARCHAR), '-', ''), ?, {key},
              CAST(json_object(
                'account_id', c.account_id, 'account_name', n.account_name,
                'critical', c.critical, 'deferred', c.deferred, 'due', c.due,
                'evidence', json(c.evidence), 'id', c.id, 'outcome', c.outcome,
                'owner', c.owner, 'priority', round(c.priority, 2), 'reason', c.reason,
                'rule', c.rule, 'status', c.status, 'type', c.type) AS VARCHAR),
              ?, ?
            FROM _outbox_ctas n
            JOIN ctas c ON c.id = n.cta_id
            WHERE NOT c.held_back AND NOT EXISTS (SELECT 1 FROM outbox o WHERE o.key = {key})
            ORDER BY c.id""",
            [topic, created, PENDING],
        )
    finally:
        con.unregister("_outbox_ctas")
    return _count(con) - before


def _count(con: duckdb.DuckDBPyConnection) -> int:
    row = con.execute("SELECT count(*) FROM outbox").fetchone()
    return int(row[0]) if row else 0


def _json_default(value: object) -> object:
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    if isinstance(value, set | frozenset | tuple):
        return list(value)
    raise TypeError(f"outbox payload value of type {type(value).__name__} is not JSON")


# -- delivery state (used by healthscore.notify) -----------------------------------------

SENDING = "sending"
SENT = "sent"
RETRY = "retry"
DEAD = "dead"


def pending_rows(con: duckdb.DuckDBPyConnection) -> list[dict[str, Any]]:
    """Outbox rows not routed yet, oldest first: id, topic, key, payload (a dict), created_at."""
    got = con.execute(
        "SELECT id, topic, key, payload, created_at FROM outbox WHERE status = ? ORDER BY seq",
        [PENDING],
    ).fetchall()
    return [
        {"id": r[0], "topic": r[1], "key": r[2], "payload": json.loads(r[3]), "created_at": r[4]}
        for r in got
    ]


def route(
    con: duckdb.DuckDBPyConnection,
    outbox_id: str,
    targets: list[tuple[str, str]],
    now: dt.datetime,
) -> None:
    """Mark a row routed and queue one delivery per (channel, target); none = digest only."""
    for channel, target in targets:
        con.execute(
            "INSERT INTO outbox_deliveries (outbox_id, channel, target, status, attempts, "
            "next_attempt_at, created_at) VALUES (?, ?, ?, ?, 0, ?, ?)",
            [outbox_id, channel, target, PENDING, now, now],
        )
    con.execute(
        "UPDATE outbox SET status = ?, routed_at = ? WHERE id = ?", [ROUTED, now, outbox_id]
    )


def claim_due(
    con: duckdb.DuckDBPyConnection, now: dt.datetime, stale_before: dt.datetime, limit: int
) -> list[dict[str, Any]]:
    """Claim deliveries that are due (pending, or retry whose time has come, or a claim
    older than `stale_before` left by a killed run): mark them sending and return them.

    A claim left by a killed run is sent again: the receiver may see it twice, with the
    same webhook-id / Message-ID to dedupe on.  A delivery recorded as sent never is."""
    got = con.execute(
        """
        UPDATE outbox_deliveries SET status = ?, claimed_at = ?
        WHERE rowid IN (
          SELECT d.rowid FROM outbox_deliveries d
          WHERE (d.status IN (?, ?) AND d.next_attempt_at <= ?)
             OR (d.status = ? AND d.claimed_at < ?)
          ORDER BY d.next_attempt_at, d.created_at LIMIT ?)
        RETURNING outbox_id, channel, target, attempts""",
        [SENDING, now, PENDING, RETRY, now, SENDING, stale_before, limit],
    ).fetchall()
    if not got:
        return []
    ids = sorted({r[0] for r in got})
    marks = ", ".join("?" for _ in ids)
    messages = {
        r[0]: (r[1], r[2], json.loads(r[3]), r[4])
        for r in con.execute(
            f"SELECT id, topic, key, payload, seq FROM outbox WHERE id IN ({marks})", ids
        ).fetchall()
    }
    out = []
    for outbox_id, channel, target, attempts in got:
        topic, key, payload, seq = messages[outbox_id]
        out.append(
            {
                "outbox_id": outbox_id,
                "channel": channel,
                "target": target,
                "attempts": attempts,
                "topic": topic,
                "key": key,
                "payload": payload,
                "seq": seq,
            }
        )
    out.sort(key=lambda d: (d["seq"], d["channel"], d["target"]))
    return out


def record_attempt(
    con: duckdb.DuckDBPyConnection,
    *,
    outbox_id: str,
    channel: str,
    target: str,
    attempt: int,
    at: dt.datetime,
    ok: bool,
    status_code: int | None,
    error: str | None,
    duration_ms: float,
    next_attempt_at: dt.datetime | None,
) -> str:
    """Record one attempt and the delivery's new state: sent, retry at `next_attempt_at`,
    or dead when there is none.  Returns that state."""
    state = SENT if ok else (RETRY if next_attempt_at is not None else DEAD)
    con.execute(
        "INSERT INTO outbox_attempts VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [outbox_id, channel, target, attempt, at, ok, status_code, error, duration_ms],
    )
    con.execute(
        "UPDATE outbox_deliveries SET status = ?, attempts = ?, claimed_at = NULL, "
        "sent_at = CASE WHEN ? THEN ? ELSE sent_at END, last_error = ?, "
        "next_attempt_at = coalesce(?, next_attempt_at) "
        "WHERE outbox_id = ? AND channel = ? AND target = ?",
        [state, attempt, ok, at, error, next_attempt_at, outbox_id, channel, target],
    )
    return state


def log_digest(
    con: duckdb.DuckDBPyConnection,
    digest_id: str,
    owner: str,
    period: dt.date,
    outbox_ids: list[str],
) -> None:
    """Remember which CTA events went into a digest, so the next one does not repeat them."""
    for oid in outbox_ids:
        con.execute("INSERT INTO digest_log VALUES (?, ?, ?, ?)", [digest_id, owner, period, oid])


def digest_id_of(con: duckdb.DuckDBPyConnection, key: str) -> str | None:
    """The outbox id of the row with `key` (None when there is none)."""
    row = con.execute("SELECT id FROM outbox WHERE key = ?", [key]).fetchone()
    return str(row[0]) if row else None
