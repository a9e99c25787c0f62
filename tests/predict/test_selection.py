"""The model chooses itself (predict/selection.py) and its probabilities follow a drifting
base rate (predict/calibration.py): synthetic panels with a known truth, and a real store."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import roc_auc_score

from healthscore.predict.api import predict
from healthscore.predict.calibration import reanchor_shift, reliability, shift_probabilities
from healthscore.predict.features import compact_frame
from healthscore.predict.outcomes import data_range
from healthscore.predict.selection import (
    CANDIDATES,
    ChurnAuto,
    ModelChoice,
    choose_model,
    make_model,
)
from healthscore.store import open_store


def _panel(
    n_accounts: int, weeks: int, n_noise: int, seed: int, drift: float = 0.0, first: int = 0
) -> tuple[pd.DataFrame, np.ndarray, pd.Series]:
    """Weekly observations: churn depends on one event count and days to the term end;
    `n_noise` metrics carry nothing.  `drift` raises the log-odds by that much per week."""
    rng = np.random.default_rng(seed)
    rows = []
    for w in range(first, first + weeks):
        use = rng.gamma(2.0, 5.0, n_accounts)
        term = rng.integers(0, 365, n_accounts).astype(float)
        logit = -2.5 - 0.15 * use + 1.2 * (term < 30) + drift * w
        y = (rng.random(n_accounts) < 1 / (1 + np.exp(-logit))).astype(int)
        noise = {f"noise_metric_{k}": rng.normal(size=n_accounts) for k in range(n_noise)}
        rows.append(
            pd.DataFrame(
                {
                    "as_of": dt.date(2024, 1, 1) + dt.timedelta(weeks=w),
                    "events_login_28d": rng.poisson(use).astype(float),
                    "financial_days_to_term_end": term,
                    "financial_tenure_days": rng.integers(30, 900, n_accounts).astype(float),
                    **noise,
                    "_y": y,
                }
            )
        )
    f = pd.concat(rows, ignore_index=True)
    return f.drop(columns=["as_of", "_y"]), f["_y"].to_numpy(), f["as_of"]


def test_compact_frame_keeps_counts_and_contract_facts_only() -> None:
    X = pd.DataFrame(
        {
            "events_login_28d": [4.0, 0.0],
            "events_login_change_28d": [0.1, 0.2],
            "events_login_per_active_day_28d": [1.0, 0.0],
            "usage_active_users_28d": [2.0, 0.0],
            "financial_days_to_term_end": [10.0, 200.0],
            "support_tickets_90d": [1.0, 3.0],
        }
    )
    c = compact_frame(X)
    assert list(c.columns) == [
        "events_login_28d",
        "events_login_per_user_28d",
        "usage_active_users_28d",
        "financial_days_to_term_end",
    ]
    # Per active user: counts / users of the same date; no user active -> unknown, not 0.
    assert c["events_login_per_user_28d"].iloc[0] == 2.0
    assert np.isnan(c["events_login_per_user_28d"].iloc[1])


def test_auto_prefers_the_compact_model_when_many_metrics_are_noise() -> None:
    X, y, dates = _panel(400, 30, n_noise=60, seed=1)
    auto = ChurnAuto().fit(X, y, dates=dates)
    c = auto.choice_
    assert isinstance(c, ModelChoice)
    assert set(c.inner_auc_by_candidate) == set(CANDIDATES)
    assert c.name.endswith("_compact") or c.name.startswith("gbt_compact"), c.reason
    assert c.name in c.reason and "AUC" in c.reason
    assert c.strength
    # The inner windows never train on rows whose outcome window reaches into them.
    assert len(c.windows) == 2
    for w in c.windows:
        assert w["valid_dates"] == 4
        assert w["train_rows"] <= len(X) - (4 + 4) * 400
    Xt, yt, _ = _panel(400, 8, n_noise=60, seed=2)
    assert roc_auc_score(yt, auto.predict_proba(Xt)[:, 1]) > 0.7


def test_auto_falls_back_to_the_default_with_too_few_churners() -> None:
    X, y, dates = _panel(40, 12, n_noise=2, seed=3)
    y = np.zeros_like(y)
    y[[5, 100, 300]] = 1
    c = choose_model(X, y, dates)
    assert c.name == "logistic_compact"
    assert "too few churners" in c.reason
    assert c.calibration_shift == 0.0


def test_reanchoring_follows_a_drifting_base_rate() -> None:
    # The churn rate rises week after week: a model fitted on the whole window predicts its
    # average; re-anchored on the latest window, it predicts the latest rate.
    X, y, dates = _panel(500, 30, n_noise=3, seed=4, drift=0.05)
    auto = ChurnAuto(candidates=("logistic_compact",)).fit(X, y, dates=dates)
    assert auto.choice_.calibration_shift > 0.2, auto.choice_.calibration_note
    Xt, yt, _ = _panel(500, 4, n_noise=3, seed=5, drift=0.05, first=30)  # the drift goes on
    raw = auto.predict_proba(Xt, raw=True)[:, 1]
    anchored = auto.predict_proba(Xt)[:, 1]
    assert abs(anchored.mean() - yt.mean()) < abs(raw.mean() - yt.mean())


def test_shift_meets_the_observed_rate_and_is_bounded() -> None:
    p = np.full(1000, 0.10)
    y = np.zeros(1000)
    y[:50] = 1
    s = reanchor_shift(p, y, prior_churners=0)
    assert shift_probabilities(p, s).mean() == pytest.approx(0.05, abs=1e-4)
    # 50 churners seen plus 10 pseudo-churners at the predicted 10 % (100 rows).
    shrunk = reanchor_shift(p, y)
    assert shift_probabilities(p, shrunk).mean() == pytest.approx(60 / 1100, abs=1e-4)
    assert reanchor_shift(p, np.zeros(1000), prior_churners=0) == -2.0  # clipped, not -inf
    # Few rows: the prior dominates and the level hardly moves.
    assert reanchor_shift(p[:20], y[-20:]) == pytest.approx(
        np.log((10 / 120) / (110 / 120) / (1 / 9)), abs=1e-4
    )
    assert reanchor_shift(np.array([]), np.array([])) == 0.0
    r = reliability(y, p)
    assert r["top_decile_observed"] == pytest.approx(0.5)  # stable sort puts churners first
    assert sum(b["rows"] for b in r["curve"]) == 1000
    assert r["mean_predicted"] == pytest.approx(0.10)


def test_make_model_auto_and_unknown_names() -> None:
    assert isinstance(make_model("auto"), ChurnAuto)
    with pytest.raises(ValueError, match="auto"):
        make_model("forest")
    X, y, dates = _panel(50, 12, n_noise=1, seed=7)
    with pytest.raises(ValueError, match="candidates must be some of"):
        ChurnAuto(candidates=("forest",)).fit(X, y, dates=dates)


def test_predict_says_which_model_was_chosen_and_why(demo_path: Path) -> None:
    with open_store(demo_path) as store:
        res = predict(store, data_range(store)[1])
    c = res.choice
    assert c is not None and c.name in CANDIDATES
    assert res.model == c.name and (res.frame["model"] == c.name).all()
    assert res.info["model_choice"]["reason"] == c.reason
    assert res.frame["churn_probability"].between(0, 1).all()


def test_compact_inputs_ignore_rows_after_the_observation_date(demo_copy: Path) -> None:
    # The compact candidates' inputs (counts per active user, contract facts) are derived
    # from the metrics of the same date: later events and a later, pricier subscription
    # must not change them.
    from healthscore.ingest.frames import load_frames
    from healthscore.predict.features import build_features

    with open_store(demo_copy) as s:
        end = data_range(s)[1]
        dates = [end - dt.timedelta(days=d) for d in (63, 56)]
        before = compact_frame(build_features(s, dates)[0])
        accts = [r[0] for r in s.con.execute("SELECT account_id FROM accounts LIMIT 20").fetchall()]
        t = pd.Timestamp(max(dates) + dt.timedelta(days=1)) + pd.Timedelta(hours=1)
        load_frames(
            s,
            {
                "events": pd.DataFrame(
                    {"account_id": accts * 5, "event_time": t, "event_type": "login"}
                ),
                "subscriptions": pd.DataFrame(
                    {
                        "subscription_id": [f"late-{a}" for a in accts],
                        "account_id": accts,
                        "product": "late",
                        "start_date": t.date(),
                        "end_date": (t + pd.Timedelta(days=365)).date(),
                        "mrr": 1e6,
                    }
                ),
            },
        )
        after = compact_frame(build_features(s, dates)[0])
    assert {"financial_days_to_term_end", "financial_mrr"} <= set(before.columns)
    pd.testing.assert_frame_equal(before, after[before.columns])
