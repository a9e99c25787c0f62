"""Rolling out-of-time backtest: train on the past, score the future, compare with the scorecard.

For each cut-off C the models train on observations whose outcome window closed by C, with
outcomes derived *as of C* (so nothing learned after C leaks in); they then score the
observation dates from C up to the next cut-off, whose labels come from all the data.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from lifelines.utils import concordance_index

from healthscore.errors import NotEnoughOutcomes
from healthscore.predict.dataset import (
    Panel,
    build_panel,
    labels,
    next_churn,
    observation_dates,
    resolved_mask,
    survival_targets,
)
from healthscore.predict.evaluate import (
    cumulative_dynamic_auc,
    evaluate_ranking,
    lead_time_curve,
    red_flags,
)
from healthscore.predict.features import BASELINE
from healthscore.predict.models import ChurnLogit, ChurnSurvival, make_model
from healthscore.predict.outcomes import Outcomes, derive_outcomes
from healthscore.predict.scorecard_bridge import scorecard_scores
from healthscore.store.queries import account_segments

__all__ = ["BacktestResult", "choose_cutoffs", "headline", "red_threshold_for", "run_backtest"]

METHOD_LABELS = {
    "scorecard": "configured scorecard",
    "logistic": "learned logistic model",
    "gbt": "learned gradient-boosting model",
    "ensemble": "learned ensemble (logistic + boosting)",
    "auto": "self-chosen model (inner out-of-time validation)",
    "baseline": "days since last activity",
}


@dataclass
class BacktestResult:
    summary: dict[str, Any]
    predictions: pd.DataFrame = field(repr=False)


def _train_mask(panel: Panel, oc: Outcomes, cutoff: dt.date, horizon: int) -> np.ndarray:
    before = (pd.to_datetime(panel.frame["as_of"]) < pd.Timestamp(cutoff)).to_numpy()
    return before & resolved_mask(panel.frame, oc, horizon)


def choose_cutoffs(
    store: Any,
    panel: Panel,
    full: Outcomes,
    *,
    horizon_days: int,
    grace_days: int,
    n_folds: int,
    min_outcomes: int,
) -> list[dt.date]:
    """First cut-off with >= min_outcomes training churners, then equal blocks of test dates."""
    f = panel.frame
    testable = sorted(set(f.loc[resolved_mask(f, full, horizon_days), "as_of"]))
    first = None
    for c in testable:
        oc = derive_outcomes(store, grace_days=grace_days, as_of=c)
        tr = _train_mask(panel, oc, c, horizon_days)
        if tr.any() and labels(f[tr], oc, horizon_days).sum() >= min_outcomes:
            first = c
            break
    if first is None:
        n = int(labels(f[resolved_mask(f, full, horizon_days)], full, horizon_days).sum())
        raise NotEnoughOutcomes(
            f"backtest needs >= {min_outcomes} churned observations before a cut-off and later "
            f"observations to test on; the store has {len(full.of('churn'))} known churn events "
            f"({n} labelled observations at a {horizon_days}-day horizon) between "
            f"{full.data_start} and {full.known_until}. Import more subscription history."
        )
    rest = [d for d in testable if d >= first]
    blocks = np.array_split(np.array(rest, dtype=object), min(n_folds, len(rest)))
    return [b[0] for b in blocks if len(b)]


def _segments(store: Any) -> pd.Series:
    return pd.Series(account_segments(store), name="segment", dtype=object)


def run_backtest(
    store: Any,
    *,
    horizon_days: int = 30,
    step_days: int = 7,
    grace_days: int = 7,
    n_folds: int = 3,
    capacity: int = 25,
    models: tuple[str, ...] = ("auto", "logistic", "gbt", "ensemble"),
    min_outcomes: int = 30,
    red_share: float = 0.1,
    scorecard: Any = None,
) -> BacktestResult:
    """Out-of-time evaluation of the scorecard, each learned model and the recency baseline."""
    full = derive_outcomes(store, grace_days=grace_days)
    dates = observation_dates(full.observation_start, full.data_end, step_days)
    panel = build_panel(store, full, dates)
    f = panel.frame
    cutoffs = choose_cutoffs(
        store,
        panel,
        full,
        horizon_days=horizon_days,
        grace_days=grace_days,
        n_folds=n_folds,
        min_outcomes=min_outcomes,
    )
    testable = resolved_mask(f, full, horizon_days)
    X = f[panel.features]
    folds, parts, surv = [], [], []
    bounds = [*cutoffs[1:], None]
    for c, nxt in zip(cutoffs, bounds, strict=True):
        oc = derive_outcomes(store, grace_days=grace_days, as_of=c)
        tr = _train_mask(panel, oc, c, horizon_days)
        as_of = pd.to_datetime(f["as_of"])
        te = testable & (as_of >= pd.Timestamp(c)).to_numpy()
        if nxt is not None:
            te &= (as_of < pd.Timestamp(nxt)).to_numpy()
        ytr = labels(f[tr], oc, horizon_days)
        part = f.loc[te, ["as_of", "account_id"]].copy()
        part["y"] = labels(f[te], full, horizon_days)
        part["fold"] = str(c)
        part["risk_baseline"] = f.loc[te, BASELINE].to_numpy()
        fitted: dict[str, Any] = {}
        choices: dict[str, dict[str, Any]] = {}
        for name in models:
            if name == "ensemble" and {"logistic", "gbt"} <= set(fitted):
                p = (part["prob_logistic"] + part["prob_gbt"]).to_numpy() / 2
                part[f"risk_{name}"] = p
                part[f"prob_{name}"] = p
                continue
            if name == "auto":  # chooses its model on the training rows' own dates
                from healthscore.predict.selection import ChurnAuto

                m = ChurnAuto(horizon_days=horizon_days).fit(X[tr], ytr, dates=f.loc[tr, "as_of"])
                choices[str(c)] = m.choice_.as_dict()
            else:
                m = make_model(name).fit(X[tr], ytr)
            fitted[name] = m
            p = m.predict_proba(X[te])[:, 1]
            part[f"risk_{name}"] = p
            part[f"prob_{name}"] = p
        folds.append(
            {
                "cutoff": str(c),
                "test_until": str(nxt) if nxt else str(max(part["as_of"])),
                "train_rows": int(tr.sum()),
                "train_churn": int(ytr.sum()),
                "test_rows": int(te.sum()),
                "test_churn": int(part["y"].sum()),
                **({"model_choice": choices[str(c)]} if str(c) in choices else {}),
            }
        )
        if "logistic" in fitted:
            surv.append(_survival_fold(fitted["logistic"], f, X, tr, te, oc, full))
        parts.append(part)
    pred = pd.concat(parts, ignore_index=True)
    pred["churn_date"] = next_churn(pred, full).to_numpy()
    pred.loc[pred["y"] == 0, "churn_date"] = pd.NaT
    methods = ["baseline", *models]
    card = scorecard_scores(store, sorted(set(pred["as_of"])), scorecard)
    red_override: dict[str, np.ndarray] = {}
    card_note: dict[str, Any] = {"available": card is not None}
    if card is not None:
        scored = float(card["score"].notna().mean()) if len(card) else 0.0
        card_note["scored_share"] = scored
        if scored == 0:
            card_note.update(
                available=False,
                reason=(
                    "the configured scorecard scored none of the accounts (its metrics have no "
                    "data in this store), so it is left out of the comparison"
                ),
            )
            card = None
    else:
        card_note["reason"] = "scoring is not available"
    if card is not None and not card.empty:
        card = card.rename(columns={"score": "scorecard_score", "band": "scorecard_band"})
        pred = pred.merge(card, on=["as_of", "account_id"], how="left")
        pred["risk_scorecard"] = 100 - pred["scorecard_score"].fillna(50.0)
        worst = _worst_band(scorecard)
        red_override["scorecard"] = (pred["scorecard_band"] == worst).to_numpy()
        red_share = float(red_override["scorecard"].mean()) or red_share
        methods = ["scorecard", *methods]
    summary = _summarise(pred, methods, red_override, red_share, capacity, _segments(store))
    summary.update(
        horizon_days=horizon_days,
        step_days=step_days,
        grace_days=grace_days,
        capacity=capacity,
        red_share=red_share,
        feature_source=panel.source,
        scorecard=card_note,
        n_features=len(panel.features),
        folds=folds,
        data={
            "start": str(full.data_start),
            "end": str(full.data_end),
            "outcomes_known_until": str(full.known_until),
            "churn_events": len(full.of("churn")),
            "billing_reason": full.billing_reason,
        },
        survival=_survival_summary(surv),
        expansion=_expansion(store, panel, full, cutoffs, horizon_days, grace_days, min_outcomes),
        red_definition=(
            "scorecard: its worst band; models and baseline: the same share of "
            "riskiest accounts on each observation date"
            if "scorecard" in methods
            else f"the riskiest {red_share:.0%} of accounts on each observation date"
        ),
    )
    if "scorecard" in methods:
        bands = _bands(scorecard)
        summary["red_threshold"] = bands[1][1] if len(bands) > 1 else None
    summary["verdict"] = verdict(summary)
    summary["headline"] = headline(summary, pred, scorecard)
    return BacktestResult(summary, pred)


def _worst_band(scorecard: Any) -> str:
    from healthscore.predict.scorecard_bridge import default_bands

    return default_bands(scorecard)[0][0]


def _summarise(
    pred: pd.DataFrame,
    methods: list[str],
    red_override: dict[str, np.ndarray],
    red_share: float,
    capacity: int,
    segments: pd.Series,
) -> dict[str, Any]:
    y = pred["y"].to_numpy()
    dates = pred["as_of"].astype(str).to_numpy()
    seg = pred["account_id"].map(segments).fillna("(none)").to_numpy() if len(segments) else None
    out: dict[str, Any] = {"methods": {}}
    for m in methods:
        risk = pred[f"risk_{m}"].to_numpy(dtype=float)
        prob = pred[f"prob_{m}"].to_numpy() if f"prob_{m}" in pred else None
        red = red_override.get(m)
        if red is None:
            red = red_flags(risk, dates, red_share)
        res = evaluate_ranking(
            y, risk, dates, red_share=red_share, capacity=capacity, probability=prob, red=red
        )
        res["label"] = METHOD_LABELS.get(m, m)
        res["per_fold_auc"] = {
            fold: evaluate_ranking(
                y[idx], risk[idx], dates[idx], red_share=red_share, capacity=capacity, red=red[idx]
            )["auc"]
            for fold, idx in pred.groupby("fold").indices.items()
        }
        res["lead_time"] = lead_time_curve(pred[["as_of", "account_id", "churn_date"]], red)
        if seg is not None:
            res["per_segment"] = {
                str(s): {
                    k: v
                    for k, v in evaluate_ranking(
                        y[seg == s],
                        risk[seg == s],
                        dates[seg == s],
                        red_share=red_share,
                        capacity=capacity,
                        red=red[seg == s],
                    ).items()
                    if k != "reliability"
                }
                for s in sorted(set(seg))
                if (seg == s).sum() >= 50
            }
        out["methods"][m] = res
    return out


def _survival_fold(
    lr: ChurnLogit,
    f: pd.DataFrame,
    X: pd.DataFrame,
    tr: np.ndarray,
    te: np.ndarray,
    oc: Outcomes,
    full: Outcomes,
) -> dict[str, Any]:
    dur, ev = survival_targets(f[tr], oc)
    sv = ChurnSurvival().fit(lr.risk_frame(X[tr]), dur, ev)
    g = lr.risk_frame(X[te])
    exp_m = sv.expected_months(g)
    dte, ete = survival_targets(f[te], full)
    risk = -exp_m
    return {
        "c_index": float(concordance_index(dte, exp_m, ete)) if ete.sum() else None,
        "auc_t": {str(t): cumulative_dynamic_auc(dte, ete, risk, t) for t in (30, 60, 90)},
        "median_expected_months": float(np.median(exp_m)),
    }


def _survival_summary(folds: list[dict[str, Any]]) -> dict[str, Any]:
    if not folds:
        return {"available": False, "reason": "needs the logistic model"}

    def avg(vals: list[Any]) -> float | None:
        v = [x for x in vals if x is not None]
        return float(np.mean(v)) if v else None

    return {
        "available": True,
        "model": "Weibull AFT (lifelines) on the logistic model's churn log-odds",
        "c_index": avg([f["c_index"] for f in folds]),
        "time_dependent_auc": {t: avg([f["auc_t"][t] for f in folds]) for t in ("30", "60", "90")},
        "per_fold": folds,
    }


def _expansion(
    store: Any,
    panel: Panel,
    full: Outcomes,
    cutoffs: list[dt.date],
    horizon: int,
    grace: int,
    min_outcomes: int,
) -> dict[str, Any]:
    n = len(full.of("expansion"))
    if n < min_outcomes:
        return {
            "available": False,
            "reason": f"only {n} expansion outcomes in the subscriptions (need {min_outcomes})",
        }
    f = panel.frame
    X = f[panel.features]
    c = cutoffs[0]
    oc = derive_outcomes(store, grace_days=grace, as_of=c)
    tr = _train_mask(panel, oc, c, horizon)
    after = (pd.to_datetime(f["as_of"]) >= pd.Timestamp(c)).to_numpy()
    te = resolved_mask(f, full, horizon) & after
    ytr, yte = labels(f[tr], oc, horizon, "expansion"), labels(f[te], full, horizon, "expansion")
    if ytr.sum() < 5 or yte.sum() == 0 or yte.sum() == len(yte):
        return {"available": False, "reason": "too few expansions before/after the first cut-off"}
    m = ChurnLogit().fit(X[tr], ytr)
    p = m.predict_proba(X[te])[:, 1]
    res = evaluate_ranking(
        yte, p, f.loc[te, "as_of"].astype(str).to_numpy(), red_share=0.1, capacity=25, probability=p
    )
    return {
        "available": True,
        "expansion_events": n,
        "auc": res["auc"],
        "top_decile_lift": res["top_decile_lift"],
        "brier": res["brier"],
    }


def _pct(x: float | None) -> str:
    return "n/a" if x is None else f"{100 * x:.0f} %"


_WHO = {"scorecard": "your scorecard", "baseline": "ranking by days since last activity"}


def verdict(summary: dict[str, Any]) -> str:
    """Plain words: churners caught and false alarms of each method."""
    ms = summary["methods"]
    parts = []
    for m, r in ms.items():
        who = _WHO.get(m, f"the {r['label']}")
        auc = "n/a" if r["auc"] is None else f"{r['auc']:.2f}"
        parts.append(
            f"{who} catches {_pct(r['red_recall'])} of churners with "
            f"{_pct(r['over_servicing_rate'])} false alarms (AUC {auc})"
        )
    learned = [m for m in ms if m not in ("scorecard", "baseline") and ms[m]["auc"] is not None]
    text = "; ".join(parts) + "."
    if learned and ms["baseline"]["auc"] is not None:
        best = max(learned, key=lambda m: ms[m]["auc"])
        diff = ms[best]["auc"] - ms["baseline"]["auc"]
        text += (
            f" The best learned model ({best}) {'beats' if diff > 0 else 'does not beat'} "
            f"'days since last activity' by {diff:+.2f} AUC."
        )
    return text[0].upper() + text[1:]


def red_threshold_for(
    score: np.ndarray, dates: np.ndarray, capacity: int, upper: float = 100.0
) -> float | None:
    """The highest whole-number red threshold (red = score below it) at which the red band
    holds no more than `capacity` accounts on an average observation date (a week).

    None when even a threshold of 1 puts more than `capacity` accounts in red."""
    ok = np.isfinite(score)
    score, dates = score[ok], dates[ok]
    n_dates = max(len(np.unique(dates)), 1)
    best = None
    for t in range(1, int(upper) + 1):
        if (score < t).sum() / n_dates <= capacity:
            best = float(t)
        else:
            break
    return best


def _recall_at_capacity(y: np.ndarray, risk: np.ndarray, dates: np.ndarray, k: int) -> float:
    """Share of churned observations among the `k` riskiest accounts of their date."""
    hit = 0
    for d in np.unique(dates):
        idx = np.flatnonzero(dates == d)
        top = idx[np.argsort(-risk[idx], kind="stable")[:k]]
        hit += int(y[top].sum())
    return hit / max(int(y.sum()), 1)


def headline(summary: dict[str, Any], pred: pd.DataFrame, scorecard: Any = None) -> list[str]:
    """Two or three short sentences that open the report: what the score catches, what it
    costs in false alarms, and what to change for the team's weekly capacity."""
    ms = summary["methods"]
    cap = int(summary["capacity"])
    horizon = summary["horizon_days"]
    y = pred["y"].to_numpy()
    dates = pred["as_of"].astype(str).to_numpy()
    n_dates = max(len(np.unique(dates)), 1)
    learned = [m for m in ms if m not in ("scorecard", "baseline") and ms[m]["auc"] is not None]
    best = max(learned, key=lambda m: ms[m]["auc"]) if learned else None
    out: list[str] = []
    if "scorecard" in ms:
        r = ms["scorecard"]
        worst = _worst_band(scorecard)
        per_week = float(r["red_share"] or 0) * len(y) / n_dates
        out.append(
            f"The {worst} band of your scorecard catches {_pct(r['red_recall'])} of the "
            f"accounts that churned within {horizon} days, with about {per_week:.0f} "
            f"{worst} accounts a week."
        )
        if r["over_servicing_rate"] is not None:
            alarms = r["over_servicing_rate"]
            out.append(
                f"{_pct(alarms)} of them were false alarms: about {round(10 * alarms)} in "
                f"every 10 {worst} accounts did not churn."
            )
        score = pred["scorecard_score"].to_numpy(dtype=float)
        bands = _bands(scorecard)
        red_min = bands[1][1] if len(bands) > 1 else 100.0
        t = red_threshold_for(score, dates, cap)
        if t is not None and int(t) != int(red_min):
            caught = float(y[score < t].sum() / max(y.sum(), 1))
            verb = "Raise" if t > red_min else "Lower"
            better = ""
            if best is not None:
                risk = pred[f"risk_{best}"].to_numpy(dtype=float)
                model_caught = _recall_at_capacity(y, risk, dates, cap)
                if model_caught > caught + 0.05:
                    better = (
                        f"; the {ms[best]['label']} would catch {_pct(model_caught)} "
                        f"with the same {cap}"
                    )
            out.append(
                f"{verb} {worst} to {t:.0f} (now {red_min:g}) to work {cap} accounts a week "
                f"and {'still ' if t < red_min else ''}catch {_pct(caught)} of churners"
                f"{better}."
            )
        elif best is not None:
            risk = pred[f"risk_{best}"].to_numpy(dtype=float)
            caught = _recall_at_capacity(y, risk, dates, cap)
            out.append(
                f"Working the {cap} riskiest accounts a week by the {ms[best]['label']} "
                f"would catch {_pct(caught)} of churners."
            )
    elif best is not None:
        risk = pred[f"risk_{best}"].to_numpy(dtype=float)
        caught = _recall_at_capacity(y, risk, dates, cap)
        prec = ms[best]["precision_at_capacity"]
        out.append(
            f"Working the {cap} riskiest accounts a week by the {ms[best]['label']} catches "
            f"{_pct(caught)} of the accounts that churned within {horizon} days."
        )
        if prec is not None:
            out.append(f"{_pct(1 - prec)} of those {cap} were false alarms (they did not churn).")
        why = summary.get("scorecard", {}).get("reason")
        out.append(
            (f"No scorecard band to compare: {why}; " if why else "No scorecard band to compare; ")
            + "`healthscore scorecard suggest` writes one from this data."
        )
    return out


def _bands(scorecard: Any) -> list[tuple[str, float]]:
    from healthscore.predict.scorecard_bridge import default_bands

    return default_bands(scorecard)
