"""My CTAs: the signed-in CSM's queue by priority, the snoozed and the deferred backlog,
each with its playbook checklist; tick a step, snooze, close with an outcome, reassign.

Built on `healthscore.actions` (its lifecycle writes the CTA history); without that
feature the page says there are no calls-to-action yet.
"""

from __future__ import annotations

import datetime as dt

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response

from healthscore.auth import User, allowed, may_edit_account
from healthscore.errors import HealthscoreError
from healthscore.store import Store
from healthscore.store.queries import known_owners
from healthscore.web.ctas_data import actions_module
from healthscore.web.deps import Forbidden, NotFound, require
from healthscore.web.store_access import get_store
from healthscore.web.templating import render

router = APIRouter(include_in_schema=False)  # pages, not API

_ALL = "*"


def _owner_filter(user: User, owner: str | None) -> str | None:
    """Whose queue to show: a CSM's own by default; `*` (everyone's) or another owner."""
    if owner == _ALL:
        return None
    if owner:
        return owner
    return user.display_name if str(user.role) == "csm" else None


@router.get("/ctas")
def ctas_page(
    request: Request,
    owner: str = "",
    done: str = "",
    user: User = Depends(require("read")),
    store: Store = Depends(get_store),
) -> Response:
    mod = actions_module()
    ctx: dict[str, object] = {"available": mod is not None, "done": done}
    if mod is not None:
        who = _owner_filter(user, owner)
        ctas = [c.as_dict() for c in mod.list_ctas(store, owner=who)]
        for c in ctas:
            c["may_edit"] = allowed(user.role, "close_cta") and may_edit_account(user, c["owner"])
        ctx.update(
            owner=who,
            owner_param=owner,
            owners=known_owners(store),
            active=[
                c for c in ctas if not c["deferred"] and c["status"] in ("open", "in_progress")
            ],
            snoozed=[c for c in ctas if c["status"] == "snoozed"],
            backlog=[c for c in ctas if c["deferred"] and c["status"] != "snoozed"],
            outcomes=mod.OUTCOMES,
            today=dt.date.today().isoformat(),
        )
    return render(request, "ctas.html", ctx, user=user, active="ctas")


def _editable(store: Store, user: User, cta_id: int) -> object:
    mod = actions_module()
    if mod is None:
        raise NotFound("there are no calls-to-action in this installation")
    cta = mod.get_cta(store, cta_id)
    if not may_edit_account(user, cta.owner):
        raise Forbidden(
            f"call-to-action {cta_id} belongs to {cta.owner or 'nobody'}; only its owner or "
            "an admin may change it"
        )
    return mod


def _back(next_url: str, what: str) -> Response:
    from healthscore.web.views.auth import safe_next

    target = safe_next(next_url)
    sep = "&" if "?" in target else "?"
    return RedirectResponse(f"{target}{sep}done={what}", status_code=303)


@router.post("/ctas/{cta_id}/close")
def close(
    request: Request,
    cta_id: int,
    outcome: str = Form(...),
    note: str = Form(""),
    next: str = Form("/ctas"),
    user: User = Depends(require("close_cta")),
    store: Store = Depends(get_store),
) -> Response:
    mod = _editable(store, user, cta_id)
    mod.close_cta(store, cta_id, actor=user.username, outcome=outcome, note=note.strip() or None)  # type: ignore[attr-defined]
    return _back(next, "closed")


@router.post("/ctas/{cta_id}/snooze")
def snooze(
    request: Request,
    cta_id: int,
    until: str = Form(...),
    reason: str = Form(...),
    next: str = Form("/ctas"),
    user: User = Depends(require("close_cta")),
    store: Store = Depends(get_store),
) -> Response:
    mod = _editable(store, user, cta_id)
    try:
        day = dt.date.fromisoformat(until)
    except ValueError:
        raise HealthscoreError(f"snooze until {until!r}: give a date as YYYY-MM-DD") from None
    mod.snooze_cta(store, cta_id, actor=user.username, until=day, reason=reason)  # type: ignore[attr-defined]
    return _back(next, "snoozed")


@router.post("/ctas/{cta_id}/start")
def start(
    request: Request,
    cta_id: int,
    next: str = Form("/ctas"),
    user: User = Depends(require("close_cta")),
    store: Store = Depends(get_store),
) -> Response:
    mod = _editable(store, user, cta_id)
    mod.update_cta(store, cta_id, actor=user.username, status="in_progress")  # type: ignore[attr-defined]
    return _back(next, "started")


@router.post("/ctas/{cta_id}/steps/{step_no}")
def tick(
    request: Request,
    cta_id: int,
    step_no: int,
    next: str = Form("/ctas"),
    user: User = Depends(require("close_cta")),
    store: Store = Depends(get_store),
) -> Response:
    mod = _editable(store, user, cta_id)
    mod.tick_step(store, cta_id, step_no, actor=user.username)  # type: ignore[attr-defined]
    return _back(next, "ticked")


@router.post("/ctas/{cta_id}/assign")
def assign(
    request: Request,
    cta_id: int,
    owner: str = Form(...),
    next: str = Form("/ctas"),
    user: User = Depends(require("close_cta")),
    store: Store = Depends(get_store),
) -> Response:
    mod = _editable(store, user, cta_id)
    mod.assign_cta(store, cta_id, actor=user.username, owner=owner)  # type: ignore[attr-defined]
    return _back(next, "assigned")
