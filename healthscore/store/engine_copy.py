"""Bulk copies of the store's signal tables into PostgreSQL or Spark, at bulk-load speed.

PostgreSQL gets the rows through `COPY … FROM STDIN` in CSV, streamed from DuckDB in Arrow
record batches, so memory stays bounded by one batch whatever the table's size.  Each table
lands in a staging table that replaces the live one in the same transaction: a copy that
fails or is killed half-way leaves the engine's previous tables exactly as they were.  The
tables are UNLOGGED: the engine side is a replica that the store can always rebuild, so it
skips the write-ahead log (about half the server's work in a load).  PostgreSQL empties
unlogged tables after a crash; the manifest then no longer matches and the next copy is a
whole one.

Spark reads Parquet files that DuckDB writes (its own multi-threaded writer), through the
public `spark.read.parquet`; nothing passes row by row through Python.

A manifest on the engine side (`healthscore_copies` in PostgreSQL, a JSON file beside the
Parquet for Spark) records what each table holds: its row count and a content fingerprint of
the store's rows, and the store's `rowid` of the last row it sent.  A second copy skips the
tables that did not change and, for a table that only grew (every earlier row unchanged, as
imports do), sends only the rows after that rowid; both are decided by one scan of the store's
table.  The manifest also lists the import batches the engine holds.
"""

from __future__ import annotations

import io
import json
import shutil
import tempfile
import threading
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb

from healthscore.errors import StoreError
from healthscore.store.schema import KINDS, Column, Table

__all__ = ["CopyReport", "TableCopy", "copy_store_to"]

MANIFEST = "healthscore_copies"
# Tables the store derives from the signals that metrics read too (text analysis results).
DERIVED_TABLES = ("text_analysis",)
BATCH_ROWS = 250_000
# Tables from this many rows are loaded into PostgreSQL over several connections at once.
PARALLEL_ROWS = 1_000_000
COPY_CONNECTIONS = 2
# The Spark configuration key that names the Parquet folder (see engines.spark_session).
PARQUET_DIR_CONF = "healthscore.parquet_dir"

# The store's column types in PostgreSQL.  UBIGINT (events.event_key) has no PostgreSQL or
# Spark equivalent, so it travels as DECIMAL(20,0), which holds every 64-bit unsigned value.
_PG_TYPES = {
    "VARCHAR": "TEXT",
    "DOUBLE": "DOUBLE PRECISION",
    "BIGINT": "BIGINT",
    "INTEGER": "INTEGER",
    "BOOLEAN": "BOOLEAN",
    "DATE": "DATE",
    "TIMESTAMP": "TIMESTAMP",
    "UBIGINT": "NUMERIC(20,0)",
}


@dataclass
class TableCopy:
    """What one table's copy did: 'full', 'append' (only new rows), or 'unchanged'."""

    table: str
    mode: str
    rows_sent: int
    rows_total: int
    seconds: float


@dataclass
class CopyReport:
    engine: str
    tables: list[TableCopy] = field(default_factory=list)

    @property
    def names(self) -> list[str]:
        return [t.table for t in self.tables]

    @property
    def rows_sent(self) -> int:
        return sum(t.rows_sent for t in self.tables)

    @property
    def seconds(self) -> float:
        return sum(t.seconds for t in self.tables)


@dataclass(frozen=True)
class _State:
    """A table's content as the engine last received it (or as the store holds it now).

    `last_rowid` is the store's rowid of the table's last row in insertion order (-1: none,
    or unknown for a manifest written before it was recorded); it does not take part in
    comparisons, which are about content.
    """

    rows: int
    fingerprint: str
    last_rowid: int = field(default=-1, compare=False)


