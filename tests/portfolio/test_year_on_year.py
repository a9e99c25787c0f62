"""CLTV against the same period a year earlier, on a store with more than a year of history.

Five accounts at 100 a month from 2024-01-01.  B churns on 2024-02-15, C on 2024-08-10;
A, D and E renew on 2025-01-01 without a gap; F starts on 2025-03-20 (the billing data's
"today"), and an event on 2025-03-31 is the newest data, so churn is final to 2025-03-13.

* February 2024: its trailing year holds January (nobody active on 2023-12-31) and
  February (5 at risk, B churned): 1 / 5 a month, a 5-month lifetime, ARPA 100: CLTV 500.
* February 2025: March to August 2024 open with A, C, D, E (24 account-months, C churned),
  September 2024 to February 2025 with A, D, E (18): 1 / 42 a month, ARPA 100: CLTV 4200.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from healthscore.ingest.frames import load_frames
from healthscore.portfolio import portfolio_kpis
from healthscore.store import Store, open_store

D = dt.date
JAN24, JAN25 = D(2024, 1, 1), D(2025, 1, 1)


@pytest.fixture(scope="module")
def two_years(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Store]:
    path: Path = tmp_path_factory.mktemp("yoy") / "two_years.duckdb"
    subs = [
        ("A", JAN24, JAN25),
        ("A", JAN25, None),
        ("B", JAN24, D(2024, 2, 15)),
        ("C", JAN24, D(2024, 8, 10)),
        ("D", JAN24, JAN25),
        ("D", JAN25, None),
        ("E", JAN24, JAN25),
        ("E", JAN25, None),
        ("F", D(2025, 3, 20), None),
    ]
    with open_store(path, create=True) as store:
        load_frames(
            store,
            {
                "accounts": pd.DataFrame({"account_id": list("ABCDEF"), "segment": "smb"}),
                "subscriptions": pd.DataFrame(
                    [(a, s, e, 100.0) for a, s, e in subs],
                    columns=["account_id", "start_date", "end_date", "mrr"],
                ).assign(product="app"),
                "events": pd.DataFrame(
                    {
                        "account_id": ["A"],
                        "event_time": [pd.Timestamp("2025-03-31 12:00")],
                        "event_type": ["f1"],
                    }
                ),
            },
        )
        yield store


def _row(report: Any, period: str) -> dict[str, Any]:
    return next(r for r in report.rows if r["period"] == period)


def test_cltv_is_compared_with_a_year_earlier(two_years: Store) -> None:
    r = portfolio_kpis(two_years, start=D(2025, 1, 1), end=D(2025, 2, 28), gross_margin=0.5)
    feb = _row(r, "2025-02")
    assert feb["status"] == "final"
    assert feb["churn_rate_monthly_ttm"] == pytest.approx(1 / 42)
    assert feb["cltv"] == pytest.approx(100 * 0.5 * 42)
    assert feb["cltv_vs_year"] == pytest.approx(100 * 0.5 * (42 - 5))
    assert feb["cltv_vs_year_flag"] is None  # no noise model for CLTV
    assert "cltv_vs_year" not in feb["no_data"]
    # The first period asked for is compared with the one before it too: January 2025
    # pools 2 churns in 44 account-months, December 2024 2 in 41.
    jan = _row(r, "2025-01")
    assert jan["cltv"] == pytest.approx(100 * 0.5 * 22)
    assert jan["cltv_vs_prev"] == pytest.approx(100 * 0.5 * (22 - 41 / 2))


def test_the_year_earlier_cltv_is_the_one_that_period_reports(two_years: Store) -> None:
    then = _row(portfolio_kpis(two_years, start=D(2024, 2, 1), end=D(2024, 2, 29)), "2024-02")
    assert then["churn_rate_monthly_ttm"] == pytest.approx(1 / 5)
    assert then["cltv"] == pytest.approx(500.0)
    now = _row(portfolio_kpis(two_years, start=D(2025, 2, 1), end=D(2025, 2, 28)), "2025-02")
    assert now["cltv_vs_year"] == pytest.approx(now["cltv"] - then["cltv"])


def test_no_cltv_a_year_earlier_says_why(two_years: Store) -> None:
    # January 2024 opened with nobody: no account was at risk in its trailing year.
    jan = _row(portfolio_kpis(two_years, start=D(2025, 1, 1), end=D(2025, 1, 31)), "2025-01")
    assert jan["cltv"] is not None and jan["cltv_vs_year"] is None
    assert jan["no_data"]["cltv_vs_year"] == (
        "no cltv in the earlier period (no account active in the trailing twelve months)"
    )
