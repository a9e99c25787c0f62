"""Predict: outcomes, training sets, churn/expansion/survival models, backtests, suggestions.

Entry points: `derive_outcomes`, `predict`, `backtest`, `suggest_scorecard`, `insights`.
"""

from healthscore.predict.api import Prediction, predict
from healthscore.predict.backtest import BacktestResult, backtest
from healthscore.predict.insights import insights
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
    "backtest",
    "derive_outcomes",
    "insights",
    "predict",
    "suggest_scorecard",
]
