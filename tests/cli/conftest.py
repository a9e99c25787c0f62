"""A demo store built once through the real `healthscore demo` command."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from healthscore.cli import app


@pytest.fixture(scope="session")
def demo_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """150 accounts over 12 months, 27 weekly snapshots scored: enough churn to train on."""
    path = tmp_path_factory.mktemp("cli-demo") / "demo.duckdb"
    result = CliRunner().invoke(
        app,
        [
            "demo",
            "--accounts",
            "150",
            "--months",
            "12",
            "--seed",
            "3",
            "--db",
            str(path),
            "--no-serve",
        ],
        env={"HEALTHSCORE_DB": None},  # type: ignore[dict-item]  # None unsets it
    )
    assert result.exit_code == 0, (result.output, result.exception)
    return path


@pytest.fixture
def demo_copy(demo_db: Path, tmp_path: Path) -> Path:
    """A private copy a test may write to."""
    dst = tmp_path / "demo.duckdb"
    shutil.copy(demo_db, dst)
    return dst
