"""Churn / expansion models following the scikit-learn estimator contract.

* `MetricTransformer` - robust per-metric transform: log1p for skewed non-negative counts,
  quantile clipping, median imputation with missing-indicators, standardisation.
* `MetricGrouper` - clusters correlated metrics by absolute Spearman correlation and averages
  their (sign-aligned) z-scores into one group score, the "metric groups / averaged scores"
  of *Fighting Churn With Data* (Carl Gold, ch. 6), so explanations stay readable.
* `ChurnLogit` - L2 logistic regression on group scores; C chosen by forward-chaining time-split
  validation (rows must be sorted by observation date); its coefficients are the suggested
  scorecard weights.
* `ChurnGBT` - HistGradientBoostingClassifier on the raw metrics, Platt-calibrated on the
  latest 20 % of the (time-sorted) training rows.
* `ChurnEnsemble` - the mean of the two calibrated probabilities.
* `ChurnSurvival` - Weibull AFT (lifelines) on given covariates (in practice the logistic
  model's churn log-odds): retention curves and expected months to churn.
"""

from __future__ import annotations

import os
from numbers import Integral, Real
from typing import Any, ClassVar

import numpy as np
import pandas as pd
from scipy.cluster.hierarchy import fcluster, linkage
from scipy.spatial.distance import squareform
from sklearn.base import BaseEstimator, ClassifierMixin, TransformerMixin, _fit_context, clone
from sklearn.calibration import CalibratedClassifierCV
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.frozen import FrozenEstimator
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import log_loss, roc_auc_score
from sklearn.model_selection import TimeSeriesSplit
from sklearn.utils._param_validation import Interval, InvalidParameterError
from sklearn.utils.multiclass import check_classification_targets, type_of_target
from sklearn.utils.validation import check_is_fitted, validate_data
from threadpoolctl import threadpool_limits

__all__ = [
    "ChurnEnsemble",
    "ChurnGBT",
    "ChurnLogit",
    "ChurnSurvival",
    "MetricGrouper",
    "MetricTransformer",
    "make_model",
]


def _frame(X: Any) -> pd.DataFrame:
    """A frame for the internal steps; they read columns by name."""
    if isinstance(X, pd.DataFrame):
        return X
    X = np.asarray(X, dtype=float)
    return pd.DataFrame(X, columns=[f"x{i}" for i in range(X.shape[1])])


def _checked(est: BaseEstimator, X: Any, *, reset: bool) -> pd.DataFrame:
    """Validate X as scikit-learn does (2-D, finite or NaN, dense, consistent width and names).

    Returns a float frame keeping the caller's column names and index: metrics are read by
    name, and NaN means "no data" (handled by every model), so only infinities are refused.
    """
    arr = validate_data(est, X, reset=reset, dtype=np.float64, ensure_all_finite="allow-nan")
    if isinstance(X, pd.DataFrame):
        return pd.DataFrame(arr, columns=[str(c) for c in X.columns], index=X.index)
    return pd.DataFrame(arr, columns=[f"x{i}" for i in range(arr.shape[1])])


def _checked_xy(
    est: BaseEstimator, X: Any, y: Any, *, min_samples: int = 1
) -> tuple[pd.DataFrame, np.ndarray]:
    """`_checked` for fit: also checks y (1-D, one label per row)."""
    arr, y = validate_data(
        est, X, y, dtype=np.float64, ensure_all_finite="allow-nan", ensure_min_samples=min_samples
    )
    if isinstance(X, pd.DataFrame):
        return pd.DataFrame(arr, columns=[str(c) for c in X.columns], index=X.index), y
    return pd.DataFrame(arr, columns=[f"x{i}" for i in range(arr.shape[1])]), y


def _binary_target(est: BaseEstimator, y: np.ndarray) -> np.ndarray:
    """Set `classes_` and return y encoded 0/1 (1 = the second class, churned for 0/1 labels)."""
    check_classification_targets(y)
    kind = type_of_target(y, input_name="y")
    if kind != "binary":
        raise ValueError(
            f"Only binary classification is supported. The type of the target is {kind}: "
            f"{type(est).__name__} needs y with exactly 2 classes (churned and retained), "
            f"got {len(np.unique(y))} class(es)."
        )
    est.classes_, encoded = np.unique(y, return_inverse=True)
    if len(est.classes_) < 2:
        raise ValueError(
            f"{type(est).__name__} needs both outcomes in y; it holds one class only "
            f"({est.classes_[0]!r})."
        )
    return encoded.astype(int)


