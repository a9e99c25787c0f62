"""The scorecard page's preview shows the backtest of the card in force against the edited
one, and the figures move when the edit changes who is flagged."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from healthscore.auth import add_user
from healthscore.store import open_store

from .conftest import PASSWORD, _factory, csrf_of


@pytest.fixture(scope="module")
def history_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A demo store scored weekly over three months: early dates have closed outcomes."""
    from healthscore.demo import build_demo
    from healthscore.scoring import backfill

    path = tmp_path_factory.mktemp("backtest") / "store.duckdb"
    with open_store(path) as store:
        build_demo(store, seed=1, n_accounts=80, months=8)
        backfill(store, dt.date(2026, 8, 1), dt.date(2026, 10, 31), every_days=7)
        add_user(store, "admin", PASSWORD, "admin")
    return path


@pytest.fixture
def admin(history_db: Path) -> Iterator[object]:
    gen = _factory(history_db)
    make = next(gen)
    yield make("admin")
    gen.close()


def _figures(html: str) -> dict[str, str]:
    return dict(re.findall(r'data-k="([a-z]+-(?:old|new))">([^<]*)<', html))


def test_the_preview_shows_old_against_new_backtest_figures(admin: object) -> None:
    c = admin
    token = csrf_of(c.get("/scorecard").text)  # type: ignore[attr-defined]
    same = c.post("/scorecard/preview", data={"csrf_token": token})  # type: ignore[attr-defined]
    assert same.status_code == 200 and 'id="backtest"' in same.text
    f = _figures(same.text)
    assert f["auc-old"] == f["auc-new"] and f["recall-old"] == f["recall-new"]
    assert f["auc-old"] not in ("", "—")

    # Yellow from 70, green from 85: more accounts red, none of the churners lost.
    strict = c.post(  # type: ignore[attr-defined]
        "/scorecard/preview", data={"csrf_token": token, "band1": "70", "band2": "85"}
    )
    f = _figures(strict.text)
    assert float(f["share-new"].rstrip("%")) > float(f["share-old"].rstrip("%"))
    assert float(f["recall-new"].rstrip("%")) >= float(f["recall-old"].rstrip("%"))
    assert f["auc-new"] == f["auc-old"]  # bands alone do not change the ranking

    # Weight on the relationship group only: the ranking itself changes.
    form = {"csrf_token": token, **{f"g{i}": "0" for i in range(6)}, "g2": "40"}
    moved = c.post("/scorecard/preview", data=form)  # type: ignore[attr-defined]
    f = _figures(moved.text)
    assert f["auc-new"] != f["auc-old"], moved.text[:2000]
