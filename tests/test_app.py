"""One application object: the CLI, healthscore.api and this test construct the same App."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from healthscore import api
from healthscore.app import App
from healthscore.cli import app as cli
from healthscore.errors import NotEnoughData, StoreError
from healthscore.scoring import load_scorecard
from healthscore.store import open_store

runner = CliRunner()
FIXED = dt.date(2026, 10, 31)


@pytest.fixture(scope="module")
def scored_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from healthscore.demo import build_and_score

    path = tmp_path_factory.mktemp("app") / "demo.duckdb"
    with App.from_env({}, db=path) as hs:
        run = build_and_score(hs.open_store(create=True), n_accounts=40, months=5, weeks=4)
    assert run.scored is not None and len(run.scored.dates) == 5
    return path


def _versioned_card(version: str):  # the shipped scorecard under another version
    text = load_scorecard().source.replace('version: "1.0"', f'version: "{version}"')
    from healthscore.scoring import parse_scorecard

    return parse_scorecard(text, "<test>")


def _stored_versions(db: Path, day: str) -> list[str]:
    with open_store(db) as s:
        rows = s.con.execute(
            "SELECT DISTINCT scorecard_version FROM score_snapshots WHERE as_of = ?", [day]
        ).fetchall()
    return [r[0] for r in rows]


def test_building_an_app_opens_and_connects_nothing(tmp_path: Path) -> None:
    missing = tmp_path / "none.duckdb"
    hs = App.from_env(
        {"HEALTHSCORE_ENGINE": "postgresql://u:pw@unreachable.invalid/db"}, db=missing
    )
    assert not hs.store_is_open and not missing.exists()
    assert hs.engine_url == "postgresql://u:pw@unreachable.invalid/db"  # validated, not connected
    with pytest.raises(StoreError, match="no store at"):
        hs.store  # noqa: B018  # reading never creates the file
    assert not missing.exists()
    with App.from_env({}, db=missing) as created:
        assert created.open_store(create=True).count("accounts") == 0
        assert created.store is created.store  # opened once
    assert missing.exists() and not created.store_is_open  # closed by the with block


def test_the_clock_is_injectable() -> None:
    assert App(clock=lambda: FIXED).today() == FIXED
    assert App().today() >= dt.date(2026, 1, 1)


def test_the_cli_runs_on_the_app_it_is_given(scored_db: Path, tmp_path: Path) -> None:
    db = tmp_path / "s.duckdb"
    db.write_bytes(scored_db.read_bytes())
    hs = App(App.from_env({}, db=db).settings, scorecard=_versioned_card("cli-7"))
    result = runner.invoke(cli, ["score", "--as-of", "2026-10-31", "-f", "json"], obj=hs)
    assert result.exit_code == 0, (result.output, result.exception)
    # No --db and no --scorecard: the command took both from the App.
    assert json.loads(result.stdout)["scorecard_version"].startswith("cli-7+")
    hs.close()
    assert _stored_versions(db, "2026-10-31") == [json.loads(result.stdout)["scorecard_version"]]


def test_the_cli_builds_its_app_from_the_settings_and_db_options(tmp_path: Path) -> None:
    first, second, third = (tmp_path / f"{n}.duckdb" for n in ("first", "second", "third"))
    for p in (first, second, third):
        open_store(p).close()

    def store_used(*args: str) -> str:
        result = runner.invoke(cli, [*args], env={"HEALTHSCORE_DB": str(first)})
        assert result.exit_code == 0, (result.output, result.exception)
        return str(json.loads(result.stdout)["db"])

    # $HEALTHSCORE_DB, then the global --db, then the command's own --db wins.
    assert store_used("status", "-f", "json") == str(first)
    assert store_used("--db", str(second), "status", "-f", "json") == str(second)
    assert store_used("--db", str(second), "status", "-f", "json", "--db", str(third)) == str(third)


def test_the_api_takes_the_same_app_and_leaves_it_open(scored_db: Path, tmp_path: Path) -> None:
    db = tmp_path / "s.duckdb"
    db.write_bytes(scored_db.read_bytes())
    with App(App.from_env({}, db=db).settings, scorecard=_versioned_card("api-3")) as hs:
        run = api.score(hs, as_of="2026-10-31")
        assert run.scorecard_version.startswith("api-3+")
        assert hs.store_is_open  # the caller's App stays usable
        frame = api.accounts(hs)
        assert (
            set(frame["as_of"].astype(str)) == {"2026-10-31"}
            and len(frame) == run.accounts_scored + run.accounts_unscored
        )
        # A scorecard given to one call overrides the App's for that call only.
        other = api.score(hs, as_of="2026-10-24", scorecard=_versioned_card("once"))
        assert other.scorecard_version.startswith("once+")
        assert hs.scorecard.version == "api-3"
    assert _stored_versions(db, "2026-10-24") == [other.scorecard_version]


def test_the_api_builds_an_app_from_a_path_or_the_environment(
    scored_db: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    by_path = api.accounts(scored_db)
    monkeypatch.setenv("HEALTHSCORE_DB", str(scored_db))
    assert api.accounts().equals(by_path)
    monkeypatch.setenv("HEALTHSCORE_ENGNE", "duckdb")
    with pytest.raises(Exception, match="did you mean HEALTHSCORE_ENGINE"):
        api.accounts()


def test_api_predict_defaults_to_the_apps_today(scored_db: Path) -> None:
    # A clock before the data: the default date is today, which the data does not reach.
    early = App(App.from_env({}, db=scored_db).settings, clock=lambda: dt.date(2001, 1, 1))
    with early, pytest.raises(NotEnoughData, match="2001-01-01 is outside the data's range"):
        api.predict(early)
    # Too few churns in this small store: the scorecard stands in, and says so.
    with App.from_env({}, db=scored_db, clock=lambda: FIXED) as hs:
        p = api.predict(hs)
    assert p.model == "scorecard" and p.frame["churn_probability"].isna().all()
    assert any("falling back to the configured scorecard" in w for w in p.warnings)
    assert p.frame["health_score"].notna().all() and len(p.frame) > 0


def test_scoring_reads_today_from_the_apps_clock(scored_db: Path, tmp_path: Path) -> None:
    # The demo's data ends before the real today; a clock set before its last day makes that
    # day "the future" for score and backfill alike, through the CLI and the Python API.
    last = api.accounts(scored_db)["as_of"].max()
    early = last - dt.timedelta(days=3)
    copy = tmp_path / "copy.duckdb"
    copy.write_bytes(scored_db.read_bytes())
    with App.from_env({}, db=copy, clock=lambda: early) as hs:
        before = hs.store.count("score_snapshots")
        r = runner.invoke(cli, ["score", "--as-of", str(last)], obj=hs)
        assert r.exit_code == 1
        assert f"{last} is in the future (today is {early})" in str(r.exception)
        with pytest.raises(Exception, match=f"today is {early}"):
            api.score(hs, backfill=(str(early - dt.timedelta(days=7)), str(last)))
        assert hs.store.count("score_snapshots") == before
        # With no date given, the default is the last data day capped at the clock's today.
        run = api.score(hs)
        assert run.dates == [early]


def test_a_db_option_keeps_every_other_setting(tmp_path: Path) -> None:
    from healthscore.config import load_settings

    settings = load_settings(
        {
            "HEALTHSCORE_NOTIFICATIONS": str(tmp_path / "channels.yaml"),
            "HEALTHSCORE_RULES": str(tmp_path / "rules.yaml"),
            "HEALTHSCORE_LOCK_TIMEOUT": "5",
            "HEALTHSCORE_COMPETITORS": "Gainsight, ChurnZero,",
        }
    )
    moved = App(settings).replace(db=tmp_path / "other.duckdb")
    assert moved.settings.db == tmp_path / "other.duckdb"
    assert moved.settings.notifications == tmp_path / "channels.yaml"
    assert moved.settings.rules == tmp_path / "rules.yaml"
    assert moved.settings.lock_timeout == 5
    assert moved.settings.competitors == ("Gainsight", "ChurnZero")
