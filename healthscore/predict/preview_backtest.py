"""The outcomes behind the scorecard preview's backtest (`healthscore.scoring.preview`).

The preview replays a candidate card over stored history; this says which of those dates
can be tested (their outcome window has closed), which accounts churned after each, and
how well a card's risk ranked them, with the same outcome derivation and ranking measures
as `healthscore predict backtest` (`run_backtest`).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from healthscore.errors import HealthscoreError
from healthscore.predict.dataset import labels, resolved_mask
from healthscore.predict.evaluate import evaluate_ranking
from healthscore.predict.outcomes import derive_outcomes

__all__ = ["ChurnOutcomes"]

_KEEP = (
    "n",
    "churners",
    "auc",
    "top_decile_lift",
    "precision_at_capacity",
    "red_share",
    "red_recall",
    "red_precision",
)


@dataclass
class ChurnOutcomes:
    """Churn within `horizon_days` of each date, on up to `max_dates` stored dates at least
    `every_days` apart (the newest closed ones), precision at `capacity` calls a date."""

    horizon_days: int = 30
    capacity: int = 25
    max_dates: int = 4
    every_days: int = 28
    grace_days: int = 7

    def labels(
        self, store: Any, dates: list[dt.date]
    ) -> tuple[list[dt.date], pd.DataFrame | None, str]:
        try:
            outcomes = derive_outcomes(store, grace_days=self.grace_days)
        except HealthscoreError as exc:
            return [], None, f"no outcomes to test against: {exc}"
        if outcomes.subscriptions.empty:
            return [], None, "the store has no subscriptions, so no churn to test against"
        mask = resolved_mask(pd.DataFrame({"as_of": dates}), outcomes, self.horizon_days)
        closed = [d for d, ok in zip(dates, mask, strict=True) if ok]
        if not closed:
            return (
                [],
                None,
                f"no stored date has a closed {self.horizon_days}-day outcome window yet "
                f"(outcomes are known until {outcomes.known_until}); score older dates to "
                "backtest",
            )
        chosen: list[dt.date] = []
        for d in reversed(closed):
            if not chosen or (chosen[-1] - d).days >= self.every_days:
                chosen.append(d)
            if len(chosen) == self.max_dates:
                break
        chosen.sort()
        obs = outcomes.active_at(chosen)
        obs = obs.assign(y=labels(obs, outcomes, self.horizon_days))
        if not obs["y"].any():
            when = ", ".join(str(d) for d in chosen)
            return chosen, None, f"no account churned within {self.horizon_days} days of {when}"
        return chosen, obs, ""

    def evaluate(
        self, y: np.ndarray, risk: np.ndarray, dates: np.ndarray, red: np.ndarray
    ) -> dict[str, Any]:
        res = evaluate_ranking(
            y,
            risk,
            dates,
            red_share=float(red.mean()) if len(red) else 0.1,
            capacity=self.capacity,
            red=red,
        )
        return {k: res[k] for k in _KEEP}
