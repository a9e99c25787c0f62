"""Success plans (goals, milestones, self-completing milestones) and the effectiveness
report's arithmetic on hand-made CTAs with known outcomes."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from healthscore.actions import (
    PlanNotFound,
    add_plan_goal,
    add_plan_milestone,
    effectiveness,
    list_plans,
    set_milestone_status,
)
from healthscore.actions.plans import auto_complete_milestones
from healthscore.store import Store

from .conftest import add_accounts


def test_goals_and_milestones_with_owners_and_a_completing_condition(store: Store) -> None:
    add_accounts(store, ["A"])
    g = add_plan_goal(
        store, "A", "Roll out reporting", owner="Ana", target_date=dt.date(2027, 3, 31)
    )
    m1 = add_plan_milestone(store, g.goal_id, "Kick-off", due=dt.date(2026, 10, 1), owner="Ben")
    m2 = add_plan_milestone(
        store,
        g.goal_id,
        "Reports used",
        metric="events_report_created_28d",
        op="at_least",
        value=10,
    )
    (goal,) = list_plans(store, "A")
    assert (goal.owner, goal.progress, [m.owner for m in goal.milestones]) == (
        "Ana",
        0.0,
        ["Ben", None],
    )
    assert goal.milestones[0].overdue(dt.date(2026, 10, 31))
    assert goal.milestones[1].condition == "events_report_created_28d >= 10"
    # The metric condition completes the milestone by itself, once.
    frame = pd.DataFrame({"events_report_created_28d": [4.0]}, index=["A"])
    assert auto_complete_milestones(store, frame, dt.date(2026, 10, 20)) == []
    frame.loc["A"] = 12.0
    assert auto_complete_milestones(store, frame, dt.date(2026, 10, 27)) == [m2.milestone_id]
    done = set_milestone_status(store, m1.milestone_id, "done", on=dt.date(2026, 10, 28))
    assert done.completed_date == dt.date(2026, 10, 28)
    (goal,) = list_plans(store, "A")
    assert goal.progress == 1.0 and goal.milestones[1].completed_by_condition
    # The core milestones table holds them, so the Goals metrics and rules see them.
    got = store.con.execute("SELECT count(*) FROM milestones WHERE status = 'done'").fetchone()[0]
    assert got == 2
    with pytest.raises(PlanNotFound):
        add_plan_goal(store, "NOPE", "x")
    with pytest.raises(PlanNotFound):
        add_plan_milestone(store, "G-999999", "x")


def _cta_rows(store: Store, n: int, held: bool, churn_share: float, start: int) -> None:
    add_accounts(store, [f"X{start + i}" for i in range(n)])
    for i in range(n):
        acc = f"X{start + i}"
        store.con.execute(
            "INSERT INTO ctas (id, account_id, rule, type, reason, evidence, priority, status, "
            "opened_on, last_fired_on, fire_count, held_back, deferred, critical, outcome_kind, "
            "outcome_days, mode, version, created_at, updated_at) VALUES (?, ?, 'r', 'risk', 'R', "
            "'[]', 1, 'closed', DATE '2026-03-01', DATE '2026-03-01', 1, ?, false, false, 'churn', "
            "90, 'live', 2, now()::TIMESTAMP, now()::TIMESTAMP)",
            [start + i, acc, held],
        )
        store.con.execute(
            "INSERT INTO subscriptions (subscription_id, account_id, product, start_date, end_date, mrr) "
            "VALUES (?, ?, 'core', DATE '2025-01-01', ?, 100)",
            [f"s{acc}", acc, dt.date(2026, 4, 15) if i < round(n * churn_share) else None],
        )
    # Data up to the end of 2026 so every 90-day window has closed.
    store.con.execute(
        "INSERT INTO events (event_key, account_id, event_time, event_type) "
        "VALUES (1, 'X0', TIMESTAMP '2026-12-31 00:00:00', 'login')"
    )


def test_shown_vs_held_back_with_a_bootstrap_interval(store: Store) -> None:
    _cta_rows(store, 60, False, 0.1, 0)  # shown: 10 % churned
    _cta_rows(store, 60, True, 0.5, 1000)  # held back: 50 % churned
    rep = effectiveness(store)
    row = next(r for r in rep.rows if r.kind == "all")
    assert (row.shown, row.held_back) == (60, 60)
    assert row.shown_rate == pytest.approx(0.9) and row.held_rate == pytest.approx(0.5)
    assert row.effect == pytest.approx(0.4)
    assert 0.2 < row.ci_low < 0.4 < row.ci_high < 0.6
    assert row.verdict.startswith("helped: +40.0 points")
    assert row.observational is not None and "not randomised" in row.observational["label"]


def test_too_few_to_tell_is_said_plainly(store: Store) -> None:
    _cta_rows(store, 30, False, 0.1, 0)
    _cta_rows(store, 4, True, 0.5, 1000)
    row = next(r for r in effectiveness(store).rows if r.kind == "all")
    assert row.effect is None and row.verdict.startswith("too few to tell: 4 held back")


def test_a_group_with_no_bad_outcome_still_gets_an_interval(store: Store) -> None:
    _cta_rows(store, 40, False, 0.05, 0)
    _cta_rows(store, 40, True, 0.0, 1000)
    row = next(r for r in effectiveness(store).rows if r.kind == "all")
    assert row.ci_low is not None and row.ci_high is not None
    assert row.ci_low < 0 < row.ci_high  # 95 % vs 100 % on 40 each: no clear difference
    assert np.isfinite(row.ci_low)
