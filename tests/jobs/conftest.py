"""A small scored demo store, built once per session and copied for each test."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from notify.receivers import mailbox, receiver, refused_url

from healthscore.demo import build_and_score
from healthscore.store import open_store

__all__ = ["mailbox", "receiver", "refused_url"]


@pytest.fixture(scope="session")
def _demo_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("demo") / "demo.duckdb"
    with open_store(path) as store:
        build_and_score(store, seed=11, n_accounts=30, months=6, weeks=4)
    return path


@pytest.fixture
def demo_db(_demo_template: Path, tmp_path: Path) -> Path:
    path = tmp_path / "demo.duckdb"
    shutil.copy(_demo_template, path)
    return path
