"""SQL building blocks shared by the importers: quoting, casts, keys and batch records."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import duckdb

from healthscore.store.migrations import event_row_hash_sql
from healthscore.store.schema import Table

__all__ = [
    "delete_changed_rows",
    "event_row_hash_sql",
    "insert_new_rows",
    "new_batch_id",
    "qi",
    "ql",
    "record_batch",
]


def qi(name: str) -> str:
    """Quote an identifier (source column names can hold anything)."""
    return '"' + name.replace('"', '""') + '"'


def ql(value: str) -> str:
    """Quote a string literal."""
    return "'" + value.replace("'", "''") + "'"


def new_batch_id() -> str:
    return datetime.now(UTC).strftime("%Y%m%dT%H%M%S") + "-" + uuid.uuid4().hex[:8]


def insert_new_rows(con: duckdb.DuckDBPyConnection, table: Table, source: str) -> int:
    """Insert rows of `source` (a relation with exactly the table's columns) whose key is new.

    Idempotency lives here: an anti-join on the table key, so re-importing adds nothing.
    """
    cols = ", ".join(qi(c) for c in table.column_names)
    on = " AND ".join(f"t.{qi(k)} = s.{qi(k)}" for k in table.key)
    before = con.execute(f"SELECT count(*) FROM {table.name}").fetchone()[0]  # type: ignore[index]
    # Into an empty table nothing can clash: skip the anti-join (it doubles the cost).
    anti = "" if before == 0 else f"ANTI JOIN {table.name} t ON {on}"
    scols = ", ".join(f"s.{qi(c)}" for c in table.column_names)
    con.execute(f"INSERT INTO {table.name} ({cols}) SELECT {scols} FROM {source} s {anti}")
    after = con.execute(f"SELECT count(*) FROM {table.name}").fetchone()[0]  # type: ignore[index]
    return int(after - before)


def delete_changed_rows(con: duckdb.DuckDBPyConnection, table: Table, source: str) -> int:
    """Delete stored rows whose key is in `source` with other content; return how many.

    `import --update`: insert_new_rows then adds the new versions (their keys are free
    again), while rows identical to the stored ones stay untouched and count as duplicates.
    """
    on = " AND ".join(f"s.{qi(k)} = t.{qi(k)}" for k in table.key)
    same = " AND ".join(f"s.{qi(c)} IS NOT DISTINCT FROM t.{qi(c)}" for c in table.column_names)
    sql = (
        f"DELETE FROM {table.name} t WHERE EXISTS (SELECT 1 FROM {source} s WHERE {on}) "
        f"AND NOT EXISTS (SELECT 1 FROM {source} s WHERE {on} AND {same})"
    )
    return int(con.execute(sql).fetchone()[0])  # type: ignore[index]


def record_batch(
    con: duckdb.DuckDBPyConnection,
    batch_id: str,
    kind: str,
    files: str,
    started_at: datetime,
    *,
    rows_read: int,
    rows_inserted: int,
    rows_duplicate: int,
    rows_rejected: int,
    status: str,
    rows_updated: int = 0,
    profile: str | None = None,
    source_name: str | None = None,
) -> None:
    con.execute(
        "INSERT INTO import_batches (batch_id, kind, files, started_at, finished_at, rows_read, "
        "rows_inserted, rows_duplicate, rows_rejected, status, rows_updated, profile, "
        "source_name) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [
            batch_id,
            kind,
            files,
            started_at.replace(tzinfo=None),
            datetime.now(UTC).replace(tzinfo=None),
            rows_read,
            rows_inserted,
            rows_duplicate,
            rows_rejected,
            status,
            rows_updated,
            profile,
            source_name,
        ],
    )
