"""One error shape for the whole REST API: RFC 9457 problem details (application/problem+json).

Every error a route can end in, from a missing key to a crash, leaves as
``{type, title, status, detail, instance, errors?}``: `detail` says what to change,
`errors` (validation only) lists each field with its location.  `ProblemRoute` converts
inside the route itself, so the web pages' own (HTML) error handlers are never involved.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Coroutine, Sequence
from typing import Any

from fastapi import Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from fastapi.routing import APIRoute
from pydantic import BaseModel
from starlette.exceptions import HTTPException as StarletteHTTPException

from healthscore.errors import (
    HealthscoreError,
    ImportRejected,
    NotEnoughData,
    StoreError,
    UnknownKind,
)

__all__ = [
    "PROBLEM_RESPONSES",
    "ApiProblem",
    "Problem",
    "ProblemRoute",
    "problem_response",
]

log = logging.getLogger("healthscore.web.rest")

MEDIA_TYPE = "application/problem+json"


class FieldError(BaseModel):
    field: str
    message: str


class Problem(BaseModel):
    """The one error body of the API."""

    type: str
    title: str
    status: int
    detail: str
    instance: str
    errors: list[FieldError] | None = None


class ApiProblem(Exception):
    """An error a route raises on purpose, with its status and a message to act on."""

    def __init__(
        self,
        status: int,
        title: str,
        detail: str,
        *,
        errors: Sequence[dict[str, str]] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(detail)
        self.status = status
        self.title = title
        self.detail = detail
        self.errors = list(errors) if errors is not None else None
        self.headers = headers or {}


_TITLES = {
    400: "Bad request",
    401: "Not authenticated",
    403: "Not allowed",
    404: "Not found",
    405: "Method not allowed",
    409: "Conflict",
    413: "Payload too large",
    415: "Unsupported media type",
    422: "Invalid request",
    500: "Internal server error",
    503: "Store unavailable",
}


def _slug(title: str) -> str:
    return "urn:healthscore:problem:" + title.lower().replace(" ", "-")


def _loc(loc: Sequence[Any]) -> str:
    parts = [str(p) for p in loc]
    if parts and parts[0] == "body" and len(parts) > 1:
        parts = parts[1:]
        where = "body"
    else:
        where = parts.pop(0) if parts else "request"
    return f"{where}.{'.'.join(parts)}" if parts else where


def _validation(exc: RequestValidationError) -> ApiProblem:
    errors = []
    for e in exc.errors():
        msg = str(e.get("msg", "invalid"))
        if "input" in e and e.get("type") not in ("missing",):
            got = repr(e["input"])
            msg = f"{msg}; got {got[:80]}"
        errors.append({"field": _loc(e.get("loc", ())), "message": msg})
    first = errors[0] if errors else {"field": "request", "message": "invalid"}
    more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
    return ApiProblem(
        422,
        "Invalid request",
        f"{first['field']}: {first['message']}{more}; fix the request and send it again",
        errors=errors,
    )


def as_problem(exc: BaseException) -> ApiProblem:
    """The problem an exception stands for (unexpected ones are logged and become 500)."""
    from healthscore.auth.keys import InvalidKey, KeyNotFound

    if isinstance(exc, ApiProblem):
        return exc
    if isinstance(exc, RequestValidationError):
        return _validation(exc)
    if isinstance(exc, StarletteHTTPException):
        status = exc.status_code
        detail = str(exc.detail)
        if status == 404 and detail == "Not Found":
            detail = "there is no such resource; /openapi.json lists every route"
        return ApiProblem(
            status, _TITLES.get(status, "Error"), detail, headers=dict(exc.headers or {})
        )
    if isinstance(exc, InvalidKey):
        return ApiProblem(401, "Not authenticated", str(exc), headers=_CHALLENGE)
    if isinstance(exc, KeyNotFound | UnknownKind):
        return ApiProblem(404, "Not found", str(exc))
    actions = _actions_errors()
    if actions is not None:
        not_found, illegal = actions
        if isinstance(exc, not_found):
            return ApiProblem(404, "Not found", str(exc))
        if isinstance(exc, illegal):
            return ApiProblem(409, "Conflict", str(exc))
    if isinstance(exc, ImportRejected):
        errors = [{"field": "data", "message": p} for p in exc.problems] or None
        return ApiProblem(422, "Import rejected", str(exc), errors=errors)
    if isinstance(exc, StoreError):
        return ApiProblem(503, "Store unavailable", str(exc), headers={"Retry-After": "5"})
    if isinstance(exc, NotEnoughData):
        return ApiProblem(409, "Not enough data", str(exc))
    if isinstance(exc, HealthscoreError):
        return ApiProblem(400, "Bad request", str(exc))
    log.exception("unexpected error in the REST API", exc_info=exc)
    return ApiProblem(
        500,
        "Internal server error",
        f"the server failed on this request ({type(exc).__name__}); it is logged — retry, "
        "and report it with the time of the request if it persists",
    )


def _actions_errors() -> tuple[type[Exception], type[Exception]] | None:
    """The actions layer's NotFound and IllegalTransition (None when it is not installed)."""
    try:
        from healthscore.actions.model import IllegalTransition, NotFound
    except ImportError:
        return None
    return NotFound, IllegalTransition


_CHALLENGE = {"WWW-Authenticate": 'Bearer realm="healthscore", Basic realm="healthscore"'}


def problem_response(request: Request, exc: BaseException, status: int | None = None) -> Response:
    """The problem+json response for `exc` (`status` overrides the mapped one)."""
    p = as_problem(exc)
    body = Problem(
        type=_slug(p.title),
        title=p.title,
        status=status or p.status,
        detail=p.detail,
        instance=request.url.path,
        errors=[FieldError(**e) for e in p.errors] if p.errors is not None else None,
    )
    return JSONResponse(
        body.model_dump(exclude_none=True),
        status_code=body.status,
        media_type=MEDIA_TYPE,
        headers=p.headers,
    )


class ProblemRoute(APIRoute):
    """An APIRoute whose every failure (validation, auth, domain, crash) is problem+json."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def route(request: Request) -> Response:
            try:
                return await handler(request)
            except Exception as exc:
                return problem_response(request, exc)

        return route


def _problem_doc(description: str) -> dict[str, Any]:
    return {"description": description, "model": Problem, "content": {MEDIA_TYPE: {}}}


# What every route may answer besides its success, for the OpenAPI document.
PROBLEM_RESPONSES: dict[int | str, dict[str, Any]] = {
    401: _problem_doc("No API key, or an unknown or revoked one."),
    403: _problem_doc("The key lacks the scope this route needs."),
    422: _problem_doc("A parameter or the body is invalid; `errors` lists each field."),
    500: _problem_doc("An unexpected server error (logged)."),
    503: _problem_doc("The store is busy or missing; retry after `Retry-After` seconds."),
}
