"""healthscore: customer health from real data, with proof that the score predicts churn."""

__version__ = "0.1.0"
