"""Writes of the audit log: one row per change, in the caller's transaction."""

from __future__ import annotations

import datetime as dt

import duckdb

__all__ = ["insert_audit"]


def insert_audit(
    con: duckdb.DuckDBPyConnection,
    *,
    actor: str,
    action: str,
    entity: str,
    entity_id: str,
    before_json: str | None,
    after_json: str | None,
    at: dt.datetime | None = None,
) -> None:
    """Append one audit row (ids come from the store's sequence, so order is kept)."""
    when = at or dt.datetime.now(dt.UTC).replace(tzinfo=None)
    con.execute(
        "INSERT INTO audit_log (occurred_at, actor, action, entity, entity_id, before_json, after_json) "
        "VALUES (?, ?, ?, ?, ?, ?, ?)",
        [when, actor, action, entity, entity_id, before_json, after_json],
    )
