"""The embedded store: one DuckDB file, opened with migrations applied."""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterator
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
    lock_timeout: float = 0.0,
    on_wait: Callable[[str], None] | None = None,
) -> Store:
    """Open (and migrate) the store at `path`; with create=False a missing file is an error.

    An existing path must be a DuckDB database file; anything else (a CSV, Parquet or JSON
    file, a directory) is refused with what it is, and nothing is written to it.  An empty
    file counts as a new store.

    `memory_limit` (e.g. "4GB") caps DuckDB's memory: past it, big aggregates spill to disk
    and cached table blocks are evicted, instead of growing toward 80% of RAM.

    DuckDB lets one process at a time hold a store file.  When another holds it (an import,
    the web server), the open retries for up to `lock_timeout` seconds, calling `on_wait`
    once with who holds it, and then fails naming the holder's PID and what to do."""
    path = Path(path)
    limit = _memory(memory_limit) if memory_limit else None
    _check_is_store(path, new_ok=create and not read_only)
    if not path.exists() and not create:
        raise StoreError(
            f"no store at {path}; create the store there first (empty, or filled with the "
            "demo data), or point the database setting at an existing store file"
        )
    con = _connect(path, read_only=read_only, lock_timeout=lock_timeout, on_wait=on_wait)
    if limit:
        try:
            con.execute(f"SET memory_limit = '{limit}'")
        except duckdb.Error as exc:
            con.close()
            raise StoreError(f"memory limit {memory_limit!r} rejected: {exc}") from exc
    if not read_only:
        apply_migrations(con)
    return Store(path, con)


_LOCK_HOLDER = re.compile(r"Conflicting lock is held in (?P<prog>.*?) \(PID (?P<pid>\d+)\)")


def _connect(
    path: Path,
    *,
    read_only: bool,
    lock_timeout: float,
    on_wait: Callable[[str], None] | None,
) -> duckdb.DuckDBPyConnection:
    """duckdb.connect, waiting (with backoff) while another process holds the file's lock."""
    deadline = time.monotonic() + lock_timeout
    delay = 0.05
    told = False
    while True:
        try:
            return duckdb.connect(str(path), read_only=read_only)
        except duckdb.IOException as exc:
            holder = _LOCK_HOLDER.search(str(exc))
            if holder is None:
                raise StoreError(f"cannot open store {path}: {exc}") from exc
            who = f"process {holder['pid']} ({holder['prog']})"
            if time.monotonic() >= deadline:
                waited = f" after waiting {lock_timeout:g} s" if lock_timeout else ""
                raise StoreError(
                    f"store {path} is in use by {who}{waited}; wait for it to finish, stop it, "
                    "or raise HEALTHSCORE_LOCK_TIMEOUT (seconds)"
                ) from exc
            if on_wait is not None and not told:
                on_wait(f"store {path} is in use by {who}; waiting up to {lock_timeout:g} s")
                told = True
            time.sleep(min(delay, max(0.0, deadline - time.monotonic())))
            delay = min(delay * 2, 1.0)
        except duckdb.Error as exc:
            raise StoreError(f"{path} is not a healthscore (DuckDB) store: {exc}") from exc


# DuckDB opens a CSV, Parquet or JSON file given as a database as an in-memory database with
# the file as a view: migrations and imports then "succeed" and keep nothing.  So a path that
# exists must carry DuckDB's file header (the magic "DUCK" at offset 8) before it is opened.
_DUCKDB_MAGIC = b"DUCK"
_MAGIC_OFFSET = 8


def _check_is_store(path: Path, *, new_ok: bool) -> None:
    """Refuse an existing path that is not a DuckDB database, saying what it is.

    An empty file holds nothing to lose (``touch store.duckdb`` is a common first step), so
    where a store may be created (`new_ok`) it becomes a new one; elsewhere it is refused,
    as there is nothing to read.
    """
    if path.is_dir():
        raise StoreError(
            f"{path} is a directory, not a healthscore store; name a store file, "
            f"e.g. {path / 'healthscore.duckdb'}"
        )
    if not path.exists():
        return
    try:
        with path.open("rb") as fh:
            head = fh.read(64)
    except OSError as exc:
        raise StoreError(f"cannot read store {path}: {exc.strerror or exc}") from exc
    if not head:
        if not new_ok:
            raise StoreError(
                f"{path} is an empty file, not a healthscore store; create the store there "
                "first (empty, or filled with the demo data)"
            )
        path.unlink()  # DuckDB refuses an empty file; it becomes a new store
        return
    if head[_MAGIC_OFFSET : _MAGIC_OFFSET + len(_DUCKDB_MAGIC)] != _DUCKDB_MAGIC:
        raise StoreError(
            f"{path} is {_describe(path, head)}, not a healthscore store, and was left "
            "untouched; name a new file (e.g. healthscore.duckdb) or an existing store"
        )


def _describe(path: Path, head: bytes) -> str:
    """What a non-store file looks like, from its first bytes (and its name for text)."""
    if head.startswith(b"PAR1"):
        return "a Parquet file"
    if head.startswith(b"\x1f\x8b"):
        return "a gzip file"
    if head.startswith(b"SQLite format 3\x00"):
        return "an SQLite database"
    if head.startswith(b"PK\x03\x04"):
        return "a zip file (or an Excel workbook)"
    text = head.lstrip(b"\xef\xbb\xbf \t\r\n")
    if text[:1] in (b"{", b"["):
        return "a JSON file"
    try:
        head.decode("utf-8")
    except UnicodeDecodeError:
        if b"\x00" in head:
            return "a binary file of another format"
    return "a text file"


def _memory(value: str) -> str:
    """A memory size such as 4GB or 512 MiB (checked: it is pasted into a SET statement)."""
    if not re.fullmatch(r"\s*\d+(\.\d+)?\s*(b|kb|mb|gb|tb|kib|mib|gib|tib)\s*", value, re.I):
        raise StoreError(f"memory limit {value!r} is not a size; write it like 4GB, 512MB or 2GiB")
    return value.strip()
