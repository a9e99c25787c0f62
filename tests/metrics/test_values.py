"""Hand-computed values of every metric family on the tiny store (see data.py for the rows)."""

from __future__ import annotations

import datetime as dt
import math

import numpy as np
import pandas as pd
import pytest

from healthscore.errors import NotEnoughData
from healthscore.metrics import GROUPS, compute_metrics, metric_catalog

from .data import AS_OF, insert


@pytest.fixture
def frame(tiny_store) -> pd.DataFrame:
    return compute_metrics(tiny_store.ibis(), [AS_OF])


def row(frame: pd.DataFrame, account: str) -> pd.Series:
    (i,) = frame.index[frame["account_id"] == account]
    return frame.loc[i]


def check(r: pd.Series, expected: dict[str, float]) -> None:
    for name, want in expected.items():
        got = r[name]
        if isinstance(want, float) and math.isnan(want):
            assert math.isnan(got), f"{name}: expected NaN, got {got}"
        else:
            assert got == pytest.approx(want, abs=1e-12), f"{name}: expected {want}, got {got}"


def test_frame_shape_and_existence(frame, tiny_store):
    # A3 starts after as_of: not in the frame.  A4 has no start date but a subscription.
    assert frame["account_id"].tolist() == ["A1", "A2", "A4"]
    assert set(frame["as_of"]) == {AS_OF}
    assert isinstance(frame["as_of"].iloc[0], dt.date)
    names = [m.name for m in metric_catalog(tiny_store.ibis())]
    assert frame.columns.tolist() == ["as_of", "account_id", "is_active", *names]
    assert (frame.dtypes.iloc[2:] == "float64").all()
    check(row(frame, "A1"), {"is_active": 1.0})
    check(row(frame, "A2"), {"is_active": 0.0})  # its only subscription ended 2024-03-20


def test_usage(frame):
    a1 = row(frame, "A1")
    check(
        a1,
        {
            "usage_events_7d": 5.0,  # includes 23:59:59 on as_of, excludes 00:00 the next day
            "usage_active_days_7d": 3.0,
            "usage_active_users_7d": 2.0,  # the NULL user is not a user
            "usage_events_change_7d": 400.0,
            "usage_active_days_change_7d": 200.0,
            "usage_events_28d": 7.0,
            "usage_events_change_28d": 600.0,
            "usage_events_90d": 8.0,
            "usage_events_change_90d": float("nan"),  # nothing in the previous 90 days
            "usage_active_users_90d": 3.0,
            "usage_active_users_per_seat_28d": 0.2,
            "usage_events_per_active_user_7d": 2.5,
            "usage_logins_per_week_7d": 3.0,
            "usage_logins_per_week_28d": 1.0,
            "usage_days_since_last_activity": 0.0,
            "usage_weeks_active_share_12w": 4 / 12,
        },
    )
    weeks = [5, 1, 0, 1, 0, 0, 0, 1, 0, 0, 0, 0]
    mean = sum(weeks) / 12
    sd = math.sqrt(sum((x - mean) ** 2 for x in weeks) / 12)
    check(a1, {"usage_consistency_12w": 1 - (sd / mean) / math.sqrt(11)})
    check(
        row(frame, "A2"),
        {
            "usage_events_7d": 0.0,
            "usage_events_28d": 1.0,
            "usage_days_since_last_activity": 26.0,
            # Started 2024-03-01: 4 whole weeks since, one of them active (03-04..03-10).
            "usage_weeks_active_share_12w": 1 / 4,
            "usage_consistency_12w": 0.0,
            # Its only subscription ended on 03-20: no seats held at as_of. The current
            # seats_purchased (5) is not used for a past date.
            "usage_active_users_per_seat_28d": float("nan"),
        },
    )
    # No events at all: counts are 0, ratios and recency unknown.
    check(
        row(frame, "A4"),
        {
            "usage_events_28d": 0.0,
            "usage_events_per_active_user_28d": float("nan"),
            "usage_days_since_last_activity": float("nan"),
            "usage_consistency_12w": float("nan"),
        },
    )


