"""The real `healthscore` command, run as a child process (so `main()`'s error printing,
exit codes and tracebacks are what a user sees)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path


def hs(
    *args: str, cwd: Path, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """Run `healthscore ARGS` in `cwd`; stdout and stderr captured as text."""
    return subprocess.run(
        [sys.executable, "-c", "from healthscore.cli import main; main()", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=300,
        env=env,
    )
