"""A small real demo store, scored, with one API key per scope; the real web app over it.

Built once per test session (tests add rows with fresh ids, so they do not disturb each other)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import anyio.from_thread
import httpx
import pytest

from healthscore.app import App
from healthscore.auth.keys import create_key
from healthscore.store import open_store

SCOPES = ("read", "write", "ingest", "admin")


class Client:
    """A synchronous face on httpx's real ASGI client (Starlette's TestClient is deprecated
    with httpx), running the app in an event loop of its own thread."""

    def __init__(self, app: object) -> None:
        self._portal_cm = anyio.from_thread.start_blocking_portal()
        self._portal = self._portal_cm.__enter__()
        transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)  # type: ignore[arg-type]
        self._client = httpx.AsyncClient(transport=transport, base_url="http://testserver")

    def request(self, method: str, url: str, **kwargs: object) -> httpx.Response:
        return self._portal.call(lambda: self._client.request(method, url, **kwargs))  # type: ignore[arg-type]

    def get(self, url: str, **kwargs: object) -> httpx.Response:
        return self.request("GET", url, **kwargs)

    def post(self, url: str, **kwargs: object) -> httpx.Response:
        return self.request("POST", url, **kwargs)

    def delete(self, url: str, **kwargs: object) -> httpx.Response:
        return self.request("DELETE", url, **kwargs)

    def close(self) -> None:
        self._portal.call(self._client.aclose)
        self._portal_cm.__exit__(None, None, None)


@dataclass
class Api:
    client: Client
    app: object
    db: Path
    tokens: dict[str, str]  # scope -> token of a key holding only it
    hs: App

    def auth(self, scope: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[scope]}"}


def build_store(path: Path, n_accounts: int = 12) -> dict[str, str]:
    from healthscore.demo import build_and_score

    with open_store(path) as store:
        build_and_score(store, seed=11, n_accounts=n_accounts, months=6, weeks=4)
        return {s: create_key(store, f"test-{s}", s).token for s in SCOPES}


def make_app(db: Path) -> App:
    return App.from_env({}, db=db, clock=lambda: dt.date(2026, 11, 15))


@pytest.fixture(scope="session")
def api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Api]:
    from healthscore.web import create_app

    db = tmp_path_factory.mktemp("rest") / "store.duckdb"
    tokens = build_store(db)
    hs = make_app(db)
    app = create_app(hs, secret="test-secret")
    client = Client(app)
    try:
        yield Api(client, app, db, tokens, hs)
    finally:
        client.close()
    runner = getattr(app.state, "rest_jobs", None)
    if runner is not None:
        runner.wait_idle(30)
    hs.close()


def assert_problem(response: object, status: int) -> dict[str, object]:
    """The response is problem+json of `status` in the one shape."""
    r = response  # an httpx.Response
    assert r.status_code == status, (r.status_code, r.text)  # type: ignore[attr-defined]
    assert r.headers["content-type"].startswith("application/problem+json"), r.headers  # type: ignore[attr-defined]
    body = r.json()  # type: ignore[attr-defined]
    assert set(body) <= {"type", "title", "status", "detail", "instance", "errors"}, body
    assert {"type", "title", "status", "detail", "instance"} <= set(body), body
    assert body["status"] == status
    assert isinstance(body["detail"], str) and len(body["detail"]) > 15
    if "errors" in body:
        assert all(set(e) == {"field", "message"} for e in body["errors"])
    return body  # type: ignore[no-any-return]