def test_new_accounts_are_judged_on_the_weeks_they_existed(tiny_store):
    """Weeks before an account started are not weeks of inactivity."""
    start = AS_OF - dt.timedelta(days=27)  # exactly 4 whole weeks up to AS_OF
    events = [
        {
            "account_id": "NEW",
            "event_time": dt.datetime.combine(day, dt.time(12)),
            "event_type": "login",
        }
        for week in range(4)
        for day in [start + dt.timedelta(days=7 * week + d) for d in (0, 2)]
    ]
    insert(
        tiny_store,
        {
            "accounts": [
                {"account_id": "NEW", "start_date": start},
                {"account_id": "DAYS_OLD", "start_date": AS_OF - dt.timedelta(days=9)},
            ],
            "events": [
                *events,
                {
                    "account_id": "DAYS_OLD",
                    "event_time": dt.datetime.combine(AS_OF, dt.time(9)),
                    "event_type": "login",
                },
            ],
        },
    )
    frame = compute_metrics(tiny_store.ibis(), [AS_OF])
    check(row(frame, "NEW"), {"usage_weeks_active_share_12w": 1.0, "usage_consistency_12w": 1.0})
    # One whole week: a share, but no regularity to speak of yet.
    check(
        row(frame, "DAYS_OLD"),
        {"usage_weeks_active_share_12w": 1.0, "usage_consistency_12w": float("nan")},
    )


def test_per_event_type(frame):
    check(
        row(frame, "A1"),
        {
            "events_login_7d": 3.0,
            "events_login_per_active_day_7d": 1.0,
            "events_login_change_7d": float("nan"),
            "events_export_7d": 0.0,
            "events_export_change_7d": -100.0,
            "events_report_28d": 1.0,
            "events_report_change_28d": 0.0,
            "events_report_90d": 2.0,
            "events_help_article_per_active_day_28d": 0.2,
        },
    )
    check(
        row(frame, "A2"), {"events_login_per_active_day_7d": float("nan"), "events_login_28d": 1.0}
    )


def test_adoption(frame):
    check(
        row(frame, "A1"),
        {
            "adoption_features_used_90d": 4.0,
            "adoption_breadth_90d": 0.8,
            "adoption_high_impact_share_90d": 1 / 8,
            "adoption_high_impact_used_90d": 1.0,
            "adoption_ttfv_days": 40.0,
            "adoption_ttfv_reached": 1.0,
        },
    )
    # Not reached yet: days elapsed since start so far.
    check(row(frame, "A2"), {"adoption_ttfv_days": 30.0, "adoption_ttfv_reached": 0.0})


def test_ttfv_is_unknown_for_accounts_older_than_the_usage_history(tiny_store) -> None:
    # A0 started before the store's first event: when it first reached value is not in the
    # data, so TTFV is unknown (NaN), not "more than a year".
    insert(
        tiny_store,
        {
            "accounts": [{"account_id": "A0", "start_date": dt.date(2023, 1, 1)}],
            "events": [
                {
                    "account_id": "A0",
                    "user_id": "z",
                    "event_time": dt.datetime(2024, 3, 20, 9),
                    "event_type": "report",
                }
            ],
        },
    )
    r = row(compute_metrics(tiny_store.ibis(), [AS_OF]), "A0")
    assert np.isnan(r["adoption_ttfv_days"]) and np.isnan(r["adoption_ttfv_reached"])
    assert r["events_report_28d"] == 1.0  # the account itself is measured as usual


def test_support(frame):
    check(
        row(frame, "A1"),
        {
            "support_tickets_28d": 2.0,
            "support_tickets_90d": 3.0,
            "support_open_tickets": 2.0,  # T2 is resolved after as_of: open at as_of
            "support_median_first_response_hours_90d": 1.5,  # T3's answer comes after as_of
            "support_median_resolution_hours_90d": 24.0,
            "support_high_priority_90d": 2.0,
            # T1 by its flag (no time), T3 escalated 03-30; T2's escalation comes after as_of.
            "support_escalated_90d": 2.0,
            "support_csat_avg_90d": 4.0,
            "support_tickets_per_active_user_90d": 1.0,
            "support_share_bug_90d": 2 / 3,
            "support_share_how_to_90d": 1 / 3,
            "support_share_billing_90d": 0.0,
            "support_self_service_rate_90d": 0.25,
        },
    )
    check(row(frame, "A2"), {"support_tickets_90d": 0.0, "support_share_bug_90d": float("nan")})


