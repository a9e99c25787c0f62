"""The authorisation matrix: every page route x every role (and no session).

Each route's action is read from its own `require(...)` dependency, and the expected answer
from `healthscore.auth.PERMISSIONS`; a route without a `require` must be one of the few
public ones.  A role that may not act gets 403 before anything runs; one that may gets
past the guard (whatever the empty form then earns); without a session, the sign-in page.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
from fastapi.routing import APIRoute

from healthscore.auth import PERMISSIONS, Role, allowed
from healthscore.web.deps import route_action
from healthscore.web.views import ROUTERS

from .conftest import TestClient, csrf_of

PUBLIC = {("GET", "/login"), ("POST", "/login"), ("POST", "/logout")}


def _page_routes(app: object = None) -> list[tuple[str, str, str | None]]:
    """Every page route `create_app` includes (the REST API has its own matrix)."""
    out = []
    for router in ROUTERS:
        for r in router.routes:
            assert isinstance(r, APIRoute)
            for m in sorted(r.methods - {"HEAD"}):
                out.append((m, r.path, route_action(r.dependant)))
    return out


def _url(path: str, facts: dict[str, str]) -> str:
    return (
        path.replace("{key}", facts["own"])
        .replace("{cta_id}", "1")
        .replace("{step_no}", "1")
        .replace("{username}", "viewer")
    )


def test_every_page_route_declares_its_action() -> None:
    routes = _page_routes()
    assert len(routes) >= 20
    unguarded = {(m, p) for m, p, a in routes if a is None}
    assert unguarded == PUBLIC
    # writes need more than reading
    for m, p, a in routes:
        if m == "POST" and a == "read":
            assert p in ("/predictions/run",), p


@pytest.mark.parametrize("role", [r.value for r in Role])
def test_each_role_gets_exactly_what_the_table_allows(
    role: str, shared_client: Callable[..., TestClient], facts: dict[str, str]
) -> None:
    client = shared_client(role)
    token = csrf_of(client.get("/login", follow_redirects=True).text)
    checked = 0
    for method, path, action in _page_routes(client.app):
        if action is None:
            continue
        url = _url(path, facts)
        if method == "GET":
            r = client.get(url, follow_redirects=False)
        else:
            # an empty form (plus a dry-run marker for the routes that start a job)
            r = client.post(url, data={"csrf_token": token, "what": "none"}, follow_redirects=False)
        may = allowed(role, action)
        if may:
            assert r.status_code != 403, (role, method, path, r.text[:300])
            assert not (r.status_code == 303 and "/login" in r.headers.get("location", ""))
            if method == "GET":
                assert r.status_code == 200, (role, path, r.status_code, r.text[:500])
        else:
            assert r.status_code == 403, (role, method, path, r.status_code)
        checked += 1
    assert checked >= 20
    assert PERMISSIONS[Role(role)]  # every role may do something


def test_without_a_session_every_guarded_route_asks_to_sign_in(
    shared_client: Callable[..., TestClient], facts: dict[str, str]
) -> None:
    client = shared_client()
    token = csrf_of(client.get("/login").text)
    for method, path, action in _page_routes(client.app):
        if action is None:
            continue
        url = _url(path, facts)
        if method == "GET":
            r = client.get(url, follow_redirects=False)
        else:
            r = client.post(url, data={"csrf_token": token}, follow_redirects=False)
        assert r.status_code == 303, (method, path, r.status_code)
        assert r.headers["location"].startswith("/login"), (method, path)


def test_a_csm_edits_only_its_own_accounts(
    make_client: Callable[..., TestClient], facts: dict[str, str]
) -> None:
    client = make_client("csm")
    page = client.get(f"/accounts/{facts['own']}")
    assert 'id="note-form"' in page.text
    token = csrf_of(page.text)
    ok = client.post(
        f"/accounts/{facts['own']}/notes",
        data={"csrf_token": token, "kind": "call", "notes": "Renewal call booked."},
        follow_redirects=False,
    )
    assert ok.status_code == 303
    other = client.get(f"/accounts/{facts['other']}")
    assert 'id="note-form"' not in other.text
    refused = client.post(
        f"/accounts/{facts['other']}/notes",
        data={"csrf_token": token, "kind": "call", "notes": "Not mine."},
        follow_redirects=False,
    )
    assert refused.status_code == 403
    assert "only the account&#39;s owner" in refused.text
