"""The model's health score is relative to the base churn rate, so its bands mean something."""

from __future__ import annotations

import numpy as np

from healthscore.predict.api import model_health
from healthscore.predict.scorecard_bridge import band_of


def test_average_risk_scores_70_and_more_risk_scores_lower() -> None:
    scores = model_health(np.array([0.0, 0.02, 0.04, 0.06]), base_rate=0.02)
    np.testing.assert_allclose(scores, [100.0, 70.0, 49.0, 34.3])
    assert np.all(np.diff(scores) < 0)


def test_small_absolute_probabilities_still_reach_the_red_band() -> None:
    # A 30-day probability of 8 % is four times a 2 % base rate: that account is at risk,
    # even though 100 x (1 - p) would have called it 92, i.e. green.
    bands = [("red", 0.0), ("yellow", 60.0), ("green", 75.0)]
    assert band_of(float(model_health(np.array([0.08]), 0.02)[0]), bands) == "red"
    assert band_of(float(model_health(np.array([0.005]), 0.02)[0]), bands) == "green"
