"""Product feedback: features ranked by ARR-weighted friction (tickets, low CSAT,
negative comments linked to the feature) and by adoption, with example quotes, from
`healthscore.text.feedback.feedback_report`."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response

from healthscore.auth import User
from healthscore.errors import NotEnoughData
from healthscore.store import Store
from healthscore.store.queries import known_segments
from healthscore.store.queries.web_lookups import analysed_text_count
from healthscore.text.feedback import feedback_report
from healthscore.web.deps import require
from healthscore.web.store_access import StampedCache, get_store, store_stamp
from healthscore.web.templating import render

router = APIRouter(include_in_schema=False)  # pages, not API

_cache: StampedCache[object] = StampedCache(size=16)


@router.get("/feedback")
def feedback_page(
    request: Request,
    days: int = Query(90, ge=7, le=730),
    segment: str = "",
    sort: str = "friction",
    user: User = Depends(require("read_feedback")),
    store: Store = Depends(get_store),
) -> Response:
    error = None
    report = None
    if analysed_text_count(store) == 0:
        error = (
            "No texts have been analysed in this store yet: run `healthscore text run` "
            "(the demo does it when it builds), then reload this page."
        )
    else:
        try:
            report = _cache.get(
                store_stamp(store.path),
                (days, segment),
                lambda: feedback_report(store, days=days, segment=segment or None),
            )
        except NotEnoughData as exc:
            error = str(exc)
    rows = list(report.rows) if report is not None else []  # type: ignore[attr-defined]
    if sort == "adoption":
        rows.sort(key=lambda r: (r.adoption is None, -(r.adoption or 0.0)))
    ctx = {
        "report": report,
        "rows": rows,
        "error": error,
        "days": days,
        "segment": segment,
        "segments": known_segments(store),
        "sort": sort,
    }
    return render(request, "feedback.html", ctx, user=user, active="feedback")
