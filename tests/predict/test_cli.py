"""End to end through `healthscore.cli.app`: predict, backtest, refusals and fallback."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from healthscore.cli import app
from healthscore.demo.build import build_demo
from healthscore.errors import NotEnoughData
from healthscore.ingest.frames import load_frames
from healthscore.predict.api import COLUMNS
from healthscore.predict.outcomes import data_range
from healthscore.predict.words import MANAGER_COLUMNS
from healthscore.store import open_store

runner = CliRunner()


def _end(path: Path) -> dt.date:
    with open_store(path) as s:
        return data_range(s)[1]


def _wild_future(path: Path, after: dt.date) -> None:
    """Append absurd rows dated after `after`: new churn, renewals, bursts of events."""
    with open_store(path) as s:
        accts = [
            r[0]
            for r in s.con.execute(
                "SELECT account_id FROM accounts ORDER BY account_id LIMIT 40"
            ).fetchall()
        ]
        t0 = pd.Timestamp(after) + pd.Timedelta(days=1)
        events = pd.DataFrame(
            {
                "account_id": [a for a in accts for _ in range(30)],
                "event_time": [t0 + pd.Timedelta(hours=5 * i) for _ in accts for i in range(30)],
                "event_type": "wild_future_event",
            }
        )
        subs = pd.DataFrame(
            {
                "subscription_id": [f"wild-{a}" for a in accts],
                "account_id": accts,
                "product": "wild",
                "start_date": (t0 + pd.Timedelta(days=3)).date(),
                "end_date": (t0 + pd.Timedelta(days=10)).date(),
                "mrr": 1e6,
            }
        )
        load_frames(s, {"events": events, "subscriptions": subs})


def test_predict_end_to_end_and_ignores_later_data(demo_copy: Path, tmp_path: Path) -> None:
    end = _end(demo_copy)
    first, second = tmp_path / "p1.csv", tmp_path / "p2.csv"
    args = ["predict", "--as-of", str(end), "--db", str(demo_copy)]
    res = runner.invoke(app, [*args, "--output", str(first)])
    assert res.exit_code == 0, res.output
    df = pd.read_csv(first)
    assert set(COLUMNS) <= set(df.columns)
    assert list(df.columns[: len(MANAGER_COLUMNS)]) == MANAGER_COLUMNS
    assert df["account_id"].is_unique and len(df) > 50
    assert df["churn_probability"].between(0, 1).all()
    assert set(df["band"]) <= {"red", "yellow", "green"}
    assert set(df["score_source"]) <= {"scorecard", "model"}
    _wild_future(demo_copy, end)
    res = runner.invoke(app, [*args, "--output", str(second)])
    assert res.exit_code == 0, res.output
    pd.testing.assert_frame_equal(df, pd.read_csv(second))
    # --gross-margin scales each account's CLTV and nothing else.
    third = tmp_path / "p3.csv"
    res = runner.invoke(app, [*args, "--output", str(third), "--gross-margin", "0.25"])
    assert res.exit_code == 0, res.output
    margin = pd.read_csv(third)
    assert margin["cltv"].notna().sum() > 50
    np.testing.assert_allclose(margin["cltv"], 0.25 * df["cltv"], atol=0.005)  # cents
    pd.testing.assert_frame_equal(margin.drop(columns="cltv"), df.drop(columns="cltv"))
    res = runner.invoke(app, [*args, "--output", str(third), "--gross-margin", "0"])
    assert res.exit_code == 2 and "--gross-margin" in res.output


def test_predict_refuses_dates_outside_the_data(  # type: ignore[no-untyped-def]
    demo_path: Path, tmp_path: Path, cli_failure
) -> None:
    res_args = [
        "predict",
        "--as-of",
        "1990-01-01",
        "--output",
        str(tmp_path / "x.csv"),
        "--db",
        str(demo_path),
    ]
    res = runner.invoke(app, res_args)
    assert isinstance(res.exception, NotEnoughData)
    failed = cli_failure(*res_args)
    assert failed.exit_code == 1
    assert failed.message == str(res.exception)
    assert "outside the data's range" in failed.message
    assert not (tmp_path / "x.csv").exists()


def test_not_enough_outcomes_falls_back_to_the_scorecard(tmp_path: Path) -> None:
    db = tmp_path / "tiny.duckdb"
    with open_store(db) as s:
        build_demo(s, seed=5, n_accounts=30, months=4)
    end = _end(db)
    out = tmp_path / "p.csv"
    res = runner.invoke(
        app, ["predict", "--as-of", str(end), "--output", str(out), "--db", str(db)]
    )
    assert res.exit_code == 0, res.output
    assert "churned observations" in res.output and "falling back" in res.output
    df = pd.read_csv(out)
    assert (df["score_source"] == "scorecard").all()
    assert df["churn_probability"].isna().all()


def test_backtest_json_and_html(demo_path: Path, tmp_path: Path) -> None:
    j, h = tmp_path / "bt.json", tmp_path / "bt.html"
    res = runner.invoke(
        app,
        [
            "backtest",
            "--json",
            str(j),
            "--html",
            str(h),
            "--capacity",
            "10",
            "--db",
            str(demo_path),
        ],
    )
    assert res.exit_code == 0, res.output
    s = json.loads(j.read_text())
    for key in (
        "methods",
        "folds",
        "verdict",
        "horizon_days",
        "capacity",
        "red_share",
        "red_definition",
        "survival",
        "expansion",
        "scorecard",
        "data",
    ):
        assert key in s, key
    assert {"baseline", "logistic", "gbt"} <= set(s["methods"])
    for m in s["methods"].values():
        for key in (
            "auc",
            "top_decile_lift",
            "red_recall",
            "red_precision",
            "over_servicing_rate",
            "precision_at_capacity",
            "brier",
            "reliability",
            "lead_time",
            "per_fold_auc",
        ):
            assert key in m, key
    assert s["methods"]["logistic"]["reliability"]
    # No fold trains on an observation whose outcome was unknown at its cut-off.
    for fold in s["folds"]:
        assert fold["train_rows"] > 0 and fold["test_rows"] > 0
    html = h.read_text()
    assert html.count("data:image/png;base64,") == 4
    assert s["verdict"] in html or s["verdict"].split(";")[0] in html


@pytest.mark.parametrize("horizon", [30])
def test_time_split_never_trains_on_unresolved_labels(demo_path: Path, horizon: int) -> None:
    import healthscore.predict.backtest as bt
    from healthscore.predict.dataset import build_panel, observation_dates
    from healthscore.predict.outcomes import derive_outcomes

    with open_store(demo_path) as s:
        full = derive_outcomes(s)
        panel = build_panel(s, full, observation_dates(full.observation_start, full.data_end))
        cutoffs = bt.choose_cutoffs(
            s, panel, full, horizon_days=horizon, grace_days=7, n_folds=3, min_outcomes=30
        )
        for c in cutoffs:
            oc = derive_outcomes(s, as_of=c)
            tr = bt._train_mask(panel, oc, c, horizon)
            last = max(panel.frame.loc[tr, "as_of"])
            assert last + dt.timedelta(days=horizon) <= oc.known_until < c
            assert (oc.events["date"] <= c).all()


def test_suggested_scorecard_is_valid_and_learned(demo_path: Path) -> None:
    from healthscore.predict.suggest import suggest_scorecard
    from healthscore.scoring import parse_scorecard

    with open_store(demo_path) as s:
        text, model = suggest_scorecard(s)
    card = parse_scorecard(text, "<suggested>")
    assert card.groups and abs(sum(g.weight for g in card.groups) - 100) < 5
    mins = [b.min for b in card.bands]
    assert mins[0] == 0 and mins == sorted(mins)
    # Every measure's direction agrees with the sign the model learned for its group.
    for g in card.groups:
        metrics = {m.metric for m in g.measures}
        key = next(k for k, members in model.groups.items() if metrics <= set(members))
        for m in g.measures:
            risk_up = model.coef_[key] * model.grouper_.signs_[key][m.metric]
            assert (m.direction == "lower_is_better") == (risk_up > 0)


def test_insights_sections(demo_path: Path, tmp_path: Path) -> None:
    html = tmp_path / "insights.html"
    res = runner.invoke(app, ["insights", "--html", str(html), "--db", str(demo_path)])
    assert res.exit_code == 0, res.output
    text = html.read_text()
    for title in (
        "Churn rate by metric cohort",
        "Time to first value",
        "NPS vs actual advocacy",
        "CSM touch cadence",
    ):
        assert title in text
    assert "churn % by decile" in res.output


def test_insights_say_what_is_missing(tmp_path: Path, subs_store) -> None:
    from healthscore.predict.insights import compute_insights as insights

    rows = [(f"a{i}", dt.date(2024, 1, 1), dt.date(2024, 3, 1), 10.0) for i in range(5)]
    with subs_store(tmp_path / "m.duckdb", rows, dt.date(2024, 6, 1)) as s:
        res = insights(s)
    assert res["nps_vs_advocacy"] == {
        "available": False,
        "reason": "the store holds no NPS responses",
    }
    assert "no CSM interactions" in res["csm_touch_cadence"]["reason"]
    assert "feature catalogue" in res["time_to_first_value"]["reason"]


def test_no_model_and_no_scorecard_score_is_an_error(  # type: ignore[no-untyped-def]
    tmp_path: Path, subs_store, cli_failure
) -> None:
    from healthscore.errors import NotEnoughOutcomes

    rows = [(f"a{i}", dt.date(2024, 1, 1), dt.date(2024, 9, 1), 10.0) for i in range(8)]
    subs_store(tmp_path / "few.duckdb", rows, dt.date(2024, 6, 1)).close()
    out = tmp_path / "p.csv"
    res_args = [
        "predict",
        "--as-of",
        "2024-06-01",
        "--output",
        str(out),
        "--db",
        str(tmp_path / "few.duckdb"),
    ]
    res = runner.invoke(app, res_args)
    assert isinstance(res.exception, NotEnoughOutcomes)
    failed = cli_failure(*res_args)
    assert failed.exit_code == 1 and failed.message == str(res.exception)
    assert "scored none" in failed.message and not out.exists()
