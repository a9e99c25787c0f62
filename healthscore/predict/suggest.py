"""Suggested scorecard: groups and weights from the learned logistic model.

Each metric group of `ChurnLogit` becomes a scorecard group; its weight is proportional to
|coefficient| (the change in churn log-odds per standard deviation of the group score), and
each member metric is scored by percentile with the direction the model learned.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import yaml

from healthscore.errors import NotEnoughOutcomes
from healthscore.predict.dataset import build_panel, labels, observation_dates, resolved_mask
from healthscore.predict.features import metric_directions
from healthscore.predict.models import ChurnLogit
from healthscore.predict.outcomes import derive_outcomes
from healthscore.predict.scorecard_bridge import default_bands

__all__ = ["suggest_scorecard"]


def suggest_scorecard(
    store: Any,
    *,
    horizon_days: int = 30,
    grace_days: int = 7,
    min_outcomes: int = 30,
    as_of: dt.date | None = None,
    scorecard: Any = None,
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
            measures.append({
                "metric": m,
                "normalize": {"method": "percentile"},
                "direction": "lower_is_better" if risk_up > 0 else "higher_is_better",
            })
        groups.append({
            "name": g.removeprefix("group:"),
            "weight": weight,
            "description": (f"learned: +1 sd of this group changes churn log-odds by {coef:+.2f}"),
            "measures": measures,
        })
    card = {
        "name": "suggested by healthscore predict",
        "version": f"suggested-{oc.data_end}",
        "description": (
            f"Weights from a logistic churn model ({horizon_days}-day horizon) trained on "
            f"{int(tr.sum())} observations with {int(y.sum())} churns up to {oc.known_until}; "
            "correlated metrics grouped (Fighting Churn With Data)."),
        "bands": [{"name": n, "min": m} for n, m in default_bands(scorecard)],
        "groups": groups,
    }
    return yaml.safe_dump(card, sort_keys=False, allow_unicode=True), model
