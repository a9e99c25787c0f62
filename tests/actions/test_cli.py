"""The alerts and plans commands through the real CLI, on a small hand-made store."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from healthscore.actions import parse_rules
from healthscore.actions.run import apply_rules
from healthscore.cli import app
from healthscore.store import open_store

from .conftest import add_accounts, make_facts

runner = CliRunner()
RULES = parse_rules(
    "rules:\n  - {name: low, type: risk, reason: Score is low, holdout: 0, when: [{score: {below: 50}}]}\n"
)


def _store(tmp_path: Path) -> Path:
    path = tmp_path / "cli.duckdb"
    with open_store(path) as s:
        add_accounts(s, ["A", "B"])
        apply_rules(
            s, make_facts(s, {"A": {"score": 40}, "B": {"score": 45, "owner": "Ben"}}), RULES
        )
    return path


def _run(*args: str):  # type: ignore[no-untyped-def]
    return runner.invoke(app, list(args), env={"HEALTHSCORE_DB": None})  # type: ignore[dict-item]


def test_list_show_snooze_assign_close(tmp_path: Path) -> None:
    db = str(_store(tmp_path))
    listed = _run("alerts", "list", "--format", "json", "--db", db)
    assert listed.exit_code == 0, listed.output
    rows = json.loads(listed.stdout)
    assert {r["account_id"] for r in rows} == {"A", "B"}
    mine = json.loads(
        _run("alerts", "list", "--mine", "ben", "--format", "json", "--db", db).stdout
    )
    assert [r["account_id"] for r in mine] == ["B"]
    cta = next(r["id"] for r in rows if r["account_id"] == "A")
    shown = _run("alerts", "show", str(cta), "--db", db)
    assert (
        shown.exit_code == 0
        and "Score is low" in shown.stdout
        and "health score 40" in shown.stdout
    )
    assert "priority" in shown.stdout and "churn probability" in shown.stdout
    snz = _run(
        "alerts",
        "snooze",
        str(cta),
        "--until",
        "2026-11-20",
        "--reason",
        "away",
        "--as",
        "ana",
        "--db",
        db,
    )
    assert snz.exit_code == 0 and "snoozed until 2026-11-20" in snz.stdout
    assert _run("alerts", "assign", str(cta), "Cleo", "--db", db).exit_code == 0
    closed = _run(
        "alerts", "close", str(cta), "--outcome", "not_valid", "--note", "data glitch", "--db", db
    )
    assert closed.exit_code == 0 and "closed: not_valid" in closed.stdout
    csv = _run("alerts", "list", "--status", "closed", "--format", "csv", "--db", db)
    assert csv.stdout.splitlines()[0].startswith("id,account_id,account_name,rule")
    missing = _run("alerts", "show", "9999", "--db", db)
    assert missing.exit_code == 1 and "no call-to-action with id 9999" in str(
        missing.exception or missing.output
    )


def test_check_reports_every_problem_with_its_line(tmp_path: Path) -> None:
    bad = tmp_path / "rules.yaml"
    bad.write_text("rules:\n  - name: x\n    type: nope\n    reason: r\n    when: [{band: 3}]\n")
    res = _run("alerts", "check", str(bad))
    assert res.exit_code == 1
    msg = str(res.exception)
    assert "2 problems" in msg and "line 3, rules[0].type" in msg and "line 5" in msg
    good = tmp_path / "good.yaml"
    good.write_text("rules:\n  - {name: x, type: risk, reason: r, when: [{band: red}]}\n")
    ok = _run("alerts", "check", str(good))
    assert ok.exit_code == 0 and "1 rules (1 enabled)" in ok.stdout


def test_plans_commands(tmp_path: Path) -> None:
    db = str(_store(tmp_path))
    added = _run("plans", "add-goal", "A", "Roll out reporting", "--owner", "Ana", "--db", db)
    assert added.exit_code == 0, added.output
    gid = added.stdout.split()[1]
    ms = _run(
        "plans",
        "add-milestone",
        gid,
        "Reports used",
        "--due",
        "2026-12-01",
        "--completes-when",
        "events_report_created_28d at_least 10",
        "--db",
        db,
    )
    assert ms.exit_code == 0, ms.output
    listed = json.loads(_run("plans", "list", "--format", "json", "--db", db).stdout)
    assert listed[0]["milestones"][0]["condition"] == "events_report_created_28d >= 10"
    bad = _run("plans", "add-milestone", gid, "x", "--completes-when", "oops", "--db", db)
    assert bad.exit_code == 2