def _minority(y: np.ndarray) -> int:
    """Rows of the rarer class in 0/1 labels."""
    return int(np.bincount(y, minlength=2).min()) if len(y) else 0


def _subsample(n: int, max_rows: int, random_state: int | None) -> np.ndarray | None:
    """Sorted row positions of a uniform subsample (None when all rows fit)."""
    if n <= max_rows:
        return None
    return np.sort(np.random.default_rng(random_state).choice(n, max_rows, replace=False))


def _binary_tags(tags: Any) -> Any:
    tags.input_tags.allow_nan = True  # NaN is "no data" for a metric, handled by design
    tags.classifier_tags.multi_class = False  # churned or not
    return tags


_SEED = [Interval(Integral, 0, None, closed="left"), None]


def _spearman(X: pd.DataFrame) -> np.ndarray:
    """Spearman correlation matrix (0 where undefined), as `X.rank().corr()` gives it.

    Without missing values (the grouper's inputs are imputed) this is one matrix product
    instead of pandas' pairwise loop, which took seconds on 300 metrics.
    """
    r = X.rank()
    if r.isna().to_numpy().any():
        return r.corr().fillna(0.0).to_numpy()
    a = r.to_numpy(dtype=float)
    a = a - a.mean(axis=0)
    norm = np.sqrt((a * a).sum(axis=0))
    with np.errstate(invalid="ignore", divide="ignore"):
        c = (a.T @ a) / np.outer(norm, norm)
    c = np.nan_to_num(c, nan=0.0)
    np.fill_diagonal(c, np.where(norm > 0, 1.0, 0.0))
    return np.clip(c, -1.0, 1.0)


class MetricTransformer(TransformerMixin, BaseEstimator):
    """log1p for skewed counts, clip to quantiles, impute + indicate missing, z-score.

    `transform` returns a DataFrame for a DataFrame input (columns named after the metrics,
    plus ``missing:<metric>`` indicators), an array otherwise.
    """

    _parameter_constraints: ClassVar[dict[str, list[Any]]] = {
        "clip_quantile": [Interval(Real, 0, 0.5, closed="left")],
        "skew_threshold": [Real],
    }

    def __init__(self, clip_quantile: float = 0.01, skew_threshold: float = 1.0):
        self.clip_quantile = clip_quantile
        self.skew_threshold = skew_threshold

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X: Any, y: Any = None) -> MetricTransformer:
        df = _checked(self, X, reset=True)
        self.log_, self.lo_, self.hi_, self.median_ = {}, {}, {}, {}
        self.mean_, self.std_, self.indicators_ = {}, {}, []
        self.kept_: list[str] = []
        for c in df.columns:
            v = df[c].to_numpy()
            ok = v[np.isfinite(v)]
            if ok.size < 2:
                continue
            self.log_[c] = bool(ok.min() >= 0 and pd.Series(ok).skew() > self.skew_threshold)
            if self.log_[c]:
                ok = np.log1p(ok)
            lo, hi = np.quantile(ok, [self.clip_quantile, 1 - self.clip_quantile])
            ok = np.clip(ok, lo, hi)
            sd = float(ok.std())
            if sd <= 1e-12:
                continue
            self.lo_[c], self.hi_[c] = float(lo), float(hi)
            self.median_[c] = float(np.median(ok))
            self.mean_[c], self.std_[c] = float(ok.mean()), sd
            self.kept_.append(c)
            if ok.size < v.size and ok.size > 0:
                self.indicators_.append(c)
        return self

    def transform(self, X: Any) -> Any:
        check_is_fitted(self, "kept_")
        out = self._transform(_checked(self, X, reset=False))
        return out if isinstance(X, pd.DataFrame) else out.to_numpy()

    def _transform(self, df: pd.DataFrame) -> pd.DataFrame:
        out: dict[str, np.ndarray] = {}
        for c in self.kept_:
            v = df[c].to_numpy(dtype=float)
            miss = ~np.isfinite(v)
            if self.log_[c]:
                v = np.log1p(np.clip(v, 0, None))
            v = np.clip(np.where(miss, self.median_[c], v), self.lo_[c], self.hi_[c])
            out[c] = (v - self.mean_[c]) / self.std_[c]
            if c in self.indicators_:
                out[f"missing:{c}"] = miss.astype(float)
        return pd.DataFrame(out, index=df.index, columns=list(self.get_feature_names_out()))

    def get_feature_names_out(self, input_features: Any = None) -> np.ndarray:
        check_is_fitted(self, "kept_")
        names: list[str] = []
        for c in self.kept_:
            names.append(c)
            if c in self.indicators_:
                names.append(f"missing:{c}")
        return np.array(names, dtype=object)

    def __sklearn_tags__(self) -> Any:
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = True
        return tags


