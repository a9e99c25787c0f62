"""Backtest figures recomputed independently: by hand on a tiny case, by scikit-learn on the
backtest's own predictions."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import brier_score_loss, roc_auc_score

from healthscore.predict.backtest import run_backtest
from healthscore.predict.evaluate import evaluate_ranking
from healthscore.store import open_store


def test_evaluate_ranking_on_a_hand_checked_case() -> None:
    # Two observation dates of five accounts each; churners marked 1.
    y = np.array([1, 0, 0, 1, 0, 0, 1, 0, 0, 0])
    risk = np.array([9, 8, 1, 2, 0, 7, 6, 5, 4, 3], dtype=float)
    dates = np.array(["d1"] * 5 + ["d2"] * 5)
    r = evaluate_ranking(y, risk, dates, red_share=0.2, capacity=1)
    # AUC: pairs (churner, stayer) ranked right / 3 x 7 = 21 pairs.
    # churner 9 beats all 7; churner 2 beats 1 and 0 (2); churner 6 beats 5, 4, 3, 1, 0 (5).
    assert r["auc"] == pytest.approx(14 / 21)
    # Top decile = the single riskiest row (9, a churner): 1 / (3 / 10).
    assert r["top_decile_lift"] == pytest.approx(10 / 3)
    # Red = the riskiest 20 % of each date: risk 9 (churner) on d1, risk 7 (stayer) on d2.
    assert (r["red_precision"], r["red_recall"]) == (0.5, pytest.approx(1 / 3))
    assert r["over_servicing_rate"] == 0.5
    # Capacity 1: the riskiest of each date, churned on d1 (1), not on d2 (0).
    assert r["precision_at_capacity"] == 0.5
    assert (r["n"], r["churners"], r["churn_rate"]) == (10, 3, 0.3)


def test_backtest_figures_match_sklearn_on_its_own_predictions(demo_path: Path) -> None:
    with open_store(demo_path) as s:
        res = run_backtest(s, capacity=10)
    pred, methods = res.predictions, res.summary["methods"]
    assert {"baseline", "logistic", "gbt"} <= set(methods)
    y = pred["y"].to_numpy(dtype=int)
    assert 0 < y.sum() < len(y)
    for name, m in methods.items():
        risk = pred[f"risk_{name}"].to_numpy(dtype=float)
        assert m["n"] == len(pred) and m["churners"] == int(y.sum())
        assert m["auc"] == pytest.approx(roc_auc_score(y, risk))
        for fold, rows in pred.groupby("fold"):
            assert m["per_fold_auc"][fold] == pytest.approx(
                roc_auc_score(rows["y"], rows[f"risk_{name}"])
            )
        top = pred.sort_values(f"risk_{name}", ascending=False, kind="stable").head(
            max(1, round(len(pred) * 0.1))
        )
        assert m["top_decile_lift"] == pytest.approx(top["y"].mean() / y.mean())
        per_date = (
            pred.sort_values(f"risk_{name}", ascending=False, kind="stable")
            .groupby("as_of")
            .head(10)
            .groupby("as_of")["y"]
            .mean()
        )
        assert m["precision_at_capacity"] == pytest.approx(per_date.mean())
        if f"prob_{name}" in pred:
            p = pred[f"prob_{name}"].clip(0, 1)
            assert m["brier"] == pytest.approx(brier_score_loss(y, p))
    # The learned models rank the demo's churners well above chance.
    assert methods["logistic"]["auc"] > 0.6 and methods["gbt"]["auc"] > 0.6
    assert isinstance(pred, pd.DataFrame)
