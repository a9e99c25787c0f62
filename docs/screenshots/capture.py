"""Write the README's screenshots: the main pages at laptop (1366 px) and phone (390 px)
width, from a demo store served by a real `healthscore serve`, in Debian's Chromium.

    .venv/bin/python docs/screenshots/capture.py [--db demo.duckdb]

Without --db it builds the demo (300 accounts, 12 months, 26 scored weeks) in a
temporary directory first.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
OUT = Path(__file__).resolve().parent
sys.path.insert(0, str(ROOT / "tests" / "web"))
from server import serving  # noqa: E402

PAGES = {
    "portfolio": "/",
    "account": "/accounts/{own}",
    "ctas": "/ctas?owner=*",
    "scorecard": "/scorecard",
    "feedback": "/feedback",
    "admin": "/admin",
}


def build(db: Path) -> None:
    from healthscore.demo import build_and_score
    from healthscore.store import open_store

    with open_store(db) as store:
        build_and_score(store, seed=7, n_accounts=300, months=12, weeks=26)


def main() -> None:
    from playwright.sync_api import sync_playwright

    from healthscore.auth import add_user, get_user
    from healthscore.store import open_store
    from healthscore.store.queries import example_account

    ap = argparse.ArgumentParser()
    ap.add_argument("--db", type=Path)
    args = ap.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="hs-shots-"))
    db = tmp / "demo.duckdb"
    if args.db:
        shutil.copyfile(args.db, db)
    else:
        build(db)
    with open_store(db) as store:
        own = example_account(store)
        if get_user(store, "admin") is None:
            add_user(store, "admin", "password123", "admin", display_name="Ada Admin")
    with serving(db, timeout=300) as base, sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path="/usr/bin/chromium", args=["--no-sandbox", "--disable-gpu"]
        )
        for width, tag in ((1366, "laptop"), (390, "phone")):
            ctx = browser.new_context(
                viewport={"width": width, "height": 900}, device_scale_factor=1
            )
            ctx.set_default_timeout(240_000)
            page = ctx.new_page()
            page.goto(base + "/login")
            page.fill("#username", "admin")
            page.fill("#password", "password123")
            page.click("button[type=submit]")
            page.wait_for_load_state("networkidle")
            for name, path in PAGES.items():
                page.goto(base + path.format(own=own))
                page.wait_for_load_state("networkidle")
                page.wait_for_timeout(400)
                page.screenshot(
                    path=str(OUT / f"{name}-{tag}.png"),
                    full_page=tag == "phone" and name == "portfolio",
                )
            # the scorecard preview after a change
            page.goto(base + "/scorecard")
            page.fill("#band1", "72")
            page.wait_for_selector("#moves-count", timeout=120_000)
            page.screenshot(path=str(OUT / f"scorecard-preview-{tag}.png"), full_page=False)
            # the validation page with a finished backtest (run once; the server keeps it)
            page.goto(base + "/validation")
            if tag == "laptop":
                page.click("form[action='/validation/run'] button[type=submit]")
            for _ in range(120):  # the page shows the job's state; reload until it is done
                if page.locator("p.verdict").count():
                    break
                page.wait_for_timeout(5000)
                page.goto(base + "/validation")
            page.screenshot(path=str(OUT / f"validation-{tag}.png"), full_page=False)
            ctx.close()
        browser.close()
    shutil.rmtree(tmp, ignore_errors=True)
    print(f"wrote {len(list(OUT.glob('*.png')))} screenshots to {OUT}")


if __name__ == "__main__":
    main()
