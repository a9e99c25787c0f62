"""The web application: `create_app(hs)` builds the FastAPI app for one `App`.

Pages are server-rendered (Jinja2, htmx for fragments); every asset is served from the
package (`static/`), nothing from a CDN.  The REST API under ``/api/v1`` is mounted from
`healthscore.web.rest` when that package exists.  The store is opened per request
(`healthscore.web.store_access`), so the CLI keeps working on the same store while the
server runs.
"""

from __future__ import annotations

import importlib
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException

from healthscore.app import App
from healthscore.errors import HealthscoreError, NotEnoughData, StoreError
from healthscore.web.background import Jobs
from healthscore.web.deps import BadCsrf, Forbidden, LoginRequired, NotFound
from healthscore.web.security import LoginLimiter, Signer
from healthscore.web.store_access import open_request_store
from healthscore.web.templating import is_htmx, render

__all__ = ["create_app"]

STATIC_DIR = Path(__file__).parent / "static"

# Strict by default: scripts and styles from this server only (chart data travels in
# <script type="application/json">, which never runs); inline style attributes are allowed
# because Chart.js sizes its canvas with them.
_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'self'; "
    "form-action 'self'"
)


def _session_secret(hs: App) -> str:
    from healthscore.store.users import session_secret

    with open_request_store(hs.settings) as store, store.transaction() as con:
        return session_secret(con)


def create_app(hs: App, *, secret: str | None = None) -> FastAPI:
    """The web app (pages, static files, and the REST API when present) for `hs`.

    `secret` signs sessions; by default the store's own key (made once per store), so a
    restart keeps everyone signed in.  The store must exist.
    """
    api = FastAPI(
        title="healthscore",
        summary="Customer health: portfolio, accounts, calls-to-action, scorecards.",
        docs_url=None,  # the REST API serves its own offline docs page
        redoc_url=None,
    )
    api.state.hs = hs
    api.state.signer = Signer(secret or _session_secret(hs))
    api.state.login_limiter = LoginLimiter()
    api.state.jobs = Jobs(hs.settings)
    api.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")

    _add_handlers(api)
    _add_headers(api)

    from healthscore.web.views import ROUTERS

    for router in ROUTERS:
        api.include_router(router)

    try:
        rest = importlib.import_module("healthscore.web.rest")
    except ModuleNotFoundError as exc:
        if exc.name != "healthscore.web.rest":
            raise
    else:
        mount = getattr(rest, "mount", None)  # None while the package is being written
        if mount is not None:
            mount(api, hs)
    return api


def _add_headers(api: FastAPI) -> None:
    @api.middleware("http")
    async def security_headers(request: Request, call_next: Any) -> Response:
        response: Response = await call_next(request)
        response.headers.setdefault("Content-Security-Policy", _CSP)
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        if not request.url.path.startswith("/static/"):
            response.headers.setdefault("Cache-Control", "no-store")
        api.state.signer.set_new_nonce(request, response)
        return response


def _is_api(request: Request) -> bool:
    return request.url.path.startswith(("/api/", "/v1/"))


def _error_page(
    request: Request, status: int, title: str, message: str, exc: Exception | None = None
) -> Response:
    if _is_api(request):
        # The REST API answers in its own shape: `mount` may set `api.state.api_error_response`
        # (request, exc, status) -> Response; until then a plain problem+json.
        custom = getattr(request.app.state, "api_error_response", None)
        if custom is not None and exc is not None:
            return custom(request, exc, status)  # type: ignore[no-any-return]
        from fastapi.responses import JSONResponse

        return JSONResponse(
            {"type": "about:blank", "title": title, "status": status, "detail": message},
            status_code=status,
            media_type="application/problem+json",
        )
    from healthscore.web.deps import optional_user

    user = None
    try:
        with open_request_store(request.app.state.hs.settings) as store:
            user = optional_user(request, store)
    except HealthscoreError:
        pass
    return render(
        request,
        "error.html",
        {"title": title, "message": message, "status": status},
        user=user,
        status_code=status,
    )


def _add_handlers(api: FastAPI) -> None:
    @api.exception_handler(LoginRequired)
    async def _login(request: Request, exc: LoginRequired) -> Response:
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        from urllib.parse import quote

        url = f"/login?next={quote(target)}" if target not in ("/", "") else "/login"
        if is_htmx(request):
            return HTMLResponse("", headers={"HX-Redirect": url})
        return RedirectResponse(url, status_code=303)

    @api.exception_handler(Forbidden)
    async def _forbidden(request: Request, exc: Forbidden) -> Response:
        return _error_page(request, 403, "Not allowed", str(exc), exc)

    @api.exception_handler(BadCsrf)
    async def _csrf(request: Request, exc: BadCsrf) -> Response:
        return _error_page(request, 403, "Form expired", str(exc), exc)

    @api.exception_handler(NotFound)
    async def _not_found(request: Request, exc: NotFound) -> Response:
        return _error_page(request, 404, "Not found", str(exc), exc)

    @api.exception_handler(StoreError)
    async def _store(request: Request, exc: StoreError) -> Response:
        return _error_page(request, 503, "Store unavailable", str(exc), exc)

    @api.exception_handler(NotEnoughData)
    async def _no_data(request: Request, exc: NotEnoughData) -> Response:
        return _error_page(request, 409, "Not enough data yet", str(exc), exc)

    @api.exception_handler(HealthscoreError)
    async def _domain(request: Request, exc: HealthscoreError) -> Response:
        return _error_page(request, 400, "That did not work", str(exc), exc)

    @api.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> Response:
        if _is_api(request):
            from fastapi.exception_handlers import http_exception_handler

            return await http_exception_handler(request, exc)
        titles = {404: "Not found", 405: "Not allowed", 422: "Invalid request"}
        return _error_page(
            request,
            exc.status_code,
            titles.get(exc.status_code, "Error"),
            str(exc.detail) if exc.status_code != 404 else "There is no page at this address.",
        )
