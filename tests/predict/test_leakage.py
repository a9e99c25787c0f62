"""No feature may read data after its observation date."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd

from healthscore.ingest.frames import load_frames
from healthscore.predict.features import baseline_recency, build_features
from healthscore.predict.outcomes import data_range
from healthscore.store import open_store


def test_features_ignore_rows_after_the_observation_date(demo_copy: Path) -> None:
    with open_store(demo_copy) as s:
        end = data_range(s)[1]
        dates = [end - dt.timedelta(days=d) for d in (70, 63, 56)]
        before, source = build_features(s, dates)
        basic = baseline_recency(s, dates)
        accts = [
            r[0]
            for r in s.con.execute("SELECT account_id FROM accounts ORDER BY 1 LIMIT 30").fetchall()
        ]
        # Rows dated the day after the last observation date: inside the data, after `dates`.
        t = pd.Timestamp(max(dates) + dt.timedelta(days=1)) + pd.Timedelta(hours=1)
        load_frames(
            s,
            {
                "events": pd.DataFrame(
                    {"account_id": accts * 20, "event_time": t, "event_type": "leak_probe"}
                ),
                "tickets": pd.DataFrame(
                    {"ticket_id": [f"leak-{a}" for a in accts], "account_id": accts, "opened_at": t}
                ),
                "subscriptions": pd.DataFrame(
                    {
                        "subscription_id": [f"leak-{a}" for a in accts],
                        "account_id": accts,
                        "product": "leak",
                        "start_date": t.date(),
                        "end_date": (t + pd.Timedelta(days=30)).date(),
                        "mrr": 1e6,
                    }
                ),
            },
        )
        after, _ = build_features(s, dates)
        basic_after = baseline_recency(s, dates)
    assert source == "healthscore.metrics"
    cols = [c for c in before.columns if c in after.columns]
    pd.testing.assert_frame_equal(
        before[cols].reset_index(drop=True), after[cols].reset_index(drop=True)
    )
    # A new event type adds (all-empty) columns for it, never changes the existing ones.
    assert not [
        c
        for c in after.columns
        if c not in before.columns and after[c].notna().any() and "leak_probe" not in c
    ]
    key = ["as_of", "account_id"]
    pd.testing.assert_frame_equal(
        basic.sort_values(key).reset_index(drop=True),
        basic_after.sort_values(key).reset_index(drop=True),
    )


def test_model_features_ignore_current_state_account_fields(demo_copy: Path) -> None:
    """accounts.renewal_date and seats_purchased hold today's values: a churned account has no
    renewal date any more. No model input for a past date may depend on them."""
    from healthscore.metrics import CURRENT_STATE
    from healthscore.predict.features import feature_columns

    with open_store(demo_copy) as s:
        end = data_range(s)[1]
        dates = [end - dt.timedelta(days=d) for d in (120, 60)]
        before, _ = build_features(s, dates)
        s.con.execute(
            "UPDATE accounts SET renewal_date = DATE '2099-01-01', seats_purchased = 100000"
        )
        after, _ = build_features(s, dates)
    features = feature_columns(before)
    assert not CURRENT_STATE & set(features)
    pd.testing.assert_frame_equal(
        before[features].reset_index(drop=True), after[features].reset_index(drop=True)
    )
    # The rewrite is real: the current-state metric itself moved.
    assert not before["financial_days_to_renewal"].equals(after["financial_days_to_renewal"])


def test_backtesting_a_scorecard_that_reads_current_state_warns(demo_copy: Path) -> None:
    import pytest

    from healthscore.predict.scorecard_bridge import scorecard_scores
    from healthscore.scoring.model import parse_scorecard

    card = parse_scorecard(
        "name: renewal-aware\nversion: 1\n"
        "bands: [{name: red, min: 0}, {name: green, min: 50}]\n"
        "groups:\n  - name: Financial\n    weight: 1\n    measures:\n"
        "      - metric: financial_days_to_renewal\n"
        "        normalize: {method: linear, lo: 0, hi: 365}\n"
    )
    with open_store(demo_copy) as s:
        end = data_range(s)[1]
        with pytest.warns(RuntimeWarning, match="financial_days_to_renewal.*sees the future"):
            scores = scorecard_scores(s, [end - dt.timedelta(days=60)], card)
    assert scores is not None and scores["score"].notna().any()
