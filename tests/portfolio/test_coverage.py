"""The KPIs split by CSM coverage on the tiny store (conftest.py), computed by hand.

February (covered = a CSM interaction from 2026-01-02 to 2026-01-31): A and B.
January (2025-12-02 to 2025-12-31): D.  March (2026-01-30 to 2026-02-28): H.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from healthscore.cli import app
from healthscore.portfolio import (
    COVERED,
    NOT_COVERED,
    InvalidKpiOption,
    portfolio_kpis,
    render_kpi_html,
)
from healthscore.store import Store

D = dt.date


def _row(report: Any, period: str, group: str) -> dict[str, Any]:
    return next(r for r in report.rows if r["period"] == period and r["group"] == group)


@pytest.fixture(scope="module")
def split(tiny_path: Path) -> Any:
    from healthscore.store import open_store

    with open_store(tiny_path) as store:
        return portfolio_kpis(store, start=D(2026, 1, 1), end=D(2026, 3, 31), by="coverage")


def test_the_groups_of_each_period(split: Any) -> None:
    assert [(r["period"], r["group"]) for r in split.rows] == [
        (p, g) for p in ("2026-01", "2026-02", "2026-03") for g in ("all", COVERED, NOT_COVERED)
    ]
    assert split.cadence_days == 30 and split.as_dict()["cadence_days"] == 30
    assert _row(split, "2026-01", COVERED)["accounts_start"] == 1  # D
    assert _row(split, "2026-01", NOT_COVERED)["accounts_start"] == 4  # A, B, C, H
    assert _row(split, "2026-03", COVERED)["accounts_start"] == 1  # H


def test_february_covered_against_not_covered(split: Any) -> None:
    cov, rest = _row(split, "2026-02", COVERED), _row(split, "2026-02", NOT_COVERED)
    # Covered A (100) and B (200): B churns.
    assert (cov["accounts_start"], cov["churned"]) == (2, 1)
    assert cov["churn_rate"] == pytest.approx(0.5)
    assert cov["grr"] == cov["nrr"] == pytest.approx(100 / 300)
    assert cov["nps"] == pytest.approx(100.0)  # A's 10
    # Not covered C (100, expands to 150), D (1000, contracts to 800), H (300); E is new
    # and G reactivated in February, neither was touched.
    assert (rest["accounts_start"], rest["churned"], rest["new"]) == (3, 0, 1)
    assert rest["reactivated"] == 1
    assert rest["churn_rate"] == 0.0
    assert rest["grr"] == pytest.approx((1400 - 200) / 1400)
    assert rest["nrr"] == pytest.approx((1400 - 200 + 50) / 1400)
    assert rest["nps"] == pytest.approx(100 * (2 - 1) / 4)  # C 9, D 9, E 7, H 3
    # The groups add up to the whole.
    feb = _row(split, "2026-02", "all")
    assert cov["accounts_start"] + rest["accounts_start"] == feb["accounts_start"]
    assert cov["mrr_start"] + rest["mrr_start"] == pytest.approx(feb["mrr_start"])


def test_the_split_is_labelled_observational(split: Any) -> None:
    (note,) = [n for n in split.notes if n.startswith("coverage")]
    assert "30 days before" in note and "observational, not causal" in note
    page = render_kpi_html(split)
    assert "CSM coverage: covered (with a CSM interaction in the 30 days before" in page
    assert "observational" in page


def test_the_cadence_is_a_parameter(tiny: Store) -> None:
    r = portfolio_kpis(
        tiny, start=D(2026, 2, 1), end=D(2026, 2, 28), by="coverage", cadence_days=60
    )
    # 60 days before February reach D's interaction of 2025-12-20.
    assert _row(r, "2026-02", COVERED)["accounts_start"] == 3  # A, B, D
    with pytest.raises(InvalidKpiOption, match=r"'cadence_days' parameter .* Got 0 instead"):
        portfolio_kpis(tiny, by="coverage", cadence_days=0)


def test_with_a_segment_only_its_accounts_are_split(tiny: Store) -> None:
    r = portfolio_kpis(tiny, start=D(2026, 2, 1), end=D(2026, 2, 28), segment="ent", by="coverage")
    assert _row(r, "2026-02", COVERED)["accounts_start"] == 0  # A and B are smb
    assert _row(r, "2026-02", COVERED)["churn_rate"] is None
    assert _row(r, "2026-02", NOT_COVERED)["accounts_start"] == 2  # D, H


def test_the_command(tiny_path: Path) -> None:
    res = CliRunner().invoke(
        app,
        ["kpis", "--db", str(tiny_path), "--from", "2026-02-01", "--to", "2026-02-28",
         "--by", "coverage", "--cadence-days", "60", "--format", "json"],
    )  # fmt: skip
    assert res.exit_code == 0, res.output
    doc = json.loads(res.stdout)
    assert (doc["by"], doc["cadence_days"]) == ("coverage", 60)
    assert [r["group"] for r in doc["rows"]] == ["all", COVERED, NOT_COVERED]
    assert doc["rows"][1]["accounts_start"] == 3
    assert any("observational" in n for n in doc["notes"])
    assert "observational" in res.stderr
