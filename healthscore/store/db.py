"""The embedded store: one DuckDB file, opened with migrations applied."""

from __future__ import annotations

import os
import re
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

import duckdb

from healthscore.errors import StoreError
from healthscore.store.migrations import MIGRATIONS, apply_migrations
from healthscore.store.schema import KINDS

__all__ = ["Connection", "Store", "open_store"]

# The store's connection type, for the annotations of layers that must not import the driver.
Connection = duckdb.DuckDBPyConnection


class Store:
    """A DuckDB store file.  `con` is the raw connection; `ibis()` the same database for Ibis."""

    def __init__(
        self,
        path: Path,
        con: duckdb.DuckDBPyConnection,
        *,
        read_only: bool = False,
        memory_limit: str | None = None,
    ):
        self.path = path
        self.con = con
        self.read_only = read_only
        self.memory_limit = memory_limit  # as the user set it; None = DuckDB's default
        self._ibis = None

    @contextmanager
    def memory_budget(self, budget: str | None) -> Iterator[None]:
        """Cap DuckDB's memory at `budget` for one heavy step, unless the user set a limit.

        A limit the user chose is theirs and stays; without one DuckDB may use 80% of RAM
        before it spills, which a staging table of tens of millions of rows will.
        `budget=None`: no cap (DuckDB's default)."""
        if self.memory_limit is not None or budget is None:
            yield
            return
        was = self.con.execute("SELECT current_setting('memory_limit')").fetchone()[0]  # type: ignore[index]
        self.con.execute(f"SET memory_limit = '{_memory(budget)}'")
        back = "RESET memory_limit"
        try:
            yield
        except duckdb.OutOfMemoryException:
            # After running out under the budget, RESET left DuckDB's buffer pool at the
            # budget (while the setting read the default): set it back explicitly, to the
            # default as DuckDB prints it (rounded to 0.1 GiB).
            back = f"SET memory_limit = '{_memory(str(was))}'"
            raise
        finally:
            self.con.execute(back)

    def ibis(self):
        """An Ibis backend over this very connection (no second open of the file)."""
        if self._ibis is None:
            import ibis

            self._ibis = ibis.duckdb.from_connection(self.con)
        return self._ibis

    @contextmanager
    def transaction(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """All-or-nothing: on any error (or a kill) the store stays exactly as before.

        A full disk (or a store file that may not grow) is one `StoreError` saying so, not
        DuckDB's IOException followed by a failed rollback's TransactionException."""
        if self.read_only:
            raise StoreError(
                f"store {self.path} is read-only (the file cannot be written), and this "
                "writes to it; make the file writable, or work on a writable copy"
            )
        self.con.execute("BEGIN TRANSACTION")
        try:
            yield self.con
        except BaseException as exc:
            _rollback(self.con)
            if isinstance(exc, duckdb.Error) and (full := _disk_full(self.path, exc)):
                raise full from exc
            raise
        else:
            try:
                self.con.execute("COMMIT")
            except duckdb.Error as exc:
                _rollback(self.con)
                if full := _disk_full(self.path, exc):
                    raise full from exc
                raise

    def count(self, table: str) -> int:
        return int(self.con.execute(f"SELECT count(*) FROM {table}").fetchone()[0])  # type: ignore[index]

    def close(self) -> None:
        self.con.close()

    def copy_to(self, target: Path) -> None:
        """A consistent copy of the store in the new file `target`, made by DuckDB.

        Copying the file's bytes from this process would be unsafe: closing *any*
        descriptor of a file drops every POSIX lock the process holds on it, DuckDB's write
        lock included, and another process could then write the store alongside this one."""
        target.unlink(missing_ok=True)
        # Attached names belong to the database, shared by this process's connections: two
        # copies at once (the web app's backtest and insights jobs) need their own names.
        alias = f"_hs_copy_{uuid.uuid4().hex}"
        try:
            self.con.execute(f"ATTACH '{_sql_text(target)}' AS {alias}")
            name = str(self.con.execute("SELECT current_database()").fetchone()[0])  # type: ignore[index]
            self.con.execute(f'COPY FROM DATABASE "{name}" TO {alias}')
            self.con.execute(f"DETACH {alias}")
        except duckdb.Error as exc:
            _safe(lambda: self.con.execute(f"DETACH DATABASE IF EXISTS {alias}"))
            target.unlink(missing_ok=True)
            if full := _disk_full(target, exc):
                raise full from exc
            raise StoreError(f"cannot copy store {self.path}: {_first_line(exc)}") from exc

    def vacuum(self) -> tuple[int, int]:
        """Reclaim the space failed or replaced writes left in the file; (bytes before, after).

        DuckDB reuses freed blocks but does not shrink its file: a rejected import of
        millions of rows leaves the file that much bigger.  This copies every table into a
        fresh file beside the store and swaps it in (so it needs that much free space), then
        reopens the store.  Nothing else may hold the store meanwhile."""
        if self.read_only:
            raise StoreError(f"store {self.path} is read-only; it cannot be compacted")
        before = self.path.stat().st_size
        fresh = self.path.with_name(self.path.name + ".vacuum")
        fresh.unlink(missing_ok=True)
        self.con.execute("CHECKPOINT")
        try:
            self.con.execute(f"ATTACH '{_sql_text(fresh)}' AS _vacuum")
            name = str(self.con.execute("SELECT current_database()").fetchone()[0])  # type: ignore[index]
            self.con.execute(f'COPY FROM DATABASE "{name}" TO _vacuum')
            self.con.execute("DETACH _vacuum")
        except duckdb.Error as exc:
            _safe(lambda: self.con.execute("DETACH DATABASE IF EXISTS _vacuum"))
            fresh.unlink(missing_ok=True)
            if full := _disk_full(fresh, exc):
                raise full from exc
            raise StoreError(f"cannot compact store {self.path}: {_first_line(exc)}") from exc
        self.con.close()
        os.replace(fresh, self.path)
        self.path.with_name(self.path.name + ".wal").unlink(missing_ok=True)
        self.con = duckdb.connect(str(self.path))
        self._ibis = None
        return before, self.path.stat().st_size

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
    # Known and left open: reading the header opens and closes the file, and closing any
    # descriptor of a file drops the process's POSIX locks on it (DuckDB's write lock), so
    # a second open in a process that holds the store lets another process in.  Keeping the
    # lock (reading the header only while no connection holds the file) starved the CLI
    # under steady web traffic; the web app first needs windows in which it closes the store.
    _check_is_store(path, new_ok=create and not read_only)
    con, read_only = _open_checked(path, create, read_only, lock_timeout, on_wait)
    # Freed memory goes back to the OS in the background: otherwise what a finished big
    # aggregate used stays in the process while pandas works on its result (an alerts run
    # at 100,000 accounts peaked at 10.4 GB for a 2.5 GB metric computation).
    con.execute("SET allocator_background_threads = true")
    if limit:
        try:
            con.execute(f"SET memory_limit = '{limit}'")
        except duckdb.Error as exc:
            con.close()
            raise StoreError(f"memory limit {memory_limit!r} rejected: {exc}") from exc
    try:
        if not _already_checked(path):
            if read_only:
                _check_no_pending(con, path)
            else:
                apply_migrations(con)
            verify_schema(con, path)
            _mark_checked(path)
    except BaseException:
        con.close()
        raise
    return Store(path, con, read_only=read_only, memory_limit=limit)


def _open_checked(
    path: Path,
    create: bool,
    read_only: bool,
    lock_timeout: float,
    on_wait: Callable[[str], None] | None,
) -> tuple[duckdb.DuckDBPyConnection, bool]:
    # A store file the user may read but not write (a shared or archived copy) still
    # serves every read: open it read-only instead of failing on the write lock.
    read_only = read_only or (path.exists() and not os.access(path, os.W_OK))
    if not path.exists() and not create:
        raise StoreError(
            f"no store at {path}; create the store there first (empty, or filled with the "
            "demo data), or point the database setting at an existing store file"
        )
    return _connect(path, read_only=read_only, lock_timeout=lock_timeout, on_wait=on_wait)


# Files this process migrated and verified, by what they looked like then.  The web app
# opens the store for every request (so the CLI can write between requests); migrating and
# verifying an unchanged file again cost half of each open.  Any write, by this process or
# another, changes the file's or its WAL's size or time, so a changed store is checked again.
_CHECKED: set[tuple[str, tuple[int, int, int], tuple[int, int, int]]] = set()
_CHECKED_LOCK = threading.Lock()


def _file_stamp(path: Path) -> tuple[str, tuple[int, int, int], tuple[int, int, int]]:
    def stat(p: Path) -> tuple[int, int, int]:
        try:
            st = p.stat()
        except FileNotFoundError:
            return (0, 0, 0)
        return (st.st_ino, st.st_size, st.st_mtime_ns)

    return (str(path.resolve()), stat(path), stat(path.with_name(path.name + ".wal")))


def _already_checked(path: Path) -> bool:
    with _CHECKED_LOCK:
        return _file_stamp(path) in _CHECKED


def _mark_checked(path: Path) -> None:
    stamp = _file_stamp(path)
    with _CHECKED_LOCK:
        if len(_CHECKED) > 256:  # a long-lived process that opened many stores
            _CHECKED.clear()
        _CHECKED.add(stamp)


def _not_writable(exc: duckdb.Error) -> bool:
    text = str(exc).lower()
    return any(
        t in text for t in ("permission denied", "operation not permitted", "read-only file")
    )


def _check_no_pending(con: duckdb.DuckDBPyConnection, path: Path) -> None:
    """A read-only store cannot be migrated: it must already be at this version's schema."""
    try:
        rows = con.execute("SELECT name FROM schema_migrations").fetchall()
    except duckdb.CatalogException:
        rows = []
    done = {str(r[0]) for r in rows}
    pending = [name for name, _ in MIGRATIONS if name not in done]
    if pending:
        raise StoreError(
            f"store {path} is read-only and was written by an older healthscore "
            f"({len(pending)} schema step(s) to apply, first {pending[0]}); open it once "
            "writable so it can be upgraded, or work on a writable copy"
        )


def verify_schema(con: duckdb.DuckDBPyConnection, path: Path) -> None:
    """Every table and column of the data model is there, as the recorded migrations say.

    A store changed outside healthscore (a dropped column or table) would otherwise fail
    later with a binder error deep inside an import or a score."""
    have: dict[str, set[str]] = {}
    for table, column in con.execute(
        "SELECT table_name, column_name FROM duckdb_columns() "
        "WHERE database_name = current_database() AND schema_name = 'main'"
    ).fetchall():
        have.setdefault(str(table), set()).add(str(column))
    for kind in KINDS.values():
        cols = have.get(kind.name)
        missing = [c for c in kind.column_names if cols is not None and c not in cols]
        if cols is None or missing:
            what = (
                f"has no table {kind.name}"
                if cols is None
                else (f"table {kind.name} has no column {', '.join(missing)}")
            )
            raise StoreError(
                f"store {path} does not match its recorded schema: it {what}, although its "
                "migrations are recorded as applied (the file was changed outside "
                "healthscore); restore it from a backup, or create a new store and import "
                "the data again"
            )


def _rollback(con: duckdb.DuckDBPyConnection) -> None:
    """Roll back if a transaction is still open (a failed COMMIT or a fatal error may have
    ended it already; a second error must not hide the first)."""
    _safe(lambda: con.execute("ROLLBACK"))


def _safe(step: Callable[[], object]) -> None:
    with suppress(duckdb.Error):
        step()


_FULL = ("no space left", "disk is full", "file too large", "quota exceeded", "could not write")


def _disk_full(path: Path, exc: duckdb.Error) -> StoreError | None:
    """A StoreError for a write that failed because the disk (or a size limit) is full."""
    text = str(exc).lower()
    if not isinstance(exc, duckdb.IOException | duckdb.FatalException) or not any(
        f in text for f in _FULL
    ):
        return None
    return StoreError(
        f"the disk holding {path} is full (or the file may not grow): {_first_line(exc)}; "
        "nothing from this run was kept; free some space (`healthscore vacuum` reclaims "
        "what failed runs left in the store) and run it again"
    )


def _first_line(exc: BaseException) -> str:
    return str(exc).split("\n", 1)[0]


def _sql_text(path: Path) -> str:
    return str(path).replace("'", "''")


_LOCK_HOLDER = re.compile(r"Conflicting lock is held in (?P<prog>.*?) \(PID (?P<pid>\d+)\)")


def _connect(
    path: Path,
    *,
    read_only: bool,
    lock_timeout: float,
    on_wait: Callable[[str], None] | None,
) -> tuple[duckdb.DuckDBPyConnection, bool]:
    """duckdb.connect, waiting (with backoff) while another process holds the file's lock;
    also whether it is read-only (a file that may be read but not written opens so)."""
    deadline = time.monotonic() + lock_timeout
    delay = 0.05
    told = False
    while True:
        try:
            return duckdb.connect(str(path), read_only=read_only), read_only
        except duckdb.IOException as exc:
            holder = _LOCK_HOLDER.search(str(exc))
            if holder is None and not read_only and path.exists() and _not_writable(exc):
                read_only = True
                continue
            if holder is None:
                raise StoreError(f"cannot open store {path}: {_first_line(exc)}") from exc
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
            # Another thread of this process closing the file's last connection as this one
            # connects: a moment later the connect succeeds (seen under the web server).
            if _HANDLE_RACE in str(exc) and time.monotonic() < deadline + _RACE_WINDOW:
                time.sleep(0.01)
                continue
            raise StoreError(f"{path} is not a healthscore (DuckDB) store: {exc}") from exc


_HANDLE_RACE = "Unique file handle conflict"
_RACE_WINDOW = 2.0  # seconds a handle race is retried even with no lock wait allowed


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
