"""Success plans over the API: an account's goals with their milestones, add a goal, add a
milestone (optionally completing itself from a metric condition), set a milestone's status
(`healthscore.actions.plans`; the changes are audited with the key that made them)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Path
from pydantic import BaseModel, ConfigDict, Field

from healthscore.actions import (
    add_plan_goal,
    add_plan_milestone,
    list_plans,
    set_milestone_status,
)
from healthscore.auth.keys import ApiKey
from healthscore.store import Store
from healthscore.web.rest._store import rest_store as get_store
from healthscore.web.rest._util import clean
from healthscore.web.rest.accounts import AccountId, resolve_account
from healthscore.web.rest.auth import ReadKey, WriteKey
from healthscore.web.rest.problems import PROBLEM_RESPONSES, ProblemRoute

__all__ = ["router"]

router = APIRouter(
    prefix="/api/v1", tags=["success plans"], route_class=ProblemRoute, responses=PROBLEM_RESPONSES
)

PlanId = Annotated[str, Path(min_length=1, max_length=200)]


def _audit(store: Store, key: ApiKey, action: str, entity: str, entity_id: str, after: Any) -> None:
    from healthscore.auth.audit import record

    record(
        store,
        actor=f"api-key:{key.key_id} ({key.name})",
        action=action,
        entity=entity,
        entity_id=entity_id,
        before=None,
        after=clean(after),
    )


@router.get("/accounts/{account_id}/plans", summary="An account's success plan")
def plans_route(
    account_id: AccountId, _key: Any = ReadKey, store: Store = Depends(get_store)
) -> dict[str, Any]:
    """Goals with their milestones and progress (share of milestones done)."""
    aid = resolve_account(store, account_id)
    return {"account_id": aid, "goals": [clean(g.as_dict()) for g in list_plans(store, aid)]}


class GoalIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    title: str = Field(
        min_length=1, max_length=500, description="e.g. 'Cut onboarding time by 30%'"
    )
    owner: str | None = Field(None, max_length=200)
    target_date: dt.date | None = None
    success_plan: str | None = Field(None, max_length=500)


@router.post("/accounts/{account_id}/plans/goals", status_code=201, summary="Add a goal")
def add_goal_route(
    account_id: AccountId, body: GoalIn, key: ApiKey = WriteKey, store: Store = Depends(get_store)
) -> dict[str, Any]:
    aid = resolve_account(store, account_id)
    goal = add_plan_goal(
        store,
        aid,
        body.title,
        owner=body.owner,
        target_date=body.target_date,
        success_plan=body.success_plan,
    )
    _audit(store, key, "add goal", "goal", goal.goal_id, goal.as_dict())
    return clean(goal.as_dict())  # type: ignore[no-any-return]


class MilestoneIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    title: str = Field(min_length=1, max_length=500)
    due: dt.date | None = None
    owner: str | None = Field(None, max_length=200)
    metric: str | None = Field(
        None, max_length=200, description="Completes itself when this metric meets `op value`."
    )
    op: Literal["at_least", "above", "at_most", "below", "equals"] = "at_least"
    value: float | None = None


@router.post("/goals/{goal_id}/milestones", status_code=201, summary="Add a milestone to a goal")
def add_milestone_route(
    goal_id: PlanId, body: MilestoneIn, key: ApiKey = WriteKey, store: Store = Depends(get_store)
) -> dict[str, Any]:
    m = add_plan_milestone(
        store,
        goal_id,
        body.title,
        due=body.due,
        owner=body.owner,
        metric=body.metric,
        op=body.op,
        value=body.value,
    )
    _audit(store, key, "add milestone", "milestone", m.milestone_id, m.__dict__)
    return clean(m.__dict__)  # type: ignore[no-any-return]


class StatusIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    status: Literal["planned", "done", "missed"]
    on: dt.date | None = Field(None, description="When it was done; default: today.")


@router.post(
    "/milestones/{milestone_id}/status", summary="Mark a milestone planned, done or missed"
)
def milestone_status_route(
    milestone_id: PlanId, body: StatusIn, key: ApiKey = WriteKey, store: Store = Depends(get_store)
) -> dict[str, Any]:
    m = set_milestone_status(store, milestone_id, body.status, on=body.on)
    _audit(store, key, f"milestone {body.status}", "milestone", m.milestone_id, m.__dict__)
    return clean(m.__dict__)  # type: ignore[no-any-return]
