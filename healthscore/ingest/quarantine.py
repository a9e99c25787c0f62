"""The rows an import kept back: list them, export them to fix, clear them.

An export is a CSV of the rows as the import read them (its columns are the file's, or a
profile's fields), so a person can fix the values and import the file again as the same
kind; `retry` does that and clears the batch's quarantine when the fixed rows load.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

from healthscore.errors import ImportRejected
from healthscore.store.db import Store

__all__ = ["clear_quarantine", "export_quarantine", "list_quarantine"]


def _where(batch: str | None, kind: str | None) -> tuple[str, list[object]]:
    conds: list[str] = []
    params: list[object] = []
    if batch:
        conds.append("batch_id = ?")
        params.append(batch)
    if kind:
        conds.append("kind = ?")
        params.append(kind)
    return ("WHERE " + " AND ".join(conds)) if conds else "", params


def list_quarantine(
    store: Store, batch: str | None = None, kind: str | None = None, limit: int = 100
) -> list[dict[str, object]]:
    """One row per problem: batch, kind, file, line, field, value and reason."""
    where, params = _where(batch, kind)
    rows = store.con.execute(
        "SELECT batch_id, kind, file, line, field, value, reason FROM quarantine "
        f"{where} ORDER BY quarantined_at DESC, batch_id, file, line LIMIT {int(limit)}",
        params,
    ).fetchall()
    names = ["batch", "kind", "file", "line", "field", "value", "reason"]
    return [dict(zip(names, r, strict=True)) for r in rows]


def export_quarantine(
    store: Store, out: Path, batch: str | None = None, kind: str | None = None
) -> int:
    """Write the kept-back rows (one per source row) as CSV; return how many."""
    where, params = _where(batch, kind)
    kinds = [
        r[0]
        for r in store.con.execute(
            f"SELECT DISTINCT kind FROM quarantine {where}", params
        ).fetchall()
    ]
    if not kinds:
        raise ImportRejected("nothing in quarantine" + (f" for batch {batch}" if batch else ""))
    if len(kinds) > 1:
        raise ImportRejected(
            f"quarantine holds rows of several kinds ({', '.join(sorted(kinds))}); export one "
            "at a time with --kind or --batch, since each file is imported as one kind"
        )
    rows = store.con.execute(
        f"SELECT any_value(raw) FROM quarantine {where} GROUP BY batch_id, file, line "
        "ORDER BY batch_id, file, line",
        params,
    ).fetchall()
    records = [json.loads(r[0]) for r in rows if r[0]]
    cols: list[str] = []
    for rec in records:
        cols.extend(k for k in rec if k not in cols)
    out.parent.mkdir(parents=True, exist_ok=True)
    with out.open("w", newline="", encoding="utf-8") as fh:
        w = csv.DictWriter(fh, fieldnames=cols)
        w.writeheader()
        for rec in records:
            w.writerow({k: "" if v is None else v for k, v in rec.items()})
    return len(records)


def clear_quarantine(store: Store, batch: str | None = None, kind: str | None = None) -> int:
    """Delete kept-back rows (of one batch or kind, or all); return how many rows went."""
    where, params = _where(batch, kind)
    with store.transaction() as tx:
        n = tx.execute(
            f"SELECT count(DISTINCT (batch_id, file, line)) FROM quarantine {where}", params
        ).fetchone()[0]  # type: ignore[index]
        tx.execute(f"DELETE FROM quarantine {where}", params)
    return int(n)


def quarantine_kind(store: Store, batch: str) -> str:
    row = store.con.execute(
        "SELECT kind FROM import_batches WHERE batch_id = ?", [batch]
    ).fetchone()
    if row is None:
        raise ImportRejected(f"no import batch {batch!r}; see `healthscore imports list`")
    return str(row[0])
