"""Normalisation and decay on hand-computed values."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from healthscore.scoring.normalize import (
    decay_factor,
    normalize_linear,
    normalize_percentile,
    normalize_thresholds,
    normalize_zscore,
)


def s(*xs: float) -> pd.Series:
    return pd.Series(xs, dtype=float)


def test_thresholds_interpolate_and_clamp() -> None:
    pts = [(0.0, 0.0), (5.0, 50.0), (20.0, 100.0)]
    got = normalize_thresholds(s(-3, 0, 2.5, 5, 12.5, 20, 99, np.nan), pts)
    assert got.iloc[:7].tolist() == [0, 0, 25, 50, 75, 100, 100]
    assert math.isnan(got.iloc[7])


def test_thresholds_can_express_lower_is_better() -> None:
    pts = [(4.0, 100.0), (24.0, 75.0), (72.0, 30.0), (168.0, 0.0)]
    got = normalize_thresholds(s(2, 14, 48, 120, 500), pts)
    assert got.tolist() == pytest.approx([100, 87.5, 52.5, 15, 0])


def test_linear_both_directions() -> None:
    assert normalize_linear(s(0, 5, 20, 30, -1), 0, 20, True).tolist() == [0, 25, 100, 100, 0]
    assert normalize_linear(s(0, 5, 20), 0, 20, False).tolist() == [100, 75, 0]
    assert math.isnan(normalize_linear(s(np.nan), 0, 20, True).iloc[0])


def test_percentile_mid_ranks_within_group() -> None:
    vals = s(10, 20, 30, 40, 5, 5, np.nan)
    by = pd.Series(["a", "a", "a", "a", "b", "b", "b"])
    got = normalize_percentile(vals, by, True)
    # group a: ranks 1..4 of 4 -> (r - .5) / 4 * 100
    assert got.iloc[:4].tolist() == [12.5, 37.5, 62.5, 87.5]
    # group b: a tie of two -> both mid-rank 1.5 of 2 -> 50; NaN stays NaN
    assert got.iloc[4:6].tolist() == [50, 50]
    assert math.isnan(got.iloc[6])
    low = normalize_percentile(vals, by, False)
    assert low.iloc[:4].tolist() == [87.5, 62.5, 37.5, 12.5]


def test_zscore_through_normal_cdf() -> None:
    vals = s(1, 3, 5, 7)  # mean 4, population sd sqrt(5)
    by = pd.Series(["x"] * 4)
    got = normalize_zscore(vals, by, True)
    z = (7 - 4) / math.sqrt(5)
    assert got.iloc[3] == pytest.approx(50 * (1 + math.erf(z / math.sqrt(2))))
    assert got.iloc[0] == pytest.approx(100 - got.iloc[3])
    assert normalize_zscore(vals, by, False).iloc[3] == pytest.approx(got.iloc[0])
    # No spread: everyone is average.
    assert normalize_zscore(s(2, 2), pd.Series(["y", "y"]), True).tolist() == [50, 50]


def test_linear_decay() -> None:
    got = decay_factor(s(0, 30, 60, 90, 200, np.nan), 120, "linear")
    assert got.tolist() == [1, 0.75, 0.5, 0.25, 0, 1]


def test_exponential_decay_halves_every_quarter_of_max_age() -> None:
    got = decay_factor(s(0, 30, 60, 119, 120), 120, "exponential")
    assert got.iloc[:3].tolist() == pytest.approx([1, 0.5, 0.25])
    assert 0 < got.iloc[3] < 0.07
    assert got.iloc[4] == 0