class MetricGrouper(TransformerMixin, BaseEstimator):
    """Average correlated z-scored metrics into group scores (Gold's metric groups).

    Columns named ``missing:<metric>`` (from `MetricTransformer`) stay groups of their own.
    """

    _parameter_constraints: ClassVar[dict[str, list[Any]]] = {
        "corr_threshold": [Interval(Real, 0, 1, closed="both")],
        "max_rows": [Interval(Integral, 2, None, closed="left")],
        "random_state": _SEED,
    }

    def __init__(self, corr_threshold: float = 0.65, max_rows: int = 20000, random_state: int = 0):
        self.corr_threshold = corr_threshold
        self.max_rows = max_rows
        self.random_state = random_state

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X: Any, y: Any = None) -> MetricGrouper:
        X = _checked(self, X, reset=True)
        metrics = [c for c in X.columns if not c.startswith("missing:")]
        sample = X[metrics]
        if len(sample) > self.max_rows:
            sample = sample.sample(self.max_rows, random_state=self.random_state)
        groups: list[list[str]] = [[c] for c in metrics]
        corr = _spearman(sample) if metrics else np.zeros((0, 0))
        if len(metrics) > 1:
            dist = np.clip(1 - np.abs(corr), 0, None)
            np.fill_diagonal(dist, 0)
            z = linkage(squareform(dist, checks=False), method="average")
            labels = fcluster(z, t=1 - self.corr_threshold, criterion="distance")
            groups = [
                [m for m, lab in zip(metrics, labels, strict=True) if lab == k]
                for k in sorted(set(labels))
            ]
        idx = {m: i for i, m in enumerate(metrics)}
        self.groups_: dict[str, list[str]] = {}
        self.signs_: dict[str, dict[str, float]] = {}
        for members in groups:
            # The most central member names the group; others are sign-aligned to it.
            sub = np.abs(corr[np.ix_([idx[m] for m in members], [idx[m] for m in members])])
            lead = members[int(sub.sum(axis=1).argmax())]
            name = lead if len(members) == 1 else f"group:{lead}"
            self.groups_[name] = members
            self.signs_[name] = {m: float(np.sign(corr[idx[lead], idx[m]]) or 1.0) for m in members}
        for c in X.columns:
            if c.startswith("missing:"):
                self.groups_[c] = [c]
                self.signs_[c] = {c: 1.0}
        scores = self._raw(X)
        self.mean_ = scores.mean().to_dict()
        self.std_ = scores.std(ddof=0).replace(0, 1.0).to_dict()
        return self

    def _raw(self, X: pd.DataFrame) -> pd.DataFrame:
        return pd.DataFrame(
            {
                g: sum(X[m] * s for m, s in self.signs_[g].items()) / len(self.signs_[g])
                for g in self.groups_
            },
            index=X.index,
            columns=list(self.groups_),
        )

    def transform(self, X: Any) -> Any:
        check_is_fitted(self, "groups_")
        out = self._transform(_checked(self, X, reset=False))
        return out if isinstance(X, pd.DataFrame) else out.to_numpy()

    def _transform(self, X: pd.DataFrame) -> pd.DataFrame:
        raw = self._raw(X)
        return (raw - pd.Series(self.mean_, dtype=float)) / pd.Series(self.std_, dtype=float)

    def get_feature_names_out(self, input_features: Any = None) -> np.ndarray:
        check_is_fitted(self, "groups_")
        return np.array(list(self.groups_), dtype=object)

    def __sklearn_tags__(self) -> Any:
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = True
        return tags


