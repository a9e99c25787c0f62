"""Success plans: goals with milestones per account (owner, due date, status).

Goals and milestones live in the same tables an import fills, so their progress feeds the
Goals group of the score (milestones done, milestones overdue) whichever way they came
in, and an overdue milestone fires the `milestone_overdue` rule.  A milestone can complete
itself from a metric condition ("report export used by at least 10 users"): each rules
run checks the open ones against the day's metrics.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import asdict, dataclass, field
from typing import Any

import pandas as pd

from healthscore.actions.lifecycle import now_utc
from healthscore.actions.model import PlanNotFound
from healthscore.errors import HealthscoreError
from healthscore.store import Store
from healthscore.store.plans import (
    add_goal,
    add_milestone,
    complete_milestones,
    next_plan_id,
    set_milestone,
    set_owner,
)
from healthscore.store.queries import account_exists
from healthscore.store.queries.plans import goal_rows, milestone_conditions, milestone_rows

__all__ = [
    "Goal",
    "Milestone",
    "add_plan_goal",
    "add_plan_milestone",
    "auto_complete_milestones",
    "list_plans",
    "set_milestone_status",
]

MILESTONE_STATUSES = ("planned", "done", "missed")
_OPS = {"at_least": ">=", "above": ">", "at_most": "<=", "below": "<", "equals": "="}


@dataclass
class Milestone:
    milestone_id: str
    goal_id: str | None
    account_id: str
    title: str
    due_date: dt.date | None
    completed_date: dt.date | None
    status: str
    owner: str | None = None
    condition: str | None = None
    completed_by_condition: bool = False

    def overdue(self, on: dt.date) -> bool:
        return self.completed_date is None and self.due_date is not None and self.due_date < on


@dataclass
class Goal:
    goal_id: str
    account_id: str
    title: str
    success_plan: str | None
    status: str | None
    target_date: dt.date | None
    owner: str | None = None
    milestones: list[Milestone] = field(default_factory=list)

    @property
    def progress(self) -> float | None:
        """Share of its milestones done (None without milestones)."""
        if not self.milestones:
            return None
        return sum(m.completed_date is not None for m in self.milestones) / len(self.milestones)

    def as_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["progress"] = self.progress
        return d


def _day(v: Any) -> dt.date | None:
    if v is None or (isinstance(v, float) and math.isnan(v)) or v is pd.NaT:
        return None
    try:
        return pd.Timestamp(v).date()
    except (TypeError, ValueError):
        return None


def _text(v: Any) -> str | None:
    return v if isinstance(v, str) else None


def list_plans(store: Store, account_id: str | None = None) -> list[Goal]:
    """Goals with their milestones (of one account, or all)."""
    goals = goal_rows(store, account_id)
    ms = milestone_rows(store, account_id)
    by_goal: dict[str | None, list[Milestone]] = {}
    for r in ms.to_dict("records"):
        cond = None
        if isinstance(r.get("metric"), str):
            cond = f"{r['metric']} {_OPS.get(r['op'], r['op'])} {r['value']:g}"
        by_goal.setdefault(_text(r["goal_id"]), []).append(
            Milestone(
                str(r["milestone_id"]),
                _text(r["goal_id"]),
                str(r["account_id"]),
                str(r["title"]),
                _day(r["due_date"]),
                _day(r["completed_date"]),
                _text(r["status"]) or ("done" if _day(r["completed_date"]) else "planned"),
                _text(r.get("owner")),
                cond,
                _day(r.get("completed_by_rule_on")) is not None,
            )
        )
    out = []
    for r in goals.to_dict("records"):
        out.append(
            Goal(
                str(r["goal_id"]),
                str(r["account_id"]),
                str(r["title"]),
                _text(r["success_plan"]),
                _text(r["status"]),
                _day(r["target_date"]),
                _text(r.get("owner")),
                by_goal.get(str(r["goal_id"]), []),
            )
        )
    return out


def add_plan_goal(
    store: Store,
    account_id: str,
    title: str,
    *,
    owner: str | None = None,
    target_date: dt.date | None = None,
    success_plan: str | None = None,
) -> Goal:
    """Add a goal to an account's success plan."""
    if not account_exists(store, account_id):
        raise PlanNotFound(f"no account {account_id!r}; list the accounts to find its id")
    if not title.strip():
        raise HealthscoreError("a goal needs a title, e.g. 'Cut onboarding time by 30%'")
    with store.transaction() as con:
        gid = next_plan_id(con, "goal")
        add_goal(
            con,
            {
                "goal_id": gid,
                "account_id": account_id,
                "title": title.strip(),
                "success_plan": success_plan,
                "status": "open",
                "created_at": now_utc(),
                "target_date": target_date,
            },
        )
        set_owner(con, "goal", gid, owner)
    return _goal(store, gid)


