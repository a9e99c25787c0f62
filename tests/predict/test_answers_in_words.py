"""Issue 11 item 6: answers in words for CS managers.

Each test names the point it holds; each fails on the behaviour before the fix (a score
rounded up into the next band, metric ids in insights and suggested groups, a promoters
claim without advocacy data, a backtest report without its opening sentences, unreadable
histograms, predict without the account's name, segment, ARR and owner).
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from markupsafe import escape
from typer.testing import CliRunner

from healthscore.cli import app
from healthscore.predict.backtest import BacktestResult, headline, red_threshold_for
from healthscore.predict.outcomes import data_range
from healthscore.predict.report import _histogram_figure
from healthscore.predict.scorecard_bridge import band_of, default_bands
from healthscore.predict.words import (
    MANAGER_COLUMNS,
    band_notes,
    consistent_scores,
    for_managers,
    score_text,
)
from healthscore.store import open_store

runner = CliRunner()
BANDS = [("red", 0.0), ("yellow", 60.0), ("green", 80.0)]
METRIC_ID = r"\b[a-z]+_[a-z0-9_]+_\d+d\b|\b(?:usage|financial|support|events)_[a-z_]+"


# -- A displayed score never contradicts its band ------------------------------------------


def test_a_score_is_floored_into_its_band_never_rounded_up() -> None:
    assert score_text(59.83, [0, 60, 80]) == "59"  # was "60" next to "red"
    assert score_text(59.99999, [0, 60, 80]) == "59"
    assert score_text(60.0, [0, 60, 80]) == "60"
    assert score_text(79.5) == "79"
    # Thresholds with a decimal (suggested scorecards): one decimal, still floored.
    assert score_text(52.38, [0, 52.3, 71.5]) == "52.3"
    assert score_text(52.29, [0, 52.3, 71.5]) == "52.2"
    assert score_text(None) == "—" and score_text(float("nan")) == "—"


def test_one_decimal_scores_are_put_back_into_their_band() -> None:
    # predict rounds to one decimal: 59.96 (red) became 60.0, yellow's first value.
    scores = pd.Series([60.0, 60.0, 80.0, 12.3, np.nan])
    bands = pd.Series(["red", "yellow", "yellow", "red", None])
    got = consistent_scores(scores, bands, dict(BANDS))
    assert got.iloc[:4].tolist() == [59.9, 60.0, 79.9, 12.3] and np.isnan(got.iloc[4])
    assert all(band_of(s, BANDS) == b for s, b in zip(got[:4], bands[:4], strict=True))


def _snapshot_at(db: Path, score: float, band: str) -> tuple[str, str]:
    """Score the store's last day, then set one account's snapshot to `score` / `band`;
    return (account, its day)."""
    with open_store(db) as s:
        end = data_range(s)[1]
    res = runner.invoke(app, ["score", "--as-of", str(end), "--db", str(db)])
    assert res.exit_code == 0, res.output
    with open_store(db) as s:
        day, acc = s.con.execute(
            "SELECT as_of, min(account_id) FROM score_snapshots "
            "WHERE as_of = (SELECT max(as_of) FROM score_snapshots) GROUP BY as_of"
        ).fetchone()
        s.con.execute(
            "UPDATE score_snapshots SET score = ?, band = ? WHERE as_of = ? AND account_id = ?",
            [score, band, day, acc],
        )
    return str(acc), str(day)


def test_accounts_and_explain_never_show_60_red(
    demo_copy: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from healthscore.cli import _common

    # one table row per line, whatever the terminal the tests run in
    monkeypatch.setattr(_common.out, "width", 200)
    acc, _ = _snapshot_at(demo_copy, 59.83, "red")
    res = runner.invoke(
        app, ["accounts", "--band", "red", "--db", str(demo_copy), "--format", "table"]
    )
    assert res.exit_code == 0, res.output
    row = next((line for line in res.output.splitlines() if acc in line), None)
    assert row is not None, res.output
    assert " 59 " in row and " 60 " not in row
    res = runner.invoke(app, ["explain", acc, "--db", str(demo_copy)])
    assert res.exit_code == 0, res.output
    assert "score 59 red" in res.output and "60 red" not in res.output


# -- predict: who the account is, drivers in words, band and probability agree -----------


def test_band_and_probability_never_disagree_without_a_note() -> None:
    frame = pd.DataFrame(
        {
            "account_id": ["a", "b", "c"],
            "churn_probability": [0.30, 0.01, 0.02],
            "health_score": [85.0, 45.0, 70.0],
            "band": ["green", "red", "yellow"],
            "score_source": ["scorecard", "scorecard", "model"],
        }
    )
    base = 0.05
    own = 100 * np.power(0.7, frame["churn_probability"] / base)  # api.model_health
    notes = band_notes(frame, own, base, BANDS)
    assert "6.0x the average risk" in notes[0] and "alone would be red" in notes[0]
    assert "check its drivers" in notes[0]  # the model sees more risk than the band
    assert "alone would be green" in notes[1] and "check" not in notes[1]
    assert notes[2] == ""  # the model's own band: nothing to explain


def test_for_managers_puts_who_the_account_is_first() -> None:
    frame = pd.DataFrame(
        {
            "account_id": ["a", "b"],
            "churn_probability": [0.2, 0.01],
            "health_score": [60.0, 90.0],
            "band": ["red", "green"],
            "score_source": ["scorecard", "scorecard"],
            "risk_in_words": ["Logins per week, last 28 days fell from 9 to 2", ""],
            "mrr": [100.0, 0.0],
        }
    )
    accounts = pd.DataFrame(
        {
            "account_id": ["a", "b"],
            "name": ["Acme", "Globex"],
            "segment": ["smb", "enterprise"],
            "owner": ["Maya", None],
            "arr": [999.0, 24000.0],
        }
    )
    out = for_managers(frame, accounts, BANDS, 0.05, [30.0, 95.0])
    assert list(out.columns[: len(MANAGER_COLUMNS)]) == MANAGER_COLUMNS
    assert out["name"].tolist() == ["Acme", "Globex"]
    assert out["arr"].tolist() == [1200.0, 24000.0]  # billed MRR x 12, else the CRM's ARR
    assert out["health_score"].tolist() == [59.9, 90.0]
    assert out["band_note"].iloc[0] == "" and out["band_note"].iloc[1] == ""


def test_predict_cli_speaks_to_managers(demo_path: Path, tmp_path: Path) -> None:
    out = tmp_path / "risk.csv"
    res = runner.invoke(
        app, ["predict", "--as-of", "2026-10-31", "-o", str(out), "--db", str(demo_path)]
    )
    assert res.exit_code == 0, res.output
    df = pd.read_csv(out, keep_default_na=False, na_values=[""])
    assert list(df.columns[:8]) == MANAGER_COLUMNS[:8]
    assert df["name"].notna().all() and df["segment"].notna().all()
    assert df["owner"].notna().mean() > 0.9 and (df["arr"] > 0).mean() > 0.9
    # Drivers in words, never metric ids.
    words = df["risk_in_words"].fillna("")
    assert (words.str.len() > 0).mean() > 0.5
    assert not words.str.contains(METRIC_ID, regex=True).any()
    # Each displayed score lies in its band; where the model alone would band an account
    # otherwise, the row says why.
    bands = default_bands(None)
    assert all(band_of(s, bands) == b for s, b in zip(df["health_score"], df["band"], strict=True))
    noted = df[df["band_note"].fillna("") != ""]
    assert noted["band_note"].str.contains("x the average risk").all()


# -- insights and scorecard suggest use labels ----------------------------------------------


def test_insights_name_metrics_by_their_labels(demo_path: Path) -> None:
    res = runner.invoke(app, ["insights", "--db", str(demo_path)])
    assert res.exit_code == 0, res.output
    lines = [x for x in res.output.splitlines() if x.startswith("  ")]
    assert lines and not any(re.search(METRIC_ID, x) for x in lines)
    assert "last 7 days" in res.output or "last 28 days" in res.output


def test_insights_do_not_claim_promoters_never_referred_without_advocacy_data(
    demo_copy: Path,
) -> None:
    with open_store(demo_copy) as s:
        s.con.execute("DELETE FROM advocacy")
    res = runner.invoke(app, ["insights", "--db", str(demo_copy)])
    assert res.exit_code == 0, res.output
    assert "never referred" not in res.output
    assert "no advocacy data" in res.output and "unknown" in res.output


def test_suggested_groups_have_readable_names(demo_path: Path) -> None:
    from healthscore.predict.suggest import suggest_scorecard
    from healthscore.scoring import parse_scorecard

    with open_store(demo_path) as s:
        text, _ = suggest_scorecard(s)
    card = parse_scorecard(text, "<suggested>")
    for g in card.groups:
        # "Usage: Logins per week, last 28 days (and 2 related)"; event types keep their names.
        assert ":" in g.name and not re.search(METRIC_ID, g.name), g.name
        for m in g.measures:
            assert m.name and not re.search(METRIC_ID, m.name), m.name


# -- the backtest report opens with what to do ---------------------------------------------


def test_red_threshold_for_a_weekly_capacity() -> None:
    # Four weeks of 100 accounts scored 0..99: a threshold T puts T accounts a week in red.
    score = np.tile(np.arange(100, dtype=float), 4)
    dates = np.repeat(np.array(["w1", "w2", "w3", "w4"]), 100)
    assert red_threshold_for(score, dates, 25) == 25.0
    assert red_threshold_for(score, dates, 0) is None


def _toy_result(capacity: int = 5) -> BacktestResult:
    """A backtest of 4 weeks x 50 accounts where low scores churn more often."""
    rng = np.random.default_rng(0)
    n = 200
    score = rng.uniform(20, 100, n)
    y = (rng.uniform(0, 1, n) < (100 - score) / 150).astype(int)
    pred = pd.DataFrame(
        {
            "as_of": np.repeat(pd.date_range("2026-01-05", periods=4, freq="7D").date, 50),
            "account_id": [f"a{i % 50}" for i in range(n)],
            "y": y,
            "scorecard_score": score,
            "risk_scorecard": 100 - score,
            "risk_baseline": rng.uniform(0, 30, n),
            "risk_logistic": (100 - score) / 100,
        }
    )
    red = score < 60
    methods = {
        "scorecard": {"label": "configured scorecard", "auc": 0.7, "red_recall": 0.8,
                      "over_servicing_rate": 0.6, "red_share": float(red.mean()),
                      "precision_at_capacity": 0.5},
        "baseline": {"label": "days since last activity", "auc": 0.5, "red_recall": 0.1,
                     "over_servicing_rate": 0.9, "red_share": 0.1, "precision_at_capacity": 0.1},
        "logistic": {"label": "learned logistic model", "auc": 0.72, "red_recall": 0.5,
                     "over_servicing_rate": 0.5, "red_share": 0.1, "precision_at_capacity": 0.5},
    }  # fmt: skip
    summary = {"methods": methods, "capacity": capacity, "horizon_days": 30}
    return BacktestResult(summary, pred)


def test_the_report_opens_with_what_it_catches_costs_and_what_to_change() -> None:
    res = _toy_result(capacity=5)
    lines = headline(res.summary, res.predictions)
    assert 2 <= len(lines) <= 3
    assert "catches 80 %" in lines[0] and "30 days" in lines[0]
    assert "60 % of them were false alarms" in lines[1]
    # 20 red accounts a week against a capacity of 5: lower red until 5 a week are red.
    score = res.predictions["scorecard_score"].to_numpy()
    t = red_threshold_for(score, res.predictions["as_of"].astype(str).to_numpy(), 5)
    assert lines[2].startswith(f"Lower red to {t:.0f} (now 60) to work 5 accounts a week")
    assert "still catch" in lines[2]


def test_report_html_opens_with_the_headline(demo_path: Path, tmp_path: Path) -> None:
    h, j = tmp_path / "bt.html", tmp_path / "bt.json"
    res = runner.invoke(
        app, ["backtest", "--html", str(h), "--json", str(j), "--db", str(demo_path)]
    )
    assert res.exit_code == 0, res.output
    import json

    s = json.loads(j.read_text())
    assert 2 <= len(s["headline"]) <= 3
    html = h.read_text()
    first = html.index(s["headline"][0])
    assert first < html.index(escape(s["verdict"])) and first < html.index("<h2>")
    # The terminal opens with the same sentences, then how many churns it knew.
    assert res.output.startswith(s["headline"][0])
    assert f"{s['data']['churn_events']} churns known" in res.output
    # The self-choosing model says which model it chose and why, per cut-off.
    assert "auto" in s["methods"]
    assert all(f.get("model_choice", {}).get("reason") for f in s["folds"])
    assert "model chosen at cut-off" in res.output


def test_histograms_are_readable() -> None:
    res = _toy_result()
    fig = _histogram_figure(res)
    axes = [ax for ax in fig.axes if ax.get_visible()]
    assert len(axes) == len(res.summary["methods"])
    # Each method in its own unit, with the share of each class (not a density) up the side.
    xl = [ax.get_xlabel() for ax in axes]
    assert xl[0].startswith("health score") and xl[1].startswith("days since last activity")
    assert xl[2].startswith("churn probability (%)")
    for ax in axes:
        assert ax.get_ylabel() == "% of observations"
        for patch in ax.patches:  # a step histogram per class sums to 100 %
            heights = patch.get_path().vertices[:, 1]
            assert heights.max() <= 100
        assert {t.get_text().split(" (")[0] for t in ax.get_legend().get_texts()} == {
            "retained",
            "churned",
        }
    # Wide enough to read: at least 5 inches a panel, at most two panels a row.
    w, _ = fig.get_size_inches()
    assert w / min(2, len(axes)) >= 5


def test_insights_do_not_claim_never_referred_when_no_referral_is_recorded(
    demo_copy: Path,
) -> None:
    with open_store(demo_copy) as s:
        s.con.execute("UPDATE advocacy SET kind = 'review' WHERE kind = 'referral'")
    res = runner.invoke(app, ["insights", "--db", str(demo_copy)])
    assert res.exit_code == 0, res.output
    assert "never referred" not in res.output
    assert "no referral is recorded" in res.output
