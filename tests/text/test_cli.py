"""`healthscore text analyze | run` and `healthscore feedback` through the real CLI."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

from typer.testing import CliRunner, Result

from healthscore.cli import app
from healthscore.errors import HealthscoreError
from healthscore.store.db import Store

runner = CliRunner()
ENV = {"COLUMNS": "200", "HEALTHSCORE_DB": None}


def invoke(*args: str, stdin: str | bytes | None = None) -> Result:
    return runner.invoke(app, list(args), input=stdin, env=ENV)  # type: ignore[arg-type]


def ok(*args: str, stdin: str | bytes | None = None) -> Result:
    r = invoke(*args, stdin=stdin)
    assert r.exit_code == 0, (r.output, r.exception)
    return r


INPUT = (
    '{"id": 1, "text": "We will not renew, the reports keep failing.", "team": "emea"}\n'
    "It just works, thanks!\n"
    "\n"
    '{"id": 2}\n'
    "Das Produkt ist gut.\n"
)


def test_analyze_jsonl_passes_fields_through() -> None:
    lines = ok("text", "analyze", "-", stdin=INPUT).stdout.splitlines()
    rows = [json.loads(x) for x in lines]
    assert len(rows) == 4
    assert rows[0]["id"] == 1 and rows[0]["team"] == "emea"
    assert rows[0]["sentiment"] == "negative" and rows[0]["cancellation_intent"] is True
    assert "not renew" in rows[0]["evidence"]
    assert rows[1] | {"sentiment": "positive"} == rows[1] and rows[1]["text"].startswith("It just")
    assert rows[2]["sentiment"] == "unknown" and rows[2]["reason"] == "empty text"
    assert rows[3]["language"] == "de" and rows[3]["sentiment"] == "unknown"


def test_analyze_csv_and_table(tmp_path: Path) -> None:
    f = tmp_path / "in.txt"
    f.write_bytes(b"Support was slow.\nGreat, another outage.\n\xff\xfe broken bytes but fine\n")
    rows = list(csv.DictReader(io.StringIO(ok("text", "analyze", str(f), "-f", "csv").stdout)))
    assert [r["sentiment"] for r in rows[:2]] == ["negative", "negative"]
    assert len(rows) == 3
    table = ok("text", "analyze", str(f), "-f", "table").stdout
    assert "Support" in table and "negative" in table


def test_analyze_uses_the_stores_catalogue(text_store: Store) -> None:
    db = str(text_store.path)
    text_store.close()
    line = '{"text": "The API times out on every dashboard"}\n'
    plain = json.loads(ok("text", "analyze", stdin=line).stdout)
    assert plain["features"] == []
    tagged = json.loads(ok("text", "analyze", "--db", db, stdin=line).stdout)
    assert tagged["features"] == ["api_call", "dashboard_viewed"]


def test_analyze_missing_file_is_one_line() -> None:
    r = invoke("text", "analyze", "/no/such/file.jsonl")
    # main() prints a HealthscoreError as one line and exits 1 (tests/cli covers that path).
    assert isinstance(r.exception, HealthscoreError) and r.exit_code == 1
    assert str(r.exception) == "cannot read /no/such/file.jsonl: No such file or directory"


def test_run_then_feedback(text_store: Store, tmp_path: Path) -> None:
    db = str(text_store.path)
    text_store.close()
    first = ok("text", "run", "--db", db).stdout
    assert "11 texts: 11 analysed" in first and "not English: 1" in first
    assert "0 analysed" in ok("text", "run", "--db", db).stdout
    table = ok("feedback", "--db", db, "--to", "2024-06-30").stdout
    assert "Product feedback" in table and "Flagged intent (1)" in table
    rows = list(csv.DictReader(io.StringIO(ok("feedback", "--db", db, "--to", "2024-06-30",
                                                "-f", "csv").stdout)))  # fmt: skip
    assert rows[0]["feature"] == "report_created" and float(rows[0]["friction_arr"]) == 360000
    doc = json.loads(ok("feedback", "--db", db, "--to", "2024-06-30", "-f", "json").stdout)
    assert doc["features"][0]["feature"] == "report_created" and doc["intent"]
    page = tmp_path / "f.html"
    ok("feedback", "--db", db, "--to", "2024-06-30", "-f", "html", "-o", str(page))
    assert "Product feedback" in page.read_text()
    bad = invoke("feedback", "--db", db, "-o", str(tmp_path / "x.txt"))
    assert bad.exit_code == 2
