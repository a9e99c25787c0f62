"""`healthscore.api.kpis` on an App, an open Store, a path and the settings' store."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from healthscore import api
from healthscore.app import App
from healthscore.errors import StoreError
from healthscore.ingest import load_frames
from healthscore.portfolio import InvalidKpiOption, KpiReport, UnknownSegment, portfolio_kpis
from healthscore.store import open_store

D = dt.date


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Four accounts from 2026-01-01; B (smb) churns on 2026-02-15, C expands in March; a
    new account D on 2026-03-20 moves the billing data's "today" forward."""
    path = tmp_path_factory.mktemp("api_kpis") / "k.duckdb"
    with open_store(path, create=True) as store:
        load_frames(
            store,
            {
                "accounts": pd.DataFrame(
                    {
                        "account_id": ["A", "B", "C", "D"],
                        "name": ["Alpha", "Beta", "Gamma", "Delta"],
                        "segment": ["ent", "smb", "smb", "smb"],
                    }
                ),
                "subscriptions": pd.DataFrame(
                    [
                        ("A", D(2026, 1, 1), None, 300.0),
                        ("B", D(2026, 1, 1), D(2026, 2, 15), 100.0),
                        ("C", D(2026, 1, 1), D(2026, 3, 1), 100.0),
                        ("C", D(2026, 3, 1), None, 160.0),
                        ("D", D(2026, 3, 20), None, 50.0),
                    ],
                    columns=["account_id", "start_date", "end_date", "mrr"],
                ).assign(product="app"),
            },
        )
    return path


def _feb(report: KpiReport, group: str = "all") -> dict[str, Any]:
    return next(r for r in report.rows if r["period"] == "2026-02" and r["group"] == group)


def test_a_path_gives_the_core_report(db: Path) -> None:
    got = api.kpis(str(db), start="2026-02-01", end="2026-03-31", by="segment")
    assert isinstance(got, KpiReport)
    with open_store(db) as store:
        want = portfolio_kpis(store, start=D(2026, 2, 1), end=D(2026, 3, 31), by="segment")
    assert got.rows == want.rows
    feb = _feb(got)
    assert (feb["accounts_start"], feb["churned"]) == (3, 1)
    assert feb["grr"] == pytest.approx(400 / 500)
    assert _feb(got, "smb")["churn_rate"] == pytest.approx(1 / 2)


def test_an_app_and_an_open_store_are_left_open(db: Path) -> None:
    with App.from_env({}, db=db) as app:
        r = api.kpis(app, start=D(2026, 2, 1), end=D(2026, 2, 28))
        assert app.store_is_open
        assert _feb(r)["churned"] == 1
    with open_store(db) as store:
        r = api.kpis(store, period="quarter", start=D(2026, 1, 1), end=D(2026, 3, 31))
        assert store.count("accounts") == 4  # still open
    (q1,) = r.rows
    assert (q1["period"], q1["accounts_start"]) == ("2026-Q1", 0)  # nothing open on 2025-12-31
    assert (q1["new"], q1["accounts_end"]) == (3, 3)  # A, C and D (B came and went)


def test_none_is_the_settings_store(db: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HEALTHSCORE_DB", str(db))
    r = api.kpis(start="2026-02-01", end="2026-02-28", segment="SMB", gross_margin=0.5)
    feb = _feb(r)
    assert (r.segment, feb["accounts_start"], feb["churned"]) == ("SMB", 2, 1)
    assert feb["arpa"] == pytest.approx(100.0)


def test_mistakes_are_named_errors(db: Path, tmp_path: Path) -> None:
    with pytest.raises(UnknownSegment, match="the segments are: ent, smb"):
        api.kpis(db, segment="mid-market")
    with pytest.raises(
        InvalidKpiOption, match=r"'period' parameter .* month, quarter\. Got 'week'"
    ):
        api.kpis(db, period="week")
    with pytest.raises(InvalidKpiOption, match=r"'gross_margin' .* \(0, 1\]. Got 1.5"):
        api.kpis(db, gross_margin=1.5)
    with pytest.raises(StoreError):
        api.kpis(tmp_path / "missing.duckdb")
