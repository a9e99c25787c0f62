"""What the store holds, read once per run: tables, event types, categories, measures.

The catalogue and the computation both derive their dynamic metrics (one per event type,
ticket category, judgement measure) from this, so their names can never disagree.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import pandas as pd

from healthscore.store.schema import KINDS

__all__ = ["TOP_CATEGORIES", "Context", "read_context", "slug", "unique_slugs"]

TOP_CATEGORIES = 5


def slug(value: str) -> str:
    """A metric-name-safe form of a store value ('Page View' -> 'page_view')."""
    s = re.sub(r"[^a-z0-9]+", "_", str(value).lower()).strip("_")
    return s or "blank"


def _slugs(values: list[str]) -> list[tuple[str, str]]:
    """(value, slug) pairs with unique slugs, in the order of `values`.

    Values whose slugs clash ('page_view', 'Page View') are told apart by a numeric
    suffix, never one that another value's own slug already is ('page_view_2'): a value
    spelled exactly as its slug keeps it, else the first in order does; each other one
    takes the smallest free `_2`, `_3`, ..."""
    bases = [slug(v) for v in values]
    owner: dict[str, int] = {}
    for i, (v, b) in enumerate(zip(values, bases, strict=True)):
        if b not in owner or (v == b and values[owner[b]] != b):
            owner[b] = i
    taken = set(bases)
    out = []
    for i, (v, b) in enumerate(zip(values, bases, strict=True)):
        s = b
        if owner[b] != i:
            n = 2
            while f"{b}_{n}" in taken:
                n += 1
            s = f"{b}_{n}"
            taken.add(s)
        out.append((v, s))
    return out


def unique_slugs(values: list[str]) -> dict[str, str]:
    """Each value's metric-name slug as the metrics themselves name it (from all values)."""
    return dict(_slugs(sorted(set(values))))


@dataclass(frozen=True)
class Context:
    tables: frozenset[str]
    non_empty: frozenset[str]
    event_types: tuple[tuple[str, str], ...]
    catalogue: tuple[str, ...]  # feature names (the features table, else all event types)
    first_value: tuple[str, ...]
    high_impact: tuple[str, ...]
    help_types: tuple[str, ...]
    login_types: tuple[str, ...]
    categories: tuple[tuple[str, str], ...]
    measures: tuple[tuple[str, str], ...]
    # Day number (days since 1970) of the first event in the store: usage history starts
    # there, so an account that started earlier has an unknown time to first value.
    events_start_n: float | None = None

    def has(self, table: str) -> bool:
        return table in self.non_empty


def _values(backend: Any, expr: Any) -> list[Any]:
    return [v for v in backend.execute(expr).tolist() if v is not None]


def read_context(backend: Any) -> Context:
    """Read the store's shape: a handful of small queries (distinct values, non-emptiness)."""
    present = set(backend.list_tables())
    tables = frozenset(k for k in KINDS if k in present)
    non_empty = set()
    for name in tables:
        t = backend.table(name)
        if backend.execute(t.limit(1).count()) > 0:
            non_empty.add(name)
    types: list[str] = []
    events_start_n = None
    if "events" in non_empty:
        ev = backend.table("events")
        types = sorted(_values(backend, ev.select("event_type").distinct().event_type))
        first = pd.Timestamp(backend.execute(ev.event_time.min()))
        events_start_n = float((first.normalize() - pd.Timestamp("1970-01-01")).days)
    feats: list[dict[str, Any]] = []
    if "features" in non_empty:
        feats = backend.execute(backend.table("features")).to_dict("records")
    catalogue = sorted({f["feature"] for f in feats}) if feats else list(types)
    first_value = sorted(f["feature"] for f in feats if f.get("first_value") is True)
    high_impact = sorted(f["feature"] for f in feats if f.get("category") == "high_impact")
    help_types = sorted(
        {f["feature"] for f in feats if f.get("category") == "help"}
        | {t for t in types if "help" in t.lower() or "article" in t.lower()}
    )
    login_types = sorted(
        {f["feature"] for f in feats if f.get("category") == "login"}
        | {t for t in types if t.lower() == "login"}
    )
    categories: list[str] = []
    if "tickets" in non_empty:
        tk = backend.table("tickets")
        top = tk.filter(tk.category.notnull()).group_by("category").agg(n=lambda t: t.count())
        df = backend.execute(top).sort_values(["n", "category"], ascending=[False, True])
        categories = sorted(df["category"].head(TOP_CATEGORIES).tolist())
    measures: list[str] = []
    if "judgements" in non_empty:
        jd = backend.table("judgements")
        measures = sorted(_values(backend, jd.select("measure").distinct().measure))
    return Context(
        tables=tables,
        non_empty=frozenset(non_empty),
        event_types=tuple(_slugs(types)),
        catalogue=tuple(catalogue),
        first_value=tuple(first_value),
        high_impact=tuple(high_impact),
        help_types=tuple(help_types),
        login_types=tuple(login_types),
        categories=tuple(_slugs(categories)),
        measures=tuple(_slugs(measures)),
        events_start_n=events_start_n,
    )
