"""Scale benchmark: train + predict churn models for 100 000 accounts x 52 weekly observations.

The feature matrix is synthetic (the metric library has its own benchmark); the model part
is the real `ChurnLogit`, `ChurnGBT`, `ChurnSurvival` and `ChurnAuto` (predict's default:
an inner out-of-time validation of seven candidates, then the chosen one refitted).  A
quarter of the metrics are named like per-event-type 28-day counts so that the compact
candidates have inputs.  Run:

    python benchmarks/predict_scale.py [--accounts 100000] [--weeks 52] [--metrics 40]
"""

from __future__ import annotations

import argparse
import resource
import time

import numpy as np
import pandas as pd

from healthscore.predict.models import ChurnGBT, ChurnLogit, ChurnSurvival
from healthscore.predict.selection import ChurnAuto


def synthetic_panel(accounts: int, weeks: int, metrics: int, seed: int = 0):
    """Rows sorted by week: correlated count metrics driven by a latent engagement."""
    rng = np.random.default_rng(seed)
    n = accounts * weeks
    engagement = np.repeat(rng.gamma(2.0, 1.0, accounts), weeks) * rng.lognormal(0, 0.2, n)
    cols = {}
    for j in range(metrics):
        rate = engagement * rng.uniform(0.5, 20) if j % 4 else rng.gamma(1.0, 2.0, n)
        name = f"events_type{j:02d}_28d" if j % 4 == 1 else f"m{j:02d}"
        cols[name] = rng.poisson(rate).astype(np.float32)
    X = pd.DataFrame(cols)
    X.iloc[rng.random(n) < 0.05, 3] = np.nan
    logit = -2.5 - 0.9 * np.log1p(engagement) + 0.1 * X["m00"].to_numpy()
    y = (rng.random(n) < 1 / (1 + np.exp(-logit))).astype(np.int8)
    week = np.tile(np.arange(weeks), accounts)
    order = np.argsort(week, kind="stable")
    return X.iloc[order].reset_index(drop=True), y[order], week[order]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--accounts", type=int, default=100_000)
    ap.add_argument("--weeks", type=int, default=52)
    ap.add_argument("--metrics", type=int, default=40)
    a = ap.parse_args()
    t = time.perf_counter()
    X, y, week = synthetic_panel(a.accounts, a.weeks, a.metrics)
    print(
        f"panel: {len(X):,} rows x {X.shape[1]} metrics, churn rate {y.mean():.3f} "
        f"({time.perf_counter() - t:.1f} s)"
    )
    train = week < a.weeks - 4
    now = week == a.weeks - 1
    for name, model in (("logistic", ChurnLogit()), ("gbt", ChurnGBT())):
        t = time.perf_counter()
        model.fit(X[train], y[train])
        fit_s = time.perf_counter() - t
        t = time.perf_counter()
        p = model.predict_proba(X[now])[:, 1]
        pred_s = time.perf_counter() - t
        print(
            f"{name:<9} fit {fit_s:7.1f} s  predict {now.sum():,} accounts {pred_s:5.1f} s  "
            f"mean p {p.mean():.3f}"
        )
        if name == "logistic":
            lr = model
    t = time.perf_counter()
    g = lr.risk_frame(X[train].iloc[-200_000:])
    dur = np.where(y[train][-200_000:] == 1, 15.0, 60.0)
    sv = ChurnSurvival().fit(g, dur, y[train][-200_000:])
    months = sv.expected_months(lr.risk_frame(X[now]))
    print(
        f"survival fit + expected months for {now.sum():,} accounts "
        f"{time.perf_counter() - t:.1f} s (median {np.median(months):.1f} months)"
    )
    t = time.perf_counter()
    auto = ChurnAuto().fit(
        X[train],
        y[train],
        dates=pd.Timestamp("2024-01-01") + pd.to_timedelta(7 * week[train], unit="D"),
    )
    fit_s = time.perf_counter() - t
    p = auto.predict_proba(X[now])[:, 1]
    print(
        f"auto      fit {fit_s:7.1f} s  chose {auto.choice_.reason}; {auto.choice_.calibration_note}; mean p {p.mean():.3f}"
    )
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak RSS {rss:,.0f} MB")


if __name__ == "__main__":
    main()
