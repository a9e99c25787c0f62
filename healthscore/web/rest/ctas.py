"""Calls-to-action over the API: the queue, one CTA with its history, update, snooze,
assign, close with an outcome, tick a playbook step (`healthscore.actions`' Python API,
whose state machine decides what is allowed: an illegal change is a 409)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Path, Query
from pydantic import BaseModel, ConfigDict, Field

from healthscore.actions import (
    assign_cta,
    close_cta,
    cta_history,
    get_cta,
    list_ctas,
    snooze_cta,
    tick_step,
    update_cta,
)
from healthscore.auth.keys import ApiKey
from healthscore.store import Store
from healthscore.web.rest._store import rest_store as get_store
from healthscore.web.rest._util import clean
from healthscore.web.rest.auth import ReadKey, WriteKey
from healthscore.web.rest.problems import PROBLEM_RESPONSES, ProblemRoute

__all__ = ["router"]

router = APIRouter(
    prefix="/api/v1/ctas",
    tags=["calls-to-action"],
    route_class=ProblemRoute,
    responses=PROBLEM_RESPONSES,
)

CtaId = Annotated[int, Path(ge=1, le=2**62, description="The CTA's id.")]


def _actor(key: ApiKey) -> str:
    return f"api-key:{key.key_id} ({key.name})"


def _out(cta: Any) -> dict[str, Any]:
    return clean(cta.as_dict())  # type: ignore[no-any-return]


class CtaPage(BaseModel):
    total: int
    items: list[dict[str, Any]]


@router.get("", response_model=CtaPage, summary="The CTA queue, by priority")
def list_route(
    _key: Any = ReadKey,
    store: Store = Depends(get_store),
    owner: Annotated[str | None, Query(max_length=200)] = None,
    type: Annotated[str | None, Query(max_length=100, description="risk, expansion, …")] = None,
    status: Annotated[Literal["open", "in_progress", "snoozed", "closed"] | None, Query()] = None,
    account_id: Annotated[str | None, Query(max_length=200)] = None,
    include_deferred: Annotated[
        bool, Query(description="Include the backlog beyond the owner's capacity.")
    ] = True,
    include_closed: bool = False,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
) -> CtaPage:
    """Highest priority first (ARR at stake x churn probability x urgency)."""
    got = list_ctas(
        store,
        owner=owner,
        type=type,
        status=status,
        account_id=account_id,
        include_deferred=include_deferred,
        include_closed=include_closed,
    )
    return CtaPage(total=len(got), items=[_out(c) for c in got[offset : offset + limit]])


@router.get("/{cta_id}", summary="One CTA with its playbook checklist")
def get_route(
    cta_id: CtaId, _key: Any = ReadKey, store: Store = Depends(get_store)
) -> dict[str, Any]:
    return _out(get_cta(store, cta_id))


@router.get("/{cta_id}/history", summary="Who changed the CTA, when, before and after")
def history_route(
    cta_id: CtaId, _key: Any = ReadKey, store: Store = Depends(get_store)
) -> dict[str, Any]:
    return {"cta_id": cta_id, "events": clean(cta_history(store, cta_id))}


class UpdateIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    status: Literal["open", "in_progress"] | None = None
    note: str | None = Field(None, max_length=20_000)


@router.patch("/{cta_id}", summary="Start working a CTA or set its note")
def update_route(
    cta_id: CtaId, body: UpdateIn, key: ApiKey = WriteKey, store: Store = Depends(get_store)
) -> dict[str, Any]:
    return _out(update_cta(store, cta_id, actor=_actor(key), status=body.status, note=body.note))


class SnoozeIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    until: dt.date = Field(description="It wakes by itself on the first run on or after it.")
    reason: str = Field(min_length=1, max_length=2000, description="Why it can wait.")


@router.post("/{cta_id}/snooze", summary="Snooze a CTA until a date")
def snooze_route(
    cta_id: CtaId, body: SnoozeIn, key: ApiKey = WriteKey, store: Store = Depends(get_store)
) -> dict[str, Any]:
    return _out(snooze_cta(store, cta_id, actor=_actor(key), until=body.until, reason=body.reason))


class AssignIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    owner: str = Field(min_length=1, max_length=200)


@router.post("/{cta_id}/assign", summary="Give a CTA to another owner")
def assign_route(
    cta_id: CtaId, body: AssignIn, key: ApiKey = WriteKey, store: Store = Depends(get_store)
) -> dict[str, Any]:
    return _out(assign_cta(store, cta_id, actor=_actor(key), owner=body.owner))


class CloseIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    outcome: Literal["done", "saved", "lost", "not_valid"] = Field(
        description="not_valid = a false alarm (counted in the rule's false-alarm rate)."
    )
    note: str | None = Field(None, max_length=20_000)


@router.post("/{cta_id}/close", summary="Close a CTA with an outcome")
def close_route(
    cta_id: CtaId, body: CloseIn, key: ApiKey = WriteKey, store: Store = Depends(get_store)
) -> dict[str, Any]:
    return _out(close_cta(store, cta_id, actor=_actor(key), outcome=body.outcome, note=body.note))


@router.post("/{cta_id}/steps/{step_no}/done", summary="Tick a playbook step as done")
def step_route(
    cta_id: CtaId,
    step_no: Annotated[int, Path(ge=1, le=1000)],
    key: ApiKey = WriteKey,
    store: Store = Depends(get_store),
) -> dict[str, Any]:
    return _out(tick_step(store, cta_id, step_no, actor=_actor(key)))
