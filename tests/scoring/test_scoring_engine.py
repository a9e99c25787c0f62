"""Pure scoring on hand-made metric frames: re-weighting, confidence, decay, segments."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from healthscore.scoring.engine import score_frame
from healthscore.scoring.model import parse_scorecard

D = dt.date(2026, 6, 30)

CARD = parse_scorecard(
    """\
name: engine test
version: "1"
bands: [{name: red, min: 0}, {name: yellow, min: 40}, {name: green, min: 70}]
min_coverage: 0.3
groups:
  - name: Usage
    weight: 3
    measures:
      - metric: active_days
        normalize: {method: linear, lo: 0, hi: 20}
        weight: 3
      - metric: seats_used
        normalize: {method: linear, lo: 0, hi: 1}
        weight: 1
  - name: Relationship
    weight: 1
    measures:
      - metric: judgement_quality
        normalize: {method: thresholds, points: [[1, 0], [5, 100]]}
        max_age_days: 100
segments:
  enterprise:
    weights: {Relationship: 3}
"""
)


def frame(**cols: list[float]) -> pd.DataFrame:
    n = len(next(iter(cols.values())))
    base = {
        "as_of": [D] * n,
        "account_id": [f"A{i}" for i in range(n)],
        "is_active": [1.0] * n,
    }
    return pd.DataFrame({**base, **cols})


def snap(result, account: str) -> dict:
    rows = result.snapshots[result.snapshots["account_id"] == account]
    assert len(rows) == 1
    return rows.iloc[0].to_dict()


def test_all_present_weighted_average_and_contributions_add_up() -> None:
    f = frame(
        active_days=[10.0],
        seats_used=[1.0],
        judgement_quality=[5.0],
        judgement_quality_age_days=[0.0],
    )
    r = score_frame(f, CARD)
    s = snap(r, "A0")
    # Usage = (50*3 + 100*1)/4 = 62.5; overall = (62.5*3 + 100*1)/4 = 71.875
    assert s["score"] == pytest.approx(71.875)
    assert s["band"] == "green"
    assert s["coverage"] == pytest.approx(1.0)
    assert s["confidence"] == "high"
    assert s["confidence_note"] == "high: all 3 inputs present"
    assert r.groups["contribution"].sum() == pytest.approx(s["score"])
    assert r.measures["contribution"].sum() == pytest.approx(s["score"])
    assert s["scorecard_version"] == CARD.stored_version


def test_missing_measure_is_reweighted_not_zero() -> None:
    f = frame(
        active_days=[10.0, 10.0],
        seats_used=[np.nan, 0.0],
        judgement_quality=[5.0, 5.0],
        judgement_quality_age_days=[0.0, 0.0],
    )
    r = score_frame(f, CARD)
    missing, zero = snap(r, "A0"), snap(r, "A1")
    # Missing seats: Usage = 50 (active days alone); overall (50*3 + 100)/4 = 62.5
    assert missing["score"] == pytest.approx(62.5)
    # A real zero is scored: Usage = (50*3 + 0)/4 = 37.5; overall = (37.5*3 + 100)/4
    assert zero["score"] == pytest.approx(53.125)
    # Coverage: seats is 1/4 of Usage (3/4 of the card) -> 3/16 missing.
    assert missing["coverage"] == pytest.approx(13 / 16)
    assert missing["confidence"] == "medium"
    assert missing["confidence_note"] == (
        "medium: 1 of 3 inputs stale or missing (seats_used); "
        "score re-weighted over the 81% of weight with data"
    )
    m = r.measures[(r.measures["account_id"] == "A0") & (r.measures["measure"] == "seats_used")]
    assert m["status"].item() == "missing"
    assert np.isnan(m["contribution"].item())


def test_whole_group_missing_reweights_across_groups() -> None:
    f = frame(
        active_days=[20.0],
        seats_used=[1.0],
        judgement_quality=[np.nan],
        judgement_quality_age_days=[np.nan],
    )
    s = snap(score_frame(f, CARD), "A0")
    assert s["score"] == pytest.approx(100.0)  # only Usage has data
    assert s["coverage"] == pytest.approx(0.75)
    assert s["confidence"] == "medium"


def test_below_coverage_floor_no_score_with_reason() -> None:
    f = frame(
        active_days=[np.nan],
        seats_used=[1.0],
        judgement_quality=[np.nan],
        judgement_quality_age_days=[np.nan],
    )
    r = score_frame(f, CARD)
    s = snap(r, "A0")
    assert s["coverage"] == pytest.approx(3 / 16)
    assert pd.isna(s["score"]) and s["band"] is None
    assert s["confidence"] == "low"
    assert s["confidence_note"].startswith(
        "not scored: only 19% of the scorecard's weight has data (needs 30%); "
        "2 of 3 inputs stale or missing"
    )
    assert r.groups["contribution"].isna().all()


def test_judgement_weight_decays_with_age() -> None:
    ages = [0.0, 50.0, 100.0, 150.0]
    f = frame(
        active_days=[20.0] * 4,
        seats_used=[1.0] * 4,
        judgement_quality=[1.0] * 4,
        judgement_quality_age_days=ages,
    )
    r = score_frame(f, CARD)
    scores = [snap(r, f"A{i}")["score"] for i in range(4)]
    # Usage 100 (weight 3) vs judgement 0 (weight 1 x decay): 75, then 3/3.5, then 100.
    assert scores == pytest.approx([75.0, 100 * 3 / 3.5, 100.0, 100.0])
    cov = [snap(r, f"A{i}")["coverage"] for i in range(4)]
    assert cov == pytest.approx([1.0, 0.875, 0.75, 0.75])
    status = r.measures[r.measures["metric"] == "judgement_quality"].sort_values("account_id")
    assert status["status"].tolist() == ["ok", "decayed", "stale", "stale"]
    assert "1 of 3 inputs stale or missing (judgement_quality)" in snap(r, "A2")["confidence_note"]


def test_segment_override_changes_weights_for_that_segment_only() -> None:
    f = frame(
        active_days=[20.0, 20.0],
        seats_used=[1.0, 1.0],
        judgement_quality=[1.0, 1.0],
        judgement_quality_age_days=[0.0, 0.0],
    )
    r = score_frame(f, CARD, segments={"A0": "enterprise", "A1": "smb"})
    assert snap(r, "A0")["score"] == pytest.approx(50.0)  # (100*3 + 0*3)/6
    assert snap(r, "A1")["score"] == pytest.approx(75.0)  # default weights
    g = r.groups[(r.groups["account_id"] == "A0") & (r.groups["group_name"] == "Relationship")]
    assert g["weight"].item() == 3 and g["effective_weight"].item() == pytest.approx(0.5)


def test_segment_overrides_apply_whatever_the_case_of_the_export() -> None:
    f = frame(
        active_days=[20.0, 20.0, 20.0],
        seats_used=[1.0, 1.0, 1.0],
        judgement_quality=[1.0, 1.0, 1.0],
        judgement_quality_age_days=[0.0, 0.0, 0.0],
    )
    # A CRM picklist exports `Enterprise` and ` ENTERPRISE `; both meet the `enterprise:` override.
    r = score_frame(f, CARD, segments={"A0": "Enterprise", "A1": " ENTERPRISE ", "A2": "SMB"})
    assert snap(r, "A0")["score"] == pytest.approx(50.0)
    assert snap(r, "A1")["score"] == pytest.approx(50.0)
    assert snap(r, "A2")["score"] == pytest.approx(75.0)


def test_percentile_peers_are_segment_and_date() -> None:
    card = parse_scorecard(
        """\
