"""Predict: outcomes, training sets, churn/expansion/survival models, backtests, suggestions.

Entry points: `derive_outcomes`, `predict`, `run_backtest`, `suggest_scorecard`,
`compute_insights`.  Every submodule stays importable under its own name (no function is
re-exported under a module's name): `healthscore.predict.backtest` is the module.
"""

from healthscore.predict.api import Prediction, predict
from healthscore.predict.backtest import BacktestResult, run_backtest
from healthscore.predict.insights import compute_insights
from healthscore.predict.models import ChurnGBT, ChurnLogit, ChurnSurvival
from healthscore.predict.outcomes import Outcomes, derive_outcomes
from healthscore.predict.suggest import suggest_scorecard

__all__ = [
    "BacktestResult",
    "ChurnGBT",
    "ChurnLogit",
    "ChurnSurvival",
    "Outcomes",
    "Prediction",
    "compute_insights",
    "derive_outcomes",
    "predict",
    "run_backtest",
    "suggest_scorecard",
]
