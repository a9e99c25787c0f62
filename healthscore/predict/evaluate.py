"""Evaluation measures for risk rankings (higher risk = more likely to churn)."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from sklearn.calibration import calibration_curve
from sklearn.metrics import brier_score_loss, roc_auc_score

__all__ = [
    "cumulative_dynamic_auc",
    "evaluate_ranking",
    "lead_time_curve",
    "precision_at_capacity",
    "red_flags",
    "top_decile_lift",
]


def _auc(y: np.ndarray, risk: np.ndarray) -> float | None:
    return float(roc_auc_score(y, risk)) if 0 < y.sum() < len(y) else None


def top_decile_lift(y: np.ndarray, risk: np.ndarray, share: float = 0.1) -> float | None:
    """Churn rate among the `share` riskiest rows divided by the overall churn rate."""
    if y.sum() == 0:
        return None
    n = max(1, round(len(y) * share))
    top = np.argsort(-risk, kind="stable")[:n]
    return float(y[top].mean() / y.mean())


def red_flags(risk: np.ndarray, dates: np.ndarray, red_share: float) -> np.ndarray:
    """Flag exactly the `red_share` riskiest accounts of each observation date."""
    flags = np.zeros(len(risk), dtype=bool)
    for d in np.unique(dates):
        idx = np.flatnonzero(dates == d)
        k = round(len(idx) * red_share)
        if k > 0:
            flags[idx[np.argsort(-risk[idx], kind="stable")[:k]]] = True
    return flags


def precision_at_capacity(
    y: np.ndarray, risk: np.ndarray, dates: np.ndarray, k: int
) -> float | None:
    """Mean over observation dates of the churn share among the K riskiest accounts."""
    vals = []
    for d in np.unique(dates):
        idx = np.flatnonzero(dates == d)
        top = idx[np.argsort(-risk[idx], kind="stable")[:k]]
        if len(top):
            vals.append(y[top].mean())
    return float(np.mean(vals)) if vals else None


def lead_time_curve(
    frame: pd.DataFrame, red: np.ndarray, max_days: int = 90, step: int = 7
) -> list[dict[str, float]]:
    """Share of churners first flagged red at least X days before their churn date.

    `frame` holds as_of, account_id and churn_date (NaT/None for non-churners); the lead time
    of a churner is churn_date minus the first as_of (within `max_days` before churn) it was red.
    """
    f = frame.assign(red=red)
    f = f[f["churn_date"].notna()]
    if f.empty:
        return []
    f = f.assign(days=(pd.to_datetime(f["churn_date"]) - pd.to_datetime(f["as_of"])).dt.days)
    f = f[(f["days"] > 0) & (f["days"] <= max_days)]
    churners = f.groupby(["account_id", "churn_date"]).size().index
    first = f[f["red"]].groupby(["account_id", "churn_date"])["days"].max()
    leads = first.reindex(churners).fillna(-1).to_numpy()
    return [
        {"days": float(x), "share": float((leads >= x).mean())}
        for x in range(0, max_days + 1, step)
    ]


def evaluate_ranking(
    y: np.ndarray,
    risk: np.ndarray,
    dates: np.ndarray,
    *,
    red_share: float,
    capacity: int,
    probability: np.ndarray | None = None,
    red: np.ndarray | None = None,
) -> dict[str, Any]:
    """AUC, lift, red-band catch and false-alarm rates, capacity precision, Brier, reliability."""
    y = np.asarray(y).astype(int)
    risk = np.asarray(risk, dtype=float)
    red = red_flags(risk, dates, red_share) if red is None else red
    tp = int((red & (y == 1)).sum())
    n_red = int(red.sum())
    out: dict[str, Any] = {
        "n": len(y),
        "churners": int(y.sum()),
        "churn_rate": float(y.mean()) if len(y) else None,
        "auc": _auc(y, risk),
        "top_decile_lift": top_decile_lift(y, risk),
        "red_share": float(red.mean()) if len(y) else None,
        "red_precision": tp / n_red if n_red else None,
        "red_recall": tp / int(y.sum()) if y.sum() else None,
        "over_servicing_rate": 1 - tp / n_red if n_red else None,
        "precision_at_capacity": precision_at_capacity(y, risk, dates, capacity),
        "brier": None,
        "reliability": [],
    }
    if probability is not None and 0 < y.sum() < len(y):
        p = np.clip(np.asarray(probability, dtype=float), 0, 1)
        out["brier"] = float(brier_score_loss(y, p))
        frac, mean = calibration_curve(y, p, n_bins=10, strategy="quantile")
        out["reliability"] = [
            {"predicted": float(m), "observed": float(f)} for m, f in zip(mean, frac, strict=True)
        ]
    return out


def cumulative_dynamic_auc(
    duration: np.ndarray, event: np.ndarray, risk: np.ndarray, t: float
) -> float | None:
    """Time-dependent AUC at t: cases churned by t vs controls still customers after t.

    Unweighted cumulative/dynamic definition (no inverse-censoring weights): rows censored
    before t are left out.
    """
    duration, event, risk = map(np.asarray, (duration, event, risk))
    cases = (duration <= t) & (event == 1)
    controls = duration > t
    if cases.sum() == 0 or controls.sum() == 0:
        return None
    keep = cases | controls
    return float(roc_auc_score(cases[keep].astype(int), risk[keep]))
