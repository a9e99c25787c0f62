"""End to end in a real headless Chromium (Debian's) against a real `healthscore serve`.

Signs in, filters the portfolio, opens an account and sees its trend chart drawn, adds a
note and sees it in the timeline, changes a band threshold in the scorecard preview and
sees accounts re-band, closes a CTA with an outcome, and checks that a viewer cannot.
Every main page is checked with axe-core: no serious or critical violation.
"""

from __future__ import annotations

import contextlib
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from .conftest import PASSWORD, raise_ctas
from .server import serving

sync_api = pytest.importorskip("playwright.sync_api")
CHROMIUM = Path("/usr/bin/chromium")
AXE = Path(__file__).parent / "vendor" / "axe.min.js"

pytestmark = pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian's chromium")


@pytest.fixture(scope="module")
def site(
    demo_store: tuple[Path, dict[str, str]], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[str, dict[str, str]]]:
    db = tmp_path_factory.mktemp("browser") / "store.duckdb"
    shutil.copyfile(demo_store[0], db)
    with contextlib.suppress(ModuleNotFoundError):
        raise_ctas(db)
    with serving(db) as base:
        yield base, demo_store[1]


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=["--no-sandbox", "--disable-gpu"])
        yield b
        b.close()


def _page(browser: Any, base: str, user: str, width: int = 1366) -> Any:
    # bypass_csp: axe-core is injected by the test; the app's own pages run under the CSP
    ctx = browser.new_context(viewport={"width": width, "height": 900}, bypass_csp=True)
    page = ctx.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.errors = errors
    page.goto(base + "/login")
    page.fill("#username", user)
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_load_state("networkidle")
    return page


def _axe(page: Any) -> list[str]:
    page.add_script_tag(path=str(AXE))
    result = page.evaluate("() => axe.run(document, {resultTypes: ['violations']})")
    return [
        f"{v['id']} ({v['impact']}): {v['help']} — {[n['target'] for n in v['nodes'][:3]]}"
        for v in result["violations"]
        if v["impact"] in ("serious", "critical")
    ]


def test_a_csm_works_through_the_app(browser: Any, site: tuple[str, dict[str, str]]) -> None:
    base, facts = site
    page = _page(browser, base, "csm")
    assert page.url.rstrip("/") == base
    assert _axe(page) == []
    # filter the portfolio: only red accounts are left
    page.select_option("#band", "red")
    page.wait_for_url("**band=red**")
    page.wait_for_load_state("networkidle")
    bands = page.locator("table.accounts tbody .badge").all_inner_texts()
    assert bands and {b.lower() for b in bands} == {"red"}
    # the distribution chart is drawn
    page.wait_for_selector("#dist-chart[data-drawn]")
    # open the CSM's own account: the trend chart renders on its canvas
    page.goto(f"{base}/accounts/{facts['own']}")
    page.wait_for_selector("#trend-chart[data-drawn]")
    drawn = page.evaluate(
        "() => { const c = document.getElementById('trend-chart');"
        " const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;"
        " let n = 0; for (let i = 3; i < d.length; i += 4) if (d[i] > 0) n++; return n; }"
    )
    assert drawn > 1000  # pixels painted, not an empty canvas
    assert _axe(page) == []
    # add a note; it shows in the timeline
    page.fill("#note-text", "Called the sponsor: renewal on track, wants SSO.")
    page.click("#note-form button[type=submit]")
    page.wait_for_selector("text=Saved: the note")
    assert page.locator("#timeline").get_by_text("renewal on track, wants SSO").count() == 1
    assert page.errors == []


def test_an_admin_previews_a_scorecard_and_closes_a_cta(
    browser: Any, site: tuple[str, dict[str, str]]
) -> None:
    base, _ = site
    page = _page(browser, base, "admin")
    page.goto(base + "/scorecard")
    assert _axe(page) == []
    page.fill("#band1", "72")  # yellow starts higher: accounts move to red
    page.wait_for_selector("#moves-count", timeout=60_000)
    assert int(page.inner_text("#moves-count")) > 0
    page.goto(base + "/ctas?owner=*")
    assert _axe(page) == []
    forms = page.locator("form.close-form")
    if forms.count() == 0:
        pytest.fail("the demo store has no open CTA to close")
    first = forms.first
    cta_id = first.get_attribute("action").split("/")[2]
    first.locator("select").select_option("saved")
    first.locator("input[name=note]").fill("Exec call held; renewal saved.")
    first.locator("button[type=submit]").click()
    page.wait_for_selector("text=Done: the call-to-action was closed")
    assert page.locator(f"form[action='/ctas/{cta_id}/close']").count() == 0
    for path in ("/validation", "/feedback", "/admin"):
        page.goto(base + path)
        assert _axe(page) == [], path
    assert page.errors == []


def test_a_viewer_cannot_change_anything(browser: Any, site: tuple[str, dict[str, str]]) -> None:
    base, facts = site
    page = _page(browser, base, "viewer", width=390)  # and on a phone
    page.goto(f"{base}/accounts/{facts['own']}")
    assert page.locator("#note-form").count() == 0
    page.goto(base + "/ctas?owner=*")
    assert page.locator("form.close-form").count() == 0
    page.goto(base + "/admin")
    assert "Not allowed" in page.inner_text("h1")
    # a forged post is refused too
    status = page.evaluate(
        "async (u) => (await fetch(u, {method: 'POST', body: new URLSearchParams({kind: 'call', notes: 'x'})})).status",
        f"{base}/accounts/{facts['own']}/notes",
    )
    assert status == 403
