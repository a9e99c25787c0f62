"""The score / explain / accounts / scorecard commands, through the real CLI."""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from healthscore.cli import app
from healthscore.errors import HealthscoreError, InvalidScorecard
from healthscore.scoring import DEFAULT_SCORECARD
from healthscore.store import open_store

runner = CliRunner()


def run(*args: str) -> str:
    result = runner.invoke(app, list(args), env={"COLUMNS": "200"})
    assert result.exit_code == 0, (result.output, result.exception)
    return result.stdout


def snapshot_state(path: Path) -> tuple:
    with open_store(path) as s:
        return tuple(
            s.con.execute(
                "SELECT count(*), "
                "coalesce(md5(string_agg(x::VARCHAR, '|' ORDER BY x::VARCHAR)), '') "
                f"FROM {t} x"
            ).fetchone()
            for t in ("scorecards", "score_snapshots", "score_groups", "score_measures")
        )


def test_accounts_json_filters_and_sort(store_file: Path) -> None:
    rows = json.loads(run("accounts", "--db", str(store_file), "--format", "json"))
    assert rows and {
        "score",
        "band",
        "trend_7d",
        "trend_30d",
        "arr",
        "renewal_date",
        "owner",
        "confidence",
    } <= set(rows[0])
    red = json.loads(run("accounts", "--db", str(store_file), "-f", "json", "--band", "red"))
    assert all(r["band"] == "red" for r in red)
    smb = json.loads(
        run(
            "accounts",
            "--db",
            str(store_file),
            "-f",
            "json",
            "--segment",
            "smb",
            "--sort",
            "arr",
            "--desc",
            "--limit",
            "5",
        )
    )
    assert 0 < len(smb) <= 5 and all(r["segment"] == "smb" for r in smb)
    assert [r["arr"] for r in smb] == sorted((r["arr"] for r in smb), reverse=True)
    owner = rows[0]["owner"]
    mine = json.loads(run("accounts", "--db", str(store_file), "-f", "json", "--owner", owner))
    assert mine and all(r["owner"] == owner for r in mine)
    assert len(mine) < len(rows)


def test_accounts_filter_typo_names_the_choices(store_file: Path) -> None:
    for opt, typo, choices in (
        ("--band", "purple", "green, red, yellow, unscored"),
        ("--segment", "ent", "enterprise"),
    ):
        r = runner.invoke(app, ["accounts", "--db", str(store_file), opt, typo])
        assert isinstance(r.exception, HealthscoreError), r.output  # `healthscore` exits 1
        assert f"no {opt[2:]} '{typo}' in the store" in str(r.exception)
        assert choices in str(r.exception)
    r = runner.invoke(app, ["accounts", "--db", str(store_file), "--owner", "nobody-at-all"])
    assert r.exit_code == 0 and r.stdout == ""
    assert "no account matches these filters" in r.stderr


def test_accounts_band_unscored_lists_accounts_without_a_score(
    store_file: Path, tmp_path: Path
) -> None:
    copy = tmp_path / "s.duckdb"
    copy.write_bytes(store_file.read_bytes())
    with open_store(copy) as s:  # as the engine stores an account below the coverage floor
        (day,) = s.con.execute("SELECT max(as_of) FROM score_snapshots").fetchone()
        (acct,) = s.con.execute(
            "SELECT min(account_id) FROM score_snapshots WHERE as_of = ?", [day]
        ).fetchone()
        s.con.execute(
            "UPDATE score_snapshots SET score = NULL, band = NULL WHERE as_of = ? AND account_id = ?",
            [day, acct],
        )
    rows = json.loads(run("accounts", "--db", str(copy), "-f", "json", "--band", "Unscored"))
    assert [r["account_id"] for r in rows] == [acct] and rows[0]["score"] is None


def test_accounts_table_shows_trend_arrows(store_file: Path) -> None:
    out = run("accounts", "--db", str(store_file), "--sort", "trend", "--limit", "10")
    assert "Accounts as of 2026-10-31" in out
    assert any(a in out for a in ("↑", "↓", "→"))


