"""A displayed score never contradicts its band: 59.83 is red and shows as 59, not 60."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

from fastapi.testclient import TestClient

from healthscore.store import open_store
from healthscore.web.templating import TEMPLATES


def test_the_score_filter_floors_into_the_band() -> None:
    score = TEMPLATES.env.filters["score"]
    assert score(59.83) == "59"
    assert score(59.96, 1) == "59.9"
    assert score(60.0) == "60"
    assert score(None) == "—"


def test_pages_show_a_red_59_83_as_59(
    web_db: Path, make_client: Callable[..., TestClient], facts: dict[str, str]
) -> None:
    own = facts["own"]
    with open_store(web_db) as store:
        store.con.execute(
            "UPDATE score_snapshots SET score = 59.83, band = 'red' WHERE account_id = ? "
            "AND as_of = (SELECT max(as_of) FROM score_snapshots)",
            [own],
        )
        name = store.con.execute(
            "SELECT name FROM accounts WHERE account_id = ?", [own]
        ).fetchone()[0]
    c = make_client("viewer")
    page = c.get(f"/accounts/{own}").text
    big = re.search(r'<div class="big-score[^"]*"[^>]*>([^<]*)<small>([^<]*)</small>', page)
    assert big, "no score header on the account page"
    assert (big.group(1), big.group(2)) == ("59", "red")
    portfolio = c.get("/", params={"q": name}).text
    row = re.search(rf"{re.escape(own)}.*?<td class=\"num score\">([^<]*)</td>", portfolio, re.S)
    assert row and row.group(1) == "59"
