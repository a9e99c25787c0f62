"""A small scored demo store, built once per test session, and clients signed in per role.

Tests that write get their own copy of the store file (`web_db`), so they never see each
other's notes or closed CTAs.
"""

from __future__ import annotations

import re
import shutil
import warnings
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from healthscore.app import App
from healthscore.auth import add_user
from healthscore.store import open_store

with warnings.catch_warnings():
    # Starlette's test client warns that it prefers httpx2 to httpx; we use httpx.
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

PASSWORD = "password123"
# username -> (role, display name); the CSM's display name is the owner of OWN_ACCOUNT.
USERS: dict[str, tuple[str, str]] = {
    "admin": ("admin", "Ada Admin"),
    "csm": ("csm", ""),
    "viewer": ("viewer", "Vic Viewer"),
    "product": ("product", "Pat Product"),
    "limited": ("viewer", "Lim Ited"),  # locked out by the rate-limit test
}


def _build(path: Path) -> dict[str, str]:
    """The demo portfolio, scored weekly, with its calls-to-action raised and our users."""
    import datetime as dt

    from healthscore.demo.build import build_demo
    from healthscore.scoring import backfill
    from healthscore.store.queries import example_account
    from healthscore.text.batch import analyse_store

    with open_store(path) as store:
        summary = build_demo(store, seed=7, n_accounts=60, months=6)
        analyse_store(store)  # what customers wrote, as the demo reads it
        last = summary["last_date"]
        backfill(store, last - dt.timedelta(weeks=6), last, 7)
        own = example_account(store)
        owner = store.con.execute(
            "SELECT owner_csm FROM accounts WHERE account_id = ?", [own]
        ).fetchone()[0]
        other = store.con.execute(
            "SELECT account_id FROM accounts WHERE owner_csm <> ? ORDER BY account_id LIMIT 1",
            [owner],
        ).fetchone()[0]
        for name, (role, display) in USERS.items():
            add_user(store, name, PASSWORD, role, display_name=display or owner)
    return {"own": own, "owner": owner, "other": other}


def raise_ctas(path: Path) -> None:
    """Run the built-in rules on the store, as the daily job does."""
    from healthscore.actions import run_alerts

    with open_store(path) as store:
        run_alerts(store)


@pytest.fixture(scope="session")
def demo_store(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, str]]:
    """The session's demo store (read it only: copy it with `web_db` to write)."""
    path = tmp_path_factory.mktemp("web") / "demo.duckdb"
    facts = _build(path)
    return path, facts


@pytest.fixture
def web_db(demo_store: tuple[Path, dict[str, str]], tmp_path: Path) -> Path:
    """A private copy of the demo store for one test."""
    src, _ = demo_store
    dst = tmp_path / "store.duckdb"
    shutil.copyfile(src, dst)
    return dst


@pytest.fixture
def facts(demo_store: tuple[Path, dict[str, str]]) -> dict[str, str]:
    return demo_store[1]


def csrf_of(html: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert found, "no CSRF token in the page"
    return found.group(1)


def login(client: TestClient, username: str, password: str = PASSWORD) -> None:
    page = client.get("/login")
    r = client.post(
        "/login",
        data={"username": username, "password": password, "csrf_token": csrf_of(page.text)},
        follow_redirects=False,
    )
    assert r.status_code == 303, r.text


def _factory(db: Path) -> Iterator[Callable[..., TestClient]]:
    from healthscore.web import create_app

    app = create_app(App.from_env({}, db=db))
    made: list[TestClient] = []

    def make(username: str | None = None, **kwargs: object) -> TestClient:
        c = TestClient(app, **kwargs)  # type: ignore[arg-type]
        made.append(c)
        if username is not None:
            login(c, username)
        return c

    yield make
    for c in made:
        c.close()


@pytest.fixture
def make_client(web_db: Path) -> Iterator[Callable[..., TestClient]]:
    """Clients of one app over the test's own store; ``make_client("csm")`` is signed in."""
    yield from _factory(web_db)


@pytest.fixture(scope="session")
def shared_db(
    demo_store: tuple[Path, dict[str, str]], tmp_path_factory: pytest.TempPathFactory
) -> Path:
    """One copy for the tests that only read (and post forms that change nothing)."""
    dst = tmp_path_factory.mktemp("shared") / "store.duckdb"
    shutil.copyfile(demo_store[0], dst)
    return dst


@pytest.fixture(scope="session")
def shared_client(shared_db: Path) -> Iterator[Callable[..., TestClient]]:
    """Clients of one app (its caches warm across tests) over the read-only copy."""
    yield from _factory(shared_db)
