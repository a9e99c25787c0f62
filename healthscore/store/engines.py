"""Where metrics run: the store itself (DuckDB), PostgreSQL or Spark, all through Ibis.

The metric library is written once against Ibis; this module turns an engine URL into an
Ibis backend and copies the store's tables into a non-DuckDB engine so the same code can
run there (tests, and the `--engine` option).
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from typing import Any
from urllib.parse import unquote, urlparse

from healthscore.errors import StoreError
from healthscore.store.schema import KINDS

__all__ = ["connect_engine", "copy_store_to", "engine_name", "spark_session"]


def connect_engine(url: str | None, store: Any) -> Any:
    """An Ibis backend for `url`: None/'duckdb' = the store, postgres(ql)://…, spark-local, spark://…."""
    if url is None or url in ("", "duckdb"):
        return store.ibis()
    if url.startswith(("postgres://", "postgresql://")):
        return _connect_postgres(url)
    if url == "spark-local" or url.startswith("spark://"):
        import ibis

        master = "local[2]" if url == "spark-local" else url
        return ibis.pyspark.connect(spark_session(master))
    raise StoreError(
        f"unknown engine {url!r}; use 'duckdb', 'postgresql://user@host:port/db', "
        "'spark-local' or 'spark://host:port'"
    )


def _connect_postgres(url: str) -> Any:
    """Parse the URL ourselves so `?schema=name` selects a schema (tests use one per run)."""
    import ibis

    u = urlparse(url)
    params = dict(p.split("=", 1) for p in u.query.split("&") if "=" in p)
    try:
        return ibis.postgres.connect(
            host=u.hostname or "localhost",
            port=u.port or 5432,
            user=unquote(u.username) if u.username else None,
            password=unquote(u.password) if u.password else None,
            database=(u.path or "/").lstrip("/") or None,
            schema=params.get("schema"),
        )
    except Exception as exc:  # psycopg raises many kinds; name the engine, not the password
        raise StoreError(f"cannot connect to PostgreSQL at {u.hostname}:{u.port}: {exc}") from exc


def spark_session(master: str = "local[2]") -> Any:
    """A SparkSession in UTC with the UI off (timestamps are UTC without a zone)."""
    from pyspark.sql import SparkSession

    return (
        SparkSession.builder.master(master)
        .appName("healthscore")
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")  # progress bars would litter stderr
        .config("spark.sql.shuffle.partitions", "4")
        .config("spark.driver.memory", "2g")
        .getOrCreate()
    )


def engine_name(backend: Any) -> str:
    """'duckdb', 'postgres' or 'pyspark' (Ibis' backend name)."""
    return str(backend.name)


def copy_store_to(
    backend: Any, store: Any, tables: Iterable[str] | None = None, *, overwrite: bool = True
) -> list[str]:
    """Copy the store's signal tables into `backend` (via Arrow); return the names copied.

    UBIGINT (events.event_key) has no PostgreSQL/Spark equivalent, so it travels as
    DECIMAL(20,0), which holds every 64-bit unsigned value exactly.
    """
    names = list(tables) if tables is not None else list(KINDS)
    for name in names:
        table = KINDS[name]
        cols = ", ".join(
            f"CAST({c.name} AS DECIMAL(20,0)) AS {c.name}" if c.type == "UBIGINT" else c.name
            for c in table.columns
        )
        data = store.con.execute(f"SELECT {cols} FROM {name}").to_arrow_table()
        if engine_name(backend) == "pyspark":
            _spark_create(backend, name, data)
        else:
            backend.create_table(name, data, overwrite=overwrite)
    return names


def _spark_create(backend: Any, name: str, data: Any) -> None:
    """Spark: an explicit schema, since empty tables have no rows to infer types from."""
    import pyarrow as pa
    from pyspark.sql import types as T

    def spark_type(t: pa.DataType) -> Any:
        if pa.types.is_timestamp(t):
            return T.TimestampType()
        if pa.types.is_date(t):
            return T.DateType()
        if pa.types.is_boolean(t):
            return T.BooleanType()
        if pa.types.is_integer(t):
            return T.LongType()
        if pa.types.is_floating(t):
            return T.DoubleType()
        if pa.types.is_decimal(t):
            return T.DecimalType(t.precision, t.scale)
        return T.StringType()

    schema = T.StructType([T.StructField(f.name, spark_type(f.type), True) for f in data.schema])
    session = backend._session
    utc = datetime.UTC

    def value(v: Any) -> Any:
        # A naive datetime would be read in the driver's local zone; stored times are UTC.
        if isinstance(v, datetime.datetime) and v.tzinfo is None:
            return v.replace(tzinfo=utc)
        return v

    rows = [tuple(value(r[f]) for f in data.column_names) for r in data.to_pylist()]
    df = session.createDataFrame(rows, schema)
    df.createOrReplaceTempView(name)
