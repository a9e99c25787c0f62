"""What a metric family is: its catalogue entries, its queries and its derived columns.

Each module of `healthscore.metrics.families` defines one `Family`; `compute_metrics` and
`metric_catalog` only iterate over them, so a metric is named, computed, zero-filled and
described in one module.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import pandas as pd

from healthscore.metrics._columns import Columns
from healthscore.metrics._context import Context
from healthscore.metrics._plan import Plan
from healthscore.metrics._run import Run
from healthscore.metrics.catalog import MetricInfo

__all__ = ["Family"]


def _no_derive(frame: Columns, ctx: Context, plan: Plan) -> None:
    return None


@dataclass(frozen=True)
class Family:
    """One metric family.

    name
        Its group in the catalogue (usage, adoption, support, ...).
    catalog(ctx, windows)
        Its metrics for a store of this shape, in output order.
    query(run)
        Its rows per (as_of, account_id), fetched from the engine (None when the store has
        no data for it); attached to the metric table by key.  The usage scans run before
        the rows exist (an account can exist from its first event), so usage and adoption
        have no query of this kind: their inputs come with the rows.
    derive(frame, ctx, plan)
        Ratios, changes, ages and zero-filled counts, written into the metric table in
        place, after every family's query has been attached.
    """

    name: str
    catalog: Callable[[Context, Sequence[int]], list[MetricInfo]]
    query: Callable[[Run], pd.DataFrame | None] | None = None
    derive: Callable[[Columns, Context, Plan], None] = _no_derive
