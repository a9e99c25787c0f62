"""Writes and reads of batch ingestion jobs (table ``ingest_jobs``)."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from healthscore.store.db import Store

__all__ = ["get_job", "insert_job", "list_jobs", "update_job"]

_COLUMNS = (
    "job_id",
    "kind",
    "source",
    "options",
    "status",
    "created_at",
    "started_at",
    "finished_at",
    "key_id",
    "report",
    "message",
    "problems",
)
_JSON = ("options", "report", "problems")


def _row(values: tuple[Any, ...]) -> dict[str, Any]:
    d = dict(zip(_COLUMNS, values, strict=True))
    for c in _JSON:
        d[c] = json.loads(d[c]) if d[c] is not None else None
    return d


def insert_job(
    store: Store,
    *,
    job_id: str,
    kind: str,
    source: str,
    options: dict[str, Any],
    created_at: dt.datetime,
    key_id: str | None,
) -> None:
    store.con.execute(
        "INSERT INTO ingest_jobs (job_id, kind, source, options, status, created_at, key_id) "
        "VALUES (?, ?, ?, ?, 'queued', ?, ?)",
        [job_id, kind, source, json.dumps(options, sort_keys=True), created_at, key_id],
    )


def update_job(store: Store, job_id: str, **values: Any) -> None:
    """Set some columns of a job (JSON columns given as Python values)."""
    cols = [c for c in values if c in _COLUMNS and c != "job_id"]
    if not cols:
        return
    args = [json.dumps(values[c], default=str) if c in _JSON else values[c] for c in cols]
    store.con.execute(
        f"UPDATE ingest_jobs SET {', '.join(f'{c} = ?' for c in cols)} WHERE job_id = ?",
        [*args, job_id],
    )


def get_job(store: Store, job_id: str) -> dict[str, Any] | None:
    row = store.con.execute(
        f"SELECT {', '.join(_COLUMNS)} FROM ingest_jobs WHERE job_id = ?", [job_id]
    ).fetchone()
    return _row(row) if row else None


def list_jobs(store: Store, limit: int = 50) -> list[dict[str, Any]]:
    rows = store.con.execute(
        f"SELECT {', '.join(_COLUMNS)} FROM ingest_jobs ORDER BY created_at DESC, job_id LIMIT ?",
        [limit],
    ).fetchall()
    return [_row(r) for r in rows]
