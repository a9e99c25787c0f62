"""What re-scoring stored history needs: the measure rows' raw values and effective
weights of some dates, a cheap version of the score tables, and a stored card's source.

The scorecard preview (`healthscore.scoring.preview`) re-scores these in memory instead
of recomputing every account's metrics.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

import ibis
import pandas as pd

from healthscore.store.queries._backend import Source, rows, table

__all__ = ["measure_inputs", "scorecard_source", "scores_version"]


def measure_inputs(source: Source, dates: Iterable[dt.date]) -> pd.DataFrame:
    """Stored measure rows of `dates`: as_of, account_id, group_name, measure, metric,
    raw_value, normalized, weight, effective_weight, status, and the group's effective
    weight (group_effective).  Text columns come as categoricals (a few hundred distinct
    values over millions of rows), dates as datetime64."""
    days = [ibis.date(d) for d in sorted(set(dates))]
    m = table(source, "score_measures")
    g = table(source, "score_groups")
    m = m.filter(m.as_of.isin(days))
    g = g.filter(g.as_of.isin(days)).select(
        "as_of", "account_id", "group_name", group_effective=g.effective_weight
    )
    j = m.left_join(g, ["as_of", "account_id", "group_name"]).select(
        m.as_of,
        m.account_id,
        m.group_name,
        m.measure,
        m.metric,
        m.raw_value,
        m.normalized,
        m.weight,
        m.effective_weight,
        m.status,
        g.group_effective,
    )
    return j.to_pyarrow().to_pandas(strings_to_categorical=True, date_as_object=False)


def scores_version(source: Source) -> tuple[Any, ...]:
    """(rows, newest computed_at, newest as_of) of the stored snapshots: changes whenever a
    scoring run writes, and not when other tables do."""
    s = table(source, "score_snapshots")
    got = rows(s.aggregate(n=s.count(), computed=s.computed_at.max(), newest=s.as_of.max()))[0]
    return (got["n"], got["computed"], got["newest"])


def scorecard_source(source: Source, version: str) -> str | None:
    """The YAML (or JSON) a stored scorecard version was kept with (None if unknown)."""
    t = table(source, "scorecards")
    got = rows(t.filter(t.version == version).select("source").limit(1))
    return str(got[0]["source"]) if got else None
