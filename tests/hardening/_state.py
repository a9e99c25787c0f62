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


def con_state(con: duckdb.DuckDBPyConnection) -> dict[str, tuple[int, int]]:
    """`store_state` over an open connection."""
    tables = [
        str(r[0])
        for r in con.execute(
            "SELECT table_name FROM duckdb_tables() WHERE database_name = current_database() "
            "AND schema_name = 'main' ORDER BY 1"
        ).fetchall()
    ]
    state = {}
    for t in tables:
        n, h = con.execute(
            f'SELECT count(*), coalesce(sum(hash(r)::HUGEINT), 0) FROM "{t}" r'
        ).fetchone()  # type: ignore[misc]
        state[t] = (int(n), int(h))
    return state