def copy_store_to(
    backend: Any,
    store: Any,
    tables: Iterable[str] | None = None,
    *,
    incremental: bool = True,
    parquet_dir: str | Path | None = None,
    unlogged: bool = True,
) -> CopyReport:
    """Copy the store's signal tables into `backend` (an Ibis PostgreSQL or PySpark backend).

    With `incremental` (the default) unchanged tables are skipped and tables that only grew
    get their new rows; otherwise every table is copied whole.  `parquet_dir` is where Spark's
    Parquet files go (a path the Spark workers can read, e.g. shared storage on a cluster);
    by default the session's `healthscore.parquet_dir` setting, else a new temporary folder.  `unlogged=False`
    makes PostgreSQL's tables ordinary (logged) ones, for an engine that must keep them
    through a server crash.
    """
    if tables is None:
        present = {
            r[0] for r in store.con.execute("SELECT table_name FROM duckdb_tables()").fetchall()
        }
        names = [*KINDS, *(t for t in DERIVED_TABLES if t in present)]
    else:
        names = list(tables)
    engine = str(backend.name)
    report = CopyReport(engine)
    if engine == "postgres":
        copier: _Copier = _PostgresCopier(backend, unlogged=unlogged)
    elif engine == "pyspark":
        copier = _SparkCopier(backend, parquet_dir)
    else:
        raise StoreError(f"cannot copy the store into a {engine} engine; use PostgreSQL or Spark")
    batches = _batches_by_kind(store.con)
    for name in names:
        table = _table(store.con, name)
        start = time.perf_counter()
        before = copier.recorded(name) if incremental else None
        if before is not None and before.last_rowid < 0 < before.rows:
            # A manifest from before rowids were recorded: find the rowid once, by order.
            before = _State(
                before.rows, before.fingerprint, _last_rowid(store.con, table, before.rows)
            )
        now, prefix = _scan(store.con, table, None if before is None else before.last_rowid)
        held = batches.get(name, [])
        if before == now and copier.holds(table, before):
            mode, sent = "unchanged", 0
        elif (
            before is not None
            and 0 < before.rows < now.rows
            and prefix == before
            and copier.holds(table, before)
        ):
            assert before is not None
            mode, sent = "append", copier.append(store.con, table, before.last_rowid, now, held)
        else:
            mode, sent = "full", copier.replace(store.con, table, now, held)
        report.tables.append(TableCopy(name, mode, sent, now.rows, time.perf_counter() - start))
    copier.finish()
    return report


# -- the store side ------------------------------------------------------------------------


def _table(con: duckdb.DuckDBPyConnection, name: str) -> Table:
    """An import kind's table, or a derived table described from the store's catalogue."""
    if name in KINDS:
        return KINDS[name]
    rows = con.execute(
        "SELECT column_name, data_type FROM information_schema.columns "
        "WHERE table_name = ? ORDER BY ordinal_position",
        [name],
    ).fetchall()
    if not rows:
        raise StoreError(f"the store has no table {name!r} to copy")
    unknown = [f"{c} {t}" for c, t in rows if t not in _PG_TYPES]
    if unknown:
        raise StoreError(f"cannot copy {name}: no engine type for {', '.join(unknown)}")
    return Table(name, "", (), tuple(Column(c, t, False, "") for c, t in rows))


def _select(table: Table) -> str:
    cols = ", ".join(
        f"CAST({c.name} AS DECIMAL(20,0)) AS {c.name}" if c.type == "UBIGINT" else c.name
        for c in table.columns
    )
    return f"SELECT {cols} FROM {table.name}"


def _scan(
    con: duckdb.DuckDBPyConnection, table: Table, upto: int | None
) -> tuple[_State, _State | None]:
    """The table's state now and, in the same scan, that of its rows up to rowid `upto`.

    The fingerprint is an order-independent sum of row hashes.  `rowid` orders rows by
    insertion; imports append, so the rows up to the last rowid an earlier copy sent are the
    rows it sent when none of them changed since (same count, same fingerprint).
    """
    cols = ", ".join(c.name for c in table.columns)
    limit = -1 if upto is None else int(upto)
    row = con.execute(
        "SELECT count(*), coalesce(sum(h), 0), coalesce(max(rid), -1), "
        f"count(*) FILTER (WHERE rid <= {limit}), coalesce(sum(h) FILTER (WHERE rid <= {limit}), 0) "
        f"FROM (SELECT rowid AS rid, hash({cols})::HUGEINT AS h FROM {table.name})"
    ).fetchone()
    assert row is not None
    now = _State(int(row[0]), str(row[1]), int(row[2]))
    prefix = None if upto is None else _State(int(row[3]), str(row[4]), limit)
    return now, prefix


