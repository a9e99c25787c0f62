"""What a query reads from: the store itself or any Ibis backend holding its tables."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, TypeAlias

import pandas as pd

if TYPE_CHECKING:
    import ibis.expr.types as ir
    from ibis.backends import BaseBackend

    from healthscore.store.db import Store

Source: TypeAlias = "Store | BaseBackend"

__all__ = [
    "Source",
    "backend",
    "frame",
    "has_table",
    "param_arrow",
    "param_frame",
    "param_rows",
    "rows",
    "sql_frame",
    "table",
]


def backend(source: Source) -> BaseBackend:
    """The Ibis backend of `source` (the store's own connection for a `Store`)."""
    ibis_of = getattr(source, "ibis", None)
    if callable(ibis_of):
        return ibis_of()  # type: ignore[no-any-return]
    return source  # type: ignore[return-value]


def table(source: Source, name: str) -> ir.Table:
    """Table `name` of `source`, as an Ibis expression."""
    return backend(source).table(name)


def has_table(source: Source, name: str) -> bool:
    """Whether `source` holds a table called `name`."""
    con = _duckdb_con(source)
    if con is not None:
        # The catalogue itself: Ibis's list_tables costs ~20 ms, this well under one.
        got = con.execute(
            "SELECT count(*) FROM information_schema.tables "
            "WHERE table_name = $name AND table_schema = current_schema()",
            {"name": name},
        ).fetchone()
        return bool(got and got[0])
    return name in backend(source).list_tables()


def _duckdb_con(source: Source) -> Any:
    """The DuckDB connection under `source` (a store, or Ibis's DuckDB backend), else None."""
    if callable(getattr(source, "ibis", None)) and hasattr(source, "con"):
        return source.con  # a Store: its own connection, no Ibis backend needed
    if getattr(source, "name", None) == "duckdb":
        return source.con  # type: ignore[union-attr]
    return None


def _translated(source: Source, duckdb_sql: str, params: Mapping[str, Any]) -> ir.Table:
    """`duckdb_sql` with its `$name` parameters as literals, as an expression of the
    source's own backend (sqlglot quotes the values; nothing is pasted as text)."""
    import sqlglot
    from sqlglot import exp

    tree = exp.replace_placeholders(sqlglot.parse_one(duckdb_sql, read="duckdb"), **params)
    return backend(source).sql(tree.sql("duckdb"), dialect="duckdb")


def param_rows(
    source: Source, duckdb_sql: str, params: Mapping[str, Any] | None = None
) -> list[dict[str, Any]]:
    """The rows of a parametrised query (DuckDB's SQL, `$name` parameters) as plain dicts,
    typed as `rows` types them.

    For the reads every page view makes (one account's rows): on the store itself the text
    runs as it is, with bound parameters, which skips Ibis's compile step (tens of ms a
    query, most of a page's time); other backends get it translated by sqlglot.  The text
    must be built by this package, never from user input; values go in `params`."""
    con = _duckdb_con(source)
    if con is not None:
        return con.execute(duckdb_sql, dict(params or {})).to_arrow_table().to_pylist()  # type: ignore[no-any-return]
    return rows(_translated(source, duckdb_sql, params or {}))


def param_arrow(source: Source, duckdb_sql: str, params: Mapping[str, Any] | None = None) -> Any:
    """`param_rows` as a pyarrow Table (for a large read kept in memory as columns)."""
    con = _duckdb_con(source)
    if con is not None:
        return con.execute(duckdb_sql, dict(params or {})).to_arrow_table()
    return _translated(source, duckdb_sql, params or {}).to_pyarrow()


def param_frame(
    source: Source, duckdb_sql: str, params: Mapping[str, Any] | None = None
) -> pd.DataFrame:
    """`param_rows` as a DataFrame shaped like `frame`'s."""
    con = _duckdb_con(source)
    if con is not None:
        df = con.execute(duckdb_sql, dict(params or {})).df()
    else:
        df = _translated(source, duckdb_sql, params or {}).to_pandas()
    for name, dtype in df.dtypes.items():
        if pd.api.types.is_datetime64_any_dtype(dtype) and getattr(dtype, "tz", None) is None:
            df[name] = df[name].astype("datetime64[us]")
    return df


def rows(expr: ir.Table) -> list[dict[str, Any]]:
    """The rows of `expr` as plain Python dicts (dates as `datetime.date`)."""
    return expr.to_pyarrow().to_pylist()  # type: ignore[no-any-return]


def frame(expr: ir.Table) -> pd.DataFrame:
    """The rows of `expr` as a DataFrame shaped like DuckDB's own `.df()`: dates and times
    as datetime64[us] columns, NULL text as None, NULL numbers as NaN."""
    df = expr.to_pandas()
    for name, dtype in df.dtypes.items():
        if pd.api.types.is_datetime64_any_dtype(dtype) and getattr(dtype, "tz", None) is None:
            df[name] = df[name].astype("datetime64[us]")
    return df


def sql_frame(source: Source, duckdb_sql: str) -> pd.DataFrame:
    """Run a query written in DuckDB's SQL on `source`, in the backend's own dialect
    (translated by sqlglot), as a DataFrame.

    For queries Ibis expresses poorly (chains of window functions); the text must be
    trusted (built by this package, never from user input)."""
    b = backend(source)
    if b.name == "duckdb":
        return b.con.execute(duckdb_sql).df()  # type: ignore[attr-defined,no-any-return]
    return b.sql(duckdb_sql, dialect="duckdb").to_pandas()  # type: ignore[no-any-return]
