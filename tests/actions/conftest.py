"""Small hand-made stores and facts for the actions tests.

`facts_of` builds the facts of a run date from a handful of account rows written by hand
(metrics, score, band, renewal, ...), over a real store whose tables the lazy facts read
(tickets, milestones, contacts, surveys) are filled by each test with plain rows.
"""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from healthscore.actions.facts import Facts
from healthscore.store import Store, open_store

AS_OF = dt.date(2026, 10, 31)

DEFAULTS: dict[str, Any] = {
    "name": None,
    "segment": "mid-market",
    "owner": "Ana",
    "arr": 12_000.0,
    "seats": 10.0,
    "start_date": pd.Timestamp("2025-01-01"),
    "renewal_date": pd.Timestamp("2027-06-30"),
    "score": 70.0,
    "band": "yellow",
    "trend_7d": 0.0,
    "trend_30d": 0.0,
    "churn_probability": 0.1,
    "is_active": 1.0,
}


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    s = open_store(tmp_path / "actions.duckdb", create=True)
    yield s
    s.close()


@pytest.fixture(scope="module")
def shared_store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Store]:
    """One store for a module whose tests use their own account ids (opening a store
    runs every migration, which costs more than most of these tests)."""
    s = open_store(tmp_path_factory.mktemp("actions") / "shared.duckdb", create=True)
    yield s
    s.close()


def add_accounts(store: Store, ids: list[str], segment: str = "mid-market") -> None:
    for a in ids:
        store.con.execute(
            "INSERT INTO accounts (account_id, name, segment, owner_csm, arr, start_date) "
            "SELECT ?, ?, ?, 'Ana', 12000, DATE '2025-01-01' "
            "WHERE NOT EXISTS (SELECT 1 FROM accounts WHERE account_id = ?)",
            [a, f"{a} Inc", segment, a],
        )


def make_facts(
    store: Store,
    rows: dict[str, dict[str, Any]],
    *,
    as_of: dt.date = AS_OF,
    changes: pd.DataFrame | None = None,
) -> Facts:
    """Facts of `as_of` for accounts {id: {column: value}}; unset metrics are NaN."""
    records = []
    for acc, values in rows.items():
        rec = {**DEFAULTS, "name": f"{acc} Inc", **values}
        rec["account_id"] = acc
        records.append(rec)
    frame = pd.DataFrame(records).set_index("account_id")
    for col in frame.columns:
        if frame[col].dtype == object and col not in ("name", "segment", "owner", "band"):
            with contextlib.suppress(TypeError, ValueError):
                frame[col] = frame[col].astype(float)
    cols = [
        "detected_on",
        "account_id",
        "metric",
        "kind",
        "direction",
        "before_value",
        "after_value",
        "size",
        "z",
        "started",
        "evidence",
    ]
    ch = changes if changes is not None else pd.DataFrame(columns=cols)
    labels = {"usage_active_days_28d": "active days (28d)", "voice_nps_latest": "Latest NPS"}
    return Facts(store, as_of, frame, ch, labels, as_of, "hand-made")


def change(
    acc: str, metric: str, kind: str, direction: str, before: float, after: float
) -> dict[str, Any]:
    return {
        "detected_on": AS_OF,
        "account_id": acc,
        "metric": metric,
        "kind": kind,
        "direction": direction,
        "before_value": before,
        "after_value": after,
        "size": (after - before) / before if before else np.sign(after - before),
        "z": -4.0 if direction == "down" else 4.0,
        "started": AS_OF - dt.timedelta(days=7),
        "evidence": "[]",
    }


FactsMaker = Callable[..., Facts]
