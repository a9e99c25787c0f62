"""Where metrics run: the store itself (DuckDB), PostgreSQL or Spark, all through Ibis.

The metric library is written once against Ibis; this module turns an engine URL into an
Ibis backend; `engine_copy` moves the store's tables into a non-DuckDB engine so the same
code can run there (tests, and the `--engine … --copy` option).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import unquote, urlparse

from healthscore.errors import StoreError
from healthscore.store.engine_copy import PARQUET_DIR_CONF, CopyReport, copy_store_to

__all__ = ["CopyReport", "connect_engine", "copy_store_to", "engine_name", "spark_session"]


def connect_engine(url: str | None, store: Any) -> Any:
    """An Ibis backend for `url`: None/'duckdb' = the store, postgres(ql)://…, spark-local, spark://…."""
    if url is None or url in ("", "duckdb"):
        return store.ibis()
    if url.startswith(("postgres://", "postgresql://")):
        return _connect_postgres(url)
    if url == "spark-local" or url.startswith(("spark-local?", "spark://")):
        import ibis

        base, _, query = url.partition("?")
        params = dict(p.split("=", 1) for p in query.split("&") if "=" in p)
        master = "local[2]" if base == "spark-local" else base
        # ?parquet_dir=/shared/path: where the copy writes the Parquet the workers read.
        return ibis.pyspark.connect(spark_session(master, params.get("parquet_dir")))
    raise StoreError(
        f"unknown engine {url!r}; use 'duckdb', 'postgresql://user@host:port/db', "
        "'spark-local' or 'spark://host:port'"
    )


def _connect_postgres(url: str) -> Any:
    """Parse the URL ourselves so `?schema=name` selects a schema (tests use one per run).

    Every failure is one line that names the server (never the password) and the fix.
    """
    import ibis

    u = urlparse(url)
    params = dict(p.split("=", 1) for p in u.query.split("&") if "=" in p)
    password = unquote(u.password) if u.password else None
    where = f"{u.hostname or 'localhost'}:{u.port or 5432}"
    database = (u.path or "/").lstrip("/") or None
    schema = params.get("schema")
    try:
        backend = ibis.postgres.connect(
            host=u.hostname or "localhost",
            port=u.port or 5432,
            user=unquote(u.username) if u.username else None,
            password=password,
            database=database,
            schema=schema,
        )
    except Exception as exc:  # psycopg raises many kinds; name the engine, not the password
        raise StoreError(
            f"cannot connect to PostgreSQL at {where}: {_reason(exc, password)}"
        ) from exc
    backend.compiler = _postgres_compiler()
    if schema:
        with backend.con.cursor() as cur:
            cur.execute("SELECT 1 FROM pg_namespace WHERE nspname = %s", [schema])
            found = cur.fetchone()
        backend.con.commit()
        if not found:
            backend.disconnect()
            raise StoreError(
                f"PostgreSQL at {where} has no schema {schema!r} in database "
                f"{database or '(default)'!r}; create it (CREATE SCHEMA {schema}) or leave "
                "?schema= out of the engine URL"
            )
    return backend


def _postgres_compiler() -> Any:
    """Ibis' PostgreSQL compiler, with day differences of dates as integer subtraction.

    Ibis writes `date.delta(other, "day")` (the metrics' day numbers) as
    `EXTRACT(epoch FROM ...) / 86400`, which PostgreSQL computes in NUMERIC for every event
    row; `date - date` is already an integer count of days there, about twice as fast on
    the events scan.  The values are the same."""
    import sqlglot.expressions as sge
    from ibis.backends.sql.compilers.postgres import PostgresCompiler

    class _Compiler(PostgresCompiler):  # type: ignore[misc]
        def visit_DateDelta(self, op: Any, *, part: Any, left: Any, right: Any) -> Any:
            if isinstance(part, sge.Literal) and str(part.this).lower() == "day":
                return sge.Sub(this=left, expression=right)
            return super().visit_DateDelta(op, part=part, left=left, right=right)

    return _Compiler()


def _reason(exc: Exception, password: str | None) -> str:
    """psycopg's reason on one line, with the fix for the usual ones, and no password in it."""
    text = " ".join(str(exc).split())
    if "failed:" in text:
        text = text.split("failed:")[-1].strip()
    text = text.removeprefix("FATAL: ").split(" Is the server running")[0].strip()
    if password:
        text = text.replace(password, "***")
    if "password authentication failed" in text or "no password supplied" in text:
        text += " (check the user and password in the engine URL)"
    elif any(
        k in text for k in ("Connection refused", "resolve host", "translate host", "timeout")
    ):
        text += " (is the server running, and are the host and port right?)"
    elif "does not exist" in text:
        text += " (check the user and database names in the engine URL)"
    return text


def spark_session(master: str = "local[2]", parquet_dir: str | None = None) -> Any:
    """A SparkSession in UTC with the UI off (timestamps are UTC without a zone).

    `parquet_dir` is kept in the session's configuration (`healthscore.parquet_dir`), where
    the copy looks for it, so `score --engine 'spark://host:7077?parquet_dir=/shared/hs'
    --copy` writes the tables where the workers read them.
    """
    from pyspark.sql import SparkSession

    builder = SparkSession.builder
    if parquet_dir:
        builder = builder.config(PARQUET_DIR_CONF, unquote(parquet_dir))
    return (
        builder.master(master)
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
