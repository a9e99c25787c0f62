"""Each KPI of the tiny store (conftest.py) against its hand computation."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest

from healthscore.errors import NotEnoughData
from healthscore.portfolio import UnknownSegment, portfolio_kpis
from healthscore.store import Store, open_store

D = dt.date


def _row(report: Any, period: str, group: str = "all") -> dict[str, Any]:
    return next(r for r in report.rows if r["period"] == period and r["group"] == group)


@pytest.fixture(scope="module")
def months(tiny_path: Path) -> Any:
    with open_store(tiny_path) as store:
        return portfolio_kpis(store, start=D(2025, 10, 1), end=D(2026, 3, 31), by="segment")


def test_february_logo_churn_new_and_reactivated(months: Any) -> None:
    feb = _row(months, "2026-02")
    # Open on 2026-01-31: A, B, C, D and H (in its grace gap); B is gone by 2026-02-28.
    assert feb["accounts_start"] == 5
    assert feb["churned"] == 1
    assert feb["churn_rate"] == pytest.approx(1 / 5)
    assert feb["new"] == 1  # E
    assert feb["reactivated"] == 1  # G, whose first spell ended 2025-12-01
    assert feb["accounts_end"] == 6


def test_february_mrr_bridge_grr_and_nrr(months: Any) -> None:
    feb = _row(months, "2026-02")
    assert feb["mrr_start"] == pytest.approx(100 + 200 + 100 + 1000 + 300)
    assert feb["mrr_churned"] == pytest.approx(200)  # B
    assert feb["mrr_contraction"] == pytest.approx(200)  # D 1000 -> 800
    assert feb["mrr_expansion"] == pytest.approx(50)  # C 100 -> 150
    assert feb["mrr_new"] == pytest.approx(500)  # E
    assert feb["mrr_reactivated"] == pytest.approx(70)  # G
    assert feb["mrr_end"] == pytest.approx(1700 - 200 - 200 + 50 + 500 + 70)
    assert feb["grr"] == pytest.approx((1700 - 200 - 200) / 1700)
    assert feb["nrr"] == pytest.approx((1700 - 200 - 200 + 50) / 1700)


def test_by_segment(months: Any) -> None:
    smb, ent = _row(months, "2026-02", "smb"), _row(months, "2026-02", "ent")
    assert (smb["accounts_start"], smb["churned"], smb["reactivated"]) == (3, 1, 1)
    assert smb["churn_rate"] == pytest.approx(1 / 3)
    assert smb["grr"] == pytest.approx((400 - 200) / 400)
    assert smb["nrr"] == pytest.approx((400 - 200 + 50) / 400)
    assert (ent["accounts_start"], ent["churned"], ent["new"]) == (2, 0, 1)
    assert ent["grr"] == ent["nrr"] == pytest.approx((1300 - 200) / 1300)


def test_a_gap_within_the_grace_is_not_churn(months: Any) -> None:
    jan = _row(months, "2026-01")
    assert (jan["accounts_start"], jan["churned"], jan["churn_rate"]) == (5, 0, 0.0)
    assert jan["grr"] == jan["nrr"] == pytest.approx(1.0)
    dec = _row(months, "2025-12")
    assert (dec["accounts_start"], dec["churned"]) == (6, 1)  # G


def test_nps_and_response_rate(months: Any) -> None:
    feb = _row(months, "2026-02")
    # 10, 9, 9 promoters; 7 passive; 3 detractor: (3 - 1) / 5.
    assert (feb["nps_responses"], feb["nps_promoters"], feb["nps_detractors"]) == (5, 3, 1)
    assert feb["nps"] == pytest.approx(40.0)
    assert feb["nps_response_rate"] == pytest.approx(5 / 8)
    # SE of the mean of +1 x3, 0, -1: sqrt((0.6 + 0.2 - 0.4^2) / 5) = 0.357771 -> 35.8 points
    assert feb["nps_se"] == pytest.approx(100 * ((0.8 - 0.16) / 5) ** 0.5)


def test_csat_per_source(months: Any) -> None:
    feb = _row(months, "2026-02")
    assert feb["csat_survey_responses"] == 3
    assert feb["csat_survey_mean"] == pytest.approx((5 + 4 + 2) / 3)
    assert feb["csat_survey_satisfied"] == pytest.approx(2 / 3)
    # T1 5, T2 3, T4 4, and T5 1 (opened in January, rated at its resolution in February).
    assert feb["csat_ticket_responses"] == 4
    assert feb["csat_ticket_mean"] == pytest.approx((5 + 3 + 4 + 1) / 4)
    assert feb["csat_ticket_satisfied"] == pytest.approx(2 / 4)


def test_adoption_and_self_service(months: Any) -> None:
    feb = _row(months, "2026-02")
    # Active on 2026-02-28: A, C, D, E, G, H; catalogue f1, f2, f3 (login, help left out).
    # Features used: A 2, C 1, D 3, E 1, G 0, H 1 (B's use does not count: churned).
    assert feb["adoption_accounts"] == 6
    assert feb["adoption_rate"] == pytest.approx((2 + 1 + 3 + 1 + 0 + 1) / 3 / 6)
    assert feb["adoption_high_impact_rate"] == pytest.approx(3 / 6)  # A, D, E used f3
    # 4 help-article views, 4 tickets opened in February (T5 was opened in January).
    assert (feb["help_views"], feb["tickets_opened"]) == (4, 4)
    assert feb["self_service_rate"] == pytest.approx(4 / 8)


def test_time_to_first_value(months: Any) -> None:
    feb = _row(months, "2026-02")
    assert feb["ttfv_cohort"] == 1  # E, started 2026-02-05, first f3 on 2026-02-12
    assert feb["ttfv_median_days"] == 7
    assert feb["ttfv_within_target"] == 1.0
    mar = _row(months, "2026-03")
    assert mar["ttfv_cohort"] == 1  # F, 6 days before the newest data, no first value yet
    assert mar["ttfv_median_days"] is None
    assert (
        mar["no_data"]["ttfv_median_days"] == "no account of the cohort has reached first value yet"
    )
    assert mar["ttfv_within_target"] is None
    assert "past its target" in mar["no_data"]["ttfv_within_target"]


def test_cltv(tiny: Store) -> None:
    # Trailing twelve months to February: at risk 6 (Nov) + 6 (Dec) + 5 (Jan) + 5 (Feb) = 22
    # account-months, 2 churned (G, B): 1/11 a month, an 11-month lifetime.  ARPA 1700 / 5.
    r = portfolio_kpis(tiny, start=D(2026, 2, 1), end=D(2026, 2, 28), gross_margin=0.8)
    feb = _row(r, "2026-02")
    assert feb["arpa"] == pytest.approx(340.0)
    assert feb["churn_rate_monthly_ttm"] == pytest.approx(2 / 22)
    assert feb["lifetime_months"] == pytest.approx(11.0)
    assert feb["cltv"] == pytest.approx(340.0 * 0.8 * 11.0)


def test_cltv_of_quarters_uses_the_monthly_rate(tiny: Store) -> None:
    r = portfolio_kpis(tiny, period="quarter", start=D(2026, 1, 1), end=D(2026, 3, 31))
    q1 = _row(r, "2026-Q1")
    # Trailing four quarters: Q4 2025 opens with nobody (2025-09-30), Q1 2026 with 5
    # (2025-12-31), of whom B is gone by 2026-03-31: 1 of 5 in a quarter.
    assert q1["accounts_start"] == 5
    rate = 1 - (1 - 1 / 5) ** (1 / 3)
    assert q1["churn_rate_monthly_ttm"] == pytest.approx(rate)
    assert q1["lifetime_months"] == pytest.approx(1 / rate)


def test_bands(months: Any) -> None:
    feb = _row(months, "2026-02")
    # The newest February snapshot (2026-02-28): A, C, D green, E yellow, H red.
    assert feb["score_snapshot"] == D(2026, 2, 28)
    assert feb["band_green_share"] == pytest.approx(3 / 5)
    assert feb["band_red_share"] == pytest.approx(1 / 5)
    # ARR = 12 x MRR that day: A 1200, C 1800, D 9600, E 6000, H 3600 (22200).
    assert feb["band_green_arr_share"] == pytest.approx((1200 + 1800 + 9600) / 22200)
    assert feb["band_yellow_arr_share"] == pytest.approx(6000 / 22200)
    jan = _row(months, "2026-01")
    assert jan["band_green_share"] is None
    assert jan["no_data"]["band_green_share"] == "no score snapshot in the period"


def test_no_active_account_and_no_answer_are_no_data_with_a_reason(months: Any) -> None:
    oct_ = _row(months, "2025-10")  # nothing was active on 2025-09-30
    assert oct_["accounts_start"] == 0
    assert oct_["churn_rate"] is None and oct_["grr"] is None and oct_["nrr"] is None
    assert oct_["no_data"]["churn_rate"] == "no account active at the period's start"
    assert oct_["arpa"] is None
    jan = _row(months, "2026-01")
    assert jan["nps"] is None and jan["no_data"]["nps"] == "no NPS answer in the period"
    assert jan["csat_survey_mean"] is None
    assert jan["nps_response_rate"] is None


def test_trailing_year_needs_a_year_of_history(months: Any) -> None:
    feb = _row(months, "2026-02")
    assert feb["grr_ttm"] is None
    assert "less than twelve months" in feb["no_data"]["grr_ttm"]


def test_provisional_and_beyond_the_data(tiny: Store) -> None:
    r = portfolio_kpis(tiny, start=D(2026, 2, 1), end=D(2026, 6, 30))
    assert [x["period"] for x in r.rows] == ["2026-02", "2026-03"]
    assert [x["status"] for x in r.rows] == ["final", "provisional"]
    assert r.known.churn_known_until == D(2026, 3, 18)
    assert any("left out" in n for n in r.notes)
    assert any("2026-03-18" in n for n in r.notes)
    with pytest.raises(NotEnoughData, match="after the newest data"):
        portfolio_kpis(tiny, start=D(2026, 5, 1))
    with pytest.raises(NotEnoughData, match="holds data from 2025-10-01"):
        portfolio_kpis(tiny, start=D(2024, 1, 1), end=D(2024, 6, 30))


def test_trends_and_noise(months: Any) -> None:
    feb = _row(months, "2026-02")
    jan = _row(months, "2026-01")
    assert feb["churn_rate_vs_prev"] == pytest.approx(0.2 - 0.0)
    # 1 of 5 against 0 of 5: far inside the noise of five accounts.
    assert feb["churn_rate_vs_prev_flag"] == "within noise"
    assert feb["churn_rate_vs_year"] is None
    assert feb["no_data"]["churn_rate_vs_year"] == "the earlier period is outside the data"
    assert jan["nps_vs_prev"] is None
    # Wilson interval of 1 in 5.
    assert feb["churn_rate_lo"] == pytest.approx(0.036224, abs=1e-6)
    assert feb["churn_rate_hi"] == pytest.approx(0.624472, abs=1e-6)


def test_segment_filter(tiny: Store) -> None:
    r = portfolio_kpis(tiny, start=D(2026, 2, 1), end=D(2026, 2, 28), segment="SMB")
    feb = _row(r, "2026-02")
    assert (feb["accounts_start"], feb["churned"]) == (3, 1)
    assert feb["nps_responses"] == 2  # A and C
    with pytest.raises(UnknownSegment, match="the segments are: ent, smb"):
        portfolio_kpis(tiny, segment="mid-market")
