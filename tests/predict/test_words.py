"""Risk drivers in words: values as a CS manager reads them, and predict's sentences."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd

from healthscore.predict.api import predict
from healthscore.predict.words import describe_change, driver_sentences, format_value
from healthscore.store import open_store


def test_values_read_as_percentages_days_and_money() -> None:
    assert format_value(0.43, "ratio") == "43 %"
    assert format_value(0.125, "share") == "12 %"
    assert format_value(-35.0, "%") == "-35 %"
    assert format_value(1.0, "days") == "1 day" and format_value(12.4, "days") == "12 days"
    assert format_value(12500.0, "currency") == "12,500"
    assert format_value(1.0, "flag") == "yes"
    assert format_value(3.0, "events") == "3 events"
    assert format_value(float("nan"), "users") == "no data"
    # A unit that only says "a number" is left out: "-0.6", not "-0.6 score".
    assert format_value(-0.6, "score") == "-0.6" and format_value(2.0, "value") == "2"


def test_changes_say_which_way_they_went() -> None:
    label = "Active users per seat, last 28 days"
    assert describe_change(label, "ratio", 0.12, 0.43) == f"{label} fell from 43 % to 12 %"
    assert (
        describe_change("Tickets", "tickets", 5.0, 2.0)
        == "Tickets rose from 2 tickets to 5 tickets"
    )
    assert describe_change("Tenure", "days", 30.0, None) == "Tenure is 30 days"
    assert describe_change("Seats", "seats", 10.0, 10.0) == "Seats is 10 seats (unchanged)"


def test_driver_sentences_name_groups_by_their_lead_metric() -> None:
    contrib = pd.DataFrame(
        {"group:usage_active_users_per_seat_28d": [0.8, -0.1], "missing:nps": [0.2, 0.0]}
    )
    groups = {
        "group:usage_active_users_per_seat_28d": [
            "usage_events_28d",
            "usage_active_users_per_seat_28d",
        ],
        "missing:nps": ["missing:nps"],
    }
    now = pd.DataFrame({"account_id": ["a", "b"], "usage_active_users_per_seat_28d": [0.12, 0.5]})
    before = pd.DataFrame({"usage_active_users_per_seat_28d": [0.43]}, index=pd.Index(["a"]))
    labels = {"usage_active_users_per_seat_28d": ("Active users per seat, last 28 days", "ratio"),
              "nps": ("Latest NPS", "score")}  # fmt: skip
    got = driver_sentences(contrib, groups, now, before, labels)
    assert got == [
        "Active users per seat, last 28 days fell from 43 % to 12 % (with 1 related); "
        "Latest NPS: no data",
        "",  # b: nothing raises its risk
    ]


def test_predict_tells_each_account_its_drivers_in_words(demo_path: Path) -> None:
    with open_store(demo_path) as store:
        res = predict(store, dt.date(2026, 10, 31), horizon_days=30, model="logistic")
    words = res.frame["risk_in_words"]
    assert (words.str.len() > 0).mean() > 0.5
    assert words.str.contains(r" (?:fell|rose) from | is ", regex=True).mean() > 0.5
    # Labels, not metric ids.
    assert not words.str.contains(r"\b[a-z]+_[a-z_]+_\d+d\b", regex=True).any()
