"""Reads of the outbox, its deliveries and attempts: the digest's CTA events, status views."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import ibis

from healthscore.store.queries._backend import Source, rows, table

__all__ = [
    "cta_events",
    "delivery_attempts",
    "delivery_counts",
    "digested_outbox_ids",
    "outbox_counts",
    "recent_deliveries",
]


def cta_events(source: Source, until: dt.datetime | None = None) -> list[dict[str, Any]]:
    """Every CTA outbox row (topic ``cta.*``), oldest first: id, topic, key, created_at and
    payload (a dict); created on or before `until` when given."""
    o = table(source, "outbox")
    o = o.filter(o.topic.startswith("cta."))
    if until is not None:
        o = o.filter(o.created_at <= ibis.timestamp(until))
    got = rows(
        o.order_by("seq").select("id", "topic", "key", "created_at", text=o.payload.cast("string"))
    )
    for r in got:
        r["payload"] = json.loads(r.pop("text"))
    return got


def digested_outbox_ids(source: Source) -> set[str]:
    """The outbox ids of CTA events that some digest already carried."""
    d = table(source, "digest_log")
    return {str(v) for v in d.select("outbox_id").to_pyarrow().column(0).to_pylist()}


def outbox_counts(source: Source) -> dict[str, int]:
    """Outbox rows per status (pending = not routed yet)."""
    o = table(source, "outbox")
    got = rows(o.group_by("status").aggregate(n=o.count()))
    return {str(r["status"]): int(r["n"]) for r in got}


def delivery_counts(source: Source) -> list[dict[str, Any]]:
    """Deliveries per channel and status: channel, status, n."""
    d = table(source, "outbox_deliveries")
    return rows(
        d.group_by(["channel", "status"]).aggregate(n=d.count()).order_by(["channel", "status"])
    )


def recent_deliveries(source: Source, limit: int = 20) -> list[dict[str, Any]]:
    """The newest deliveries with their message: outbox_id, topic, channel, target,
    status, attempts, next_attempt_at, sent_at, last_error."""
    d = table(source, "outbox_deliveries")
    o = table(source, "outbox").select(outbox_id="id", topic="topic", seq="seq")
    j = d.join(o, "outbox_id").order_by([ibis.desc("seq"), "channel", "target"])
    return rows(
        j.select(
            "outbox_id",
            "topic",
            "channel",
            "target",
            "status",
            "attempts",
            "next_attempt_at",
            "sent_at",
            "last_error",
        ).limit(limit)
    )


def delivery_attempts(source: Source, outbox_id: str | None = None) -> list[dict[str, Any]]:
    """Recorded attempts, oldest first (of one outbox row when given)."""
    a = table(source, "outbox_attempts")
    if outbox_id is not None:
        a = a.filter(a.outbox_id == outbox_id)
    return rows(a.order_by(["attempted_at", "outbox_id", "channel", "target", "attempt"]))
