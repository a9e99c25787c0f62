"""The model chooses itself per store: an inner out-of-time validation on the training window.

With 60-100 training churners, ~300 metrics overfit on one store where they help on another;
a short list of counts and contract facts does the opposite.  `ChurnAuto` therefore lets
the candidates compete on the data at hand, using only the training rows:

* ``logistic_compact`` / ``gbt_compact`` / ``gbt_compact_strong``: `ChurnLogit` or a plain
  gradient-boosting model (two strengths) on `compact_frame` (per-type counts and per active
  user, usage trend, tenure, contract facts);
* ``ensemble_compact``: the mean of logistic_compact and gbt_compact;
* ``logistic`` / ``gbt`` / ``ensemble``: the all-metrics models of models.py.

Inner validation: the latest `n_windows` windows of `window_days` of observation dates are
scored in turn by candidates trained on the rows at least `horizon_days` older than the window
(their outcome was known by its start, as in deployment).  The candidate with the best mean
AUC wins (within `tolerance` of it the simpler one, earlier in `CANDIDATES`, is kept; the
default tolerance is 0: on the tune products any tolerance lost AUC).  The
chosen candidate is then refitted on all training rows and its probabilities are re-anchored
on the latest window (predict/calibration.py), from its out-of-sample predictions there.

The result is a `ModelChoice`: name, reason in words, inner AUC per candidate, strength.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass, field
from numbers import Integral, Real
from typing import Any, ClassVar

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, ClassifierMixin, _fit_context
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.metrics import roc_auc_score
from sklearn.utils._param_validation import Interval
from sklearn.utils.validation import check_is_fitted
from threadpoolctl import threadpool_limits

from healthscore.predict.calibration import reanchor_shift, shift_probabilities
from healthscore.predict.features import compact_frame
from healthscore.predict.models import (
    ChurnGBT,
    ChurnLogit,
    _binary_tags,
    _binary_target,
    _checked,
    _checked_xy,
    _subsample,
)
from healthscore.predict.models import make_model as _make_base

__all__ = [
    "CANDIDATES",
    "DEFAULT",
    "PAIRS",
    "TOLERANCE",
    "ChurnAuto",
    "CompactGBM",
    "ModelChoice",
    "choose_model",
    "fit_candidate",
    "make_model",
]

# In order of simplicity: ties go to the earlier one.
CANDIDATES = (
    "logistic_compact",
    "gbt_compact_strong",
    "gbt_compact",
    "ensemble_compact",
    "logistic",
    "gbt",
    "ensemble",
)
COMPACT = frozenset(n for n in CANDIDATES if n.endswith("_compact") or "_compact_" in n)
# Used when the training window is too short or has too few churners to validate on.
# Chosen, with TOLERANCE, by the mean AUC over the tune products of
# benchmarks/multi_product.py (benchmarks/RESULTS.md, "Multi-product evaluation, re-run").
DEFAULT = "logistic_compact"
TOLERANCE = 0.0
# Rows an inner validation trains / scores on at most (uniform subsamples beyond).
INNER_MAX_ROWS = 200_000

_STRENGTH: dict[str, dict[str, Any]] = {
    "gbt_compact": {"learning_rate": 0.05, "max_leaf_nodes": 15, "min_samples_leaf": 50,
                    "l2_regularization": 1.0},
    "gbt_compact_strong": {"learning_rate": 0.03, "max_leaf_nodes": 7, "min_samples_leaf": 150,
                           "l2_regularization": 5.0},
}  # fmt: skip
PAIRS = {"ensemble_compact": ("logistic_compact", "gbt_compact"), "ensemble": ("logistic", "gbt")}


@dataclass
class ModelChoice:
    """Which model scored the store, and why (shown by predict and backtest)."""

    name: str
    reason: str
    inner_auc_by_candidate: dict[str, float | None] = field(default_factory=dict)
    strength: str = ""
    windows: list[dict[str, Any]] = field(default_factory=list)
    calibration_shift: float = 0.0
    calibration_note: str = ""

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


class CompactGBM(ClassifierMixin, BaseEstimator):
    """Plain histogram gradient boosting on `compact_frame` (no internal calibration)."""

    _parameter_constraints: ClassVar[dict[str, list[Any]]] = {
        "learning_rate": [Interval(Real, 0, None, closed="neither")],
        "max_iter": [Interval(Integral, 1, None, closed="left")],
        "max_leaf_nodes": [Interval(Integral, 2, None, closed="left")],
        "min_samples_leaf": [Interval(Integral, 1, None, closed="left")],
        "l2_regularization": [Interval(Real, 0, None, closed="left")],
        "max_rows": [Interval(Integral, 2, None, closed="left")],
        "random_state": [Interval(Integral, 0, None, closed="left"), None],
    }

    def __init__(
        self,
        learning_rate: float = 0.05,
        max_iter: int = 200,
        max_leaf_nodes: int = 15,
        min_samples_leaf: int = 50,
        l2_regularization: float = 1.0,
        max_rows: int = 1_000_000,
        random_state: int = 0,
    ):
        self.max_rows = max_rows
        self.learning_rate = learning_rate
        self.max_iter = max_iter
        self.max_leaf_nodes = max_leaf_nodes
        self.min_samples_leaf = min_samples_leaf
        self.l2_regularization = l2_regularization
        self.random_state = random_state

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X: Any, y: Any) -> CompactGBM:
        X, y = _checked_xy(self, X, y)
        y = _binary_target(self, y)
        keep = _subsample(len(X), self.max_rows, self.random_state)
        if keep is not None:  # a uniform subsample keeps the base rate
            X, y = X.iloc[keep], y[keep]
        C = compact_frame(X)
        self.used_ = [c for c in C.columns if C[c].nunique(dropna=True) >= 2]
        if not self.used_:
            raise ValueError(
                "CompactGBM needs at least one compact feature (event counts, tenure or "
                "contract facts) with two or more distinct values in the training rows"
            )
        self.model_ = HistGradientBoostingClassifier(
            learning_rate=self.learning_rate,
            max_iter=self.max_iter,
            max_leaf_nodes=self.max_leaf_nodes,
            min_samples_leaf=min(self.min_samples_leaf, max(5, len(C) // 20)),
            l2_regularization=self.l2_regularization,
            random_state=self.random_state,
        )
        with threadpool_limits(1, user_api="openmp"):
            self.model_.fit(C[self.used_].to_numpy(), y)
        return self

    def predict_proba(self, X: Any) -> np.ndarray:
        check_is_fitted(self, "model_")
        C = compact_frame(_checked(self, X, reset=False))
        C = C.reindex(columns=self.used_)
        with threadpool_limits(1, user_api="openmp"):
            return self.model_.predict_proba(C.to_numpy())

    def predict(self, X: Any) -> np.ndarray:
        check_is_fitted(self)
        return self.classes_[(self.predict_proba(X)[:, 1] >= 0.5).astype(int)]

    def __sklearn_tags__(self) -> Any:
        return _binary_tags(super().__sklearn_tags__())


class _CompactLogit:
    """ChurnLogit on `compact_frame` columns."""

    def __init__(self) -> None:
        self.model = ChurnLogit()

    def fit(self, X: pd.DataFrame, y: np.ndarray) -> _CompactLogit:
        self.model.fit(compact_frame(X), y)
        return self

    def predict_proba(self, X: pd.DataFrame) -> np.ndarray:
        return self.model.predict_proba(
            compact_frame(X).reindex(columns=self.model.feature_names_in_)
        )


class _Mean:
    """The mean of two fitted members' probabilities."""

    def __init__(self, a: Any, b: Any) -> None:
        self.members = (a, b)

    def predict_proba(self, X: pd.DataFrame) -> np.ndarray:
        return (self.members[0].predict_proba(X) + self.members[1].predict_proba(X)) / 2