class ChurnLogit(ClassifierMixin, BaseEstimator):
    """Regularised logistic regression on metric-group scores (rows sorted by time).

    Binary: the second of the sorted classes (1 for 0/1 labels) is the churn class, so
    `coef_` and `contributions` are log-odds of churning.
    """

    _parameter_constraints: ClassVar[dict[str, list[Any]]] = {
        "Cs": ["array-like"],
        "corr_threshold": [Interval(Real, 0, 1, closed="both")],
        "n_splits": [Interval(Integral, 2, None, closed="left")],
        "max_rows": [Interval(Integral, 2, None, closed="left")],
        "random_state": _SEED,
    }

    def __init__(
        self,
        Cs: tuple[float, ...] = (0.003, 0.01, 0.03, 0.1, 0.3, 1.0),
        corr_threshold: float = 0.65,
        n_splits: int = 3,
        max_rows: int = 1_000_000,
        random_state: int = 0,
    ):
        self.Cs = Cs
        self.corr_threshold = corr_threshold
        self.n_splits = n_splits
        self.max_rows = max_rows
        self.random_state = random_state

    def _prep(self, X: Any) -> pd.DataFrame:
        check_is_fitted(self, "model_")
        df = _checked(self, X, reset=False)
        return self.grouper_._transform(self.transformer_._transform(df))

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X: Any, y: Any) -> ChurnLogit:
        Cs = np.asarray(self.Cs, dtype=float).ravel()
        if Cs.size == 0 or not (np.isfinite(Cs) & (Cs > 0)).all():
            # The declared constraints check the type; this completes them in the same shape.
            raise InvalidParameterError(
                "The 'Cs' parameter of ChurnLogit must be a non-empty array-like of floats "
                f"in the range (0, inf). Got {self.Cs!r} instead."
            )
        # Small dense problems: multi-threaded BLAS only adds overhead (and contention).
        with threadpool_limits(1, user_api="blas"):
            return self._fit(X, y, Cs)

    def _fit(self, X: Any, y: Any, Cs: np.ndarray) -> ChurnLogit:
        X, y = _checked_xy(self, X, y)
        y = _binary_target(self, y)
        keep = _subsample(len(X), self.max_rows, self.random_state)
        if keep is not None:  # a uniform subsample keeps the calibration
            X, y = X.iloc[keep], y[keep]
        self.transformer_ = MetricTransformer().fit(X)
        t = self.transformer_._transform(X)
        if t.shape[1] == 0:
            raise ValueError(
                "ChurnLogit needs at least one feature with two or more distinct values "
                "in the training rows; every column is constant or missing"
            )
        self.grouper_ = MetricGrouper(self.corr_threshold, random_state=self.random_state).fit(t)
        G = self.grouper_._transform(t).to_numpy()
        self.C_ = self._choose_c(G, y, Cs)
        self.model_ = LogisticRegression(C=self.C_, max_iter=2000).fit(G, y)
        self.coef_ = pd.Series(self.model_.coef_[0], index=self.grouper_.groups_)
        return self

    def _choose_c(self, G: np.ndarray, y: np.ndarray, Cs: np.ndarray) -> float:
        """C with the best mean out-of-time log-loss over forward-chaining splits."""
        if len(Cs) == 1:
            return float(Cs[0])
        losses: dict[float, list[float]] = {float(c): [] for c in Cs}
        n_splits = min(self.n_splits, len(G) - 1)
        splits = TimeSeriesSplit(n_splits).split(G) if n_splits >= 2 else []
        for tr, va in splits:
            if len(np.unique(y[tr])) < 2 or len(np.unique(y[va])) < 2:
                continue
            for c in losses:
                m = LogisticRegression(C=c, max_iter=500, tol=1e-3).fit(G[tr], y[tr])
                losses[c].append(log_loss(y[va], m.predict_proba(G[va])[:, 1], labels=[0, 1]))
        scored = {c: np.mean(v) for c, v in losses.items() if v}
        return float(min(scored, key=scored.get)) if scored else 0.1  # type: ignore[arg-type]

    def predict_proba(self, X: Any) -> np.ndarray:
        G = self._prep(X)
        return self.model_.predict_proba(G.to_numpy())

    def predict(self, X: Any) -> np.ndarray:
        check_is_fitted(self)
        return self.classes_[(self.predict_proba(X)[:, 1] >= 0.5).astype(int)]

    def group_scores(self, X: Any) -> pd.DataFrame:
        return self._prep(X)

    def risk_frame(self, X: Any) -> pd.DataFrame:
        """The churn log-odds as a one-column frame: the survival model's covariate."""
        G = self._prep(X)
        return pd.DataFrame(
            {"churn_log_odds": self.model_.decision_function(G.to_numpy())}, index=G.index
        )

    def contributions(self, X: Any) -> pd.DataFrame:
        """Log-odds contribution of each metric group (coef x group score; 0 = average)."""
        g = self._prep(X)
        return g * self.coef_

    @property
    def groups(self) -> dict[str, list[str]]:
        check_is_fitted(self, "model_")
        return self.grouper_.groups_

    def __sklearn_tags__(self) -> Any:
        return _binary_tags(super().__sklearn_tags__())


