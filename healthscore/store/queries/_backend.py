"""What a query reads from: the store itself or any Ibis backend holding its tables."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, TypeAlias

import pandas as pd

if TYPE_CHECKING:
    import ibis.expr.types as ir
    from ibis.backends import BaseBackend

    from healthscore.store.db import Store

Source: TypeAlias = "Store | BaseBackend"

__all__ = ["Source", "backend", "frame", "has_table", "rows", "sql_frame", "table"]


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
    return name in backend(source).list_tables()


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
