"""`predict`: churn probability, health score, expected months to churn, risk drivers, and
each account's expected remaining lifetime and CLTV (docs/kpis.md)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from healthscore.errors import NotEnoughData, NotEnoughOutcomes
from healthscore.predict.calibration import shift_probabilities
from healthscore.predict.dataset import (
    build_panel,
    labels,
    observation_dates,
    resolved_mask,
    survival_targets,
)
from healthscore.predict.models import ChurnGBT, ChurnLogit, ChurnSurvival
from healthscore.predict.outcomes import data_range, derive_outcomes
from healthscore.predict.scorecard_bridge import band_of, default_bands, scorecard_scores
from healthscore.predict.selection import ChurnAuto, ModelChoice
from healthscore.predict.words import driver_sentences

__all__ = ["COLUMNS", "MODELS", "ModelChoice", "Prediction", "predict", "scorecard_fallback"]

MODELS = ("auto", "logistic", "gbt", "ensemble")

COLUMNS = [
    "account_id",
    "churn_probability",
    "health_score",
    "band",
    "score_source",
    "expected_months_to_churn",
    "top_risk_drivers",
    "risk_in_words",
    "model",
    "mrr",
    "expected_lifetime_months",
    "lifetime_source",
    "cltv",
]


@dataclass
class Prediction:
    """One row per account (`COLUMNS`), the model used, and warnings for the user.

    `warnings` are plain sentences (e.g. why the scorecard stood in for the model);
    adapters show them, the library never prints.  `choice` says which model scored the
    store and why (`ModelChoice`: name, reason, inner AUC per candidate, strength,
    calibration shift); None when the scorecard stood in.
    """

    frame: pd.DataFrame
    model: str
    warnings: list[str] = field(default_factory=list)
    info: dict[str, Any] = field(default_factory=dict)
    choice: ModelChoice | None = None


def _driver_names(groups: dict[str, list[str]]) -> dict[str, str]:
    out = {}
    for g, members in groups.items():
        lead = g.removeprefix("group:")
        out[g] = lead if len(members) == 1 else f"{lead} (+{len(members) - 1} related)"
    return out


def _top_drivers(contrib: pd.DataFrame, names: dict[str, str], k: int = 3) -> list[str]:
    vals = contrib.to_numpy()
    cols = np.array([names.get(c, c) for c in contrib.columns], dtype=object)
    out = []
    for row in vals:
        order = np.argsort(-row)[:k]
        out.append("; ".join(f"{cols[i]} ({row[i]:+.2f})" for i in order if row[i] > 0))
    return out


def predict(
    store: Any,
    as_of: dt.date,
    *,
    horizon_days: int = 30,
    model: str = "auto",
    step_days: int = 7,
    grace_days: int = 7,
    min_outcomes: int = 30,
    scorecard: Any = None,
    fallback: bool = False,
    gross_margin: float | None = None,
) -> Prediction:
    """Train on everything knowable at `as_of` and score every account active on it.

    Each account also gets its MRR on `as_of`, its expected remaining lifetime in months
    (the survival model's expected months to churn; where there is none, as when the
    scorecard stands in, 1 / the portfolio's monthly churn rate over the twelve months up
    to `as_of`: ``lifetime_source`` says which) and ``cltv = mrr x gross_margin x
    lifetime`` (`gross_margin` in (0, 1], default 1: revenue CLTV).

    `model` is one of `MODELS`: 'auto' lets an inner out-of-time validation on the training
    window pick among compact and all-metrics logistic, boosting and ensemble models
    (predict/selection.py) and re-anchors its probabilities on the latest resolved window;
    `Prediction.choice` says which won and why.
    Raises NotEnoughData when `as_of` is outside the data's range and NotEnoughOutcomes when
    fewer than `min_outcomes` churned observations are available to train on.  With
    `fallback`, too few outcomes is not an error: the scorecard's scores stand in
    (`model == 'scorecard'`, empty churn probabilities) and `warnings` say why.
    """
    if model not in MODELS:
        raise ValueError(f"model must be one of {', '.join(MODELS)}; got {model!r}")
    if gross_margin is not None and not 0 < gross_margin <= 1:
        raise ValueError(
            f"The 'gross_margin' parameter of predict must be a fraction in the range (0, 1]. "
            f"Got {gross_margin!r} instead."
        )
    try:
        res = _predict(
            store,
            as_of,
            horizon_days=horizon_days,
            model=model,
            step_days=step_days,
            grace_days=grace_days,
            min_outcomes=min_outcomes,
            scorecard=scorecard,
        )
    except NotEnoughOutcomes as exc:
        if not fallback:
            raise
        res = scorecard_fallback(store, as_of, scorecard)
        res.warnings += [
            str(exc),
            "falling back to the configured scorecard; churn_probability is empty",
        ]
    return _with_lifetime_values(store, res, as_of, grace_days, gross_margin)


def _with_lifetime_values(
    store: Any, res: Prediction, as_of: dt.date, grace_days: int, gross_margin: float | None
) -> Prediction:
    """`res` with mrr, expected_lifetime_months, lifetime_source and cltv filled in."""
    from healthscore.portfolio.cltv import FROM_CHURN_RATE
    from healthscore.portfolio.lifetime import account_lifetimes

    f = res.frame
    ids = f["account_id"].astype(str)
    months = (
        pd.Series(f["expected_months_to_churn"].to_numpy(), index=ids)
        if f["model"].ne("scorecard").any()
        else None
    )
    lt = account_lifetimes(
        store,
        list(ids),
        as_of,
        grace_days=grace_days,
        gross_margin=gross_margin,
        months_to_churn=months,
    )
    life = lt.frame.set_axis(f.index)
    churned, at_risk, rate = lt.churned, lt.account_months_at_risk, lt.monthly_churn_rate
    out = f.assign(
        mrr=life["mrr"].round(2),
        expected_lifetime_months=life["expected_lifetime_months"].round(1),
        lifetime_source=life["lifetime_source"],
        cltv=life["cltv"].round(2),
    )
    res.info["lifetime_fallback"] = {
        "churned": churned,
        "account_months_at_risk": at_risk,
        "monthly_churn_rate": rate,
    }
    if (life["lifetime_source"] == FROM_CHURN_RATE).any() and rate is not None:
        res.warnings.append(
            f"expected_lifetime_months is 1 / the portfolio's monthly churn rate "
            f"({churned} churned in {at_risk} account-months up to {as_of}: "
            f"{1 / rate:.1f} months) where the survival model gives none"
        )
    elif life["expected_lifetime_months"].isna().any():
        why = "no account" if not at_risk else "no churn"
        res.warnings.append(
            f"expected_lifetime_months and cltv are empty where the survival model gives "
            f"none: {why} in the twelve months up to {as_of}, so 1 / churn rate is unbounded"
        )
    res.frame = out[COLUMNS]
    return res


def _predict(
    store: Any,
    as_of: dt.date,
    *,
    horizon_days: int,
    model: str,
    step_days: int,
    grace_days: int,
    min_outcomes: int,
    scorecard: Any,
) -> Prediction:
    lo, hi = data_range(store)
    if not lo <= as_of <= hi:
        raise NotEnoughData(f"the date {as_of} is outside the data's range {lo} to {hi}")
    oc = derive_outcomes(store, grace_days=grace_days, as_of=as_of)
    dates = observation_dates(oc.observation_start, as_of, step_days)
    if as_of not in dates:
        dates.append(as_of)
    panel = build_panel(store, oc, dates)
    f = panel.frame
    train = resolved_mask(f, oc, horizon_days) & (f["as_of"] < as_of).to_numpy()
    y = labels(f[train], oc, horizon_days) if train.any() else np.zeros(0, dtype=int)
    if y.sum() < min_outcomes:
        raise NotEnoughOutcomes(
            f"only {int(y.sum())} churned observations (from {len(oc.of('churn'))} churn events "
            f"known by {oc.known_until}) are available to train a {horizon_days}-day churn "
            f"model as of {as_of}; at least {min_outcomes} are needed. Import more "
            f"subscription history (ended subscriptions) or use the scorecard."
        )
    X = f[panel.features]
    Xtr, now = X[train], (f["as_of"] == as_of).to_numpy()
    lr = ChurnLogit().fit(Xtr, y)
    contrib = lr.contributions(X[now])
    base_rate = float(y.mean())
    if model == "auto":
        auto = ChurnAuto(horizon_days=horizon_days).fit(Xtr, y, dates=f.loc[train, "as_of"])
        choice = auto.choice_
        p = auto.predict_proba(X[now])[:, 1]
        # The health score is risk relative to the base rate: the same re-anchoring for both.
        base_rate = float(shift_probabilities(np.array([base_rate]), choice.calibration_shift)[0])
        model = choice.name
    else:
        choice = ModelChoice(model, f"{model}: asked for (model={model!r}), not validated")
        gbt = ChurnGBT().fit(Xtr, y) if model in ("gbt", "ensemble") else None
        p = lr.predict_proba(X[now])[:, 1]
        if gbt is not None:
            pg = gbt.predict_proba(X[now])[:, 1]
            p = pg if model == "gbt" else (p + pg) / 2
            if model == "gbt":
                contrib = gbt.contributions(X[now], lr.groups)
    names = _driver_names(lr.groups)
    dur, ev = survival_targets(f[train], oc)
    months = ChurnSurvival().fit(lr.risk_frame(Xtr), dur, ev).expected_months(lr.risk_frame(X[now]))
    out = pd.DataFrame(
        {
            "account_id": f.loc[now, "account_id"].to_numpy(),
            "churn_probability": np.round(p, 4),
            "expected_months_to_churn": np.round(months, 1),
            "top_risk_drivers": _top_drivers(contrib, names),
            "risk_in_words": _in_words(store, f, now, as_of, lr, panel.features),
            "model": model,
        }
    )
    out = _attach_scores(store, out, as_of, scorecard, base_rate=base_rate)
    info = {
        "train_rows": int(train.sum()),
        "train_churn": int(y.sum()),
        "feature_source": panel.source,
        "validation_auc": choice.inner_auc_by_candidate,
        "model_choice": choice.as_dict(),
        "data_range": [str(lo), str(hi)],
        "outcomes_known_until": str(oc.known_until),
    }
    return Prediction(
        out[COLUMNS[: COLUMNS.index("model") + 1]]
        .sort_values("churn_probability", ascending=False, kind="stable")
        .reset_index(drop=True),
        model,
        [],
        info,
        choice,
    )


# Drivers in words compare a metric with its value this many days earlier.
WORDS_LOOKBACK_DAYS = 28


def _in_words(
    store: Any,
    f: pd.DataFrame,
    now: np.ndarray,
    as_of: dt.date,
    lr: ChurnLogit,
    features: list[str],
) -> list[str]:
    """The logistic model's strongest risk drivers per account, in words, each metric
    against its value WORDS_LOOKBACK_DAYS earlier (the observation dates hold it)."""
    from healthscore.metrics import metric_catalog

    labels = {m.name: (m.label, m.unit) for m in metric_catalog(store.ibis())}
    current = f[now].reset_index(drop=True)
    earlier = as_of - dt.timedelta(days=WORDS_LOOKBACK_DAYS)
    before = f[f["as_of"] == earlier].set_index("account_id")
    contrib = lr.contributions(current[features])
    return driver_sentences(contrib, lr.groups, current, before if len(before) else None, labels)


def model_health(p: pd.Series | np.ndarray, base_rate: float) -> np.ndarray:
    """A 0-100 health score from churn probability, relative to the portfolio's base rate.

    `100 x (1 - p)` would put nearly every account in the green band, because a 30-day
    churn probability is small even for risky accounts.  Risk relative to the base rate is
    what a CSM acts on: at the average risk the score is 70, at twice it 49, at three
    times 34, and an account with no risk scores 100.
    """
    relative = np.asarray(p, dtype=float) / max(base_rate, 1e-9)
    return 100 * np.power(0.7, relative)


def _attach_scores(
    store: Any, out: pd.DataFrame, as_of: dt.date, scorecard: Any, base_rate: float
) -> pd.DataFrame:
    card = scorecard_scores(store, [as_of], scorecard)
    bands = default_bands(scorecard)
    model_score = pd.Series(model_health(out["churn_probability"], base_rate), index=out.index)
    if card is not None and card["score"].notna().any():
        m = out.merge(card[["account_id", "score", "band"]], on="account_id", how="left")
        has = m["score"].notna().to_numpy()
        out["health_score"] = np.where(has, m["score"], model_score).round(1)
        out["band"] = np.where(has, m["band"], [band_of(s, bands) for s in model_score])
        out["score_source"] = np.where(has, "scorecard", "model")
    else:
        out["health_score"] = model_score.round(1)
        out["band"] = [band_of(s, bands) for s in model_score]
        out["score_source"] = "model"
    return out


def scorecard_fallback(store: Any, as_of: dt.date, scorecard: Any = None) -> Prediction:
    """The configured scorecard's scores as a prediction frame (no churn model)."""
    card = scorecard_scores(store, [as_of], scorecard)
    if card is None or card.empty or card["score"].isna().all():
        n = 0 if card is None else len(card)
        raise NotEnoughOutcomes(
            f"no churn model could be trained and the configured scorecard scored none of the "
            f"{n} accounts on {as_of} (its metrics have no data in this store); nothing written"
        )
    out = pd.DataFrame(
        {
            "account_id": card["account_id"],
            "churn_probability": np.nan,
            "health_score": card["score"].round(1),
            "band": card["band"],
            "score_source": "scorecard",
            "expected_months_to_churn": np.nan,
            "top_risk_drivers": "",
            "risk_in_words": "",
            "model": "scorecard",
        }
    )
    frame = out.sort_values("health_score", kind="stable").reset_index(drop=True)
    return Prediction(frame, "scorecard")
