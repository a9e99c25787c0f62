"""CLI conventions, through the real CLI on a real demo store.

Every listing takes --format table|csv|json and each machine format is exactly one
document; `--output -` writes to standard output; dates and choices are typed options;
`metrics list` lists the catalogue.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pytest
import yaml
from typer.testing import CliRunner, Result

from healthscore.cli import app
from healthscore.errors import NotEnoughData
from healthscore.metrics import metric_catalog
from healthscore.predict.api import COLUMNS
from healthscore.scoring import DEFAULT_SCORECARD, parse_scorecard
from healthscore.store import open_store

runner = CliRunner()
ENV = {"COLUMNS": "200", "HEALTHSCORE_DB": None}


def invoke(*args: str) -> Result:
    return runner.invoke(app, list(args), env=ENV)  # type: ignore[arg-type]


def ok(*args: str) -> Result:
    result = invoke(*args)
    assert result.exit_code == 0, (result.output, result.exception)
    return result


def one_csv(text: str) -> list[dict[str, str]]:
    """`text` is one CSV table: a header, then rows of its width, no blank or repeated header."""
    rows = list(csv.reader(io.StringIO(text)))
    assert rows, "no CSV at all"
    header = rows[0]
    assert len(set(header)) == len(header), f"repeated column in {header}"
    assert all(len(r) == len(header) for r in rows), "rows of another width: a second table?"
    assert header not in rows[1:], "the header comes twice: two tables"
    return [dict(zip(header, r, strict=True)) for r in rows[1:]]


def one_json(text: str) -> object:
    """`text` is one JSON value (json.loads refuses trailing documents)."""
    return json.loads(text)


def _account(db: Path) -> str:
    rows = json.loads(ok("accounts", "--db", str(db), "-f", "json", "--limit", "1").stdout)
    return str(rows[0]["account_id"])


# Each listing command: a builder of its arguments for a store, and a check of its CSV rows.
LISTINGS: dict[str, Callable[[Path], list[str]]] = {
    "status": lambda db: ["status", "--db", str(db)],
    "accounts": lambda db: ["accounts", "--db", str(db)],
    "explain": lambda db: ["explain", _account(db), "--db", str(db)],
    "scorecard check": lambda db: ["scorecard", "check", str(DEFAULT_SCORECARD), "--db", str(db)],
    "scorecard preview": lambda db: [
        "scorecard",
        "preview",
        str(DEFAULT_SCORECARD),
        "--db",
        str(db),
    ],
    "metrics list": lambda db: ["metrics", "list", "--db", str(db)],
}


@pytest.mark.parametrize("name", sorted(LISTINGS))
def test_each_listing_is_one_document_in_csv_and_json(name: str, demo_db: Path) -> None:
    args = LISTINGS[name](demo_db)
    rows = one_csv(ok(*args, "--format", "csv").stdout)
    doc = one_json(ok(*args, "--format", "json").stdout)
    table = ok(*args, "--format", "table").stdout
    assert table.strip()
    if name == "status":
        assert {r["kind"] for r in rows} >= {"accounts", "events", "subscriptions"}
        assert isinstance(doc, dict) and [k["kind"] for k in doc["kinds"]] == [
            r["kind"] for r in rows
        ]
        # Quarantine and imports are in the JSON, not a second CSV table.
        assert {"quarantine", "imports"} <= set(doc)
    elif name == "accounts":
        assert isinstance(doc, list) and len(doc) == len(rows) == 118
        assert [r["account_id"] for r in rows] == [d["account_id"] for d in doc]
    elif name == "explain":
        assert isinstance(doc, dict)
        measures = [m for g in doc["groups"] for m in g["measures"]]
        assert len(rows) == len(measures) and {r["group"] for r in rows} == {
            g["group"] for g in doc["groups"]
        }
    elif name == "scorecard check":
        assert isinstance(doc, dict)
        assert [r["group"] for r in rows] == [g["group"] for g in doc["groups"]]
        assert sum(float(r["weight"]) for r in rows) == pytest.approx(100)
        assert "all metrics found" in doc["metrics_checked"]
    elif name == "scorecard preview":
        # The shipped card against its own history: nothing moves.
        assert rows == [] and isinstance(doc, dict) and doc["band_moves"] == []
    elif name == "metrics list":
        assert isinstance(doc, list) and len(doc) == len(rows) > 50


def test_score_prints_one_row_in_csv_and_notes_go_to_stderr(demo_copy: Path) -> None:
    rows = one_csv(ok("score", "--as-of", "2026-10-31", "--db", str(demo_copy), "-f", "csv").stdout)
    assert len(rows) == 1
    (row,) = rows
    # The seed-3 demo's active accounts on its last day (its simulated team saves some).
    assert row["last_date"] == "2026-10-31" and int(row["accounts_scored"]) == 127
    assert sum(int(row[f"band_{b}"]) for b in ("red", "yellow", "green")) == 127
    doc = one_json(
        ok("score", "--as-of", "2026-10-31", "--db", str(demo_copy), "-f", "json").stdout
    )
    assert isinstance(doc, dict) and doc["bands"] == {
        b: int(row[f"band_{b}"]) for b in ("red", "yellow", "green")
    }


def test_demo_json_is_one_document_with_the_scored_history(tmp_path: Path) -> None:
    db = tmp_path / "tiny.duckdb"
    result = ok(
        "demo", "--accounts", "30", "--months", "4", "--db", str(db), "-f", "json", "--no-serve"
    )
    doc = one_json(result.stdout)
    assert isinstance(doc, dict)
    assert doc["summary"]["accounts"] == 30
    with open_store(db) as s:
        dates = s.con.execute("SELECT count(DISTINCT as_of) FROM score_snapshots").fetchone()
        example = s.con.execute(
            "SELECT count(*) FROM accounts WHERE account_id = ?", [doc["example_account"]]
        ).fetchone()
    assert dates is not None and dates[0] == len(doc["scored"]["dates"]) == 27
    assert example == (1,)
    csv_rows = one_csv(
        ok(
            "demo",
            "--accounts",
            "30",
            "--months",
            "4",
            "--db",
            str(db),
            "--force",
            "-f",
            "csv",
            "--no-serve",
        ).stdout
    )
    assert csv_rows[-1]["segment"] == "total" and int(csv_rows[-1]["accounts"]) == 30


def test_demo_refuses_a_store_with_data_naming_the_options(demo_db: Path) -> None:
    result = invoke("demo", "--db", str(demo_db), "--no-serve")
    assert result.exit_code == 1
    assert "already holds data" in str(result.exception)
    assert "--force" in str(result.exception) and "--db" in str(result.exception)


@pytest.mark.slow
def test_backtest_csv_is_one_row_per_method_and_json_the_summary(demo_db: Path) -> None:
    rows = one_csv(ok("backtest", "--db", str(demo_db), "-f", "csv").stdout)
    doc = one_json(ok("backtest", "--db", str(demo_db), "--json", "-").stdout)
    assert isinstance(doc, dict)
    assert [r["method"] for r in rows] == list(doc["methods"])
    for r in rows:
        auc = doc["methods"][r["method"]]["auc"]
        assert (r["auc"] == "" and auc is None) or float(r["auc"]) == pytest.approx(auc)
        assert auc is None or 0.5 < auc <= 1.0  # every method ranks churners better than chance


@pytest.mark.slow
def test_insights_csv_is_one_key_value_table_of_the_json(demo_db: Path) -> None:
    rows = one_csv(ok("insights", "--db", str(demo_db), "-f", "csv").stdout)
    doc = one_json(ok("insights", "--db", str(demo_db), "-f", "json").stdout)
    assert isinstance(doc, dict)
    assert list(rows[0]) == ["key", "value"]
    flat = {r["key"]: r["value"] for r in rows}
    assert flat["horizon_days"] == "30" == str(doc["horizon_days"])
    nps = doc["nps_vs_advocacy"]
    assert flat["nps_vs_advocacy.available"] == str(nps["available"])
    assert len(flat) == len(rows)  # keys are unique paths


# -- --output - -------------------------------------------------------------------------


def test_predict_output_dash_writes_csv_or_json_to_stdout(demo_db: Path, tmp_path: Path) -> None:
    res = ok("predict", "--as-of", "2026-09-30", "--output", "-", "--db", str(demo_db))
    frame = pd.read_csv(io.StringIO(res.stdout))
    assert set(COLUMNS) <= set(frame.columns) and len(frame) > 100
    assert frame["churn_probability"].between(0, 1).all()
    assert "wrote" in res.stderr and "wrote" not in res.stdout
    js = ok("predict", "--as-of", "2026-09-30", "-o", "-", "-f", "json", "--db", str(demo_db))
    doc = one_json(js.stdout)
    assert isinstance(doc, list) and [d["account_id"] for d in doc] == list(frame["account_id"])
    # The same as a file.
    out = tmp_path / "p.csv"
    ok("predict", "--as-of", "2026-09-30", "--output", str(out), "--db", str(demo_db))
    pd.testing.assert_frame_equal(pd.read_csv(out), frame)


def test_template_output_dash_is_the_yaml_alone(demo_db: Path, tmp_path: Path) -> None:
    res = ok("scorecard", "template", "--output", "-", "--db", str(demo_db))
    card = parse_scorecard(res.stdout, "<stdout>")
    assert card.groups and not (tmp_path / "-").exists()
    assert "wrote" not in res.stdout


@pytest.mark.slow
def test_suggest_output_dash_is_the_yaml_and_figures_go_to_stderr(demo_db: Path) -> None:
    res = ok("scorecard", "suggest", "--output", "-", "--db", str(demo_db))
    card = parse_scorecard(res.stdout, "<stdout>")  # stdout holds the scorecard only
    assert yaml.safe_load(res.stdout)["name"] == "suggested by healthscore predict"
    assert card.groups and abs(sum(g.weight for g in card.groups) - 100) < 5
    assert "current" in res.stderr and "suggested" in res.stderr and "AUC" in res.stderr


def test_a_file_output_is_not_overwritten_without_force(demo_db: Path, tmp_path: Path) -> None:
    target = tmp_path / "usage.yaml"
    target.write_text("mine")
    result = invoke("scorecard", "template", "--output", str(target), "--db", str(demo_db))
    assert result.exit_code == 1 and "--force" in str(result.exception)
    assert target.read_text() == "mine"


# -- typed options ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "args",
    [
        ["accounts", "--as-of", "2026-13-01"],
        ["explain", "ACC-1", "--as-of", "yesterday"],
        ["score", "--backfill", "2026-01-01", "soon"],
        ["predict", "--as-of", "31/10/2026", "--output", "-"],
        ["scorecard", "preview", str(DEFAULT_SCORECARD), "--since", "2026-1-1x"],
    ],
)
def test_a_bad_date_is_a_usage_error_that_shows_the_form(args: list[str], tmp_path: Path) -> None:
    result = invoke(*args, "--db", str(tmp_path / "none.duckdb"))
    assert result.exit_code == 2, result.output
    assert "is not a date; write it as YYYY-MM-DD" in result.output
    assert not (tmp_path / "none.duckdb").exists()  # refused before the store was touched


@pytest.mark.parametrize(
    ("args", "choices"),
    [
        (["predict", "--as-of", "2026-09-30", "-o", "-", "--model", "forest"], "ensemble"),
        (["accounts", "--sort", "size"], "renewal"),
        (["metrics", "list", "--group", "money"], "financial"),
        (["status", "--format", "xml"], "csv"),
    ],
)
def test_a_bad_choice_is_a_usage_error_listing_the_choices(
    args: list[str], choices: str, tmp_path: Path
) -> None:
    result = invoke(*args, "--db", str(tmp_path / "none.duckdb"))
    assert result.exit_code == 2, result.output
    assert choices in result.output


def test_core_messages_name_no_flag_and_the_cli_adds_it(demo_db: Path) -> None:
    from healthscore import api

    with pytest.raises(NotEnoughData) as core:
        api.predict(demo_db, "1990-01-01")
    assert "outside the data's range" in str(core.value) and "--" not in str(core.value)
    result = invoke("predict", "--as-of", "1990-01-01", "-o", "-", "--db", str(demo_db))
    assert isinstance(result.exception, NotEnoughData)
    assert str(result.exception).startswith("--as-of: ")


# -- metrics list -----------------------------------------------------------------------


def test_metrics_list_is_the_store_catalogue(demo_db: Path) -> None:
    rows = one_csv(ok("metrics", "list", "--db", str(demo_db), "-f", "csv").stdout)
    assert list(rows[0]) == ["name", "group", "label", "unit", "direction", "description"]
    with open_store(demo_db) as s:
        infos = {i.name: i for i in metric_catalog(s.ibis())}
    assert [r["name"] for r in rows] == list(infos)
    for r in rows:
        info = infos[r["name"]]
        assert r["group"] == info.group and r["unit"] == info.unit
        assert r["direction"] == (info.direction or "") and r["description"] == info.description
        assert r["label"] == (getattr(info, "label", None) or info.name)
    # Per-event-type metrics of this store's event types are in it.
    assert any(r["name"].startswith("events_") for r in rows)


def test_metrics_list_group_filter(demo_db: Path) -> None:
    doc = one_json(
        ok("metrics", "list", "-g", "support", "--db", str(demo_db), "-f", "json").stdout
    )
    assert isinstance(doc, list) and doc
    assert {m["group"] for m in doc} == {"support"}
    assert "support_open_tickets" in {m["name"] for m in doc}
    table = ok("metrics", "list", "--group", "support", "--db", str(demo_db)).stdout
    assert table.startswith(f"{len(doc)} metrics")  # the table lists the same ones