def fit_candidate(name: str, X: pd.DataFrame, y: np.ndarray, *, quick: bool = False) -> Any:
    """A fitted candidate by name (`quick`: the all-metrics booster skips its own tuning)."""
    if name in PAIRS:
        a, b = PAIRS[name]
        return _Mean(fit_candidate(a, X, y, quick=quick), fit_candidate(b, X, y, quick=quick))
    if name in _STRENGTH:
        return CompactGBM(**_STRENGTH[name]).fit(X, y)
    if name == "logistic_compact":
        return _CompactLogit().fit(X, y)
    if name == "logistic":
        return ChurnLogit().fit(X, y)
    if name == "gbt":
        return ChurnGBT(tune=not quick).fit(X, y)
    raise ValueError(f"unknown candidate {name!r}; expected one of {', '.join(CANDIDATES)}")


def _strength(name: str, fitted: Any) -> str:
    if name in _STRENGTH:
        s = _STRENGTH[name]
        return (
            f"{s['max_leaf_nodes']} leaves, at least {s['min_samples_leaf']} rows a leaf, "
            f"L2 {s['l2_regularization']:g}, learning rate {s['learning_rate']:g}"
        )
    if name in PAIRS:
        return " + ".join(_strength(n, m) for n, m in zip(PAIRS[name], fitted.members, strict=True))
    model = fitted.model if isinstance(fitted, _CompactLogit) else fitted
    if isinstance(model, ChurnLogit):
        return f"L2 logistic, C = {model.C_:g} ({len(model.groups)} metric groups)"
    if isinstance(model, ChurnGBT):
        return f"boosting, {model.n_iter_} rounds" + (
            f", {model.chosen_}" if getattr(model, "chosen_", None) else ""
        )
    return ""


