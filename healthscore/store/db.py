"""The embedded store: one DuckDB file, opened with migrations applied."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb

from healthscore.errors import StoreError
from healthscore.store.migrations import apply_migrations

__all__ = ["Store", "open_store"]


class Store:
    """A DuckDB store file.  `con` is the raw connection; `ibis()` the same database for Ibis."""

    def __init__(self, path: Path, con: duckdb.DuckDBPyConnection):
        self.path = path
        self.con = con
        self._ibis = None

    def ibis(self):
        """An Ibis backend over this very connection (no second open of the file)."""
        if self._ibis is None:
            import ibis

            self._ibis = ibis.duckdb.from_connection(self.con)
        return self._ibis

    @contextmanager
    def transaction(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """All-or-nothing: on any error (or a kill) the store stays exactly as before."""
        self.con.execute("BEGIN TRANSACTION")
        try:
            yield self.con
        except BaseException:
            self.con.execute("ROLLBACK")
            raise
        else:
            self.con.execute("COMMIT")

    def count(self, table: str) -> int:
        return int(self.con.execute(f"SELECT count(*) FROM {table}").fetchone()[0])  # type: ignore[index]

    def close(self) -> None:
        self.con.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def open_store(
    path: str | Path,
    *,
    create: bool = True,
    read_only: bool = False,
    memory_limit: str | None = None,
) -> Store:
    """Open (and migrate) the store at `path`; with create=False a missing file is an error.

    `memory_limit` (e.g. "4GB") caps DuckDB's memory: past it, big aggregates spill to disk
    and cached table blocks are evicted, instead of growing toward 80% of RAM."""
    path = Path(path)
    limit = _memory(memory_limit) if memory_limit else None
    if not path.exists() and not create:
        raise StoreError(
            f"no store at {path}; create the store there first (empty, or filled with the "
            "demo data), or point the database setting at an existing store file"
        )
    try:
        con = duckdb.connect(str(path), read_only=read_only)
    except duckdb.IOException as exc:
        raise StoreError(f"cannot open store {path}: {exc}") from exc
    except duckdb.Error as exc:
        raise StoreError(f"{path} is not a healthscore (DuckDB) store: {exc}") from exc
    if limit:
        try:
            con.execute(f"SET memory_limit = '{limit}'")
        except duckdb.Error as exc:
            con.close()
            raise StoreError(f"memory limit {memory_limit!r} rejected: {exc}") from exc
    if not read_only:
        apply_migrations(con)
    return Store(path, con)


def _memory(value: str) -> str:
    """A memory size such as 4GB or 512 MiB (checked: it is pasted into a SET statement)."""
    if not re.fullmatch(r"\s*\d+(\.\d+)?\s*(b|kb|mb|gb|tb|kib|mib|gib|tib)\s*", value, re.I):
        raise StoreError(f"memory limit {value!r} is not a size; write it like 4GB, 512MB or 2GiB")
    return value.strip()
