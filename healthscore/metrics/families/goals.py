"""Goals: milestones done by as_of, and milestones overdue."""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from healthscore.metrics._columns import Columns
from healthscore.metrics._context import Context
from healthscore.metrics._family import Family
from healthscore.metrics._helpers import div, num
from healthscore.metrics._plan import Plan
from healthscore.metrics._run import Run
from healthscore.metrics.catalog import HI, LO, MetricInfo, entries

__all__ = ["FAMILY"]

_m = entries("goals")


def catalog(ctx: Context, windows: Sequence[int]) -> list[MetricInfo]:
    return [
        _m("goals_milestones_done_share", "Milestones done", "share", HI,
           "Milestones completed by as_of / milestones due or completed by as_of."),
        _m("goals_milestones_overdue", "Overdue milestones", "milestones", LO,
           "Milestones past due and not completed at as_of."),
    ]  # fmt: skip


def query(run: Run) -> pd.DataFrame | None:
    if not run.ctx.has("milestones"):
        return None
    ms = run.table("milestones")
    d = run.dates
    done = ms.completed_date.notnull() & (ms.completed_date <= d.as_of)
    due = ms.due_date.notnull() & (ms.due_date <= d.as_of)
    j = ms.join(d, due | done)
    done = j.completed_date.notnull() & (j.completed_date <= j.as_of)
    agg = j.group_by(["as_of", "account_id"]).agg(
        n=j.count(),
        done=j.count(where=done),
        goals_milestones_overdue=j.count(where=(j.due_date < j.as_of) & ~done),
    )
    df = run.fetch(agg)
    df["goals_milestones_done_share"] = div(df.pop("done"), df.pop("n"))
    return df


def derive(f: Columns, ctx: Context, plan: Plan) -> None:
    if "goals_milestones_overdue" in f:
        f["goals_milestones_overdue"] = num(f["goals_milestones_overdue"], 0.0)


FAMILY = Family("goals", catalog, query, derive)
