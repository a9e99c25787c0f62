"""The portfolio page: every account with its health, filters, totals and movers.

An htmx request (the filter form, a sort link, a page link) gets only the table block.
"""

from __future__ import annotations

import json
from typing import Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response

from healthscore.auth import User
from healthscore.store import Store
from healthscore.store.queries.scores import snapshot_dates
from healthscore.web.deps import require
from healthscore.web.portfolio_data import (
    PAGE_SIZE,
    RENEWAL_WINDOWS,
    SORTS,
    Filters,
    filter_rows,
    movers,
    portfolio_data,
)
from healthscore.web.store_access import get_store, hs_of
from healthscore.web.templating import is_htmx, render

router = APIRouter(include_in_schema=False)  # pages, not API


@router.get("/")
def portfolio_page(
    request: Request,
    q: str = "",
    segment: str = "",
    owner: str = "",
    band: str = "",
    renewal: str = "",
    changed: str = "",
    sort: str = "score",
    desc: str = "",
    page: int = Query(1, ge=1),
    user: User = Depends(require("read")),
    store: Store = Depends(get_store),
) -> Response:
    hs = hs_of(request)
    if not snapshot_dates(store):  # a new store: say what to do first, not an error
        return render(request, "empty.html", {"db": str(store.path)}, user=user, active="portfolio")
    data = portfolio_data(store, hs.scorecard)
    f = Filters(
        q=q.strip(),
        segment=segment,
        owner=owner,
        band=band,
        renewal=int(renewal) if renewal.isdigit() else None,
        changed=bool(changed),
        sort=sort if sort in SORTS else "score",
        desc=bool(desc),
        page=page,
    )
    shown, matched = filter_rows(data, f)
    pages = max(1, -(-matched // PAGE_SIZE))
    ctx: dict[str, Any] = {
        "data": data,
        "f": f,
        "rows": shown,
        "matched": matched,
        "pages": pages,
        "page_size": PAGE_SIZE,
        "renewal_windows": RENEWAL_WINDOWS,
        "sorts": SORTS,
        "chart_json": json.dumps(data.distribution),
    }
    block = (
        "accounts" if is_htmx(request) and request.headers.get("hx-target") == "accounts" else None
    )
    return render(request, "portfolio.html", ctx, user=user, active="portfolio", block=block)


@router.get("/movers")
def movers_fragment(
    request: Request,
    user: User = Depends(require("read")),
    store: Store = Depends(get_store),
) -> Response:
    """The movers card's content (the portfolio page loads it after it has shown)."""
    data = portfolio_data(store, hs_of(request).scorecard)
    ctx = {"data": data, "movers": movers(store, data)}
    return render(request, "_movers.html", ctx, user=user)
