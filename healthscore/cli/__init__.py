"""The `healthscore` command line: a thin shell over the library.

Each command module parses options, calls one library function and formats the result.
Domain errors (`HealthscoreError`) become one clean line on stderr and a non-zero exit.
"""

from __future__ import annotations

import importlib
import sys

from healthscore.cli._app import app
from healthscore.errors import HealthscoreError

__all__ = ["app", "main"]

# Command modules register themselves on `app` when imported.
_COMMAND_MODULES = (
    "ingest_cmds",
    "demo_cmds",
    "score_cmds",
    "predict_cmds",
    "metrics_cmds",
    "kpi_cmds",
    "text_cmds",  # text analyze, feedback
    "alerts_cmds",  # changes, alerts, plans
    "daily_cmds",  # daily, notify
    "auth_cmds",  # users
    "keys_cmds",  # keys (API keys)
    "serve_cmds",  # serve
    "imports_cmds",  # imports, quarantine
    "store_cmds",  # vacuum
)
for _name in _COMMAND_MODULES:
    try:
        importlib.import_module(f"healthscore.cli.{_name}")
    except ModuleNotFoundError as exc:  # a module not written yet
        if exc.name != f"healthscore.cli.{_name}":
            raise


def main() -> None:
    """Entry point: usage errors are Typer's; domain errors become one line and exit 1."""
    try:
        app()  # standalone mode: Typer prints usage errors and exits with code 2 itself
    except HealthscoreError as exc:
        from healthscore.cli._common import err

        err.print(f"[bold red]error:[/] {exc}", highlight=False, markup=True)
        sys.exit(exc.exit_code)
