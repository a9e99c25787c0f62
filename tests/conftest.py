"""Helpers shared by every test package."""

from __future__ import annotations

import sys
from dataclasses import dataclass

import pytest


@dataclass
class CliFailure:
    """What a user sees when `healthscore ...` fails: the exit code and standard error."""

    exit_code: int
    stderr: str
    stdout: str

    @property
    def message(self) -> str:
        """The one line printed, without its `error: ` prefix."""
        lines = self.stderr.strip().splitlines()
        assert len(lines) == 1, f"expected one line on stderr, got:\n{self.stderr}"
        assert lines[0].startswith("error: "), lines[0]
        return lines[0][len("error: ") :]


@pytest.fixture
def cli_failure(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    """Run the real `healthscore` entry point in-process and return how it failed.

    It goes through `healthscore.cli:main`, as the installed command does, so a domain error
    must become one clean line and exit code 1; an unexpected exception (a crash) propagates
    and fails the test instead of passing for a non-zero exit.
    """
    from healthscore.cli import main

    def run(*args: str) -> CliFailure:
        monkeypatch.setattr(sys, "argv", ["healthscore", *args])
        capsys.readouterr()
        with pytest.raises(SystemExit) as exc:
            main()
        out = capsys.readouterr()
        assert "Traceback" not in out.err and "Traceback" not in out.out, out.err
        code = exc.value.code
        return CliFailure(code if isinstance(code, int) else 1, out.err, out.out)

    return run
