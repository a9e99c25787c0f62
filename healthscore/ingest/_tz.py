"""Run import SQL with the session time zone at UTC, so naive timestamps mean UTC."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import duckdb

__all__ = ["utc_session"]


@contextmanager
def utc_session(con: duckdb.DuckDBPyConnection) -> Iterator[None]:
    """Temporarily set TimeZone=UTC (casts to TIMESTAMPTZ read naive text in this zone)."""
    old = con.execute("SELECT current_setting('TimeZone')").fetchone()[0]  # type: ignore[index]
    con.execute("SET TimeZone = 'UTC'")
    try:
        yield
    finally:
        con.execute(f"SET TimeZone = '{old}'")
