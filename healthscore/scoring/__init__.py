"""Scoring: the scorecard model, normalisation, weights, confidence, bands, history, explain.

Library entry points; the CLI (`healthscore score|explain|accounts|scorecard`) and
`healthscore.api` are thin layers over these.  Every submodule stays importable under its
own name (no function is re-exported under a module's name): `healthscore.scoring.explain`
is the module, `explain_account` its entry point.
"""

from healthscore.scoring.accounts import list_accounts
from healthscore.scoring.engine import ScoreFrames, score_frame
from healthscore.scoring.explain import Explanation, format_value
from healthscore.scoring.explain import explain as explain_account
from healthscore.scoring.history import read_snapshots, snapshot_dates, write_scores
from healthscore.scoring.model import DEFAULT_SCORECARD, Scorecard, load_scorecard, parse_scorecard
from healthscore.scoring.preview import Preview, preview_scorecard
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
    "explain_account",
    "format_value",
    "list_accounts",
    "load_scorecard",
    "parse_scorecard",
    "preview_scorecard",
    "read_snapshots",
    "score",
    "score_frame",
    "snapshot_dates",
    "usage_template",
    "write_scores",
]
