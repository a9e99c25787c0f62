"""Multi-product out-of-time evaluation: healthscore's models against a plain GBM reference
and a book-style regression, on ChurnSim products simulated with fightchurn.

    python benchmarks/simulate_products.py             # once: simulate and export (slow)
    python benchmarks/multi_product.py [--only NAME ...] [--json FILE]

For each product of benchmarks/products/multi_product.yaml (its folder under
benchmarks/_data/, imported once into benchmarks/_data/<name>.duckdb) it builds the
observation panel healthscore's backtest uses (the metric library as of every 7th day,
accounts active per the subscriptions), then evaluates on four monthly cut-offs C with a
30-day horizon: train on observations before C whose window closed by C (labels derived as
of C), test on the 28 days of observation dates from C (labels from all the data).

Methods, all trained on the same rows:
* healthscore auto: the model healthscore's `predict` uses by default (predict/selection.py):
  an inner out-of-time validation on the training window picks one candidate, whose
  probabilities are then re-anchored on the latest resolved window; calibration is reported
  raw and re-anchored;
* each candidate on its own (compact logistic / GBM at two strengths / their mean, and the
  all-metrics logistic / gbt / ensemble), so candidate sets can be compared by the tune mean;
* reference GBM: scikit-learn HistGradientBoostingClassifier on per-event-type 28-day
  counts, tenure, MRR, billing period, discount and days to the end of the term;
* book LR: a regression in the style of *Fighting Churn With Data* (skewed metrics
  log-scaled, correlated ones grouped, regularised logistic regression; healthscore's
  ChurnLogit) on the book's inputs only: per-event-type 28-day counts, tenure and MRR.

It prints AUC, top-decile lift and calibration (mean predicted against observed churn
in the top decile, Brier) per product and cut-off, and the mean over products per role
(tune / holdout).  Defaults may be chosen on the tune products only.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import yaml
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.metrics import brier_score_loss, roc_auc_score

from healthscore.ingest.churnsim import import_churnsim
from healthscore.predict.calibration import reliability, shift_probabilities
from healthscore.predict.dataset import build_panel, labels, observation_dates, resolved_mask
from healthscore.predict.features import event_count_columns, feature_columns
from healthscore.predict.models import ChurnLogit
from healthscore.predict.outcomes import derive_outcomes
from healthscore.predict.selection import CANDIDATES, PAIRS, choose_model, fit_candidate
from healthscore.store import open_store

HERE = Path(__file__).parent
CONFIG = HERE / "products" / "multi_product.yaml"
HORIZON, STEP, GRACE, N_CUTOFFS = 30, 7, 7, 4
# The in-harness reference's contract facts (kept as the issue defined the reference).
CONTRACT = [
    "financial_tenure_days",
    "financial_mrr",
    "financial_bill_period_months",
    "financial_discount",
    "financial_days_to_term_end",
]
BOOK = ["financial_tenure_days", "financial_mrr"]


def _counts(cols: list[str]) -> list[str]:
    """Per-event-type 28-day counts (`events_<type>_28d`)."""
    return event_count_columns(cols)


def _reference() -> HistGradientBoostingClassifier:
    return HistGradientBoostingClassifier(
        learning_rate=0.05, max_iter=200, max_leaf_nodes=15, min_samples_leaf=50,
        l2_regularization=1.0, random_state=0,
    )  # fmt: skip


def _lift(y: np.ndarray, p: np.ndarray) -> float:
    k = max(1, len(y) // 10)
    top = np.argsort(-p, kind="stable")[:k]
    return float(y[top].mean() / y.mean()) if y.mean() else float("nan")


def _calibration(y: np.ndarray, p: np.ndarray) -> dict[str, float]:
    k = max(1, len(y) // 10)
    top = np.argsort(-p, kind="stable")[:k]
    return {
        "top_decile_predicted": float(p[top].mean()),
        "top_decile_observed": float(y[top].mean()),
        "brier": float(brier_score_loss(y, np.clip(p, 0, 1))),
    }


def cutoffs(frame: pd.DataFrame, full: Any) -> list[dt.date]:
    """Four monthly cut-offs: the last one leaves 28 days of resolved test dates."""
    ok = frame.loc[resolved_mask(frame, full, HORIZON), "as_of"]
    last = max(ok)
    return [last - dt.timedelta(days=27 + 28 * k) for k in reversed(range(N_CUTOFFS))]


def evaluate(store: Any, panel_only: bool = False) -> dict[str, Any]:
    t0 = time.perf_counter()
    full = derive_outcomes(store, grace_days=GRACE)
    dates = observation_dates(full.observation_start, full.data_end, STEP)
    # The panel (the slow part) depends on the data and the metric library only: cached.
    cache = Path(str(store.path) + ".panel.parquet")
    if cache.exists():
        f = pd.read_parquet(cache)
        f["as_of"] = pd.to_datetime(f["as_of"]).dt.date
        feats = feature_columns(f)
    else:
        panel = build_panel(store, full, dates)
        f, feats = panel.frame, panel.features
        f.to_parquet(cache)
    if panel_only:
        return {}
    counts = _counts(feats)
    ref_cols = [c for c in counts + CONTRACT if c in f.columns]
    book_cols = [c for c in counts + BOOK if c in f.columns]
    built = time.perf_counter() - t0
    as_of = pd.to_datetime(f["as_of"])
    testable = resolved_mask(f, full, HORIZON)
    folds = []
    for c in cutoffs(f, full):
        oc = derive_outcomes(store, grace_days=GRACE, as_of=c)
        tr = (as_of < pd.Timestamp(c)).to_numpy() & resolved_mask(f, oc, HORIZON)
        te = (
            testable
            & (
                (as_of >= pd.Timestamp(c)) & (as_of < pd.Timestamp(c + dt.timedelta(days=28)))
            ).to_numpy()
        )
        ytr = labels(f[tr], oc, HORIZON)
        yte = labels(f[te], full, HORIZON)
        if ytr.sum() < 5 or yte.sum() < 2 or yte.sum() == len(yte):
            folds.append(
                {
                    "cutoff": str(c),
                    "skipped": f"{int(ytr.sum())} train / {int(yte.sum())} test churners",
                }
            )
            continue
        probs: dict[str, np.ndarray] = {}
        Xtr, Xte = f.loc[tr, feats], f.loc[te, feats]
        for name in CANDIDATES:
            if name not in PAIRS:
                probs[name] = fit_candidate(name, Xtr, ytr).predict_proba(Xte)[:, 1]
        for name, (a, b) in PAIRS.items():
            probs[name] = (probs[a] + probs[b]) / 2
        choice = choose_model(Xtr, ytr, f.loc[tr, "as_of"], horizon_days=HORIZON)
        raw = probs[choice.name]
        probs["healthscore_auto"] = shift_probabilities(raw, choice.calibration_shift)
        probs["reference_gbm"] = (
            _reference().fit(f.loc[tr, ref_cols], ytr).predict_proba(f.loc[te, ref_cols])[:, 1]
        )
        probs["book_lr"] = (
            ChurnLogit().fit(f.loc[tr, book_cols], ytr).predict_proba(f.loc[te, book_cols])[:, 1]
        )
        fold: dict[str, Any] = {
            "cutoff": str(c), "train_rows": int(tr.sum()), "train_churn": int(ytr.sum()),
            "test_rows": int(te.sum()), "test_churn": int(yte.sum()), "methods": {},
            "choice": choice.as_dict(),
            "reliability_raw": reliability(yte, raw),
            "reliability_reanchored": reliability(yte, probs["healthscore_auto"]),
        }  # fmt: skip
        for name, p in probs.items():
            fold["methods"][name] = {
                "auc": float(roc_auc_score(yte, p)), "top_decile_lift": _lift(yte, p),
                **_calibration(yte, p),
            }  # fmt: skip
        folds.append(fold)
    done = [x for x in folds if "methods" in x]
    methods = sorted(done[0]["methods"]) if done else []
    mean = {
        m: {k: float(np.mean([x["methods"][m][k] for x in done])) for k in done[0]["methods"][m]}
        for m in methods
    }
    calib = {
        kind: {
            k: float(np.mean([x[f"reliability_{kind}"][k] for x in done]))
            for k in ("mean_predicted", "mean_observed", "top_decile_predicted",
                      "top_decile_observed", "brier")
        }
        for kind in ("raw", "reanchored")
    } if done else {}  # fmt: skip
    return {
        "accounts": int(f["account_id"].nunique()), "observations": len(f),
        "churn_events": len(full.of("churn")), "features": len(feats),
        "reference_features": ref_cols, "panel_seconds": round(built, 1),
        "seconds": round(time.perf_counter() - t0, 1), "folds": folds, "mean": mean,
        "calibration_auto": calib,
    }  # fmt: skip


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--only", nargs="*")
    ap.add_argument("--role", choices=["tune", "holdout"], help="run only the products of one role")
    ap.add_argument("--data", type=Path, default=HERE / "_data")
    ap.add_argument("--json", type=Path)
    ap.add_argument(
        "--panel-only", action="store_true", help="import and cache panels, evaluate nothing"
    )
    a = ap.parse_args()
    products = yaml.safe_load(CONFIG.read_text())["products"]
    results: dict[str, Any] = {}
    for name, spec in products.items():
        if a.only and name not in a.only:
            continue
        if a.role and spec.get("role", "holdout") != a.role:
            continue
        folder = a.data / name
        if not (folder / "event.csv").exists():
            print(f"{name}: not simulated yet (run benchmarks/simulate_products.py)")
            continue
        with open_store(a.data / f"{name}.duckdb") as store:
            if not store.count("subscriptions"):
                t = time.perf_counter()
                import_churnsim(store, folder)
                print(f"{name}: imported in {time.perf_counter() - t:.0f} s", flush=True)
            r = evaluate(store, a.panel_only)
        if a.panel_only:
            print(f"{name}: panel cached")
            continue
        r["role"] = spec.get("role", "holdout")
        results[name] = r
        print(f"\n{name} ({r['role']}): {r['accounts']} accounts, {r['churn_events']} churns, "
              f"{r['features']} features, {r['seconds']} s", flush=True)  # fmt: skip
        for fold in r["folds"]:
            if "methods" not in fold:
                print(f"  {fold['cutoff']}: skipped ({fold['skipped']})")
                continue
            aucs = "  ".join(f"{m} {v['auc']:.3f}" for m, v in fold["methods"].items())
            print(
                f"  {fold['cutoff']} ({fold['train_churn']} train / {fold['test_churn']} test churn): {aucs}"
            )
            print(f"    chosen: {fold['choice']['reason']}; {fold['choice']['calibration_note']}")
            for kind in ("raw", "reanchored"):
                r_ = fold[f"reliability_{kind}"]
                curve = " ".join(f"{b['predicted']:.3f}/{b['observed']:.3f}" for b in r_["curve"])
                print(f"    {kind:<10} mean {r_['mean_predicted']:.3f} vs {r_['mean_observed']:.3f}, "
                      f"top decile {r_['top_decile_predicted']:.3f} vs {r_['top_decile_observed']:.3f}, "
                      f"Brier {r_['brier']:.4f}; bins predicted/observed: {curve}")  # fmt: skip
        for m, v in r["mean"].items():
            print(f"  mean {m:<22} AUC {v['auc']:.3f}  lift {v['top_decile_lift']:.2f}  "
                  f"top decile {v['top_decile_predicted']:.3f} predicted vs "
                  f"{v['top_decile_observed']:.3f} observed  Brier {v['brier']:.4f}")  # fmt: skip
        for kind, v in r["calibration_auto"].items():
            print(f"  auto calibration {kind:<10} mean {v['mean_predicted']:.3f} vs "
                  f"{v['mean_observed']:.3f} observed, top decile {v['top_decile_predicted']:.3f} "
                  f"vs {v['top_decile_observed']:.3f}, Brier {v['brier']:.4f}")  # fmt: skip
    for role in ("tune", "holdout"):
        group = [r for r in results.values() if r["role"] == role and r["mean"]]
        if not group:
            continue
        print(
            f"\nmean over {role} products ({len(group)}: {', '.join(k for k, r in results.items() if r in group)}):"
        )
        for m in group[0]["mean"]:
            print(f"  {m:<22} AUC {np.mean([r['mean'][m]['auc'] for r in group]):.3f}  "
                  f"lift {np.mean([r['mean'][m]['top_decile_lift'] for r in group]):.2f}  "
                  f"top decile {np.mean([r['mean'][m]['top_decile_predicted'] for r in group]):.3f} "
                  f"vs {np.mean([r['mean'][m]['top_decile_observed'] for r in group]):.3f}")  # fmt: skip
    if a.json:
        a.json.write_text(json.dumps(results, indent=2, default=str))


if __name__ == "__main__":
    main()
