"""Suggested scorecard: groups and weights from the learned logistic model.

Each metric group of `ChurnLogit` becomes a scorecard group; its weight is proportional to
|coefficient| (the change in churn log-odds per standard deviation of the group score), and
each member metric is scored by percentile with the direction the model learned.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
import yaml

from healthscore.errors import HealthscoreError, NotEnoughOutcomes
from healthscore.predict.dataset import build_panel, labels, observation_dates, resolved_mask
from healthscore.predict.features import metric_directions
from healthscore.predict.models import ChurnLogit
from healthscore.predict.outcomes import derive_outcomes
from healthscore.predict.scorecard_bridge import default_bands

__all__ = ["Suggestion", "group_name", "suggest_scorecard", "suggest_with_backtests"]


@dataclass
class Suggestion:
    """A suggested scorecard and, side by side, how it and the current one backtest.

    `figures` maps 'current' and 'suggested' to the scorecard row of each backtest
    (auc, top_decile_lift, red_recall, over_servicing_rate, ...), or None when that
    scorecard scored nothing; `warnings` are sentences for the user.
    """

    text: str
    model: ChurnLogit
    figures: dict[str, dict[str, Any] | None]
    warnings: list[str] = field(default_factory=list)

    def rows(self) -> list[dict[str, Any]]:
        """One row per scorecard: the figures a side-by-side table shows."""
        keys = ("auc", "top_decile_lift", "red_recall", "over_servicing_rate")
        return [
            {"scorecard": name, **{k: None if r is None else r.get(k) for k in keys}}
            for name, r in self.figures.items()
        ]


OPTIMISM = (
    "the suggested weights were learned from the same history the backtest replays, "
    "so its figures are optimistic"
)


def suggest_with_backtests(
    store: Any,
    *,
    horizon_days: int = 30,
    scorecard: Any = None,
    **options: Any,
) -> Suggestion:
    """`suggest_scorecard`, then a scorecard-only backtest of the current and the suggested
    card on the same history, so the two can be compared before adopting the suggestion.

    A backtest that cannot run (e.g. a card scoring no account) leaves its figures None and
    adds a warning; the suggestion itself is still returned.
    """
    from healthscore.predict.backtest import run_backtest as backtest
    from healthscore.scoring import parse_scorecard

    text, model = suggest_scorecard(
        store, horizon_days=horizon_days, scorecard=scorecard, **options
    )
    figures: dict[str, dict[str, Any] | None] = {}
    warnings: list[str] = []
    candidates = (("current", scorecard), ("suggested", parse_scorecard(text, "<suggested>")))
    for name, card in candidates:
        try:
            res = backtest(store, horizon_days=horizon_days, models=(), scorecard=card)
        except HealthscoreError as exc:  # side-by-side figures are informative only
            warnings.append(f"backtest of the {name} scorecard unavailable: {exc}")
            continue
        figures[name] = res.summary["methods"].get("scorecard")
    warnings.append(OPTIMISM)
    return Suggestion(text, model, figures, warnings)


def suggest_scorecard(
    store: Any,
    *,
    horizon_days: int = 30,
    grace_days: int = 7,
    min_outcomes: int = 30,
    as_of: dt.date | None = None,
    scorecard: Any = None,
    red_share: float = 0.1,
) -> tuple[str, ChurnLogit]:
    """(scorecard YAML text, fitted model) learned from all resolved observations."""
    oc = derive_outcomes(store, grace_days=grace_days, as_of=as_of)
    panel = build_panel(store, oc, observation_dates(oc.observation_start, oc.data_end))
    f = panel.frame
    tr = resolved_mask(f, oc, horizon_days)
    y = labels(f[tr], oc, horizon_days)
    if y.sum() < min_outcomes:
        raise NotEnoughOutcomes(
            f"only {int(y.sum())} churned observations to learn weights from "
            f"(need {min_outcomes}); import more subscription history"
        )
    model = ChurnLogit().fit(f.loc[tr, panel.features], y)
    known = metric_directions(store)
    catalogue = _catalogue(store)
    groups = []
    coefs = model.coef_.drop([g for g in model.coef_.index if g.startswith("missing:")])
    total = float(coefs.abs().sum()) or 1.0
    for g, coef in coefs.sort_values(key=abs, ascending=False).items():
        members = model.groups[g]
        if known:
            members = [m for m in members if m in known]
        weight = round(100 * abs(coef) / total, 1)
        if not members or weight < 1:
            continue
        measures = []
        for m in members:
            risk_up = coef * model.grouper_.signs_[g][m]
            measures.append(
                {
                    "metric": m,
                    "name": catalogue[m].label if m in catalogue else m,
                    "normalize": {"method": "percentile"},
                    "direction": "lower_is_better" if risk_up > 0 else "higher_is_better",
                }
            )
        groups.append(
            {
                "name": group_name(g.removeprefix("group:"), members, catalogue),
                "weight": weight,
                "description": (
                    f"learned from churn history: one standard deviation the risky way "
                    f"multiplies the odds of churn by {np.exp(abs(coef)):.2f} "
                    f"(log-odds {coef:+.2f} per sd of the group score)"
                ),
                "measures": measures,
            }
        )
        _unique_names(measures)
    _unique_names(groups)
    kept = sum(g["weight"] for g in groups) or 1.0
    for g in groups:  # weights of the groups the scorecard can use sum to 100
        g["weight"] = round(100 * g["weight"] / kept, 1)
    names = default_bands(scorecard)
    bands = _bands(f.loc[tr], groups, names, red_share)
    card = {
        "name": "suggested by healthscore predict",
        "version": f"suggested-{oc.data_end}",
        "description": (
            f"Weights from a logistic churn model ({horizon_days}-day horizon) trained on "
            f"{int(tr.sum())} observations with {int(y.sum())} churns up to {oc.known_until}; "
            "correlated metrics grouped (Fighting Churn With Data)."
        ),
        "bands": [{"name": n, "min": m} for n, m in bands],
        "groups": groups,
    }
    text = yaml.safe_dump(card, sort_keys=False, allow_unicode=True)
    scores = _scored(store, text, sorted(set(f["as_of"]))[-8:])
    if scores is not None and len(scores) >= 20:
        card["bands"] = [{"name": n, "min": m} for n, m in _cuts(scores, names, red_share)]
        text = yaml.safe_dump(card, sort_keys=False, allow_unicode=True)
    return text, model


def _catalogue(store: Any) -> dict[str, Any]:
    from healthscore.metrics import metric_catalog

    return {m.name: m for m in metric_catalog(store.ibis())}


def group_name(lead: str, members: list[str], catalogue: dict[str, Any]) -> str:
    """A suggested group's name as people read it: its family and its lead metric's label,
    e.g. "Usage: Active users per seat, last 28 days (and 2 related)"."""
    info = catalogue.get(lead) or (catalogue.get(members[0]) if members else None)
    if info is None:
        return lead.replace("_", " ").capitalize()
    others = len([m for m in members if m != info.name])
    more = f" (and {others} related)" if others else ""
    return f"{info.group.capitalize()}: {info.label}{more}"


def _unique_names(groups: list[dict[str, Any]]) -> None:
    """Groups (or measures) with the same label keep distinct names: a scorecard needs it."""
    seen: dict[str, int] = {}
    for g in groups:
        n = seen.get(g["name"], 0)
        seen[g["name"]] = n + 1
        if n:
            g["name"] = f"{g['name']} #{n + 1}"


def _scored(store: Any, text: str, dates: list[dt.date]) -> pd.Series | None:
    """Scores of the suggested card on `dates` from the scoring engine (None if unavailable)."""
    from healthscore.scoring import compute_scores, parse_scorecard

    try:
        frames, _ = compute_scores(store, dates, parse_scorecard(text, "<suggested>"))
    except HealthscoreError:  # e.g. no account scorable: keep the approximate thresholds
        return None
    return frames.snapshots["score"].dropna()


def _cuts(
    score: pd.Series, names: list[tuple[str, float]], red_share: float
) -> list[tuple[str, float]]:
    """Worst band = lowest `red_share` of scores; further bands split the rest up to the median."""
    qs = np.linspace(red_share, 0.5, len(names) - 1) if len(names) > 2 else [red_share]
    out, last = [(names[0][0], 0.0)], 0.0
    for (name, _), q in zip(names[1:], qs, strict=True):
        last = min(max(round(float(score.quantile(q)), 1), last + 0.1), 99.9)
        out.append((name, last))
    return out


def _bands(
    frame: pd.DataFrame,
    groups: list[dict[str, Any]],
    names: list[tuple[str, float]],
    red_share: float,
) -> list[tuple[str, float]]:
    """Band thresholds so that about `red_share` of observations are in the worst band.

    Percentile-normalised scores centre on 50, so the current card's thresholds would not fit;
    the score is approximated here (percentile within date, group means, weighted mean).
    """
    parts, weights = [], []
    for g in groups:
        ranks = []
        for m in g["measures"]:
            r = frame.groupby("as_of")[m["metric"]].rank(pct=True) * 100
            ranks.append(r if m["direction"] == "higher_is_better" else 100 - r)
        parts.append(pd.concat(ranks, axis=1).mean(axis=1))
        weights.append(g["weight"])
    if not parts:
        return names
    p = pd.concat(parts, axis=1)
    w = np.asarray(weights, dtype=float)
    score = (p.fillna(0) * w).sum(axis=1) / (p.notna() * w).sum(axis=1)
    return _cuts(score.dropna(), names, red_share)
