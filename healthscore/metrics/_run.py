"""One metric run: the backend, the store's shape, the time plan and the dates table.

Every family reads the store through a `Run`, so the account filter, the no-peeking join to
the as-of dates and the recording of queries for the SQL snapshots are written once.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import ibis
import pandas as pd
import pyarrow as pa

from healthscore.metrics._context import Context
from healthscore.metrics._helpers import as_dates
from healthscore.metrics._plan import Plan

__all__ = ["Run"]


class Run:
    """The backend, the store shape (`ctx`) and the time plan of one compute_metrics call."""

    def __init__(self, backend: Any, ctx: Context, plan: Plan, accounts: list[str] | None):
        self.backend = backend
        # metric_sql() records every query per family, for the SQL snapshot tests.
        self.recorded: list[tuple[str, Any]] | None = None
        self.family = ""
        self.ctx = ctx
        self.plan = plan
        self.accounts = accounts
        self.dates = ibis.memtable(plan.dates_table())

    def table(self, name: str) -> Any:
        """A store table, restricted to the run's accounts when it has some."""
        t = self.backend.table(name)
        if self.accounts is not None:
            t = t.filter(t.account_id.isin(self.accounts))
        return t

    def fetch(self, expr: Any) -> pd.DataFrame:
        """The result of `expr` as a DataFrame, with `as_of` as `datetime.date`."""
        if self.recorded is not None:
            self.recorded.append((self.family, expr))
        df = self.backend.execute(expr)
        if "as_of" in df.columns:
            df["as_of"] = as_dates(df["as_of"])
        return df

    def batches(self, expr: Any) -> Iterator[pa.RecordBatch]:
        """The result of `expr` as Arrow record batches of the expression's schema: long
        results (accounts x segments x types) are converted batch by batch, never held
        whole as Python objects or as a second copy."""
        if self.recorded is not None:
            self.recorded.append((self.family, expr))
        schema = expr.schema().to_pyarrow()
        for batch in self.backend.to_pyarrow_batches(expr, chunk_size=1 << 20):
            yield batch.cast(schema)

    def by_date(self, t: Any, time_col: str) -> Any:
        """Rows of `t` joined to every as_of they are visible at (time < as_of + 1 day)."""
        d = self.dates
        col = t[time_col]
        if col.type().is_date():
            return t.join(d, col <= d.as_of)
        return t.join(d, col < d.end_ts)
