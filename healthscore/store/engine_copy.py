"""Bulk copies of the store's signal tables into PostgreSQL or Spark, at bulk-load speed.

PostgreSQL gets the rows through `COPY … FROM STDIN` in CSV, streamed from DuckDB in Arrow
record batches, so memory stays bounded by one batch whatever the table's size.  Each table
lands in a staging table that replaces the live one in the same transaction: a copy that
fails or is killed half-way leaves the engine's previous tables exactly as they were.

Spark reads Parquet files that DuckDB writes (its own multi-threaded writer), through the
public `spark.read.parquet`; nothing passes row by row through Python.

A manifest on the engine side (`healthscore_copies` in PostgreSQL, a JSON file beside the
Parquet for Spark) records what each table holds: its row count and a content fingerprint of
the store's rows.  A second copy skips the tables that did not change and, for a table that
only grew (every earlier row unchanged, as imports do), sends only the new rows.
"""

from __future__ import annotations

import io
import json
import shutil
import tempfile
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
    """A table's content as the engine last received it (or as the store holds it now)."""

    rows: int
    fingerprint: str


def copy_store_to(
    backend: Any,
    store: Any,
    tables: Iterable[str] | None = None,
    *,
    incremental: bool = True,
    parquet_dir: str | Path | None = None,
) -> CopyReport:
    """Copy the store's signal tables into `backend` (an Ibis PostgreSQL or PySpark backend).

    With `incremental` (the default) unchanged tables are skipped and tables that only grew
    get their new rows; otherwise every table is copied whole.  `parquet_dir` is where Spark's
    Parquet files go (a path the Spark workers can read, e.g. shared storage on a cluster);
    by default a directory that lives as long as this Python process.
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
        copier: _Copier = _PostgresCopier(backend)
    elif engine == "pyspark":
        copier = _SparkCopier(backend, parquet_dir)
    else:
        raise StoreError(f"cannot copy the store into a {engine} engine; use PostgreSQL or Spark")
    for name in names:
        table = _table(store.con, name)
        start = time.perf_counter()
        now = _state(store.con, table, None)
        before = copier.recorded(name) if incremental else None
        if before == now and copier.has_table(table):
            mode, sent = "unchanged", 0
        elif (
            before is not None
            and 0 < before.rows < now.rows
            and copier.has_table(table)
            and _state(store.con, table, before.rows) == before
        ):
            mode, sent = "append", copier.append(store.con, table, before.rows, now)
        else:
            mode, sent = "full", copier.replace(store.con, table, now)
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


def _state(con: duckdb.DuckDBPyConnection, table: Table, first_rows: int | None) -> _State:
    """Row count and an order-independent content hash of the table (or of its first rows).

    `rowid` orders rows by insertion; imports append, so the first N rows by rowid are the
    rows an earlier copy sent when none of them changed since.
    """
    cols = ", ".join(c.name for c in table.columns)
    where = "" if first_rows is None else f"WHERE rowid <= {_last_rowid(con, table, first_rows)}"
    row = con.execute(
        f"SELECT count(*), coalesce(sum(hash({cols})::HUGEINT), 0) FROM {table.name} {where}"
    ).fetchone()
    assert row is not None
    return _State(int(row[0]), str(row[1]))


def _last_rowid(con: duckdb.DuckDBPyConnection, table: Table, rows: int) -> int:
    """The rowid of the `rows`-th row in insertion order (-1 for none)."""
    if rows <= 0:
        return -1
    row = con.execute(
        f"SELECT rowid FROM {table.name} ORDER BY rowid LIMIT 1 OFFSET {int(rows) - 1}"
    ).fetchone()
    return -1 if row is None else int(row[0])


def _query(con: duckdb.DuckDBPyConnection, table: Table, skip: int) -> str:
    """The rows to send: all, or those after the first `skip` in insertion order."""
    query = _select(table)
    if skip:
        query += f" WHERE rowid > {_last_rowid(con, table, skip)}"
    return query


def _batches(con: duckdb.DuckDBPyConnection, table: Table, skip: int) -> Iterator[Any]:
    """The rows to send as Arrow record batches: memory holds one batch at a time."""
    yield from con.execute(_query(con, table, skip)).to_arrow_reader(BATCH_ROWS)


# -- the engines ---------------------------------------------------------------------------


class _Copier:
    def recorded(self, name: str) -> _State | None:
        raise NotImplementedError

    def has_table(self, table: Table) -> bool:
        raise NotImplementedError

    def replace(self, con: duckdb.DuckDBPyConnection, table: Table, now: _State) -> int:
        raise NotImplementedError

    def append(self, con: duckdb.DuckDBPyConnection, table: Table, skip: int, now: _State) -> int:
        raise NotImplementedError

    def finish(self) -> None:
        """Called once after every table is copied."""


class _PostgresCopier(_Copier):
    """COPY FROM STDIN into a staging table, swapped in with the manifest in one transaction."""

    def __init__(self, backend: Any):
        self.backend = backend
        self.pg = backend.con  # the psycopg connection Ibis holds
        with self.pg.transaction(), self.pg.cursor() as cur:
            cur.execute(
                f"CREATE TABLE IF NOT EXISTS {MANIFEST} (table_name TEXT PRIMARY KEY, "
                "row_count BIGINT NOT NULL, fingerprint TEXT NOT NULL, copied_at TIMESTAMP NOT NULL)"
            )

    def recorded(self, name: str) -> _State | None:
        with self.pg.cursor() as cur:
            cur.execute(
                f"SELECT row_count, fingerprint FROM {MANIFEST} WHERE table_name = %s", [name]
            )
            row = cur.fetchone()
        self.pg.commit()
        return None if row is None else _State(int(row[0]), str(row[1]))

    def has_table(self, table: Table) -> bool:
        with self.pg.cursor() as cur:
            cur.execute("SELECT to_regclass(%s) IS NOT NULL", [table.name])
            row = cur.fetchone()
        self.pg.commit()
        return bool(row and row[0])

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

    def _record(self, cur: Any, name: str, now: _State) -> None:
        cur.execute(
            f"INSERT INTO {MANIFEST} VALUES (%s, %s, %s, now()) ON CONFLICT (table_name) "
            "DO UPDATE SET row_count = excluded.row_count, fingerprint = excluded.fingerprint, "
            "copied_at = excluded.copied_at",
            [name, now.rows, now.fingerprint],
        )

    def replace(self, con: duckdb.DuckDBPyConnection, table: Table, now: _State) -> int:
        stage = f"{table.name}__incoming"
        ddl = ", ".join(f"{c.name} {_PG_TYPES[c.type]}" for c in table.columns)
        try:
            with self.pg.transaction(), self.pg.cursor() as cur:
                cur.execute(f"DROP TABLE IF EXISTS {stage}")
                cur.execute(f"CREATE TABLE {stage} ({ddl})")
                sent = self._stream(cur, stage, table, _batches(con, table, 0))
                cur.execute(f"DROP TABLE IF EXISTS {table.name}")
                cur.execute(f"ALTER TABLE {stage} RENAME TO {table.name}")
                self._record(cur, table.name, now)
        except Exception as exc:  # psycopg raises many kinds; the engine rolled back
            raise StoreError(
                f"copying {table.name} to PostgreSQL failed and was rolled back: {exc}"
            ) from exc
        return sent

    def append(self, con: duckdb.DuckDBPyConnection, table: Table, skip: int, now: _State) -> int:
        try:
            with self.pg.transaction(), self.pg.cursor() as cur:
                sent = self._stream(cur, table.name, table, _batches(con, table, skip))
                self._record(cur, table.name, now)
        except Exception as exc:
            raise StoreError(
                f"copying new {table.name} rows to PostgreSQL failed and was rolled back: {exc}"
            ) from exc
        return sent


class _SparkCopier(_Copier):
    """Parquet written by DuckDB, read by Spark; one file per copy and part per append."""

    def __init__(self, backend: Any, parquet_dir: str | Path | None):
        del backend
        from pyspark.sql import SparkSession

        # The session the backend runs on: Spark's process-wide default, public API only.
        self.session = SparkSession.builder.getOrCreate()
        if parquet_dir is None:
            parquet_dir = tempfile.mkdtemp(prefix="healthscore-spark-")
        self.root = Path(parquet_dir)
        self.root.mkdir(parents=True, exist_ok=True)
        self.manifest_path = self.root / f"{MANIFEST}.json"
        try:
            self.manifest: dict[str, dict[str, Any]] = json.loads(self.manifest_path.read_text())
        except (OSError, ValueError):
            self.manifest = {}
        self.views: set[str] = set()

    def recorded(self, name: str) -> _State | None:
        entry = self.manifest.get(name)
        if not entry or not (self.root / name).is_dir():
            return None
        return _State(int(entry["rows"]), str(entry["fingerprint"]))

    def has_table(self, table: Table) -> bool:
        # A view lives in one Spark session; re-register it from the files when needed.
        name = table.name
        if name not in self.views and (self.root / name).is_dir() and name in self.manifest:
            self._register(table)
        return name in self.views

    def _register(self, table: Table) -> None:
        from pyspark.sql import functions as F
        from pyspark.sql import types as T

        df = self.session.read.schema(_spark_schema(table)).parquet(str(self.root / table.name))
        # DuckDB writes timestamps without a zone; the session reads them in UTC as stored.
        for c in table.columns:
            if c.type == "TIMESTAMP":
                df = df.withColumn(c.name, F.col(c.name).cast(T.TimestampType()))
        df.createOrReplaceTempView(table.name)
        self.views.add(table.name)

    def replace(self, con: duckdb.DuckDBPyConnection, table: Table, now: _State) -> int:
        final = self.root / table.name
        stage = self.root / f"{table.name}.incoming"
        shutil.rmtree(stage, ignore_errors=True)
        stage.mkdir(parents=True)
        sent = self._write_to(con, table, 0, stage / "part-0.parquet")
        shutil.rmtree(final, ignore_errors=True)
        stage.rename(final)
        self.manifest[table.name] = {"rows": now.rows, "fingerprint": now.fingerprint, "parts": 1}
        self._save()
        self._register(table)
        return sent

    def _write_to(
        self, con: duckdb.DuckDBPyConnection, table: Table, skip: int, target: Path
    ) -> int:
        query = _query(con, table, skip)
        count = con.execute(f"SELECT count(*) FROM ({query})").fetchone()
        tmp = target.with_suffix(".tmp")
        con.execute(f"COPY ({query}) TO '{tmp}' (FORMAT parquet)")
        tmp.rename(target)  # a killed copy leaves a .tmp that no reader picks up
        return int(count[0]) if count else 0

    def append(self, con: duckdb.DuckDBPyConnection, table: Table, skip: int, now: _State) -> int:
        entry = self.manifest[table.name]
        part = int(entry.get("parts", 1))
        sent = self._write_to(con, table, skip, self.root / table.name / f"part-{part}.parquet")
        self.manifest[table.name] = {
            "rows": now.rows,
            "fingerprint": now.fingerprint,
            "parts": part + 1,
        }
        self._save()
        self._register(table)
        return sent

    def _save(self) -> None:
        tmp = self.manifest_path.with_suffix(".tmp")
        tmp.write_text(json.dumps(self.manifest, indent=1))
        tmp.replace(self.manifest_path)


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
