"""The portfolio page: every account with its health, filters, totals and movers."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from healthscore.auth import User
from healthscore.store import Store
from healthscore.web.deps import require
from healthscore.web.store_access import get_store
from healthscore.web.templating import render

router = APIRouter()


@router.get("/")
def portfolio_page(
    request: Request,
    user: User = Depends(require("read")),
    store: Store = Depends(get_store),
) -> Response:
    return render(request, "portfolio.html", {}, user=user, active="portfolio")
