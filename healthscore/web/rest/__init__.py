"""The REST API (/api/v1) and the Segment-compatible tracking endpoints (/v1).

`mount(api, hs)` adds them to the web app: routers per resource, one problem+json error
shape (`problems`), API-key scopes as dependencies (`auth`), an offline docs page at
/api/docs over /openapi.json (`docs`).  See docs/api.md.
"""

from __future__ import annotations

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import Response
from fastapi.routing import APIRoute
from starlette.routing import Match

from healthscore.app import App
from healthscore.web.rest import accounts, jobs, keys, records, tracking
from healthscore.web.rest.docs import install_docs
from healthscore.web.rest.problems import ApiProblem, ProblemRoute, problem_response

__all__ = ["ROUTERS", "api_routes", "mount"]

ROUTERS: tuple[APIRouter, ...] = (
    accounts.router,
    records.router,
    jobs.router,
    keys.router,
    tracking.router,
)

_METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"]


def mount(api: FastAPI, hs: App) -> None:
    """Add the REST API, the tracking endpoints and the docs page to `api` (serving `hs`)."""
    if getattr(api.state, "hs", None) is None:
        api.state.hs = hs
    routers = [*ROUTERS, *_optional_routers()]
    for router in routers:
        api.include_router(router)
    api.state.rest_routers = routers
    api.state.api_error_response = problem_response
    install_docs(api)
    fallback = APIRouter(route_class=ProblemRoute)

    async def unknown(request: Request) -> Response:
        raise _unmatched(api, request)

    for prefix in ("/api/v1", "/v1"):
        fallback.add_api_route(
            prefix + "/{path:path}", unknown, methods=_METHODS, include_in_schema=False
        )
    api.include_router(fallback)


def api_routes(api: FastAPI) -> list[APIRoute]:
    """Every REST route mounted on `api` (FastAPI includes routers lazily, so
    ``api.routes`` does not list them one by one)."""
    routers: list[APIRouter] = getattr(api.state, "rest_routers", [])
    return [r for router in routers for r in router.routes if isinstance(r, APIRoute)]


def _optional_routers() -> list[APIRouter]:
    """Routers over features that may not be installed yet (e.g. calls-to-action)."""
    import importlib

    found = []
    for name in ("ctas", "plans"):
        try:
            module = importlib.import_module(f"healthscore.web.rest.{name}")
        except ModuleNotFoundError as exc:
            if exc.name not in (f"healthscore.web.rest.{name}", "healthscore.actions"):
                raise
            continue
        found.append(module.router)
    return found


def _unmatched(api: FastAPI, request: Request) -> ApiProblem:
    """404 for an unknown address, 405 (with Allow) for a known one and another method."""
    allowed: set[str] = set()
    for route in api_routes(api):
        methods = route.methods or set()
        if not methods:
            continue
        match, _ = route.matches({**request.scope, "method": next(iter(methods))})
        if match is Match.FULL:
            allowed |= set(methods)
    if allowed:
        listed = ", ".join(sorted(allowed))
        return ApiProblem(
            405,
            "Method not allowed",
            f"{request.method} is not allowed on {request.url.path}; use {listed}",
            headers={"Allow": listed},
        )
    return ApiProblem(
        404,
        "Not found",
        f"there is no API route {request.url.path}; /openapi.json lists every route "
        "(and /api/docs shows them)",
    )
