"""The scorecard in force, an editor for its weights and band thresholds, a live preview of
how many accounts would change band, and saving it as a new (audited) version."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import Response

from healthscore.auth import User, allowed
from healthscore.errors import InvalidScorecard, NotEnoughData
from healthscore.store import Store
from healthscore.web.deps import require
from healthscore.web.scorecard_edit import (
    candidate_from_form,
    card_summary,
    preview,
    save_card,
    warm_preview,
)
from healthscore.web.store_access import get_store, hs_of
from healthscore.web.templating import render

router = APIRouter(include_in_schema=False)  # pages, not API


@router.get("/scorecard")
def scorecard_page(
    request: Request,
    saved: str = "",
    user: User = Depends(require("read")),
) -> Response:
    hs = hs_of(request)
    if allowed(user.role, "preview_scorecard"):
        # The first edit after a scoring run is then answered from memory too.
        warm_preview(hs.settings)
    ctx = {"card": card_summary(hs.scorecard), "saved": saved, "preview": None}
    return render(request, "scorecard.html", ctx, user=user, active="scorecard")


@router.post("/scorecard/preview")
async def scorecard_preview(
    request: Request,
    user: User = Depends(require("preview_scorecard")),
    store: Store = Depends(get_store),
) -> Response:
    hs = hs_of(request)
    form = dict(await request.form())
    ctx: dict[str, object] = {"card": card_summary(hs.scorecard), "problems": None}
    try:
        candidate = candidate_from_form(hs.scorecard, form)
        ctx["preview"] = preview(store, candidate, hs.engine)
        ctx["candidate_version"] = candidate.version
    except InvalidScorecard as exc:
        ctx["problems"] = exc.problems
        ctx["preview"] = None
    except NotEnoughData as exc:
        ctx["problems"] = [str(exc)]
        ctx["preview"] = None
    return render(request, "scorecard.html", ctx, user=user, active="scorecard", block="preview")


@router.post("/scorecard/save")
async def scorecard_save(
    request: Request,
    save: str = Form(...),  # the save button's own field: a stray post saves nothing
    user: User = Depends(require("edit_scorecard")),
    store: Store = Depends(get_store),
) -> Response:
    from fastapi.responses import RedirectResponse

    hs = hs_of(request)
    form = dict(await request.form())
    old = hs.scorecard
    candidate = candidate_from_form(old, form)
    path = save_card(hs, store, old, candidate, user)
    request.app.state.hs = hs.replace(scorecard=candidate)
    from urllib.parse import quote

    return RedirectResponse(f"/scorecard?saved={quote(str(path))}", status_code=303)
