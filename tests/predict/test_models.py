"""Model contract, calibration and grouping on synthetic data with a known truth."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone
from sklearn.calibration import calibration_curve
from sklearn.exceptions import NotFittedError
from sklearn.metrics import roc_auc_score

from healthscore.predict.evaluate import cumulative_dynamic_auc, red_flags, top_decile_lift
from healthscore.predict.models import ChurnEnsemble, ChurnGBT, ChurnLogit, ChurnSurvival


def _synthetic(n: int, seed: int) -> tuple[pd.DataFrame, np.ndarray]:
    rng = np.random.default_rng(seed)
    use = rng.gamma(2.0, 5.0, n)
    X = pd.DataFrame(
        {
            "logins_28d": rng.poisson(use),
            "logins_7d": rng.poisson(use / 2),
            "posts_28d": rng.poisson(use / 2),
            "tickets_90d": rng.poisson(1.0, n).astype(float),
            "nps": np.where(rng.random(n) < 0.6, np.nan, rng.integers(0, 11, n)),
        }
    )
    logit = -1.0 - 0.25 * use + 0.4 * X["tickets_90d"]
    y = (rng.random(n) < 1 / (1 + np.exp(-logit))).astype(int)
    return X, y.to_numpy()


def test_logistic_is_calibrated_and_groups_correlated_metrics() -> None:
    X, y = _synthetic(20000, 1)
    Xt, yt = _synthetic(20000, 2)
    m = ChurnLogit().fit(X, y)
    p = m.predict_proba(Xt)[:, 1]
    assert roc_auc_score(yt, p) > 0.75
    frac, mean = calibration_curve(yt, p, n_bins=10, strategy="quantile")
    # Equal-count bins: the expected calibration error is the mean gap.
    assert np.mean(np.abs(frac - mean)) < 0.02
    assert np.max(np.abs(frac - mean)) < 0.07
    assert abs(p.mean() - yt.mean()) < 0.01
    # The three usage counts form one group; tickets and nps stay apart.
    grouped = [g for g, members in m.groups.items() if len(members) > 1]
    assert len(grouped) == 1
    assert set(m.groups[grouped[0]]) == {"logins_28d", "logins_7d", "posts_28d"}
    assert m.coef_[grouped[0]] * m.grouper_.signs_[grouped[0]]["logins_28d"] < 0
    contrib = m.contributions(Xt.head(5))
    logit = np.log(p[:5] / (1 - p[:5]))
    np.testing.assert_allclose(contrib.sum(axis=1) + m.model_.intercept_[0], logit, atol=1e-6)
    assert "missing:nps" in m.groups


def test_gbt_is_calibrated_and_explains_by_group() -> None:
    X, y = _synthetic(10000, 3)
    Xt, yt = _synthetic(10000, 4)
    m = ChurnGBT(max_iter=60).fit(X, y)
    p = m.predict_proba(Xt)[:, 1]
    assert roc_auc_score(yt, p) > 0.75
    frac, mean = calibration_curve(yt, p, n_bins=10, strategy="quantile")
    assert np.mean(np.abs(frac - mean)) < 0.02
    assert np.max(np.abs(frac - mean)) < 0.07
    c = m.contributions(
        Xt.head(50), {"usage": ["logins_28d", "logins_7d", "posts_28d"], "tickets": ["tickets_90d"]}
    )
    assert list(c.columns) == ["usage", "tickets"]
    assert c["usage"].abs().mean() > c["tickets"].abs().mean()


def test_estimators_follow_the_sklearn_contract() -> None:
    # The generic contract is scikit-learn's own checks (test_estimator_checks.py); here,
    # on churn-shaped data: a clone of a fitted model is unfitted, a refit reproduces the
    # probabilities exactly, and `predict` is the churn probability thresholded at 0.5.
    X, y = _synthetic(3000, 5)
    for est in (ChurnLogit(Cs=(0.1,)), ChurnGBT(max_iter=20), ChurnEnsemble()):
        fitted = clone(est).fit(X, y)
        p = fitted.predict_proba(X)
        assert p.shape == (len(X), 2)
        np.testing.assert_allclose(p.sum(axis=1), 1.0)
        np.testing.assert_array_equal(fitted.predict(X), (p[:, 1] >= 0.5).astype(int))
        np.testing.assert_array_equal(clone(est).fit(X, y).predict_proba(X), p)
        assert list(fitted.classes_) == [0, 1]
        with pytest.raises(NotFittedError, match="not fitted yet"):
            clone(fitted).predict_proba(X)


def test_string_labels_keep_their_classes() -> None:
    X, y = _synthetic(3000, 6)
    labels = np.where(y == 1, "churned", "retained")
    m = ChurnLogit(Cs=(0.1,)).fit(X, labels)
    assert list(m.classes_) == ["churned", "retained"]
    p_num = ChurnLogit(Cs=(0.1,)).fit(X, 1 - y).predict_proba(X)
    np.testing.assert_allclose(m.predict_proba(X), p_num)
    assert set(m.predict(X)) <= {"churned", "retained"}


def test_survival_and_time_dependent_auc() -> None:
    rng = np.random.default_rng(0)
    g = pd.DataFrame({"usage": rng.normal(size=4000)})
    t = rng.exponential(np.exp(1.0 + 0.8 * g["usage"])) * 30.44  # days
    censor = np.minimum(t, 200)
    event = (t <= 200).astype(int)
    sv = ChurnSurvival().fit(g, censor, event)
    months = sv.expected_months(g)
    assert np.corrcoef(months, g["usage"])[0, 1] > 0.8
    assert cumulative_dynamic_auc(censor, event, -months, 60) > 0.7
    curve = sv.survival(g.head(3), [1, 3, 6])
    assert (np.diff(curve.to_numpy(), axis=0) <= 0).all()


def test_red_flags_and_lift() -> None:
    risk = np.array([5, 4, 3, 2, 1, 0, 0, 0, 0, 0], dtype=float)
    dates = np.array(["d"] * 10)
    assert red_flags(risk, dates, 0.2).sum() == 2
    y = np.array([1, 0, 0, 0, 0, 0, 0, 0, 0, 0])
    assert top_decile_lift(y, risk) == 10.0