def _last_rowid(con: duckdb.DuckDBPyConnection, table: Table, rows: int) -> int:
    """The rowid of the `rows`-th row in insertion order (-1 for none)."""
    if rows <= 0:
        return -1
    row = con.execute(
        f"SELECT rowid FROM {table.name} ORDER BY rowid LIMIT 1 OFFSET {int(rows) - 1}"
    ).fetchone()
    return -1 if row is None else int(row[0])


def _batches_by_kind(con: duckdb.DuckDBPyConnection) -> dict[str, list[str]]:
    """The import batches whose rows each table holds now (recorded in the manifest)."""
    try:
        rows = con.execute(
            "SELECT kind, list(batch_id ORDER BY finished_at, batch_id) FROM import_batches "
            "WHERE finished_at IS NOT NULL AND undone_at IS NULL GROUP BY kind"
        ).fetchall()
    except duckdb.Error:  # a store without import history (or before undo existed)
        return {}
    return {str(kind): [str(b) for b in ids] for kind, ids in rows}


def _query(table: Table, after: int) -> str:
    """The rows to send: all, or those after rowid `after` in insertion order."""
    query = _select(table)
    if after >= 0:
        query += f" WHERE rowid > {int(after)}"
    return query


def _batches(con: duckdb.DuckDBPyConnection, table: Table, after: int) -> Iterator[Any]:
    """The rows to send as Arrow record batches: memory holds one batch at a time."""
    yield from con.execute(_query(table, after)).to_arrow_reader(BATCH_ROWS)


# -- the engines ---------------------------------------------------------------------------


class _Copier:
    def recorded(self, name: str) -> _State | None:
        raise NotImplementedError

    def holds(self, table: Table, before: _State) -> bool:
        """Whether the engine still holds the rows the manifest says it received."""
        raise NotImplementedError

    def replace(
        self, con: duckdb.DuckDBPyConnection, table: Table, now: _State, batches: list[str]
    ) -> int:
        raise NotImplementedError

    def append(
        self,
        con: duckdb.DuckDBPyConnection,
        table: Table,
        after: int,
        now: _State,
        batches: list[str],
    ) -> int:
        raise NotImplementedError

    def finish(self) -> None:
        """Called once after every table is copied."""


