"""Fixtures for the text tests: the small hand-written store, raw and analysed."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from healthscore.store.db import Store

from .data import build_store


@pytest.fixture
def text_store(tmp_path: Path) -> Iterator[Store]:
    store = build_store(tmp_path / "texts.duckdb")
    yield store
    store.close()


@pytest.fixture
def analysed_store(text_store: Store) -> Store:
    from healthscore.text.batch import analyse_store

    analyse_store(text_store)
    return text_store