class ChurnGBT(ClassifierMixin, BaseEstimator):
    """Sigmoid-calibrated gradient boosting on raw metrics; native missing-value handling.

    With `tune=True` the default and a more conservative configuration compete on a forward
    time split inside the training window.
    """

    CONSERVATIVE: ClassVar[dict[str, Any]] = {
        "learning_rate": 0.03,
        "max_leaf_nodes": 7,
        "min_samples_leaf": 200,
    }

    _parameter_constraints: ClassVar[dict[str, list[Any]]] = {
        "learning_rate": [Interval(Real, 0, None, closed="neither")],
        "max_iter": [Interval(Integral, 1, None, closed="left")],
        "max_leaf_nodes": [Interval(Integral, 2, None, closed="left")],
        "min_samples_leaf": [Interval(Integral, 1, None, closed="left")],
        "l2_regularization": [Interval(Real, 0, None, closed="left")],
        "max_rows": [Interval(Integral, 2, None, closed="left")],
        "calibration_fraction": [Interval(Real, 0, 1, closed="left")],
        "n_threads": [Interval(Integral, 1, None, closed="left"), None],
        "tune": ["boolean"],
        "random_state": _SEED,
    }

    def __init__(
        self,
        learning_rate: float = 0.05,
        max_iter: int = 300,
        max_leaf_nodes: int = 15,
        min_samples_leaf: int = 100,
        l2_regularization: float = 1.0,
        max_rows: int = 1_000_000,
        calibration_fraction: float = 0.2,
        n_threads: int | None = None,
        tune: bool = True,
        random_state: int = 0,
    ):
        self.tune = tune
        self.n_threads = n_threads
        self.calibration_fraction = calibration_fraction
        self.learning_rate = learning_rate
        self.max_iter = max_iter
        self.max_leaf_nodes = max_leaf_nodes
        self.min_samples_leaf = min_samples_leaf
        self.l2_regularization = l2_regularization
        self.max_rows = max_rows
        self.random_state = random_state

    def _threads(self) -> int:
        # Half the cores: OpenMP spinning under oversubscription costs far more than it gains.
        return self.n_threads or max(1, (os.cpu_count() or 2) // 2)

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X: Any, y: Any) -> ChurnGBT:
        X, y = _checked_xy(self, X, y)
        y = _binary_target(self, y)
        with threadpool_limits(self._threads(), user_api="openmp"):
            self.chosen_ = self._tune(X, y) if self.tune else {}
            return self._fit_one(X, y, **self.chosen_)

    def _tune(self, X: pd.DataFrame, y: np.ndarray) -> dict[str, Any]:
        """Pick the default or a more conservative booster by AUC on the latest 25 % of rows.

        A forward time split inside the training window (rows are sorted by date).
        """
        k = int(len(X) * 0.75)
        if min(y[:k].sum(), y[k:].sum()) < 20 or y[k:].sum() == len(y) - k:
            return {}
        best, best_auc = {}, -1.0
        for cfg in ({}, self.CONSERVATIVE):
            m = clone(self).set_params(tune=False)
            m._fit_one(X.iloc[:k], y[:k], **cfg)
            auc = roc_auc_score(y[k:], m._proba(X.iloc[k:])[:, 1])
            if auc > best_auc + 1e-9:
                best, best_auc = cfg, auc
        return dict(best)

    def _fit_one(self, X: pd.DataFrame, y: np.ndarray, **params: Any) -> ChurnGBT:
        # The chosen configuration overrides the constructor's (which stay untouched).
        hp = {
            "learning_rate": self.learning_rate,
            "max_leaf_nodes": self.max_leaf_nodes,
            "min_samples_leaf": self.min_samples_leaf,
        } | params
        keep = _subsample(len(X), self.max_rows, self.random_state)
        if keep is not None:
            X, y = X.iloc[keep], y[keep]
        # Out-of-time Platt scaling: fit on the earlier rows, calibrate on the latest ones
        # (rows are sorted by observation date), which also corrects base-rate drift.
        k = int(len(X) * (1 - self.calibration_fraction))
        split = 0 < k < len(X) and min(_minority(y[:k]), _minority(y[k:])) >= 5
        # Columns need two distinct values where the booster is fitted (binning fails on
        # all-missing columns); in the cross-validated fallback, mostly present ones only.
        fit_rows = X.iloc[:k] if split else X
        self.used_ = [
            c
            for c in X.columns
            if fit_rows[c].nunique(dropna=True) >= 2
            and (split or fit_rows[c].notna().mean() >= 0.5)
        ]
        if not self.used_:
            raise ValueError(
                "ChurnGBT needs at least one feature with two or more distinct values "
                "in the training rows; every column is constant or missing"
            )
        X = X[self.used_]
        # Early stopping holds out 15 % of the rows (stratified): only with enough of each class.
        rows = y[:k] if split else y
        stop = _minority(rows) >= 20
        base = HistGradientBoostingClassifier(
            learning_rate=hp["learning_rate"],
            max_iter=self.max_iter,
            max_leaf_nodes=hp["max_leaf_nodes"],
            min_samples_leaf=min(hp["min_samples_leaf"], max(5, len(X) // 50)),
            l2_regularization=self.l2_regularization,
            early_stopping=stop,
            validation_fraction=0.15,
            n_iter_no_change=20,
            random_state=self.random_state,
        )
        Xa = X.to_numpy()
        if split:
            base.fit(Xa[:k], y[:k])
            self.model_ = CalibratedClassifierCV(FrozenEstimator(base), method="sigmoid")
            self.model_.fit(Xa[k:], y[k:])
            self.n_iter_ = base.n_iter_  # boosting rounds run (early stopping may end sooner)
        else:
            cv = max(2, min(3, _minority(y)))
            self.model_ = CalibratedClassifierCV(base, method="sigmoid", cv=cv).fit(Xa, y)
            self.n_iter_ = max(c.estimator.n_iter_ for c in self.model_.calibrated_classifiers_)
        self.medians_ = X.median()
        return self

    def _proba(self, X: pd.DataFrame) -> np.ndarray:
        with threadpool_limits(self._threads(), user_api="openmp"):
            return self.model_.predict_proba(X[self.used_].to_numpy())

    def predict_proba(self, X: Any) -> np.ndarray:
        check_is_fitted(self, "model_")
        return self._proba(_checked(self, X, reset=False))

    def predict(self, X: Any) -> np.ndarray:
        check_is_fitted(self)
        return self.classes_[(self.predict_proba(X)[:, 1] >= 0.5).astype(int)]

    def contributions(self, X: Any, groups: dict[str, list[str]]) -> pd.DataFrame:
        """Group-wise ablation: p(x) minus p(x with the group's metrics set to the median)."""
        check_is_fitted(self, "model_")
        X = _checked(self, X, reset=False)
        p = self._proba(X)[:, 1]
        out = {}
        for g, members in groups.items():
            cols = [m for m in members if m in self.used_]
            if not cols:
                continue
            Xa = X.copy()
            Xa[cols] = self.medians_[cols].to_numpy()
            out[g] = p - self._proba(Xa)[:, 1]
        return pd.DataFrame(out, index=X.index)

    def __sklearn_tags__(self) -> Any:
        return _binary_tags(super().__sklearn_tags__())


class ChurnEnsemble(ClassifierMixin, BaseEstimator):
    """Mean of the calibrated probabilities of `ChurnLogit` and `ChurnGBT`."""

    _parameter_constraints: ClassVar[dict[str, list[Any]]] = {"random_state": _SEED}

    def __init__(self, random_state: int = 0):
        self.random_state = random_state

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X: Any, y: Any) -> ChurnEnsemble:
        X, y = _checked_xy(self, X, y)
        encoded = _binary_target(self, y)
        y = self.classes_[encoded]
        self.logit_ = ChurnLogit(random_state=self.random_state).fit(X, y)
        self.gbt_ = ChurnGBT(random_state=self.random_state).fit(X, y)
        return self

    def predict_proba(self, X: Any) -> np.ndarray:
        check_is_fitted(self, "gbt_")
        X = _checked(self, X, reset=False)
        return (self.logit_.predict_proba(X) + self.gbt_.predict_proba(X)) / 2

    def predict(self, X: Any) -> np.ndarray:
        check_is_fitted(self)
        return self.classes_[(self.predict_proba(X)[:, 1] >= 0.5).astype(int)]

    def __sklearn_tags__(self) -> Any:
        return _binary_tags(super().__sklearn_tags__())


class ChurnSurvival(BaseEstimator):
    """Weibull AFT on metric-group scores: retention curves and expected months to churn.

    `fit(X, y, event)`: y is each row's time in days until it churned or was last seen,
    `event` 1 where the churn was observed and 0 where the row is censored (still a
    customer); without `event` every row counts as churned, as in lifelines.
    """

    _parameter_constraints: ClassVar[dict[str, list[Any]]] = {
        "penalizer": [Interval(Real, 0, None, closed="left")],
        "max_rows": [Interval(Integral, 2, None, closed="left")],
        "cap_months": [Interval(Real, 0, None, closed="neither")],
        "max_covariates": [Interval(Integral, 1, None, closed="left")],
        "random_state": _SEED,
    }

    def __init__(
        self,
        penalizer: float = 0.01,
        max_rows: int = 10000,
        cap_months: float = 60.0,
        max_covariates: int = 8,
        random_state: int = 0,
    ):
        self.max_covariates = max_covariates
        self.penalizer = penalizer
        self.max_rows = max_rows
        self.cap_months = cap_months
        self.random_state = random_state

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X: Any, y: Any, event: Any = None) -> ChurnSurvival:
        G, duration_days = _checked_xy(self, X, y, min_samples=2)
        duration_days = np.asarray(duration_days, dtype=float)
        ev = np.ones(len(G), dtype=bool) if event is None else np.asarray(event).astype(bool)
        if ev.shape != (len(G),):
            raise ValueError(f"event needs one flag per row of X ({len(G)}); got shape {ev.shape}")
        with threadpool_limits(1, user_api="blas"):
            return self._fit(G, duration_days, ev)

    def _fit(self, G: pd.DataFrame, duration_days: np.ndarray, ev: np.ndarray) -> ChurnSurvival:
        from lifelines import WeibullAFTFitter

        # The covariates that vary most with the outcome (AFT fits slow down with many).
        spread = G.std(ddof=0).fillna(0)
        gap = spread
        if ev.any() and not ev.all():
            gap = (G[ev].mean() - G[~ev].mean()).abs() / spread.replace(0, np.inf)
        ranked = gap.fillna(0).sort_values(ascending=False).index
        self.columns_ = [c for c in ranked[: self.max_covariates] if spread[c] > 0]
        df = self._x(G)
        df["_T"] = np.maximum(duration_days, 0.5) / 30.44
        df["_E"] = ev.astype(int)
        if len(df) > self.max_rows:
            df = df.sample(self.max_rows, random_state=self.random_state)
        self.model_ = WeibullAFTFitter(penalizer=self.penalizer)
        self.model_.fit(df, duration_col="_T", event_col="_E")
        return self

    def _x(self, G: pd.DataFrame) -> pd.DataFrame:
        # Missing covariates sit at 0, the average of a z-scored group score.
        df = G[self.columns_].fillna(0.0)
        df.columns = [f"g{i}" for i in range(df.shape[1])]
        return df

    def expected_months(self, X: Any) -> np.ndarray:
        """Expected months to churn (Weibull mean), capped at `cap_months`."""
        check_is_fitted(self, "model_")
        G = _checked(self, X, reset=False)
        e = np.asarray(self.model_.predict_expectation(self._x(G)), dtype=float).ravel()
        return np.minimum(
            np.nan_to_num(e, nan=self.cap_months, posinf=self.cap_months), self.cap_months
        )

    def survival(self, X: Any, months: Any) -> pd.DataFrame:
        """Retention curve: P(still a customer after m months), one column per account."""
        check_is_fitted(self, "model_")
        G = _checked(self, X, reset=False)
        return self.model_.predict_survival_function(self._x(G), times=list(months))

    def __sklearn_tags__(self) -> Any:
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = True
        tags.target_tags.required = True
        return tags


def make_model(name: str) -> ClassifierMixin:
    """A fresh, unfitted model by name: logistic, gbt or ensemble.

    `healthscore.predict.selection.make_model` also knows 'auto' (the self-choosing model).
    """
    models = {"logistic": ChurnLogit(), "gbt": ChurnGBT(), "ensemble": ChurnEnsemble()}
    if name not in models:
        raise ValueError(f"unknown model {name!r}; expected one of {sorted(models)}")
    return clone(models[name])
