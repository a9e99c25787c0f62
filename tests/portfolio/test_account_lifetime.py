"""Per-account CLTV and expected remaining lifetime in `predict`, computed by hand.

On the tiny store (conftest.py) too few churns train a model, so the scorecard stands in
and the lifetime falls back to 1 / the portfolio's monthly churn rate over the twelve
months up to 2026-03-31.  The month-long windows that open with anyone active:

    2025-10-31 -> 11-30: 6 at risk (A, B, C, D, G, H), none churned
    2025-11-30 -> 12-31: 6, G churned
    2025-12-31 -> 01-31: 5 (A, B, C, D, H; H is inside its grace gap), none
    2026-01-31 -> 02-28: 5, B churned
    2026-02-28 -> 03-31: 6 (A, C, D, E, G, H), none

2 churned in 28 account-months: 1/14 a month, a 14-month expected lifetime.
"""

from __future__ import annotations

import datetime as dt
import math
from pathlib import Path

import pandas as pd
import pytest

from healthscore import api
from healthscore.portfolio.cltv import (
    FROM_CHURN_RATE,
    FROM_SURVIVAL,
    account_lifetime_values,
    pooled_monthly_churn,
)
from healthscore.portfolio.retention import Book
from healthscore.predict.api import COLUMNS
from healthscore.store import Store
from healthscore.store.queries.outcomes import subscription_rows

D = dt.date
# MRR on 2026-03-31 (C expanded to 150, D contracted to 800, F new at 50).
MRR = {"A": 100.0, "C": 150.0, "D": 800.0, "E": 500.0, "F": 50.0, "G": 70.0, "H": 300.0}


def test_the_portfolio_rate_pools_twelve_months(tiny: Store) -> None:
    book = Book(subscription_rows(tiny, D(2026, 3, 31)), 7, D(2026, 3, 25))
    assert pooled_monthly_churn(book, D(2026, 3, 31)) == (2, 28)
    # Three months back from a month-end stay on month-ends: 12-31 -> 01-31 -> 02-28 -> 03-31.
    assert pooled_monthly_churn(book, D(2026, 3, 31), months=3) == (1, 16)


def test_predict_gives_each_account_its_mrr_lifetime_and_cltv(tiny_path: Path) -> None:
    p = api.predict(tiny_path, "2026-03-31", gross_margin=0.5)
    assert p.model == "scorecard"
    assert list(p.frame.columns) == COLUMNS
    got = p.frame.set_index("account_id")
    assert got["mrr"].to_dict() == MRR  # B churned: not predicted
    assert (got["expected_lifetime_months"] == 14.0).all()
    assert (got["lifetime_source"] == FROM_CHURN_RATE).all()
    assert got["cltv"].to_dict() == {a: m * 0.5 * 14 for a, m in MRR.items()}
    assert any("1 / the portfolio's monthly churn rate (2 churned in 28" in w for w in p.warnings)
    assert p.info["lifetime_fallback"]["monthly_churn_rate"] == pytest.approx(1 / 14)


def test_the_survival_model_comes_first() -> None:
    mrr = pd.Series({"a": 100.0, "b": 200.0, "c": math.nan})
    months = pd.Series({"a": 30.0, "b": math.nan, "c": 12.0})
    got = account_lifetime_values(mrr, months, 0.04, gross_margin=0.75)
    assert got["expected_lifetime_months"].to_dict() == {"a": 30.0, "b": 25.0, "c": 12.0}
    assert list(got["lifetime_source"]) == [FROM_SURVIVAL, FROM_CHURN_RATE, FROM_SURVIVAL]
    assert got.loc["a", "cltv"] == pytest.approx(100 * 0.75 * 30)
    assert got.loc["b", "cltv"] == pytest.approx(200 * 0.75 * 25)
    assert math.isnan(got.loc["c", "cltv"])  # no MRR, no value


def test_without_churn_and_without_a_model_the_lifetime_is_empty() -> None:
    got = account_lifetime_values(pd.Series({"a": 100.0}), None, 0.0)
    assert math.isnan(got.loc["a", "expected_lifetime_months"])
    assert got.loc["a", "lifetime_source"] is None and math.isnan(got.loc["a", "cltv"])


def test_a_gross_margin_outside_its_range_is_refused(tiny_path: Path) -> None:
    with pytest.raises(ValueError, match=r"'gross_margin' parameter of predict .* Got 0 instead"):
        api.predict(tiny_path, "2026-03-31", gross_margin=0)


@pytest.mark.slow
def test_with_a_model_the_lifetime_is_its_expected_months_to_churn(tmp_path: Path) -> None:
    from healthscore.demo import build_demo
    from healthscore.predict.api import predict
    from healthscore.predict.outcomes import data_range
    from healthscore.store import open_store

    with open_store(tmp_path / "demo.duckdb") as store:
        build_demo(store, seed=1, n_accounts=80, months=8)
        as_of = data_range(store)[1]
        p = predict(store, as_of, horizon_days=90, min_outcomes=5, gross_margin=0.8)
        book = Book(subscription_rows(store, as_of), 7, as_of)
        billed = book.mrr_on(as_of)
    assert p.model != "scorecard"
    f = p.frame.set_index("account_id")
    assert (f["lifetime_source"] == FROM_SURVIVAL).all()
    assert (f["expected_lifetime_months"] == f["expected_months_to_churn"]).all()
    assert f["mrr"].to_dict() == pytest.approx(billed.reindex(f.index).round(2).to_dict())
    want = (f["mrr"] * 0.8 * f["expected_months_to_churn"]).round(2)
    assert f["cltv"].to_numpy() == pytest.approx(want.to_numpy(), abs=0.01)


def test_explain_shows_the_same_lifetime_and_cltv(tiny_path: Path, tmp_path: Path) -> None:
    from healthscore.portfolio.lifetime import account_lifetimes

    db = tmp_path / "scored.duckdb"
    db.write_bytes(tiny_path.read_bytes())
    api.score(db, "2026-03-31")
    ex = api.explain("C", "2026-03-31", db=db)
    assert ex.lifetime == {
        "mrr": 150.0,
        "expected_lifetime_months": 14.0,
        "lifetime_source": FROM_CHURN_RATE,
        "cltv": 150.0 * 14,
        "monthly_churn_rate": pytest.approx(1 / 14),
    }
    assert ex.as_dict()["lifetime"]["cltv"] == 2100.0
    # The one definition predict uses: the whole portfolio at once gives the same figures.
    with api.App.from_env({}, db=db) as hs:
        every = account_lifetimes(hs.store, sorted(MRR), D(2026, 3, 31), gross_margin=0.5)
    assert every.frame["cltv"].to_dict() == {a: m * 0.5 * 14 for a, m in MRR.items()}
    assert (every.churned, every.account_months_at_risk) == (2, 28)