def test_accounts_table_piped_to_a_file_keeps_one_row_per_line(store_file: Path) -> None:
    # Off a terminal Rich would fold an 11-column table at 80 columns (ids split mid-word).
    env = {k: v for k, v in os.environ.items() if k not in ("COLUMNS", "LINES")}
    exe = Path(sys.executable).with_name("healthscore")
    proc = subprocess.run(
        [str(exe), "accounts", "--db", str(store_file), "--limit", "5"],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    ids = [
        r["account_id"]
        for r in json.loads(run("accounts", "--db", str(store_file), "-f", "json", "--limit", "5"))
    ]
    lines = proc.stdout.splitlines()
    header = next(ln for ln in lines if "account" in ln and "renewal" in ln)
    assert "confidence" in header  # the whole header on one line
    for account in ids:
        assert sum(account in ln for ln in lines) == 1, proc.stdout


def test_accounts_csv_header(store_file: Path) -> None:
    out = run("accounts", "--db", str(store_file), "-f", "csv", "--limit", "2")
    lines = out.strip().splitlines()
    assert lines[0].startswith("as_of,account_id,name,segment,owner,arr,renewal_date,score,band")
    assert len(lines) == 3


def test_explain_table_and_json(store_file: Path) -> None:
    acct = json.loads(run("accounts", "--db", str(store_file), "-f", "json"))[0]["account_id"]
    out = run("explain", acct, "--db", str(store_file))
    assert f"({acct}) as of 2026-10-31: score" in out
    assert "Product usage" in out and "median resolution time" in out
    assert "previous snapshot 2026-10-24" in out
    data = json.loads(run("explain", acct, "--db", str(store_file), "-f", "json"))
    assert data["account_id"] == acct and data["as_of"] == "2026-10-31"
    assert {g["group"] for g in data["groups"]} >= {"Product usage", "Support", "Financial"}
    for change in data["changes"]:
        assert change["text"].startswith(change["group"])


def test_explain_earlier_date(store_file: Path) -> None:
    acct = json.loads(run("accounts", "--db", str(store_file), "-f", "json"))[0]["account_id"]
    data = json.loads(
        run("explain", acct, "--as-of", "2026-09-30", "--db", str(store_file), "-f", "json")
    )
    assert data["as_of"] == "2026-09-26"  # latest snapshot on or before the date


def test_score_command_replaces_date(store_file: Path) -> None:
    before = snapshot_state(store_file)
    out = json.loads(run("score", "--as-of", "2026-10-31", "--db", str(store_file), "-f", "json"))
    assert out["dates"] == ["2026-10-31"] and out["accounts_scored"] > 0
    after = snapshot_state(store_file)
    assert [c[0] for c in after] == [c[0] for c in before]  # replaced, not appended


def test_score_refuses_a_future_date_and_writes_nothing(store_file: Path) -> None:
    before = snapshot_state(store_file)
    # Two days on: one day could still be today in UTC when the local date is behind.
    later = (dt.date.today() + dt.timedelta(days=2)).isoformat()
    today = max(dt.date.today(), dt.datetime.now(dt.UTC).date())
    for args in (["--as-of", later], ["--backfill", "2026-10-01", later]):
        r = runner.invoke(app, ["score", *args, "--db", str(store_file)])
        assert isinstance(r.exception, HealthscoreError), r.output
        # The first date after today is named: `later` itself, or an earlier backfill date.
        named = str(r.exception).split(" is in the future", 1)[0]
        assert today < dt.date.fromisoformat(named) <= dt.date.fromisoformat(later)
        assert f"is in the future (today is {today})" in str(r.exception)
    assert snapshot_state(store_file) == before


def test_score_after_the_newest_data_says_how_stale_it_is(store_file: Path) -> None:
    # The demo's data ends on 2026-10-31; three weeks later, windows read the gap as silence.
    r = runner.invoke(app, ["score", "--as-of", "2026-11-21", "--db", str(store_file)])
    assert r.exit_code == 0, r.output
    assert "newest data is from 2026-10-31, 21 days before 2026-11-21" in r.stderr
    out = json.loads(run("score", "--as-of", "2026-10-31", "--db", str(store_file), "-f", "json"))
    assert out["data_lag_days"] == 0


def test_backfill_command(store_file: Path) -> None:
    out = run(
        "score", "--backfill", "2026-07-01", "2026-07-29", "--every", "2w", "--db", str(store_file)
    )
    assert "scored 3 dates (2026-07-01 to 2026-07-29)" in out
    with open_store(store_file) as s:
        days = [
            r[0].isoformat()
            for r in s.con.execute(
                "SELECT DISTINCT as_of FROM score_snapshots "
                "WHERE as_of < DATE '2026-08-01' ORDER BY 1"
            ).fetchall()
        ]
    assert days == ["2026-07-01", "2026-07-15", "2026-07-29"]


def test_invalid_scorecard_changes_nothing(store_file: Path, tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(DEFAULT_SCORECARD.read_text().replace("weight: 15", "weight: -15", 1))
    before = snapshot_state(store_file)
    result = runner.invoke(app, ["score", "--scorecard", str(bad), "--db", str(store_file)])
    assert isinstance(result.exception, InvalidScorecard)
    assert re.search(
        r"bad\.yaml line \d+, groups\.[^:]+\.weight: got -15; a weight must be a number ≥ 0$",
        str(result.exception),
    )
    unknown = tmp_path / "unknown.yaml"
    unknown.write_text(
        DEFAULT_SCORECARD.read_text().replace("usage_active_days_28d", "usage_active_dayz_28d")
    )
    result = runner.invoke(app, ["score", "--scorecard", str(unknown), "--db", str(store_file)])
    assert isinstance(result.exception, InvalidScorecard)
    assert "did you mean 'usage_active_days_28d'" in str(result.exception)
    assert snapshot_state(store_file) == before


def test_error_is_one_line_and_nonzero(store_file: Path, tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: x\nversion: 1\nbands: [\n")
    exe = Path(sys.executable).with_name("healthscore")
    proc = subprocess.run(
        [str(exe), "scorecard", "check", str(bad), "--db", str(store_file)],
        env={**os.environ, "COLUMNS": "400"},  # rich wraps stderr at 80 columns otherwise
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 1
    msg = proc.stderr.strip()
    assert msg.startswith("error: ") and "bad.yaml line" in msg and "not valid YAML" in msg
    assert len(msg.splitlines()) == 1


def test_scorecard_check_summarises(store_file: Path) -> None:
    out = run("scorecard", "check", str(DEFAULT_SCORECARD), "--db", str(store_file))
    assert "ok " in out and "all metrics found in the catalogue" in out
    assert "Voice of customer" in out and "segment enterprise: Relationship 30" in out


def test_scorecard_preview_writes_nothing(store_file: Path, tmp_path: Path) -> None:
    cand = tmp_path / "cand.yaml"
    cand.write_text(DEFAULT_SCORECARD.read_text().replace("min: 75", "min: 95"))
    before = snapshot_state(store_file)
    out = run("scorecard", "preview", str(cand), "--since", "2026-10-01", "--db", str(store_file))
    assert "nothing was written" in out and "would change band" in out
    data = json.loads(run("scorecard", "preview", str(cand), "--db", str(store_file), "-f", "json"))
    assert data["green_removed"] > 0 and len(data["band_moves"]) > 0
    assert snapshot_state(store_file) == before


def test_scorecard_template_then_score(store_file: Path, tmp_path: Path) -> None:
    out_file = tmp_path / "usage.yaml"
    run("scorecard", "template", "--output", str(out_file), "--db", str(store_file))
    text = out_file.read_text()
    assert "events_login_28d" in text
    run("scorecard", "check", str(out_file), "--db", str(store_file))
    res = json.loads(
        run("score", "--scorecard", str(out_file), "--db", str(store_file), "-f", "json")
    )
    assert res["scorecard_version"].startswith("1.0+") and res["accounts_scored"] > 0
    again = runner.invoke(
        app, ["scorecard", "template", "-o", str(out_file), "--db", str(store_file)]
    )
    assert again.exception is not None and "--force" in str(again.exception)


@pytest.mark.parametrize("every", ["0d", "abc"])
def test_bad_every_is_rejected(store_file: Path, every: str) -> None:
    result = runner.invoke(
        app,
        [
            "score",
            "--backfill",
            "2026-07-01",
            "2026-07-29",
            "--every",
            every,
            "--db",
            str(store_file),
        ],
    )
    # A usage error: Click's exit code 2 and its message naming the option and the fix.
    assert result.exit_code == 2, result.output
    assert isinstance(result.exception, SystemExit)
    text = " ".join(result.output.replace("│", " ").split())
    assert f"Invalid value for --every: '{every}': use a number of days like 7d or weeks" in text
    assert "Traceback" not in result.output


def test_check_reports_custom_metric_errors_with_line(tmp_path: Path) -> None:
    card = tmp_path / "custom.yaml"
    card.write_text(
        DEFAULT_SCORECARD.read_text().replace(
            "custom_metrics: []",
            "custom_metrics:\n  - {name: exports_28d, kind: count, table: nope, window_days: 28}",
        )
    )
    result = runner.invoke(
        app, ["scorecard", "check", str(card), "--db", str(tmp_path / "none.duckdb")]
    )
    assert isinstance(result.exception, InvalidScorecard)
    msg = str(result.exception)
    assert f"{card} line " in msg and "custom_metrics[0]" in msg and "unknown table 'nope'" in msg


def test_custom_metric_is_scored(store_file: Path, tmp_path: Path) -> None:
    card = tmp_path / "custom.yaml"
    text = DEFAULT_SCORECARD.read_text().replace(
        "custom_metrics: []",
        "custom_metrics:\n"
        "  - {name: logins_28d, kind: count, table: events, where: {event_type: login},"
        " window_days: 28, direction: higher_is_better, unit: logins}",
    )
    text = text.replace(
        "      - metric: usage_weeks_active_share_12w\n",
        "      - metric: logins_28d\n"
        "        normalize: {method: percentile}\n"
        "      - metric: usage_weeks_active_share_12w\n",
    )
    card.write_text(text)
    run("score", "--scorecard", str(card), "--db", str(store_file))
    with open_store(store_file) as s:
        n, present = s.con.execute(
            "SELECT count(*), count(normalized) FROM score_measures "
            "WHERE metric = 'logins_28d' AND as_of = DATE '2026-10-31'"
        ).fetchone()  # type: ignore[misc]
    assert n > 0 and present > 0
