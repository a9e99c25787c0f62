"""A small demo store, scored over a few weekly dates, shared (read-only) by the tests.

Tests that write copy the file first, so each starts from the same scored history.
"""

from __future__ import annotations

import datetime as dt
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from healthscore.store import Store, open_store

START = dt.date(2026, 8, 1)
END = dt.date(2026, 10, 31)


def build_small_demo(store: Store) -> None:
    """The demo portfolio, small enough for tests."""
    from healthscore.demo import build_demo

    build_demo(store, seed=1, n_accounts=80, months=8)


@pytest.fixture(scope="session")
def scored_store_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from healthscore.scoring import backfill

    path = tmp_path_factory.mktemp("scoring") / "demo.duckdb"
    with open_store(path) as store:
        build_small_demo(store)
        backfill(store, START, END, every_days=7)
    return path


@pytest.fixture
def store_file(scored_store_file: Path, tmp_path: Path) -> Path:
    """A private copy of the scored demo store."""
    dst = tmp_path / "store.duckdb"
    shutil.copy(scored_store_file, dst)
    return dst


@pytest.fixture
def store(store_file: Path) -> Iterator[Store]:
    with open_store(store_file) as s:
        yield s
