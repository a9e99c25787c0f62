"""Reads of success plans: goals with their milestones, owners and completing conditions."""

from __future__ import annotations

import pandas as pd

from healthscore.store.queries._backend import Source, frame, table

__all__ = ["goal_rows", "milestone_conditions", "milestone_rows"]


def goal_rows(source: Source, account_id: str | None = None) -> pd.DataFrame:
    """Goals (every column) with their owner, by account and goal id."""
    g = table(source, "goals")
    if account_id is not None:
        g = g.filter(g.account_id == account_id)
    o = table(source, "plan_owners")
    o = o.filter(o.kind == "goal").select(o_id="item_id", owner="owner")
    j = g.left_join(o, g.goal_id == o.o_id).select(g, o.owner)
    return frame(j.order_by(["account_id", "goal_id"]))


def milestone_rows(source: Source, account_id: str | None = None) -> pd.DataFrame:
    """Milestones (every column) with owner and completing condition, by goal and due date."""
    m = table(source, "milestones")
    if account_id is not None:
        m = m.filter(m.account_id == account_id)
    o = table(source, "plan_owners")
    o = o.filter(o.kind == "milestone").select(o_id="item_id", owner="owner")
    r = table(source, "milestone_rules").select(
        r_id="milestone_id",
        metric="metric",
        op="op",
        value="value",
        completed_by_rule_on="completed_by_rule_on",
    )
    j = m.left_join(o, m.milestone_id == o.o_id).select(m, o.owner)
    j = j.left_join(r, j.milestone_id == r.r_id).select(
        j, r.metric, r["op"], r.value, r.completed_by_rule_on
    )
    return frame(j.order_by(["goal_id", "due_date", "milestone_id"]))


def milestone_conditions(source: Source) -> pd.DataFrame:
    """Open milestones that complete themselves: milestone_id, account_id, metric, op, value."""
    m = table(source, "milestones")
    r = table(source, "milestone_rules")
    j = m.join(r, m.milestone_id == r.milestone_id)
    j = j.filter(m.completed_date.isnull())
    return frame(j.select(m.milestone_id, m.account_id, r.metric, r["op"], r.value))