def _days(dates: Any, n: int) -> np.ndarray:
    """Day numbers per row (from dates, or 10 equal blocks of 7 "days" by row order)."""
    if dates is None:
        return (np.arange(n) * 10 // max(n, 1)) * 7
    d = pd.to_datetime(pd.Series(np.asarray(dates)))
    if len(d) != n:
        raise ValueError(f"dates needs one date per row of X ({n}); got {len(d)}")
    return ((d - pd.Timestamp(dt.date(1970, 1, 1))).dt.days).to_numpy()


def _capped(rows: np.ndarray, max_rows: int) -> np.ndarray:
    """`rows`, or a sorted uniform subsample of `max_rows` of them (seeded)."""
    if len(rows) <= max_rows:
        return rows
    return np.sort(np.random.default_rng(0).choice(rows, max_rows, replace=False))


def _validate(
    X: pd.DataFrame,
    y: np.ndarray,
    day: np.ndarray,
    names: list[str],
    horizon_days: int,
    window_days: int,
    n_windows: int,
    min_train_churn: int,
    min_valid_churn: int,
    max_rows: int = INNER_MAX_ROWS,
) -> tuple[list[dict[str, Any]], dict[str, list[float]], dict[str, Any]]:
    needed = {m for n in names for m in PAIRS.get(n, (n,))}
    scores: dict[str, list[float]] = {n: [] for n in names}
    latest: dict[str, Any] = {}
    windows: list[dict[str, Any]] = []
    end = int(day.max()) if len(day) else 0
    for k in range(n_windows):
        hi, lo = end - k * window_days, end - (k + 1) * window_days
        va = (day > lo) & (day <= hi)
        tr = day <= lo - horizon_days + 1
        if y[tr].sum() < min_train_churn or not min_valid_churn <= y[va].sum() < va.sum():
            continue
        if len(np.unique(y[tr])) < 2:
            continue
        # Large stores: a uniform subsample ranks the candidates as well, in far less time.
        tr_rows, va_rows = (
            _capped(np.flatnonzero(tr), max_rows),
            _capped(np.flatnonzero(va), max_rows),
        )
        Xtr, ytr, Xva = X.iloc[tr_rows], y[tr_rows], X.iloc[va_rows]
        y_va = y[va_rows]
        if ytr.sum() < min_train_churn or not 0 < y_va.sum() < len(y_va):
            continue
        probs: dict[str, np.ndarray] = {}
        for n in sorted(needed):
            probs[n] = fit_candidate(n, Xtr, ytr, quick=True).predict_proba(Xva)[:, 1]
        for n, (a, b) in PAIRS.items():
            if n in names:
                probs[n] = (probs[a] + probs[b]) / 2
        for n in names:
            scores[n].append(float(roc_auc_score(y_va, probs[n])))
        if not windows:  # the latest window: kept for re-anchoring
            latest = {n: (probs[n], y_va) for n in names}
        windows.append(
            {
                "valid_dates": len(np.unique(day[va])),
                "train_rows": int(tr.sum()),
                "train_churn": int(y[tr].sum()),
                "valid_rows": int(va.sum()),
                "valid_churn": int(y[va].sum()),
            }
        )
    return windows, scores, latest


def choose_model(
    X: pd.DataFrame,
    y: np.ndarray,
    dates: Any = None,
    *,
    candidates: tuple[str, ...] = CANDIDATES,
    horizon_days: int = 30,
    window_days: int = 28,
    n_windows: int = 2,
    tolerance: float = TOLERANCE,
    min_train_churn: int = 15,
    min_valid_churn: int = 3,
) -> ModelChoice:
    """The inner out-of-time validation of `ChurnAuto` (see the module doc), without the
    final fit: which candidate, why, and the log-odds shift that re-anchors it."""
    unknown = [c for c in candidates if c not in CANDIDATES]
    if unknown or not len(candidates):
        raise ValueError(
            f"ChurnAuto candidates must be some of {', '.join(CANDIDATES)}; got "
            f"{list(candidates)!r}"
        )
    names = list(candidates)
    dropped = ""
    if compact_frame(X.head(1)).shape[1] == 0 and any(n not in COMPACT for n in names):
        # No event counts, tenure or contract facts among the metrics: no compact model.
        names = [n for n in names if n not in COMPACT]
        dropped = " (no compact inputs among the metrics: compact candidates left out)"
    day = _days(dates, len(X))
    windows, scores, latest = _validate(
        X, y, day, names, horizon_days, window_days, n_windows, min_train_churn, min_valid_churn
    )
    mean = {n: (float(np.mean(scores[n])) if scores[n] else None) for n in names}
    if not windows:
        name = DEFAULT if DEFAULT in names else ("ensemble" if "ensemble" in names else names[0])
        reason = (
            f"{name}: the default, as the training window has too few churners or dates "
            f"for an inner out-of-time validation (needs {min_train_churn} churners "
            f"before and {min_valid_churn} in a later {window_days}-day window)"
        )
    else:
        scored = {n: a for n, a in mean.items() if a is not None}
        best = max(scored, key=lambda n: scored[n])
        top = scored[best]
        name = next(n for n in names if n in scored and scored[n] >= top - tolerance)
        others = sorted(((n, a) for n, a in scored.items() if n != name), key=lambda t: -t[1])
        churn = sum(w["valid_churn"] for w in windows)
        reason = (
            f"{name}: best mean AUC {scored[name]:.3f} on the latest {len(windows)} "
            f"{window_days}-day window(s) of the training data ({churn} churners), "
            f"each scored by candidates trained on the rows {horizon_days} days older"
        )
        if name != best:
            reason += f"; simpler than {best} ({top:.3f}), within {tolerance:g}"
        if others:
            reason += "; then " + ", ".join(f"{n} {a:.3f}" for n, a in others[:3])
    shift, note = 0.0, "no resolved window to re-anchor on"
    if name in latest:
        p_val, y_val = latest[name]
        shift = reanchor_shift(p_val, y_val)
        note = (
            f"re-anchored on the latest {window_days}-day window: {y_val.mean():.3f} "
            f"observed against {p_val.mean():.3f} predicted out of sample, log-odds shift "
            f"{shift:+.2f}"
        )
    return ModelChoice(
        name=name,
        reason=reason + dropped,
        inner_auc_by_candidate=mean,
        windows=windows,
        calibration_shift=shift,
        calibration_note=note,
    )


class ChurnAuto(ClassifierMixin, BaseEstimator):
    """Picks its model among `candidates` by an inner out-of-time validation (see module doc).

    `fit(X, y, dates=...)` takes each row's observation date; without them the rows are taken
    as sorted by date and split into equal blocks.  After fitting, `choice_` is the
    `ModelChoice`; `predict_proba` gives re-anchored probabilities (`reanchor=False`: raw).
    """

    _parameter_constraints: ClassVar[dict[str, list[Any]]] = {
        "candidates": ["array-like"],
        "horizon_days": [Interval(Integral, 1, None, closed="left")],
        "window_days": [Interval(Integral, 1, None, closed="left")],
        "n_windows": [Interval(Integral, 1, None, closed="left")],
        "tolerance": [Interval(Real, 0, None, closed="left")],
        "min_train_churn": [Interval(Integral, 1, None, closed="left")],
        "min_valid_churn": [Interval(Integral, 1, None, closed="left")],
        "reanchor": ["boolean"],
    }

    def __init__(
        self,
        candidates: tuple[str, ...] = CANDIDATES,
        horizon_days: int = 30,
        window_days: int = 28,
        n_windows: int = 2,
        tolerance: float = TOLERANCE,
        min_train_churn: int = 15,
        min_valid_churn: int = 3,
        reanchor: bool = True,
    ):
        self.candidates = candidates
        self.horizon_days = horizon_days
        self.window_days = window_days
        self.n_windows = n_windows
        self.tolerance = tolerance
        self.min_train_churn = min_train_churn
        self.min_valid_churn = min_valid_churn
        self.reanchor = reanchor

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X: Any, y: Any, dates: Any = None) -> ChurnAuto:
        X, y = _checked_xy(self, X, y)
        y = _binary_target(self, y)
        unknown = [c for c in self.candidates if c not in CANDIDATES]
        if unknown or not len(self.candidates):
            raise ValueError(
                f"ChurnAuto candidates must be some of {', '.join(CANDIDATES)}; got "
                f"{list(self.candidates)!r}"
            )
        self.choice_ = choose_model(
            X,
            y,
            dates,
            candidates=tuple(self.candidates),
            horizon_days=self.horizon_days,
            window_days=self.window_days,
            n_windows=self.n_windows,
            tolerance=self.tolerance,
            min_train_churn=self.min_train_churn,
            min_valid_churn=self.min_valid_churn,
        )
        self.model_ = fit_candidate(self.choice_.name, X, y)
        self.choice_.strength = _strength(self.choice_.name, self.model_)
        return self

    def predict_proba(self, X: Any, *, raw: bool = False) -> np.ndarray:
        check_is_fitted(self, "model_")
        X = _checked(self, X, reset=False)
        p = self.model_.predict_proba(X)[:, 1]
        if self.reanchor and not raw:
            p = shift_probabilities(p, self.choice_.calibration_shift)
        return np.column_stack([1 - p, p])

    def predict(self, X: Any) -> np.ndarray:
        check_is_fitted(self)
        return self.classes_[(self.predict_proba(X)[:, 1] >= 0.5).astype(int)]

    def __sklearn_tags__(self) -> Any:
        return _binary_tags(super().__sklearn_tags__())


def make_model(name: str) -> ClassifierMixin:
    """A fresh, unfitted model by name: 'auto' (`ChurnAuto`: pass it the rows' dates,
    `fit(X, y, dates=...)`, and read `choice_`), or logistic, gbt, ensemble (models.py)."""
    if name == "auto":
        return ChurnAuto()
    try:
        return _make_base(name)
    except ValueError:
        raise ValueError(
            f"unknown model {name!r}; expected one of auto, ensemble, gbt, logistic"
        ) from None
