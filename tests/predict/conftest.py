"""Shared fixtures: small stores built with the real importers and demo generator."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import pandas as pd
import pytest

from healthscore.demo.build import build_demo
from healthscore.ingest.frames import load_frames
from healthscore.store import Store, open_store


@pytest.fixture(scope="session")
def demo_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A demo store with enough churn to train on (150 accounts, 12 months)."""
    path = tmp_path_factory.mktemp("demo") / "demo.duckdb"
    with open_store(path) as s:
        build_demo(s, seed=3, n_accounts=150, months=12)
    return path


@pytest.fixture
def demo_copy(demo_path: Path, tmp_path: Path) -> Path:
    """A private copy of the demo store a test may modify."""
    dst = tmp_path / "demo.duckdb"
    shutil.copy(demo_path, dst)
    return dst


def _subs_store(path: Path, rows: list[tuple], events_until: dt.date) -> Store:
    """A store holding hand-made subscriptions and one event per account on `events_until`."""
    subs = pd.DataFrame(rows, columns=["account_id", "start_date", "end_date", "mrr"])
    subs["product"] = "basic"
    subs["subscription_id"] = [f"s{i}" for i in range(len(subs))]
    accounts = pd.DataFrame({"account_id": sorted(subs["account_id"].unique())})
    events = pd.DataFrame(
        {
            "account_id": accounts["account_id"],
            "event_time": pd.Timestamp(events_until) + pd.Timedelta(hours=12),
            "event_type": "login",
        }
    )
    store = open_store(path)
    load_frames(store, {"accounts": accounts, "subscriptions": subs, "events": events})
    return store


@pytest.fixture
def subs_store():
    """Factory: `subs_store(path, rows, events_until)` -> Store."""
    return _subs_store
