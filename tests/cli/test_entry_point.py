"""The installed `healthscore` command: exit codes and one-line errors, no tracebacks."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path


def _run(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", "from healthscore.cli import main; main()", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_domain_error_is_one_line_with_the_fix_and_exit_1(tmp_path: Path) -> None:
    missing = tmp_path / "none.duckdb"
    r = _run("explain", "ACC-1", "--db", str(missing), cwd=tmp_path)
    assert r.returncode == 1
    assert "Traceback" not in r.stderr
    lines = [ln for ln in r.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1, r.stderr
    assert f"no store at {missing}" in lines[0] and "healthscore init" in lines[0]
    assert not missing.exists()  # reading never creates a store


def test_usage_error_exits_2_and_names_the_missing_argument(tmp_path: Path) -> None:
    r = _run("explain", cwd=tmp_path)
    assert r.returncode == 2
    assert "Missing argument" in r.stderr and "Traceback" not in r.stderr


def test_unknown_kind_lists_the_known_ones(tmp_path: Path) -> None:
    r = _run(
        "import",
        "acounts",
        str(tmp_path / "x.csv"),
        "--db",
        str(tmp_path / "s.duckdb"),
        cwd=tmp_path,
    )
    assert r.returncode == 1
    assert "unknown data kind 'acounts'" in r.stderr and "accounts" in r.stderr
