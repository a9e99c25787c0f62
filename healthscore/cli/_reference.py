"""Render docs/cli.md from the commands' own --help, so the reference cannot drift."""

from __future__ import annotations

from typing import Any

import typer
import typer.main

__all__ = ["iter_commands", "render_cli_reference"]


def _root() -> Any:
    from healthscore.cli import app

    return typer.main.get_command(app)


def iter_commands() -> list[tuple[str, Any]]:
    """Every leaf command as (full name, command object), in a stable order."""
    found: list[tuple[str, Any]] = []

    def walk(prefix: str, cmd: Any) -> None:
        subs = getattr(cmd, "commands", None)
        if subs:
            for name in sorted(subs):
                walk(f"{prefix} {name}".strip(), subs[name])
        else:
            found.append((prefix, cmd))

    walk("", _root())
    return found


def help_text(name: str) -> str:
    """The plain-text --help of `healthscore NAME`, at a fixed width (no colours)."""
    from typer.testing import CliRunner

    from healthscore.cli import app

    env = {"TERMINAL_WIDTH": "100", "COLUMNS": "100", "NO_COLOR": "1", "TERM": "dumb"}
    result = CliRunner().invoke(app, [*name.split(), "--help"], env=env)
    if result.exit_code != 0:
        raise RuntimeError(f"`healthscore {name} --help` failed: {result.output}")
    return "\n".join(line.rstrip() for line in result.output.strip("\n").splitlines())


def render_cli_reference() -> str:
    parts = [
        "# CLI reference",
        "",
        "Generated from the commands' own `--help` by "
        "`python -m healthscore.cli._reference > docs/cli.md`; a test fails when it is stale.",
        "",
    ]
    for name, _ in iter_commands():
        parts += [f"## `healthscore {name}`", "", "```text", help_text(name), "```", ""]
    return "\n".join(parts)


if __name__ == "__main__":
    # help_text() runs each --help with TERMINAL_WIDTH and COLUMNS set, so the width is fixed
    # without touching this process's environment.
    print(render_cli_reference(), end="")
