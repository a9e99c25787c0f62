"""Issue 11: a Stripe-style export with cancellations gives the right churns, and `predict`
and `backtest` work on it, end to end through the CLI and the shipped import profiles."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from healthscore.cli import app
from healthscore.predict.outcomes import derive_outcomes
from healthscore.store import open_store
from tests.predict.stripe_export import StripeExport, write_stripe_export

runner = CliRunner()


def _ok(args: list[str]) -> str:
    res = runner.invoke(app, args)
    assert res.exit_code == 0, res.output
    return res.output


@pytest.fixture(scope="module")
def stripe(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, StripeExport]:
    folder = tmp_path_factory.mktemp("stripe")
    export = write_stripe_export(folder)
    db = str(folder / "s.duckdb")
    _ok(["init", "--db", db])
    _ok(["import", "accounts", str(export.accounts), "--db", db])
    _ok(["import", "links", str(export.customers), "--profile", "stripe-customers", "--db", db])
    _ok(["import", "subscriptions", str(export.subscriptions), "--profile", "stripe", "--db", db])
    _ok(["import", "events", str(export.events), "--db", db])
    return folder / "s.duckdb", export


def test_the_export_gives_exactly_its_cancellations(stripe: tuple[Path, StripeExport]) -> None:
    db, export = stripe
    assert len(export.churns) > 40 and export.scheduled  # the generator's own truth
    with open_store(db) as s:
        o = derive_outcomes(s)
    # The billing export's today is the data end, not the newest subscription start.
    assert o.billing_end == export.export_day
    found = {r.account_id: r.date for r in o.of("churn").itertuples()}
    assert found == export.churns  # each dated when it took effect; none scheduled later
    assert not set(found) & export.scheduled


def test_predict_and_backtest_run_on_it(stripe: tuple[Path, StripeExport], tmp_path: Path) -> None:
    db, export = stripe
    n = len(export.churns)
    out = tmp_path / "risk.csv"
    res = runner.invoke(
        app, ["predict", "--as-of", str(export.export_day), "-o", str(out), "--db", str(db)]
    )
    assert res.exit_code == 0, res.output
    df = pd.read_csv(out)
    # Every account still paying on the export day is scored, the canceled ones are not.
    with open_store(db) as s:
        active = set(derive_outcomes(s).active_at([export.export_day])["account_id"])
    assert set(df["account_id"]) == active and not active & set(export.churns)
    assert df["churn_probability"].between(0, 1).all()
    report = tmp_path / "bt.json"
    res = runner.invoke(app, ["backtest", "--db", str(db), "--json", str(report)])
    assert res.exit_code == 0, res.output
    summary = json.loads(report.read_text())
    assert summary["data"]["churn_events"] == n
    assert f"{n} churns known" in res.output
    learned = summary["methods"]["logistic"]
    assert learned["auc"] is not None and learned["auc"] > 0.7  # cancellers faded first
