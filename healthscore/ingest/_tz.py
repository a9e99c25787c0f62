"""Session settings for imports: UTC time zone, and no progress bar printed by DuckDB itself."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import duckdb

__all__ = ["utc_session"]

_SETTINGS = {"TimeZone": "UTC", "enable_progress_bar": "true", "enable_progress_bar_print": "false"}


@contextmanager
def utc_session(con: duckdb.DuckDBPyConnection) -> Iterator[None]:
    """Naive timestamp text means UTC; progress is tracked (for our bar) but not printed."""
    old = {
        k: con.execute(f"SELECT current_setting('{k}')").fetchone()[0]  # type: ignore[index]
        for k in _SETTINGS
    }
    for k, v in _SETTINGS.items():
        con.execute(f"SET {k} = '{v}'")
    try:
        yield
    finally:
        for k, v in old.items():
            con.execute(f"SET {k} = '{v}'")
