"""docs/cli.md is generated from --help; every command documents itself with an example."""

from __future__ import annotations

from pathlib import Path

import pytest

from healthscore.cli._reference import help_text, iter_commands, render_cli_reference

DOC = Path(__file__).parents[2] / "docs" / "cli.md"
COMMANDS = [name for name, _ in iter_commands()]


def test_cli_reference_is_current() -> None:
    assert DOC.read_text() == render_cli_reference(), (
        "docs/cli.md is stale: run `python -m healthscore.cli._reference > docs/cli.md`"
    )


def test_every_command_the_issues_name_exists() -> None:
    expected = {
        "init", "import", "status", "demo", "score", "explain", "accounts", "predict",
        "backtest", "insights", "scorecard check", "scorecard preview", "scorecard suggest",
    }  # fmt: skip
    assert expected <= set(COMMANDS)


@pytest.mark.parametrize("name", COMMANDS)
def test_every_command_has_an_example(name: str) -> None:
    assert f"Example: healthscore {name.split()[0]}" in help_text(name)
