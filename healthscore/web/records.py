"""Notes, judgements and milestones added from the web, through the importers.

A row added in a form takes the very path a file import takes
(`healthscore.ingest.import_files`): the same validation, reference and plausible-time
checks, one transaction.  A note is an ``interactions`` row (a call, meeting, e-mail or QBR
with its notes).  Every addition is audited with the signed-in user as the actor.
"""

from __future__ import annotations

import datetime as dt
import json
import tempfile
import uuid
from pathlib import Path
from typing import Any

from healthscore.auth import User, record
from healthscore.ingest import import_files
from healthscore.store import Store
from healthscore.store.schema import kind as table_of

__all__ = ["add_rows", "new_id", "now_utc"]


def now_utc() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None, microsecond=0)


def new_id(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:12]}"


def add_rows(store: Store, kind: str, rows: list[dict[str, Any]], user: User) -> int:
    """Import `rows` of `kind` (all or nothing) and audit each; return the rows inserted."""
    with tempfile.TemporaryDirectory(prefix="healthscore-web-") as tmp:
        path = Path(tmp) / f"{kind}.jsonl"
        path.write_text("".join(json.dumps(r, default=str) + "\n" for r in rows), "utf-8")
        report = import_files(store, kind, [path], fmt="jsonl")
    key = table_of(kind).key[0]
    with store.transaction() as con:
        for r in rows:
            record(
                con,
                actor=user.username,
                action="create",
                entity=kind,
                entity_id=str(r[key]),
                before=None,
                after=r,
            )
    return int(report.rows_inserted)