name: p
version: "1"
bands: [{name: red, min: 0}, {name: green, min: 50}]
groups:
  - name: Usage
    weight: 1
    measures:
      - metric: x
        normalize: {method: percentile}
"""
    )
    d2 = D + dt.timedelta(days=7)
    f = pd.DataFrame(
        {
            "as_of": [D, D, D, d2],
            "account_id": ["a", "b", "c", "a"],
            "is_active": [1.0, 1.0, 1.0, 1.0],
            "x": [1.0, 2.0, 100.0, 1.0],
        }
    )
    r = score_frame(f, card, segments={"a": "s", "b": "s", "c": "other"})
    got = {(row.as_of, row.account_id): row.score for row in r.snapshots.itertuples()}
    assert got[(D, "a")] == 25 and got[(D, "b")] == 75  # ranked against each other only
    assert got[(D, "c")] == 50 and got[(d2, "a")] == 50  # alone in its peer group


def test_inactive_accounts_are_not_scored() -> None:
    f = frame(
        active_days=[10.0, 10.0],
        seats_used=[1.0, 1.0],
        judgement_quality=[3.0, 3.0],
        judgement_quality_age_days=[0.0, 0.0],
    )
    f.loc[1, "is_active"] = 0.0
    r = score_frame(f, CARD)
    assert r.snapshots["account_id"].tolist() == ["A0"]


def test_metric_absent_from_frame_counts_as_missing() -> None:
    f = frame(active_days=[10.0], seats_used=[1.0])  # no judgement columns at all
    s = snap(score_frame(f, CARD), "A0")
    assert s["coverage"] == pytest.approx(0.75)
    assert s["score"] == pytest.approx(62.5)
