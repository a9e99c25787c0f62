"""Account 360: the score and why, its trend, breakdown, timeline, plan and CTAs; forms to
add a note, a judgement or a milestone (for the account's owner and admins)."""

from __future__ import annotations

import datetime as dt
import json

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response

from healthscore.auth import User, allowed, may_edit_account
from healthscore.store import Store
from healthscore.store.queries.web_lookups import account_owner, judgement_measures
from healthscore.web.account_data import account_data, resolve_account
from healthscore.web.ctas_data import account_ctas, actions_module
from healthscore.web.deps import Forbidden, require
from healthscore.web.predictions import prediction_for
from healthscore.web.records import add_rows, new_id, now_utc
from healthscore.web.store_access import get_store, hs_of
from healthscore.web.templating import render

router = APIRouter(include_in_schema=False)  # pages, not API

NOTE_KINDS = ("call", "meeting", "email", "qbr")


def _check_owner(store: Store, user: User, account_id: str) -> None:
    owner = account_owner(store, account_id)
    if not may_edit_account(user, owner):
        raise Forbidden(
            f"only the account's owner ({owner or 'nobody'}) or an admin may change "
            f"{account_id}; you are signed in as {user.username}"
        )


@router.get("/accounts/{key}")
def account_page(
    request: Request,
    key: str,
    added: str = "",
    all: str = "",
    user: User = Depends(require("read")),
    store: Store = Depends(get_store),
) -> Response:
    hs = hs_of(request)
    account_id = resolve_account(store, key)
    data = account_data(store, account_id, hs.scorecard)
    owner = account_owner(store, account_id)
    ctas = account_ctas(store, account_id)
    may_close = allowed(user.role, "close_cta")
    for c in ctas or []:
        c["may_edit"] = may_close and may_edit_account(user, c.get("owner"))
    mod = actions_module()
    ctx = {
        "a": data,
        "e": data.explanation,
        "owner": owner,
        "may_edit": may_edit_account(user, owner),
        "ctas": ctas,
        "outcomes": getattr(mod, "OUTCOMES", ()),
        "next_url": f"/accounts/{account_id}",
        "prediction": prediction_for(request.app, store, account_id),
        # "</" cannot close the script element the JSON sits in, whatever a ticket says.
        "chart_json": json.dumps(data.chart, default=str).replace("</", "<\\/"),
        "note_kinds": NOTE_KINDS,
        "measures": judgement_measures(store),
        "added": added,
        "show_all": bool(all),
        "today": hs.today().isoformat(),
    }
    return render(request, "account.html", ctx, user=user, active="portfolio")


def _back(account_id: str, what: str) -> Response:
    return RedirectResponse(f"/accounts/{account_id}?added={what}#timeline", status_code=303)


@router.post("/accounts/{key}/notes")
def add_note(
    request: Request,
    key: str,
    kind: str = Form("call"),
    notes: str = Form(...),
    occurred_on: str = Form(""),
    user: User = Depends(require("edit_own_account")),
    store: Store = Depends(get_store),
) -> Response:
    account_id = resolve_account(store, key)
    _check_owner(store, user, account_id)
    when = _when(occurred_on)
    row = {
        "interaction_id": new_id("note"),
        "account_id": account_id,
        "csm": user.display_name,
        "kind": kind if kind in NOTE_KINDS else "call",
        "direction": "outbound",
        "occurred_at": when.isoformat(sep=" "),
        "notes": notes.strip()[:4000],
    }
    add_rows(store, "interactions", [row], user)
    return _back(account_id, "note")


@router.post("/accounts/{key}/judgements")
def add_judgement(
    request: Request,
    key: str,
    measure: str = Form(...),
    value: float = Form(...),
    note: str = Form(""),
    user: User = Depends(require("edit_own_account")),
    store: Store = Depends(get_store),
) -> Response:
    account_id = resolve_account(store, key)
    _check_owner(store, user, account_id)
    row = {
        "judgement_id": new_id("judgement"),
        "account_id": account_id,
        "measure": measure.strip().lower().replace(" ", "_"),
        "value": value,
        "recorded_at": now_utc().isoformat(sep=" "),
        "csm": user.display_name,
        "note": note.strip()[:2000] or None,
    }
    add_rows(store, "judgements", [row], user)
    return _back(account_id, "judgement")


@router.post("/accounts/{key}/milestones")
def add_milestone(
    request: Request,
    key: str,
    title: str = Form(...),
    due_date: str = Form(""),
    goal_id: str = Form(""),
    user: User = Depends(require("edit_own_account")),
    store: Store = Depends(get_store),
) -> Response:
    account_id = resolve_account(store, key)
    _check_owner(store, user, account_id)
    row = {
        "milestone_id": new_id("milestone"),
        "goal_id": goal_id or None,
        "account_id": account_id,
        "title": title.strip()[:300],
        "due_date": due_date or None,
        "completed_date": None,
        "status": "planned",
    }
    add_rows(store, "milestones", [row], user)
    return _back(account_id, "milestone")


def _when(day: str) -> dt.datetime:
    """The note's time: now, or noon of the given day (a touch logged afterwards)."""
    if not day:
        return now_utc()
    try:
        return dt.datetime.combine(dt.date.fromisoformat(day), dt.time(12))
    except ValueError:
        from healthscore.errors import HealthscoreError

        raise HealthscoreError(f"date {day!r} is not a date; use YYYY-MM-DD") from None


@router.post("/predictions/run")
def run_predictions(
    request: Request,
    next: str = Form("/"),
    what: str = Form("predictions"),
    user: User = Depends(require("read")),
) -> Response:
    from healthscore.web.predictions import start_predictions
    from healthscore.web.views.auth import safe_next

    if what == "predictions":  # anything else starts nothing (a dry run of the form)
        start_predictions(request.app)
    return RedirectResponse(safe_next(next), status_code=303)
