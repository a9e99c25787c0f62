"""Reads of the audit log, newest first."""

from __future__ import annotations

from typing import Any

from healthscore.store.queries._backend import Source, rows, table

__all__ = ["read_audit"]


def read_audit(
    source: Source,
    *,
    limit: int = 100,
    offset: int = 0,
    entity: str | None = None,
    entity_id: str | None = None,
    actor: str | None = None,
) -> list[dict[str, Any]]:
    """Audit rows (newest first), optionally of one entity kind, entity or actor."""
    a = table(source, "audit_log")
    if entity is not None:
        a = a.filter(a.entity == entity)
    if entity_id is not None:
        a = a.filter(a.entity_id == entity_id)
    if actor is not None:
        a = a.filter(a.actor == actor)
    return rows(a.order_by(a.id.desc()).limit(limit, offset=offset))
