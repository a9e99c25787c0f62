"""The Typer application objects that every command module attaches to, and the callback
that builds the one `healthscore.app.App` each run hands down to its command."""

from __future__ import annotations

import typer

from healthscore.cli._common import DbOption, make_app

app = typer.Typer(
    name="healthscore",
    help="Customer health from real data: import signals, score accounts, prove the score predicts churn.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
scorecard_app = typer.Typer(help="Validate, preview and suggest scorecards.", no_args_is_help=True)
app.add_typer(scorecard_app, name="scorecard")
metrics_app = typer.Typer(
    help="The metric catalogue: what a scorecard can score.", no_args_is_help=True
)
app.add_typer(metrics_app, name="metrics")


@app.callback()
def _build_app(ctx: typer.Context, db: DbOption = None) -> None:
    # The settings are read and validated once, here; every command takes its store,
    # scorecard, engine and clock from the App in ctx.obj (its own --db overrides ours).
    make_app(ctx, db)