def test_voice_relationship_goals(frame):
    check(
        row(frame, "A1"),
        {
            "voice_nps_latest": 9.0,
            "voice_nps_change": 3.0,
            "voice_csat_avg_180d": 4.0,
            "voice_survey_response_rate_365d": 0.8,
            "relationship_days_since_last_touch": 16.0,
            "relationship_touches_per_month_90d": 2 / 3,
            "judgement_relationship_quality": 4.0,
            "judgement_relationship_quality_age_days": 10.0,
            "judgement_exec_sponsor_engaged": 1.0,
            "judgement_exec_sponsor_engaged_age_days": 76.0,
            "relationship_email_open_rate_90d": 0.5,
            "relationship_email_click_rate_90d": 0.25,
            "relationship_events_attended_180d": 1.0,
            "goals_milestones_done_share": 2 / 3,
            "goals_milestones_overdue": 1.0,
        },
    )
    check(row(frame, "A2"), {"voice_nps_latest": float("nan"), "goals_milestones_overdue": 0.0})


def test_financial_and_advocacy(frame):
    check(
        row(frame, "A1"),
        {
            "financial_mrr": 150.0,
            "financial_mrr_change_28d": 50.0,
            "financial_mrr_change_90d": 50.0,
            "financial_days_late_max_90d": 16.0,  # V3 unpaid at as_of: late so far
            "financial_days_late_avg_90d": 7.0,
            "financial_days_late_max_180d": 30.0,
            "financial_days_late_avg_180d": 12.75,
            "financial_unpaid_overdue_invoices": 1.0,
            "financial_failed_payments_90d": 3.0,
            "financial_tenure_days": 90.0,
            "financial_days_to_renewal": 91.0,
            "advocacy_referrals": 2.0,
            "advocacy_referrals_365d": 1.0,
            "advocacy_reviews": 1.0,
            "advocacy_reviews_365d": 1.0,
        },
    )
    check(
        row(frame, "A2"),
        {
            "financial_mrr": 0.0,
            "financial_mrr_change_28d": -100.0,
            "financial_mrr_change_90d": float("nan"),
            "financial_tenure_days": 30.0,
        },
    )
    check(row(frame, "A4"), {"financial_mrr": 30.0, "financial_tenure_days": 59.0})


def test_catalog_is_well_formed(tiny_store):
    cat = metric_catalog(tiny_store.ibis())
    assert len({m.name for m in cat}) == len(cat)
    assert {m.group for m in cat} <= set(GROUPS)
    assert all(m.direction in ("higher_is_better", "lower_is_better", None) for m in cat)
    assert all(m.description and m.unit for m in cat)
    names = {m.name for m in cat}
    for t in ("login", "report", "export", "help_article"):
        assert {
            f"events_{t}_28d",
            f"events_{t}_per_active_day_28d",
            f"events_{t}_change_28d",
        } <= names
    assert "usage_events_14d" in {m.name for m in metric_catalog(tiny_store.ibis(), windows=(14,))}


def test_accounts_filter_and_errors(tiny_store):
    only = compute_metrics(tiny_store.ibis(), [AS_OF], accounts=["A2"])
    full = compute_metrics(tiny_store.ibis(), [AS_OF])
    assert only["account_id"].tolist() == ["A2"]
    pd.testing.assert_frame_equal(
        only.reset_index(drop=True),
        full[full["account_id"] == "A2"].reset_index(drop=True),
    )
    with pytest.raises(NotEnoughData):
        compute_metrics(tiny_store.ibis(), [])
    early = compute_metrics(tiny_store.ibis(), [dt.date(2020, 1, 1)])
    assert early.empty
