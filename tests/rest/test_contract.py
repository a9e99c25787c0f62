"""The contract: every REST route's errors in one problem+json shape, the authorisation
matrix of routes x scopes, the offline docs page and the OpenAPI document."""

from __future__ import annotations

import re
from typing import Any

import pytest
from fastapi import APIRouter, FastAPI
from fastapi.routing import APIRoute

from healthscore.auth.keys import ApiKey, Scope
from healthscore.web.rest import api_routes
from healthscore.web.rest.auth import route_scope
from healthscore.web.rest.problems import ProblemRoute
from tests.rest.conftest import SCOPES, Api, Client, assert_problem


def _routes(app: Any) -> list[tuple[str, str, APIRoute]]:
    out = []
    for r in api_routes(app):
        assert r.path.startswith(("/api/v1", "/v1")), r.path
        for m in sorted(r.methods):
            out.append((m, r.path, r))
    return out


def _url(path: str, account: str = "ACC-0001") -> str:
    values = {"account_id": account, "kind": "tickets", "name": "Nobody Inc"}
    return re.sub(r"\{(\w+)(:\w+)?\}", lambda m: values.get(m.group(1), "nope"), path)


def test_every_route_declares_a_scope(api: Api) -> None:
    routes = _routes(api.app)
    assert len(routes) >= 25
    missing = [f"{m} {p}" for m, p, r in routes if route_scope(r.dependant) is None]
    assert missing == []


def test_the_authorisation_matrix(api: Api) -> None:
    """Each scope's key on each route: refused with 403 exactly when the scope is not held."""
    seen: dict[str, dict[str, int]] = {}
    for method, path, route in _routes(api.app):
        needed = route_scope(route.dependant)
        assert needed is not None
        for scope in SCOPES:
            key = ApiKey("x", "x", "x", frozenset({Scope(scope)}), None, None, None)  # type: ignore[arg-type]
            # a date before any data keeps the allowed calls cheap (409) without a model fit
            r = api.client.request(
                method, _url(path, "NOPE-MATRIX") + "?as_of=2000-01-01", headers=api.auth(scope)
            )
            if key.allows(needed):
                assert r.status_code not in (401, 403), (method, path, scope, r.text)
            else:
                body = assert_problem(r, 403)
                assert needed.value in body["detail"], body
            seen.setdefault(f"{method} {path}", {})[scope] = r.status_code
    # the headline rules of the issue
    assert seen["POST /v1/track"]["read"] == 403 and seen["POST /v1/track"]["write"] == 403
    assert seen["POST /api/v1/accounts/{account_id}/notes"]["ingest"] == 403
    assert seen["POST /api/v1/accounts/{account_id}/notes"]["read"] == 403


_VALID = {
    "notes": {"notes": "x"},
    "judgements": {"measure": "m", "value": 1},
    "surveys": {"survey_type": "nps", "score": 1},
    "contacts": {},
    "goals": {"title": "x"},
}


def test_every_route_answers_errors_in_one_shape(api: Api) -> None:
    lacking = {
        Scope.read: "ingest",
        Scope.write: "read",
        Scope.ingest: "write",
        Scope.admin: "read",
    }
    for method, path, route in _routes(api.app):
        url = _url(path)
        assert_problem(api.client.request(method, url), 401)
        bad = {"Authorization": "Bearer hsk_0000_not-a-key"}
        assert_problem(api.client.request(method, url, headers=bad), 401)
        needed = route_scope(route.dependant)
        assert needed is not None
        assert_problem(api.client.request(method, url, headers=api.auth(lacking[needed])), 403)
        good = api.auth(needed.value)
        if "{account_id}" in path:  # an unknown account
            body = _VALID.get(path.rsplit("/", 1)[-1]) if method == "POST" else None
            r = api.client.request(method, _url(path, "NOPE-404"), headers=good, json=body)
            assert_problem(r, 404)
        if method == "GET" and route.dependant.query_params:
            # a value of the wrong type for every query parameter
            params = {q.alias: "not-a-value-%" for q in route.dependant.query_params}
            r = api.client.get(url, params=params, headers=good)
            if r.status_code != 200:  # free-text filters may accept anything
                assert r.status_code in (400, 404, 409, 422), (path, r.status_code)
                assert_problem(r, r.status_code)
        if method == "POST" and path.startswith("/api/v1") and route.body_field is not None:
            assert_problem(api.client.post(url, json={"unexpected": []}, headers=good), 422)
    # addresses and methods no route has
    assert_problem(api.client.get("/api/v1/nothing-here", headers=api.auth("read")), 404)
    assert_problem(api.client.get("/v1/nothing-here"), 404)
    r = api.client.request("PUT", "/api/v1/accounts", headers=api.auth("read"))
    assert_problem(r, 405)
    assert "GET" in r.headers["allow"]


def test_a_crash_is_a_500_problem_without_a_traceback() -> None:
    router = APIRouter(route_class=ProblemRoute)

    @router.get("/api/v1/boom")
    def boom() -> None:
        raise RuntimeError("secret internals")

    app = FastAPI()
    app.include_router(router)
    client = Client(app)
    try:
        r = client.get("/api/v1/boom")
    finally:
        client.close()
    body = assert_problem(r, 500)
    assert "RuntimeError" in body["detail"] and "secret internals" not in r.text


def test_the_docs_page_works_offline(api: Api) -> None:
    page = api.client.get("/api/docs")
    assert page.status_code == 200 and "swagger-ui" in page.text
    assert re.findall(r"(?:src|href)=\"(https?:)?//", page.text) == []
    assert "http://" not in page.text and "https://" not in page.text
    assets = re.findall(r"(?:src|href)=\"(/[^\"]+)\"", page.text)
    assert len(assets) == 4  # css, two scripts and the link to /openapi.json
    for a in assets:
        assert api.client.get(a).status_code == 200, a
    assert api.client.get("/api/static/swagger-ui/LICENSE").status_code == 200
    spec = api.client.get("/openapi.json").json()
    for path in ("/api/v1/accounts", "/v1/track", "/v1/batch", "/api/v1/jobs/{job_id}"):
        assert path in spec["paths"], path
    assert {"HTTPBearer", "HTTPBasic"} <= set(spec["components"]["securitySchemes"])
    assert {"HTTPBearer": []} in spec["paths"]["/api/v1/accounts"]["get"]["security"]
    problem = spec["components"]["schemas"]["Problem"]
    assert set(problem["properties"]) == {"type", "title", "status", "detail", "instance", "errors"}


@pytest.mark.parametrize("path", ["/api/v1/accounts", "/v1/track"])
def test_a_token_in_basic_auth_works_everywhere(api: Api, path: str) -> None:
    import base64

    token = api.tokens["admin"]
    basic = {"Authorization": "Basic " + base64.b64encode(f"{token}:".encode()).decode()}
    r = api.client.request(
        "GET" if "accounts" in path else "POST",
        path,
        headers=basic,
        json={"userId": "b", "event": "e", "groupId": "ACC-0001"},
    )
    assert r.status_code == 200, r.text
