"""The product feedback report: ARR-weighted friction, adoption, trend, quotes, exports."""

from __future__ import annotations

import datetime as dt

import pytest

from healthscore.store.db import Store
from healthscore.text.feedback import feedback_report, render_feedback_html

from .data import AS_OF, insert, ts


def test_features_ranked_by_arr_weighted_friction(analysed_store: Store) -> None:
    r = feedback_report(analysed_store, end=AS_OF, days=90)
    assert (r.start, r.end) == (dt.date(2024, 4, 2), AS_OF)
    by = {row.feature: row for row in r.rows}
    rep = by["report_created"]
    # T1 (ticket, linked, CSAT 1, negative) from A1 (ARR 120,000): three signals.
    assert (rep.tickets, rep.negative_texts, rep.low_csat) == (1, 1, 1)
    assert rep.friction_arr == pytest.approx(3 * 120_000)
    assert rep.accounts == 1 and rep.segments == [("enterprise", 1)]
    # The previous 90 days: T3 from A2 (12 x 500 MRR), a ticket and a negative text.
    assert rep.previous_friction_arr == pytest.approx(2 * 6_000)
    assert rep.trend == pytest.approx((360_000 - 12_000) / 12_000 * 100)
    # Adoption: 2 of the 3 accounts active in the period built a report.
    assert rep.adoption == pytest.approx(2 / 3) and rep.adopting_accounts == 2
    assert rep.quotes[0]["evidence"].startswith("Every report export fails")
    assert rep.quotes[0]["account"] == "Acme Labs"
    assert r.rows[0].feature == "report_created"
    assert r.rows == sorted(r.rows, key=lambda x: -x.friction_arr)
    # "Love the dashboards but the API keeps timing out": friction for the API only.
    assert by["api_call"].negative_texts == 1
    assert by["dashboard_viewed"].negative_texts == 0 and by["dashboard_viewed"].tickets == 1
    assert [i["account_id"] for i in r.intent] == ["A1"]


def test_segment_filter_and_rows(analysed_store: Store) -> None:
    r = feedback_report(analysed_store, end=AS_OF, segment="smb")
    assert all(row.friction_arr < 120_000 for row in r.rows)
    rows = r.as_rows()
    assert rows[0]["rank"] == 1 and {"feature", "friction_arr", "adoption", "quotes"} <= set(
        rows[0]
    )
    assert r.as_dict()["features"][0]["feature"] == rows[0]["feature"]


def test_html_escapes_customer_text(analysed_store: Store) -> None:
    insert(analysed_store, {"surveys": [{
        "response_id": "X1", "account_id": "A1", "survey_type": "nps", "score": 1.0,
        "responded_at": ts("2024-06-25 10:00"),
        "comment": "<script>alert(1)</script> Reports are broken and useless."}]})  # fmt: skip
    from healthscore.text.batch import analyse_store

    analyse_store(analysed_store)
    page = render_feedback_html(feedback_report(analysed_store, end=AS_OF))
    assert "<script>" not in page
    assert "Reports are broken" in page and page.startswith("<!doctype html>")