class _PostgresCopier(_Copier):
    """COPY FROM STDIN into an UNLOGGED staging table, swapped in with the manifest at once."""

    def __init__(self, backend: Any, *, unlogged: bool = True):
        self.backend = backend
        self.pg = backend.con  # the psycopg connection Ibis holds
        self.persistence = "UNLOGGED " if unlogged else ""
        with self.pg.transaction(), self.pg.cursor() as cur:
            cur.execute("SELECT current_schema()")
            row = cur.fetchone()
            if row is None or row[0] is None:
                raise StoreError(
                    "PostgreSQL has no schema to copy into: the URL's ?schema= names a schema "
                    "that does not exist (create it with CREATE SCHEMA, or leave ?schema= out)"
                )
            cur.execute(
                f"CREATE TABLE IF NOT EXISTS {MANIFEST} (table_name TEXT PRIMARY KEY, "
                "row_count BIGINT NOT NULL, fingerprint TEXT NOT NULL, copied_at TIMESTAMP NOT NULL)"
            )
            # Added by issue 17's second round; older manifests gain them on the next copy.
            cur.execute(f"ALTER TABLE {MANIFEST} ADD COLUMN IF NOT EXISTS last_rowid BIGINT")
            cur.execute(f"ALTER TABLE {MANIFEST} ADD COLUMN IF NOT EXISTS batches TEXT")

    def recorded(self, name: str) -> _State | None:
        with self.pg.cursor() as cur:
            cur.execute(
                f"SELECT row_count, fingerprint, last_rowid FROM {MANIFEST} WHERE table_name = %s",
                [name],
            )
            row = cur.fetchone()
        self.pg.commit()
        if row is None:
            return None
        return _State(int(row[0]), str(row[1]), -1 if row[2] is None else int(row[2]))

    def holds(self, table: Table, before: _State) -> bool:
        # An UNLOGGED table is emptied by crash recovery: a table the manifest says has rows
        # but that has none is re-copied.  One row is enough to tell (no count of the table).
        with self.pg.cursor() as cur:
            cur.execute("SELECT to_regclass(%s) IS NOT NULL", [table.name])
            row = cur.fetchone()
            present = bool(row and row[0])
            if present and before.rows > 0:
                cur.execute(f"SELECT EXISTS (SELECT 1 FROM {table.name})")
                row = cur.fetchone()
                present = bool(row and row[0])
        self.pg.commit()
        return present

    def _stream(self, cur: Any, target: str, table: Table, batches: Iterable[Any]) -> int:
        import pyarrow.csv as pacsv

        cols = ", ".join(c.name for c in table.columns)
        sent = 0
        options = pacsv.WriteOptions(include_header=False, quoting_style="all_valid")
        with cur.copy(f"COPY {target} ({cols}) FROM STDIN (FORMAT csv)") as copy:
            for batch in batches:
                if batch.num_rows == 0:
                    continue
                buf = io.BytesIO()
                pacsv.write_csv(batch, buf, write_options=options)
                copy.write(buf.getbuffer())
                sent += batch.num_rows
        return sent

    def _record(self, cur: Any, name: str, now: _State, batches: list[str]) -> None:
        cur.execute(
            f"INSERT INTO {MANIFEST} (table_name, row_count, fingerprint, copied_at, last_rowid, "
            "batches) VALUES (%s, %s, %s, now(), %s, %s) ON CONFLICT (table_name) "
            "DO UPDATE SET row_count = excluded.row_count, fingerprint = excluded.fingerprint, "
            "copied_at = excluded.copied_at, last_rowid = excluded.last_rowid, "
            "batches = excluded.batches",
            [name, now.rows, now.fingerprint, now.last_rowid, json.dumps(batches)],
        )

    def replace(
        self, con: duckdb.DuckDBPyConnection, table: Table, now: _State, batches: list[str]
    ) -> int:
        stage = f"{table.name}__incoming"
        ddl = ", ".join(f"{c.name} {_PG_TYPES[c.type]}" for c in table.columns)
        parallel = now.rows >= PARALLEL_ROWS
        try:
            if parallel:
                # The staging table must be committed for the other connections to see it;
                # a copy killed now leaves only it behind (dropped by the next copy), the
                # live table and the manifest untouched.
                with self.pg.transaction(), self.pg.cursor() as cur:
                    cur.execute(f"DROP TABLE IF EXISTS {stage}")
                    cur.execute(f"CREATE {self.persistence}TABLE {stage} ({ddl})")
                sent = self._parallel(con, table, stage, now.last_rowid)
            with self.pg.transaction(), self.pg.cursor() as cur:
                # The load is redone from the store if the commit is lost, so do not wait
                # for the WAL flush at commit.
                cur.execute("SET LOCAL synchronous_commit = off")
                if not parallel:
                    cur.execute(f"DROP TABLE IF EXISTS {stage}")
                    cur.execute(f"CREATE {self.persistence}TABLE {stage} ({ddl})")
                    sent = self._stream(cur, stage, table, _batches(con, table, -1))
                cur.execute(f"DROP TABLE IF EXISTS {table.name}")
                cur.execute(f"ALTER TABLE {stage} RENAME TO {table.name}")
                self._record(cur, table.name, now, batches)
            # Statistics now, so the first metric queries get the planner's real row counts.
            with self.pg.cursor() as cur:
                cur.execute(f"ANALYZE {table.name}")
            self.pg.commit()
        except Exception as exc:  # psycopg raises many kinds; the engine rolled back
            raise StoreError(
                f"copying {table.name} to PostgreSQL failed and was rolled back: {exc}"
            ) from exc
        return sent

    def _parallel(self, con: duckdb.DuckDBPyConnection, table: Table, stage: str, last: int) -> int:
        """COPY the table into `stage` over COPY_CONNECTIONS connections, one rowid range each.

        The server parses the rows (CSV text to values) on one core per connection; one
        connection leaves the second core idle while DuckDB and Python wait on it.
        """
        import psycopg

        with self.pg.cursor() as cur:
            cur.execute("SELECT current_schema()")
            row = cur.fetchone()
        self.pg.commit()
        target = f"{row[0] if row else 'public'}.{stage}"
        n = COPY_CONNECTIONS
        step = (last + n) // n
        counts = [0] * n
        errors: list[BaseException] = []

        def work(i: int) -> None:
            lo, hi = i * step, (i + 1) * step
            where = f" WHERE rowid >= {lo}" + (f" AND rowid < {hi}" if i < n - 1 else "")
            try:
                cursor = con.cursor()  # DuckDB: one cursor per thread
                try:
                    reader = cursor.execute(_select(table) + where).to_arrow_reader(BATCH_ROWS)
                    with (
                        psycopg.connect(self.pg.info.dsn, password=self.pg.info.password) as pg,
                        pg.cursor() as cur,
                    ):
                        cur.execute("SET synchronous_commit = off")
                        counts[i] = self._stream(cur, target, table, reader)
                finally:
                    cursor.close()
            except BaseException as exc:  # re-raised in the calling thread below
                errors.append(exc)

        threads = [threading.Thread(target=work, args=(i,)) for i in range(n)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        if errors:
            raise errors[0]
        return sum(counts)

    def append(
        self,
        con: duckdb.DuckDBPyConnection,
        table: Table,
        after: int,
        now: _State,
        batches: list[str],
    ) -> int:
        try:
            with self.pg.transaction(), self.pg.cursor() as cur:
                cur.execute("SET LOCAL synchronous_commit = off")
                sent = self._stream(cur, table.name, table, _batches(con, table, after))
                self._record(cur, table.name, now, batches)
        except Exception as exc:
            raise StoreError(
                f"copying new {table.name} rows to PostgreSQL failed and was rolled back: {exc}"
            ) from exc
        return sent


# Views this process registered in Spark: name -> (Parquet folder, parts, fingerprint).  A
# temporary view lives as long as the session, so a later copy in the same process that
# finds the same files behind it has nothing to do (registering costs a JVM round trip and
# a file listing per table).
_VIEWS: dict[str, tuple[str, int, str]] = {}


class _SparkCopier(_Copier):
    """Parquet written by DuckDB, read by Spark; one file per copy and part per append."""

    def __init__(self, backend: Any, parquet_dir: str | Path | None):
        del backend
        from pyspark.sql import SparkSession

        # The session the backend runs on: Spark's process-wide default, public API only.
        self.session = SparkSession.builder.getOrCreate()
        if parquet_dir is None:
            parquet_dir = self.session.conf.get(PARQUET_DIR_CONF, None)
        if parquet_dir is None:
            parquet_dir = tempfile.mkdtemp(prefix="healthscore-spark-")
        self.root = Path(parquet_dir)
        self.root.mkdir(parents=True, exist_ok=True)
        self.manifest_path = self.root / f"{MANIFEST}.json"
        try:
            self.manifest: dict[str, dict[str, Any]] = json.loads(self.manifest_path.read_text())
        except (OSError, ValueError):
            self.manifest = {}

    def recorded(self, name: str) -> _State | None:
        entry = self.manifest.get(name)
        if not entry or not (self.root / name).is_dir():
            return None
        return _State(
            int(entry["rows"]), str(entry["fingerprint"]), int(entry.get("last_rowid", -1))
        )

    def _key(self, name: str) -> tuple[str, int, str]:
        entry = self.manifest[name]
        return (str(self.root / name), int(entry.get("parts", 1)), str(entry["fingerprint"]))

    def holds(self, table: Table, before: _State) -> bool:
        name = table.name
        if name not in self.manifest or not (self.root / name).is_dir():
            return False
        # The view is registered on demand: only when this session does not have it already
        # over the same files.
        if _VIEWS.get(name) != self._key(name) or not self.session.catalog.tableExists(name):
            self._register(table)
        return True

    def _register(self, table: Table) -> None:
        from pyspark.sql import functions as F
        from pyspark.sql import types as T

        df = self.session.read.schema(_spark_schema(table)).parquet(str(self.root / table.name))
        # DuckDB writes timestamps without a zone; the session reads them in UTC as stored.
        for c in table.columns:
            if c.type == "TIMESTAMP":
                df = df.withColumn(c.name, F.col(c.name).cast(T.TimestampType()))
        df.createOrReplaceTempView(table.name)
        _VIEWS[table.name] = self._key(table.name)

    def replace(
        self, con: duckdb.DuckDBPyConnection, table: Table, now: _State, batches: list[str]
    ) -> int:
        final = self.root / table.name
        stage = self.root / f"{table.name}.incoming"
        shutil.rmtree(stage, ignore_errors=True)
        stage.mkdir(parents=True)
        sent = self._write_to(con, table, -1, stage / "part-0.parquet")
        _VIEWS.pop(table.name, None)
        shutil.rmtree(final, ignore_errors=True)
        stage.rename(final)
        self.manifest[table.name] = _entry(now, 1, batches)
        self._save()
        self._register(table)
        return sent

    def _write_to(
        self, con: duckdb.DuckDBPyConnection, table: Table, after: int, target: Path
    ) -> int:
        query = _query(table, after)
        # Spark (like Hadoop) skips files whose name starts with '.' or '_': a copy killed
        # while DuckDB writes leaves a hidden file that no reader picks up.
        tmp = target.parent / f".{target.name}.tmp"
        count = con.execute(f"COPY ({query}) TO '{tmp}' (FORMAT parquet)").fetchone()
        tmp.rename(target)
        return int(count[0]) if count else 0

    def append(
        self,
        con: duckdb.DuckDBPyConnection,
        table: Table,
        after: int,
        now: _State,
        batches: list[str],
    ) -> int:
        part = int(self.manifest[table.name].get("parts", 1))
        sent = self._write_to(con, table, after, self.root / table.name / f"part-{part}.parquet")
        self.manifest[table.name] = _entry(now, part + 1, batches)
        self._save()
        self._register(table)
        return sent

    def _save(self) -> None:
        tmp = self.manifest_path.with_suffix(".tmp")
        tmp.write_text(json.dumps(self.manifest, indent=1))
        tmp.replace(self.manifest_path)


def _entry(now: _State, parts: int, batches: list[str]) -> dict[str, Any]:
    return {
        "rows": now.rows,
        "fingerprint": now.fingerprint,
        "last_rowid": now.last_rowid,
        "parts": parts,
        "batches": batches,
    }


def _spark_schema(table: Table) -> Any:
    from pyspark.sql import types as T

    def spark_type(kind: str) -> Any:
        return {
            "TIMESTAMP": T.TimestampNTZType(),
            "DATE": T.DateType(),
            "BOOLEAN": T.BooleanType(),
            "INTEGER": T.LongType(),
            "BIGINT": T.LongType(),
            "DOUBLE": T.DoubleType(),
            "UBIGINT": T.DecimalType(20, 0),
        }.get(kind, T.StringType())

    return T.StructType([T.StructField(c.name, spark_type(c.type), True) for c in table.columns])
