"""What a query reads from: the store itself or any Ibis backend holding its tables."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, TypeAlias

if TYPE_CHECKING:
    import ibis.expr.types as ir
    from ibis.backends import BaseBackend

    from healthscore.store.db import Store

Source: TypeAlias = "Store | BaseBackend"

__all__ = ["Source", "backend", "has_table", "rows", "table"]


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
