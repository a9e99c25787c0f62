"""The Typer application objects that every command module attaches to."""

from __future__ import annotations

import typer

app = typer.Typer(
    name="healthscore",
    help="Customer health from real data: import signals, score accounts, prove the score predicts churn.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
scorecard_app = typer.Typer(help="Validate, preview and suggest scorecards.", no_args_is_help=True)
app.add_typer(scorecard_app, name="scorecard")
