"""Session settings for imports: UTC time zone, no progress bar printed by DuckDB itself,
and no insertion-order bookkeeping (cheaper in time and memory) except when numbering lines."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager, suppress

import duckdb

__all__ = ["ordered", "utc_session"]

_SETTINGS = {
    "TimeZone": "UTC",
    "enable_progress_bar": "true",
    "enable_progress_bar_print": "false",
    # Row order only matters when numbering lines; the numbered pass turns it back on.
    "preserve_insertion_order": "false",
}


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


@contextmanager
def ordered(con: duckdb.DuckDBPyConnection) -> Iterator[None]:
    """Keep file order (for `row_number() OVER ()` line numbers) within the block."""
    old = con.execute("SELECT current_setting('preserve_insertion_order')").fetchone()[0]  # type: ignore[index]
    con.execute("SET preserve_insertion_order = true")
    try:
        yield
    except BaseException:
        # A failed read aborts the transaction, which then refuses any SET; `utc_session`
        # puts the setting back once the transaction has rolled back.
        with suppress(duckdb.Error):
            con.execute(f"SET preserve_insertion_order = {str(old).lower()}")
        raise
    con.execute(f"SET preserve_insertion_order = {str(old).lower()}")
