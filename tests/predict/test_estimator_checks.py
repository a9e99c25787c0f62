"""scikit-learn's own estimator checks on every custom estimator, and their declared constraints."""

from __future__ import annotations

import os
import pickle
import subprocess
import sys

import numpy as np
import pytest
from sklearn.utils._param_validation import InvalidParameterError
from sklearn.utils.estimator_checks import parametrize_with_checks

from healthscore.predict.models import (
    ChurnEnsemble,
    ChurnGBT,
    ChurnLogit,
    ChurnSurvival,
    MetricGrouper,
    MetricTransformer,
)

# Every check applies and passes: no `expected_failed_checks`.
ESTIMATORS = [
    MetricTransformer(),
    MetricGrouper(),
    ChurnLogit(),
    ChurnGBT(max_iter=20),
    ChurnEnsemble(),
    ChurnSurvival(),
]


# scikit-learn's array-API check skips itself unless SciPy's array API mode is on, which
# must be set before SciPy is imported and changes SciPy for the whole process: that check
# runs in a child process with the mode on instead, so it is run, never skipped.
_CHILD = """
import os, pickle, sys
os.environ["SCIPY_ARRAY_API"] = "1"
estimator, check = pickle.loads(sys.stdin.buffer.read())
check(estimator)
"""


def _check_name(check) -> str:  # type: ignore[no-untyped-def]
    return getattr(getattr(check, "func", check), "__name__", "")


@parametrize_with_checks(ESTIMATORS)
def test_sklearn_estimator_checks(estimator, check) -> None:  # type: ignore[no-untyped-def]
    if _check_name(check) == "check_array_api_input" and not os.environ.get("SCIPY_ARRAY_API"):
        done = subprocess.run(
            [sys.executable, "-c", _CHILD],
            input=pickle.dumps((estimator, check)),
            capture_output=True,
            timeout=300,
            check=False,
        )
        assert done.returncode == 0, done.stderr.decode()[-2000:]
        return
    check(estimator)


@pytest.mark.parametrize(
    ("est", "message"),
    [
        (
            ChurnLogit(n_splits=1),
            "The 'n_splits' parameter of ChurnLogit must be an int in the range [2, inf). "
            "Got 1 instead.",
        ),
        (
            ChurnLogit(Cs=(0.1, -1.0)),
            "The 'Cs' parameter of ChurnLogit must be a non-empty array-like of floats in the "
            "range (0, inf). Got (0.1, -1.0) instead.",
        ),
        (
            ChurnGBT(learning_rate=0),
            "The 'learning_rate' parameter of ChurnGBT must be a float in the range (0.0, inf). "
            "Got 0 instead.",
        ),
        (
            ChurnGBT(tune="yes"),
            "The 'tune' parameter of ChurnGBT must be an instance of 'bool' or an instance of "
            "'numpy.bool'. Got 'yes' instead.",
        ),
        (
            ChurnSurvival(cap_months=0),
            "The 'cap_months' parameter of ChurnSurvival must be a float in the range (0.0, inf). "
            "Got 0 instead.",
        ),
        (
            MetricGrouper(corr_threshold=1.5),
            "The 'corr_threshold' parameter of MetricGrouper must be a float in the range "
            "[0.0, 1.0]. Got 1.5 instead.",
        ),
    ],
)
def test_a_bad_parameter_gets_sklearns_one_shape_message(est: object, message: str) -> None:
    X = np.arange(40, dtype=float).reshape(20, 2)
    y = np.array([0, 1] * 10)
    with pytest.raises(InvalidParameterError) as exc:
        est.fit(X, y)  # type: ignore[attr-defined]
    assert str(exc.value) == message


def test_a_multiclass_target_is_refused() -> None:
    X = np.arange(60, dtype=float).reshape(30, 2)
    with pytest.raises(ValueError, match="Only binary classification is supported"):
        ChurnLogit().fit(X, np.arange(30) % 3)
