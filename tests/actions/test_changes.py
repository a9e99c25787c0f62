"""Change detection on hand-made weekly series: drops, spikes, declines, rises, level
shifts (dated by ruptures) and first value, each against the account's own history."""

from __future__ import annotations

import datetime as dt
import json

import numpy as np
import pandas as pd

from healthscore.actions.changes import describe_change, detect_changes

END = dt.date(2026, 10, 31)
DAYS = [END - dt.timedelta(days=7 * k) for k in range(12, -1, -1)]


def _hist(series: dict[str, list[float]], metric: str = "usage_active_days_28d") -> pd.DataFrame:
    rows = []
    for acc, values in series.items():
        for d, v in zip(DAYS, values, strict=True):
            rows.append({"as_of": d, "account_id": acc, metric: v})
    return pd.DataFrame(rows)


def _kinds(found: pd.DataFrame, acc: str) -> set[str]:
    return set(found[found["account_id"] == acc]["kind"])


def test_a_sudden_drop_against_the_accounts_own_noisy_history() -> None:
    rng = np.random.default_rng(1)
    noisy = [*(20 + rng.normal(0, 1, 12)), 6]
    small = [3, 4, 3, 5, 4, 3, 4, 5, 3, 4, 4, 3, 2]  # a small account's normal wobble
    found = detect_changes(_hist({"DROP": noisy, "WOBBLE": small}), END)
    assert "drop" in _kinds(found, "DROP")
    assert _kinds(found, "WOBBLE") == set()
    row = found[(found["account_id"] == "DROP") & (found["kind"] == "drop")].iloc[0]
    assert row["direction"] == "down" and row["after_value"] == 6
    assert row["before_value"] > 18 and row["size"] < -0.6 and row["z"] < -3.5
    assert row["started"] == END
    assert json.loads(row["evidence"])[-1] == [END.isoformat(), 6.0]
    assert describe_change(row.to_dict(), "active days (28d)").startswith(
        "active days (28d) dropped from 2"
    )


def test_positive_changes_count_too() -> None:
    found = detect_changes(
        _hist(
            {"JUMP": [5] * 12 + [15], "RISE": [10, 10, 10, 10, 10, 10, 10, 10, 10, 11, 12, 14, 16]}
        ),
        END,
    )
    assert "spike" in _kinds(found, "JUMP")
    assert "rise" in _kinds(found, "RISE")
    assert set(found["direction"]) == {"up"}


def test_sustained_decline_and_a_dated_level_shift() -> None:
    decline = [20, 20, 21, 20, 20, 20, 20, 20, 20, 18, 16, 14, 12]
    shift = [20, 21, 20, 19, 20, 21, 20, 20, 10, 11, 10, 9, 10]
    found = detect_changes(_hist({"DEC": decline, "SHIFT": shift}), END)
    assert "decline" in _kinds(found, "DEC")
    s = found[(found["account_id"] == "SHIFT") & (found["kind"] == "shift")]
    assert len(s) == 1
    assert s.iloc[0]["started"] == DAYS[8]  # the week the level moved
    assert s.iloc[0]["before_value"] > 19 and s.iloc[0]["after_value"] < 11


def test_first_value_reached_is_a_change() -> None:
    h = _hist({"NEW": [0] * 12 + [1], "OLD": [1] * 13}, "adoption_ttfv_reached")
    found = detect_changes(h, END, metrics=())
    assert list(found["account_id"]) == ["NEW"] and list(found["kind"]) == ["first_value"]


def test_too_little_history_detects_nothing() -> None:
    h = _hist({"A": [np.nan] * 9 + [20, 20, 20, 2]})
    assert detect_changes(h, END).empty


def test_scoring_keeps_the_history_change_detection_reads(tmp_path) -> None:  # type: ignore[no-untyped-def]
    # An alerts run reads the earlier dates' metrics from what scoring kept; a metric
    # followed by detection but not kept would silently be computed for 13 dates again.
    from healthscore.actions.changes import KEY_METRICS
    from healthscore.store.migrations_actions import METRIC_HISTORY_COLUMNS

    assert set(KEY_METRICS) - {"score"} <= set(METRIC_HISTORY_COLUMNS)
