"""A store's state as row counts and a content hash per table, to compare before/after."""

from __future__ import annotations

from pathlib import Path

import duckdb


def store_state(path: Path) -> dict[str, tuple[int, int]]:
    """{table: (rows, order-independent hash of every row)} of the store at `path`.

    Read with a plain read-only DuckDB connection, so nothing (no migration) is written."""
    con = duckdb.connect(str(path), read_only=True)
    try:
        return con_state(con)
    finally:
        con.close()


def con_state(
    con: duckdb.DuckDBPyConnection, *, stable_only: bool = False
) -> dict[str, tuple[int, int]]:
    """`store_state` over an open connection.

    `stable_only` leaves out what differs between two runs of the same command (a batch's
    id, `*_at` times), to compare one run's result with another's."""
    tables = [
        str(r[0])
        for r in con.execute(
            "SELECT table_name FROM duckdb_tables() WHERE database_name = current_database() "
            "AND schema_name = 'main' ORDER BY 1"
        ).fetchall()
    ]
    state = {}
    for t in tables:
        cols = [
            str(r[0])
            for r in con.execute(
                "SELECT column_name FROM duckdb_columns() WHERE database_name = "
                "current_database() AND schema_name = 'main' AND table_name = ? "
                "ORDER BY column_index",
                [t],
            ).fetchall()
        ]
        if stable_only:
            cols = [c for c in cols if c != "batch_id" and not c.endswith("_at")]
        row = "row(" + ", ".join(f'"{c}"' for c in cols) + ")" if cols else "0"
        n, h = con.execute(
            f'SELECT count(*), coalesce(sum(hash({row})::HUGEINT), 0) FROM "{t}"'
        ).fetchone()  # type: ignore[misc]
        state[t] = (int(n), int(h))
    return state
