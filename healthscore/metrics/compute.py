"""compute_metrics: the whole metric set for many as-of dates, set-based, in Ibis.

The engines (DuckDB, PostgreSQL, Spark) do every scan and aggregation; each family returns
one row per (as_of, account) or per (account, segment) group, which numpy places into one
table by integer codes (see _columns and families.usage) and derives ratios from
elementwise.  No Python loop runs over accounts or over dates.

A run: the usage scans, then the rows (accounts existing at each as_of, which can start at
their first event), then every other family's query, then every family's derived columns,
then the custom metrics.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from typing import Any

import ibis
import pandas as pd

from healthscore.errors import NotEnoughData
from healthscore.metrics._columns import Columns
from healthscore.metrics._context import Context, read_context
from healthscore.metrics._family import Family
from healthscore.metrics._plan import make_plan
from healthscore.metrics._rows import rows
from healthscore.metrics._run import Run
from healthscore.metrics.catalog import DEFAULT_WINDOWS, MetricInfo
from healthscore.metrics.custom import CustomMetric, compute_custom, validate_custom
from healthscore.metrics.families import (
    adoption,
    advocacy,
    financial,
    goals,
    relationship,
    sentiment,
    support,
    usage,
    voice,
)

__all__ = ["FAMILIES", "build_catalog", "compute_metrics", "metric_catalog", "metric_sql"]

# In catalogue order (GROUPS; custom metrics come last).
_FAMILIES: tuple[Family, ...] = (
    usage.FAMILY,
    adoption.FAMILY,
    support.FAMILY,
    voice.FAMILY,
    sentiment.FAMILY,
    relationship.FAMILY,
    goals.FAMILY,
    financial.FAMILY,
    advocacy.FAMILY,
)
# The query groups metric_sql reports, one SQL snapshot each: the usage scans, the rows
# ("base"), then every family with a query of its own.
FAMILIES = ("usage", "base", *(f.name for f in _FAMILIES if f.query is not None))


def build_catalog(
    ctx: Context, windows: Sequence[int], custom: Sequence[CustomMetric] = ()
) -> list[MetricInfo]:
    """The full, ordered catalogue for this store shape, windows and custom metrics."""
    out = [m for family in _FAMILIES for m in family.catalog(ctx, windows)]
    return out + [c.info() for c in custom]


def metric_catalog(
    backend: Any, windows: Sequence[int] = DEFAULT_WINDOWS, custom: Sequence[Any] | None = None
) -> list[MetricInfo]:
    """Every metric compute_metrics would return for this store (dynamic ones included)."""
    return build_catalog(read_context(backend), windows, validate_custom(custom or []))


def compute_metrics(
    backend: Any,
    as_of_dates: Sequence[dt.date],
    *,
    windows: Sequence[int] = DEFAULT_WINDOWS,
    custom: Sequence[Any] | None = None,
    accounts: Sequence[str] | None = None,
) -> pd.DataFrame:
    """One row per (as_of, existing account): as_of, account_id, is_active, then each metric."""
    run, custom_list = _prepare(backend, as_of_dates, windows, custom, accounts)
    catalog = build_catalog(run.ctx, run.plan.windows, custom_list)
    frame = _compute(run, custom_list)
    return frame.output(["is_active", *(m.name for m in catalog)])


def metric_sql(
    backend: Any,
    as_of_dates: Sequence[dt.date],
    *,
    windows: Sequence[int] = DEFAULT_WINDOWS,
    custom: Sequence[Any] | None = None,
    dialect: str | None = None,
) -> dict[str, str]:
    """The SQL each metric family runs (memtable/cache names made stable), for review and
    snapshot tests: a changed metric definition shows up as a readable SQL diff.  The
    queries are run too.  Custom metrics' queries come under "custom"; their windows add
    lookbacks to the dates table, so the other families' SQL differs from a run without."""
    run, custom_list = _prepare(backend, as_of_dates, windows, custom, None)
    run.recorded = []
    _compute(run, custom_list)
    out: dict[str, list[str]] = {}
    for family, expr in run.recorded:
        sql = str(ibis.to_sql(expr, dialect=dialect or backend.name))
        names: dict[str, str] = {}

        def stable(m: re.Match[str], names: dict[str, str] = names) -> str:
            return names.setdefault(m.group(0), f"memtable_{len(names) + 1}")

        sql = re.sub(r"ibis_[a-z]+_memtable_[a-z0-9]+", stable, sql)
        out.setdefault(family, []).append(sql.strip())
    return {f: "\n\n-- next query\n\n".join(qs) + "\n" for f, qs in out.items()}


def _prepare(
    backend: Any,
    as_of_dates: Sequence[dt.date],
    windows: Sequence[int],
    custom: Sequence[Any] | None,
    accounts: Sequence[str] | None,
) -> tuple[Run, list[CustomMetric]]:
    if not as_of_dates:
        raise NotEnoughData("compute_metrics needs at least one as_of date")
    if any(int(w) <= 0 for w in windows):
        raise ValueError(f"windows must be positive day counts, got {list(windows)}")
    custom_list = validate_custom(custom or [])
    ctx = read_context(backend)
    extra = [k * c.window_days for c in custom_list if c.window_days for k in (1, 2)]
    plan = make_plan(as_of_dates, windows, extra)
    run = Run(backend, ctx, plan, list(accounts) if accounts is not None else None)
    return run, custom_list


def _compute(run: Run, custom: list[CustomMetric]) -> Columns:
    """The metric table of a run: every family's columns, derived ones, custom ones."""
    run.family = "usage"
    dense = usage.scan(run)
    run.family = "base"
    frame = rows(run, dense)
    for family in _FAMILIES:
        if family.query is not None:
            run.family = family.name
            frame.attach(family.query(run))
    for family in _FAMILIES:
        family.derive(frame, run.ctx, run.plan)
    if custom:
        run.family = "custom"
        compute_custom(run, frame, custom)
    return frame
