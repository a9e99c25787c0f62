"""The templates (Jinja2 with jinja2-fragments) and the filters pages format numbers with.

`render(request, name, context, block=...)` renders a page, or only one of its blocks for
an htmx request that swaps a fragment; the context always carries the signed-in user, a
CSRF token and the navigation the user's role may see.
"""

from __future__ import annotations

import datetime as dt
import math
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import Response
from jinja2_fragments.fastapi import Jinja2Blocks

from healthscore.auth import User, allowed
from healthscore.scoring.display import floored

__all__ = ["NAV", "TEMPLATES", "render"]

TEMPLATES_DIR = Path(__file__).parent / "templates"
TEMPLATES = Jinja2Blocks(directory=str(TEMPLATES_DIR))

# (label, path, action needed, key of the active page)
NAV: tuple[tuple[str, str, str, str], ...] = (
    ("Portfolio", "/", "read", "portfolio"),
    ("My CTAs", "/ctas", "read", "ctas"),
    ("Scorecard", "/scorecard", "read", "scorecard"),
    ("Validation", "/validation", "read_validation", "validation"),
    ("Product feedback", "/feedback", "read_feedback", "feedback"),
    ("Admin", "/admin", "admin", "admin"),
)


def _money(value: Any, digits: int = 0) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "—"
    v = float(value)
    if abs(v) >= 1_000_000:
        return f"${v / 1_000_000:,.1f}M"
    if abs(v) >= 10_000:
        return f"${v / 1000:,.0f}k"
    return f"${v:,.{digits}f}"


def _num(value: Any, digits: int = 0) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "—"
    return f"{float(value):,.{digits}f}"


def _score(value: Any, digits: int = 0) -> str:
    """A health score floored to `digits`, never rounded up into the next band: 59.83 is
    red below 60 and shows as 59, not 60."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "—"
    return floored(value, digits)


def _pct(value: Any, digits: int = 0) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "—"
    return f"{100 * float(value):.{digits}f}%"


def _date(value: Any) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "—"
    if isinstance(value, dt.datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


def _signed(value: Any, digits: int = 0) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "—"
    return f"{float(value):+,.{digits}f}"


def _tone(band: str | None, bands: list[str]) -> str:
    """The colour family of a band: the worst is 'bad', the best 'good', others 'warn'."""
    if not band or band not in bands:
        return "none"
    i = bands.index(band)
    return "bad" if i == 0 else "good" if i == len(bands) - 1 else "warn"


def _arrow(delta: Any) -> str:
    if delta is None or (isinstance(delta, float) and math.isnan(delta)):
        return ""
    d = float(delta)
    return "↑" if d >= 1 else "↓" if d <= -1 else "→"


TEMPLATES.env.globals.update(tone=_tone, arrow=_arrow)
TEMPLATES.env.filters.update(
    money=_money, num=_num, score=_score, pct=_pct, date=_date, signed=_signed
)


def render(
    request: Request,
    name: str,
    context: dict[str, Any],
    *,
    user: User | None,
    active: str = "",
    status_code: int = 200,
    block: str | None = None,
) -> Response:
    """The page `name` (or only its `block`) with the shared context added."""
    signer = request.app.state.signer
    nav = [
        (label, path, key)
        for label, path, action, key in NAV
        if user is not None and allowed(user.role, action)
    ]
    ctx = {
        "user": user,
        "csrf_token": signer.csrf_token(request),
        "nav": nav,
        "active": active,
        "can": (lambda action: user is not None and allowed(user.role, action)),
        **context,
    }
    if block is not None:
        return TEMPLATES.TemplateResponse(
            request, name, ctx, status_code=status_code, block_name=block
        )
    return TEMPLATES.TemplateResponse(request, name, ctx, status_code=status_code)


def is_htmx(request: Request) -> bool:
    """Whether htmx sent the request (it then wants only a fragment)."""
    return request.headers.get("hx-request") == "true"
