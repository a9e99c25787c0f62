"""The audit log: who changed what, when, with the values before and after.

`record` writes in the caller's transaction when handed a connection (so the change and
its audit row land together or not at all), or in its own when handed a store.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from typing import Any

from healthscore.store import Store
from healthscore.store.audit import insert_audit
from healthscore.store.db import Connection
from healthscore.store.queries.audit import read_audit

__all__ = ["AuditEntry", "list_audit", "record"]


@dataclass(frozen=True)
class AuditEntry:
    id: int
    at: dt.datetime
    actor: str
    action: str
    entity: str
    entity_id: str
    before: dict[str, Any] | None
    after: dict[str, Any] | None

    def as_dict(self) -> dict[str, Any]:
        d = dict(self.__dict__)
        d["at"] = self.at.isoformat()
        return d


def _dump(value: dict[str, Any] | None) -> str | None:
    return None if value is None else json.dumps(value, default=str, sort_keys=True)


def record(
    con_or_store: Connection | Store,
    *,
    actor: str,
    action: str,
    entity: str,
    entity_id: str,
    before: dict[str, Any] | None,
    after: dict[str, Any] | None,
) -> None:
    """Append one audit row; values are stored as JSON (dates and other objects as text)."""
    kwargs = dict(
        actor=actor,
        action=action,
        entity=entity,
        entity_id=str(entity_id),
        before_json=_dump(before),
        after_json=_dump(after),
    )
    if isinstance(con_or_store, Store):
        with con_or_store.transaction() as con:
            insert_audit(con, **kwargs)  # type: ignore[arg-type]
    else:
        insert_audit(con_or_store, **kwargs)  # type: ignore[arg-type]


def list_audit(
    store: Store,
    limit: int = 100,
    entity: str | None = None,
    *,
    offset: int = 0,
    entity_id: str | None = None,
    actor: str | None = None,
) -> list[AuditEntry]:
    """Audit entries, newest first."""
    out = []
    for r in read_audit(
        store, limit=limit, offset=offset, entity=entity, entity_id=entity_id, actor=actor
    ):
        out.append(
            AuditEntry(
                id=int(r["id"]),
                at=r["occurred_at"],
                actor=r["actor"],
                action=r["action"],
                entity=r["entity"],
                entity_id=r["entity_id"],
                before=json.loads(r["before_json"]) if r["before_json"] else None,
                after=json.loads(r["after_json"]) if r["after_json"] else None,
            )
        )
    return out
