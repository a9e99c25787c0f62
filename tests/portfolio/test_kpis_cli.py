"""`healthscore kpis` end to end through the CLI runner, on a real DuckDB file."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

from typer.testing import CliRunner, Result

from healthscore.cli import app

runner = CliRunner()


def _run(path: Path, *args: str) -> Result:
    return runner.invoke(app, ["kpis", "--db", str(path), *args])


def test_json_is_one_document_with_the_hand_computed_figures(tiny_path: Path) -> None:
    res = _run(tiny_path, "--from", "2026-02-01", "--to", "2026-03-31", "--format", "json")
    assert res.exit_code == 0, res.output
    doc = json.loads(res.stdout)
    feb = doc["rows"][0]
    assert (feb["period"], feb["status"], feb["churned"], feb["accounts_start"]) == (
        "2026-02", "final", 1, 5,
    )  # fmt: skip
    assert abs(feb["grr"] - 1300 / 1700) < 1e-12
    assert doc["rows"][1]["status"] == "provisional"
    assert doc["churn_known_until"] == "2026-03-18"


def test_csv_by_segment_to_a_file(tiny_path: Path, tmp_path: Path) -> None:
    out = tmp_path / "kpis.csv"
    res = _run(
        tiny_path, "--from", "2026-02-01", "--to", "2026-02-28", "--by", "segment",
        "--format", "csv", "--output", str(out),
    )  # fmt: skip
    assert res.exit_code == 0, res.output
    rows = list(csv.DictReader(io.StringIO(out.read_text())))
    assert [r["group"] for r in rows] == ["all", "ent", "smb"]
    smb = rows[2]
    assert float(smb["churn_rate"]) == 1 / 3
    assert "nps_vs_year: the earlier period is outside the data" in smb["no_data"]


def test_table_quarters_and_segment(tiny_path: Path) -> None:
    res = _run(tiny_path, "--period", "quarter", "--segment", "ent", "--from", "2026-01-01")
    assert res.exit_code == 0, res.output
    assert "Portfolio KPIs per quarter" in res.stdout
    res = _run(tiny_path, "--period", "quarter", "--segment", "ent", "-f", "json")
    doc = json.loads(res.stdout)
    q1 = doc["rows"][-1]
    # D and H open the quarter (2025-12-31) at 1000 + 300; D ends it at 800.
    assert (q1["period"], q1["status"], q1["accounts_start"]) == ("2026-Q1", "provisional", 2)
    assert abs(q1["grr"] - 1100 / 1300) < 1e-12


def test_html_report_embeds_its_charts(tiny_path: Path, tmp_path: Path) -> None:
    out = tmp_path / "kpis.html"
    res = _run(tiny_path, "--from", "2025-11-01", "--format", "html", "--output", str(out))
    assert res.exit_code == 0, res.output
    page = out.read_text()
    assert page.count("data:image/png;base64,") >= 5
    assert "Retention waterfall, 2026-02" in page
    assert "<script" not in page and "http" not in page


def test_refusals(tiny_path: Path) -> None:
    res = _run(tiny_path, "--from", "2026-06-01")
    assert res.exit_code == 1
    assert "after the newest data (2026-03-31)" in str(res.exception)
    res = _run(tiny_path, "--segment", "mid-market")
    assert res.exit_code == 1 and "the segments are: ent, smb" in str(res.exception)
    res = _run(tiny_path, "--format", "table", "--output", "x.txt")
    assert res.exit_code == 2 and "a table is for the terminal" in res.output
    res = _run(tiny_path, "--from", "2026-13-01")
    assert res.exit_code == 2 and "YYYY-MM-DD" in res.output
