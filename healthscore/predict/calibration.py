"""Probabilities that follow a drifting base rate, and how to check them.

A churn model trained on a year of history predicts the year's average churn rate; when the
rate drifts (socialnet7's top decile was predicted at 0.13-0.14 against 0.07 observed), the
ranking stays right but every probability is off.  `reanchor_shift` finds the log-odds shift
that makes the mean predicted probability on the latest *resolved* window equal the churn
rate observed there (an intercept-only Platt step: with 5-50 churners in a window a slope
cannot be estimated reliably, a level can); `shift_probabilities` applies it.

`reliability` is the check: the top decile's mean predicted against observed churn, the
overall mean against the observed rate, and a binned curve (equal-count bins of predicted
probability).
"""

from __future__ import annotations

from typing import Any

import numpy as np
from scipy.optimize import brentq
from scipy.special import expit, logit

__all__ = ["MAX_SHIFT", "SHRINK_CHURNERS", "reanchor_shift", "reliability", "shift_probabilities"]

# Log-odds: a shift of 2 scales the odds by 7.4; beyond that the window says more about noise.
MAX_SHIFT = 2.0
# Pseudo-churners at the predicted rate that shrink a window's rate (see `reanchor_shift`).
SHRINK_CHURNERS = 10.0
_EPS = 1e-6


def shift_probabilities(p: Any, shift: float) -> np.ndarray:
    """`p` with its log-odds moved by `shift` (0 returns p unchanged)."""
    p = np.asarray(p, dtype=float)
    if shift == 0:
        return p
    return np.asarray(expit(logit(np.clip(p, _EPS, 1 - _EPS)) + shift))


def reanchor_shift(
    p: Any,
    y: Any,
    *,
    prior_churners: float = SHRINK_CHURNERS,
    max_shift: float = MAX_SHIFT,
) -> float:
    """Log-odds shift so that the mean of `p` equals the (shrunk) observed rate of `y`.

    `p` must be out-of-sample for the rows `y` labels (an in-sample fit already matches its
    own training rate).  The window's rate is shrunk towards the mean prediction as if
    `prior_churners` more churners had been seen at the predicted rate (a Gamma prior on
    the rate): a window with 5 churners says little about the level (its rate's relative
    error is ~45 %), one with 100 says much; 0 = no shrinkage.  The result is clipped to
    +/- `max_shift`.
    """
    p = np.clip(np.asarray(p, dtype=float), _EPS, 1 - _EPS)
    y = np.asarray(y, dtype=float)
    if len(p) == 0 or len(p) != len(y):
        return 0.0
    mean_p = float(p.mean())
    prior_rows = prior_churners / mean_p
    target = (float(y.sum()) + prior_churners) / (len(y) + prior_rows)
    target = min(max(target, _EPS), 1 - _EPS)
    lo, hi = -max_shift, max_shift
    z = logit(p)

    def gap(d: float) -> float:
        return float(expit(z + d).mean()) - target

    if gap(lo) > 0:
        return lo
    if gap(hi) < 0:
        return hi
    return float(brentq(gap, lo, hi, xtol=1e-6))


def reliability(y: Any, p: Any, n_bins: int = 10) -> dict[str, Any]:
    """Top-decile and overall predicted vs observed churn, Brier, and a binned curve."""
    y = np.asarray(y, dtype=float)
    p = np.clip(np.asarray(p, dtype=float), 0, 1)
    if len(y) == 0:
        return {"n": 0}
    k = max(1, len(y) // 10)
    top = np.argsort(-p, kind="stable")[:k]
    order = np.argsort(p, kind="stable")
    curve = [
        {
            "predicted": float(p[idx].mean()),
            "observed": float(y[idx].mean()),
            "rows": len(idx),
        }
        for idx in np.array_split(order, min(n_bins, len(y)))
        if len(idx)
    ]
    return {
        "n": len(y),
        "mean_predicted": float(p.mean()),
        "mean_observed": float(y.mean()),
        "top_decile_predicted": float(p[top].mean()),
        "top_decile_observed": float(y[top].mean()),
        "brier": float(np.mean((p - y) ** 2)),
        "curve": curve,
    }
