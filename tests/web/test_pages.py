"""The pages through a real ASGI client on a real demo store: sign-in and its limits,
sessions and CSRF, the portfolio's filters, the account page, notes, the scorecard
preview and save, CTAs, and no asset from outside the server."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path

import pytest

from healthscore.auth import disable_user, list_audit, reset_password
from healthscore.store import open_store

from .conftest import PASSWORD, TestClient, csrf_of, raise_ctas


def test_pages_need_a_session_and_sign_in_works(shared_client: Callable[..., TestClient]) -> None:
    c = shared_client()
    r = c.get("/", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/login"
    r = c.get("/scorecard", follow_redirects=False)
    assert r.headers["location"] == "/login?next=/scorecard"
    page = c.get("/login")
    token = csrf_of(page.text)
    bad = c.post("/login", data={"username": "admin", "password": "nope", "csrf_token": token})
    assert bad.status_code == 401 and "Wrong username or password" in bad.text
    ok = c.post(
        "/login",
        data={"username": "admin", "password": PASSWORD, "csrf_token": token, "next": "/scorecard"},
        follow_redirects=False,
    )
    assert ok.status_code == 303 and ok.headers["location"] == "/scorecard"
    cookie = ok.headers.get_list("set-cookie")
    session = next(h for h in cookie if h.startswith("hs_session="))
    assert "HttpOnly" in session and "SameSite=lax" in session and "Secure" not in session
    # signing in renews the CSRF nonce: the token of before is void
    stale = c.post("/logout", data={"csrf_token": token}, follow_redirects=False)
    assert stale.status_code == 403
    # never an open redirect
    other = shared_client()
    again = other.post(
        "/login",
        data={
            "username": "admin",
            "password": PASSWORD,
            "csrf_token": csrf_of(other.get("/login").text),
            "next": "//evil.example/x",
        },
        follow_redirects=False,
    )
    assert again.headers["location"] == "/"


def test_cookies_are_secure_over_https(shared_client: Callable[..., TestClient]) -> None:
    c = shared_client(base_url="https://testserver")
    page = c.get("/login")
    r = c.post(
        "/login",
        data={"username": "viewer", "password": PASSWORD, "csrf_token": csrf_of(page.text)},
        follow_redirects=False,
    )
    assert r.status_code == 303
    assert all("Secure" in h for h in r.headers.get_list("set-cookie"))


def test_sign_in_is_rate_limited_per_name_and_address(
    shared_client: Callable[..., TestClient],
) -> None:
    c = shared_client()
    token = csrf_of(c.get("/login").text)
    codes = [
        c.post(
            "/login", data={"username": "limited", "password": "x" * 9, "csrf_token": token}
        ).status_code
        for _ in range(6)
    ]
    assert codes == [401] * 5 + [429]
    # even the right password waits now
    r = c.post("/login", data={"username": "limited", "password": PASSWORD, "csrf_token": token})
    assert r.status_code == 429 and "try again in" in r.text


def test_a_form_without_its_csrf_token_is_refused(
    make_client: Callable[..., TestClient], facts: dict[str, str]
) -> None:
    c = make_client("admin")
    r = c.post(f"/accounts/{facts['own']}/notes", data={"kind": "call", "notes": "x"})
    assert r.status_code == 403 and "did not come from this site" in r.text
    r = c.post(
        f"/accounts/{facts['own']}/notes",
        data={"kind": "call", "notes": "x", "csrf_token": "forged"},
    )
    assert r.status_code == 403
    # the login form too
    fresh = make_client()
    r = fresh.post("/login", data={"username": "admin", "password": PASSWORD})
    assert r.status_code == 403


def test_logout_disable_and_reset_end_the_session(
    make_client: Callable[..., TestClient], web_db: Path
) -> None:
    c = make_client("viewer")
    assert c.get("/", follow_redirects=False).status_code == 200
    r = c.post("/logout", data={"csrf_token": csrf_of(c.get("/").text)}, follow_redirects=False)
    assert r.headers["location"] == "/login"
    assert c.get("/", follow_redirects=False).status_code == 303
    c2 = make_client("csm")
    with open_store(web_db) as store:
        reset_password(store, "csm", "another password", actor="test")
    assert c2.get("/", follow_redirects=False).status_code == 303
    c3 = make_client("viewer")
    with open_store(web_db) as store:
        disable_user(store, "viewer", actor="test")
    assert c3.get("/", follow_redirects=False).status_code == 303


def _rows(html: str) -> list[str]:
    return re.findall(r'<td><a href="/accounts/([^"]+)">', html)


def test_the_portfolio_filters_sorts_searches_and_pages(
    shared_client: Callable[..., TestClient], shared_db: Path
) -> None:
    c = shared_client("viewer")
    page = c.get("/")
    assert page.status_code == 200
    assert "Score distribution" in page.text and 'id="dist-data"' in page.text
    all_rows = _rows(page.text)
    assert 0 < len(all_rows) <= 50
    with open_store(shared_db) as store:
        latest = store.con.execute("SELECT max(as_of) FROM score_snapshots").fetchone()[0]
        red = {
            r[0]
            for r in store.con.execute(
                "SELECT account_id FROM score_snapshots WHERE as_of = ? AND band = 'red'", [latest]
            ).fetchall()
        }
        name, acc = store.con.execute(
            "SELECT name, account_id FROM accounts ORDER BY account_id LIMIT 1"
        ).fetchone()
        smb = {
            r[0]
            for r in store.con.execute(
                "SELECT a.account_id FROM accounts a JOIN score_snapshots s USING (account_id) "
                "WHERE s.as_of = ? AND a.segment = 'smb'",
                [latest],
            ).fetchall()
        }
    got = set(_rows(c.get("/?band=red").text))
    assert got == red
    assert set(_rows(c.get("/?segment=smb").text)) == smb
    assert acc in _rows(c.get("/", params={"q": name.lower()}).text)
    # htmx asks for the table only
    frag = c.get("/?band=red", headers={"HX-Request": "true", "HX-Target": "accounts"})
    assert "<html" not in frag.text and set(_rows(frag.text)) == red
    # sorted by ARR, largest first
    by_arr = c.get("/?sort=arr&desc=1").text
    arrs = [float(x) for x in re.findall(r'data-arr="([0-9.]+)"', by_arr)]
    assert arrs == sorted(arrs, reverse=True) and arrs
    # page 2 of 10 per ... the demo has 60 accounts: 2 pages of 50
    p2 = c.get("/?page=2")
    assert "Page 2 of 2" in p2.text and not set(_rows(p2.text)) & set(all_rows)
    movers = c.get("/movers")
    assert movers.status_code == 200 and "movers" in movers.text


def test_the_account_page_shows_the_score_why_and_timeline(
    shared_client: Callable[..., TestClient], facts: dict[str, str]
) -> None:
    c = shared_client("viewer")
    r = c.get(f"/accounts/{facts['own']}")
    assert r.status_code == 200
    for part in ("Score trend", 'id="trend-data"', "Score breakdown", "Timeline", "Success plan"):
        assert part in r.text
    assert facts["owner"] in r.text
    assert 'id="note-form"' not in r.text  # a viewer edits nothing
    # survey comments are shown in the timeline
    assert "kind-survey" in r.text
    # what customers wrote: sentiment per month and quotes, and a sentiment line on the chart
    assert "What customers said" in r.text and 'class="quote' in r.text
    trend = re.search(r'<script[^>]*id="trend-data"[^>]*>(.*?)</script>', r.text, re.S)
    assert trend and json.loads(trend.group(1))["sentiment"]
    missing = c.get("/accounts/NOPE-1")
    assert missing.status_code == 404 and "no account" in missing.text


def test_a_note_lands_in_the_timeline_and_the_audit_log(
    make_client: Callable[..., TestClient], facts: dict[str, str], web_db: Path
) -> None:
    c = make_client("csm")
    page = c.get(f"/accounts/{facts['own']}")
    r = c.post(
        f"/accounts/{facts['own']}/notes",
        data={
            "csrf_token": csrf_of(page.text),
            "kind": "qbr",
            "notes": "QBR: exec sponsor wants SSO.",
        },
    )
    assert r.status_code == 200 and "QBR: exec sponsor wants SSO." in r.text
    r = c.post(
        f"/accounts/{facts['own']}/judgements",
        data={
            "csrf_token": csrf_of(r.text),
            "measure": "champion_strength",
            "value": "2",
            "note": "champion left",
        },
    )
    assert r.status_code == 200 and "champion left" in r.text
    with open_store(web_db) as store:
        n = store.con.execute(
            "SELECT count(*) FROM interactions WHERE account_id = ? AND notes LIKE 'QBR: exec%'",
            [facts["own"]],
        ).fetchone()[0]
        audit = list_audit(store, entity="interactions")
    assert n == 1
    assert audit[0].actor == "csm" and audit[0].after["notes"] == "QBR: exec sponsor wants SSO."  # type: ignore[index]


def test_scorecard_preview_rebands_and_save_is_a_new_audited_version(
    make_client: Callable[..., TestClient], web_db: Path
) -> None:
    c = make_client("admin")
    page = c.get("/scorecard")
    token = csrf_of(page.text)
    # the default card: bands red/yellow/green; moving yellow's threshold re-bands accounts
    r = c.post("/scorecard/preview", data={"csrf_token": token, "band1": "70"})
    assert r.status_code == 200 and "<html" not in r.text
    moved = int(re.search(r'id="moves-count">(\d+)<', r.text).group(1))  # type: ignore[union-attr]
    assert moved > 0
    same = c.post("/scorecard/preview", data={"csrf_token": token})
    assert 'id="moves-count">0<' in same.text
    bad = c.post("/scorecard/preview", data={"csrf_token": token, "band1": "-5"})
    assert "cannot be used" in bad.text
    saved = c.post("/scorecard/save", data={"csrf_token": token, "band1": "70", "save": "1"})
    assert saved.status_code == 200 and "Saved version" in saved.text
    assert (web_db.parent / "store.scorecard.yaml").exists()
    with open_store(web_db) as store:
        entry = list_audit(store, entity="scorecard")[0]
    assert entry.actor == "admin" and entry.after["bands"]["yellow"] == 70  # type: ignore[index]
    viewer = make_client("viewer")
    r = viewer.post(
        "/scorecard/save", data={"csrf_token": csrf_of(viewer.get("/").text), "save": "1"}
    )
    assert r.status_code == 403


def test_ctas_close_with_an_outcome_for_their_owner_only(
    web_db: Path, make_client: Callable[..., TestClient], facts: dict[str, str]
) -> None:
    pytest.importorskip("healthscore.actions")
    raise_ctas(web_db)
    admin = make_client("admin")
    page = admin.get("/ctas?owner=*")
    ids = re.findall(r'action="/ctas/(\d+)/close"', page.text)
    assert ids, "the demo raised no CTA"
    # each CTA says where its churn probability came from (the model, or the calibrated score)
    assert "churn probability from: " in page.text
    cta = ids[0]
    token = csrf_of(page.text)
    viewer = make_client("viewer")
    vpage = viewer.get("/ctas?owner=*")
    assert 'action="/ctas/' not in vpage.text  # nothing to press
    r = viewer.post(
        f"/ctas/{cta}/close", data={"csrf_token": csrf_of(vpage.text), "outcome": "done"}
    )
    assert r.status_code == 403
    r = admin.post(
        f"/ctas/{cta}/close", data={"csrf_token": token, "outcome": "saved", "note": "call held"}
    )
    assert r.status_code == 200 and "was closed" in r.text
    assert f'action="/ctas/{cta}/close"' not in r.text
    from healthscore.actions import get_cta

    with open_store(web_db) as store:
        got = get_cta(store, int(cta))
    assert got.status == "closed" and got.outcome == "saved"


def test_served_html_asks_nothing_from_another_site(
    shared_client: Callable[..., TestClient], facts: dict[str, str]
) -> None:
    c = shared_client("admin")
    for path in (
        "/login",
        "/",
        f"/accounts/{facts['own']}",
        "/ctas",
        "/scorecard",
        "/validation",
        "/feedback",
        "/admin",
    ):
        r = c.get(path)
        assert r.status_code == 200, path
        external = re.findall(r'(?:src|href|action)="(https?:)?//', r.text)
        assert external == [], (path, external)
        assert "default-src 'self'" in r.headers["content-security-policy"]
    for asset in (
        "/static/vendor/htmx.min.js",
        "/static/vendor/chart.umd.min.js",
        "/static/app.css",
        "/static/app.js",
    ):
        body = c.get(asset)
        assert body.status_code == 200
        assert "sourceMappingURL" not in body.text


def test_the_product_role_starts_on_the_feedback_page(
    shared_client: Callable[..., TestClient],
) -> None:
    c = shared_client()
    token = csrf_of(c.get("/login").text)
    r = c.post(
        "/login",
        data={"username": "product", "password": PASSWORD, "csrf_token": token},
        follow_redirects=False,
    )
    assert r.headers["location"] == "/feedback"
    assert c.get("/", follow_redirects=False).status_code == 403


def test_the_cache_stamp_changes_with_every_write(web_db: Path) -> None:
    from healthscore.auth import add_user
    from healthscore.web.store_access import StampedCache, store_stamp

    cache: StampedCache[int] = StampedCache()
    calls = []
    before = store_stamp(web_db)
    assert cache.get(before, "k", lambda: calls.append(1) or 1) == 1
    assert cache.get(store_stamp(web_db), "k", lambda: calls.append(2) or 2) == 1  # unchanged
    with open_store(web_db) as store:
        add_user(store, "newbie", "long enough", "viewer")
    after = store_stamp(web_db)
    assert after != before
    assert cache.get(after, "k", lambda: calls.append(3) or 3) == 3
    assert calls == [1, 3]