def _goal(store: Store, goal_id: str) -> Goal:
    for g in list_plans(store):
        if g.goal_id == goal_id:
            return g
    raise PlanNotFound(f"no goal {goal_id!r}; list the plans to see their ids")


def _milestone(store: Store, milestone_id: str) -> Milestone:
    for g in list_plans(store):
        for m in g.milestones:
            if m.milestone_id == milestone_id:
                return m
    raise PlanNotFound(f"no milestone {milestone_id!r}; list the plans to see their ids")


def add_plan_milestone(
    store: Store,
    goal_id: str,
    title: str,
    *,
    due: dt.date | None = None,
    owner: str | None = None,
    metric: str | None = None,
    op: str = "at_least",
    value: float | None = None,
) -> Milestone:
    """Add a milestone to a goal; with `metric`/`op`/`value` it completes itself on the
    first rules run where the account's metric meets the condition."""
    goal = _goal(store, goal_id)
    if metric is not None and (value is None or op not in _OPS):
        raise HealthscoreError(
            f"a completing condition needs a metric, an operator ({', '.join(_OPS)}) and a value"
        )
    with store.transaction() as con:
        mid = next_plan_id(con, "milestone")
        add_milestone(
            con,
            {
                "milestone_id": mid,
                "goal_id": goal_id,
                "account_id": goal.account_id,
                "title": title.strip(),
                "due_date": due,
                "metric": metric,
                "op": op,
                "value": value,
            },
        )
        set_owner(con, "milestone", mid, owner)
    return _milestone(store, mid)


def set_milestone_status(
    store: Store, milestone_id: str, status: str, *, on: dt.date | None = None
) -> Milestone:
    """Mark a milestone planned, done (on a date, default today) or missed."""
    if status not in MILESTONE_STATUSES:
        raise HealthscoreError(
            f"unknown milestone status {status!r}; use one of: {', '.join(MILESTONE_STATUSES)}"
        )
    _milestone(store, milestone_id)
    with store.transaction() as con:
        set_milestone(
            con,
            milestone_id,
            status=status,
            completed=(on or dt.date.today()) if status == "done" else None,
        )
    return _milestone(store, milestone_id)


def auto_complete_milestones(store: Store, metrics: pd.DataFrame, on: dt.date) -> list[str]:
    """Complete the open milestones whose metric condition holds in `metrics` (a frame
    indexed by account_id) on `on`; the ids completed."""
    conds = milestone_conditions(store)
    done: list[tuple[str, dt.date]] = []
    for r in conds.to_dict("records"):
        acc, metric = str(r["account_id"]), str(r["metric"])
        if metric not in metrics.columns or acc not in metrics.index:
            continue
        v = metrics.at[acc, metric]
        if v is None or pd.isna(v):
            continue
        v, t = float(v), float(r["value"])
        hit = {
            "at_least": v >= t,
            "above": v > t,
            "at_most": v <= t,
            "below": v < t,
            "equals": math.isclose(v, t),
        }.get(str(r["op"]), False)
        if hit:
            done.append((str(r["milestone_id"]), on))
    if done:
        with store.transaction() as con:
            complete_milestones(con, done)
    return [m for m, _ in done]
