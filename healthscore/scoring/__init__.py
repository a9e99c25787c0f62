"""Scoring: the scorecard model, normalisation, weights, confidence, bands, history, explain.

Library entry points; the CLI (`healthscore score|explain|accounts|scorecard`) and
`healthscore.api` are thin layers over these.
"""

from healthscore.scoring.accounts import list_accounts
from healthscore.scoring.engine import ScoreFrames, score_frame
from healthscore.scoring.explain import Explanation, explain, format_value
from healthscore.scoring.history import read_snapshots, snapshot_dates, write_scores
from healthscore.scoring.model import DEFAULT_SCORECARD, Scorecard, load_scorecard, parse_scorecard
from healthscore.scoring.preview import Preview, preview
from healthscore.scoring.run import ScoreRun, backfill, compute_scores, score
from healthscore.scoring.template import usage_template

__all__ = [
    "DEFAULT_SCORECARD",
    "Explanation",
    "Preview",
    "ScoreFrames",
    "ScoreRun",
    "Scorecard",
    "backfill",
    "compute_scores",
    "explain",
    "format_value",
    "list_accounts",
    "load_scorecard",
    "parse_scorecard",
    "preview",
    "read_snapshots",
    "score",
    "score_frame",
    "snapshot_dates",
    "usage_template",
    "write_scores",
]
