"""Settings fail loudly: unknown variables, bad engine URLs and secrets, at start-up."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from healthscore.app import App
from healthscore.cli import app as cli
from healthscore.config import (
    TEST_ONLY_VARIABLES,
    SecretUrl,
    Settings,
    load_settings,
    terminal_columns,
)
from healthscore.errors import InvalidSettings
from healthscore.store import open_store

PASSWORD = "s3cr3t-pw"
PG = f"postgresql://scorer:{PASSWORD}@db.internal:5432/health"


def test_the_environment_is_a_parameter(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HEALTHSCORE_DB", "from-process.duckdb")
    given = load_settings({"HEALTHSCORE_DB": "given.duckdb", "HEALTHSCORE_MEMORY_LIMIT": "2GB"})
    assert given.db == Path("given.duckdb") and given.memory_limit == "2GB"
    assert load_settings({}).db == Path("healthscore.duckdb")  # nothing leaks from os.environ
    assert load_settings().db == Path("from-process.duckdb")  # None = the process environment
    assert load_settings({"HEALTHSCORE_DB": "a.duckdb"}, db=Path("b.duckdb")).db == Path("b.duckdb")
    assert load_settings({"HEALTHSCORE_DB": "a.duckdb"}, db=None).db == Path("a.duckdb")
    assert terminal_columns({"COLUMNS": "120"}) == "120" and terminal_columns({}) is None


@pytest.mark.parametrize(
    ("name", "suggestion"),
    [
        ("HEALTHSCORE_ENGNE", "HEALTHSCORE_ENGINE"),
        ("HEALTHSCORE_SCORE_CARD", "HEALTHSCORE_SCORECARD"),
        ("HEALTHSCORE_MEMORYLIMIT", "HEALTHSCORE_MEMORY_LIMIT"),
        ("HEALTHSCORE_SCORECARDS", "HEALTHSCORE_SCORECARD"),
    ],
)
def test_an_unknown_variable_is_an_error_with_a_did_you_mean(name: str, suggestion: str) -> None:
    with pytest.raises(InvalidSettings) as exc:
        load_settings({name: "x"})
    assert str(exc.value) == f"unknown setting {name}; did you mean {suggestion}?"


def test_an_unknown_variable_without_a_close_name_lists_the_settings() -> None:
    with pytest.raises(InvalidSettings, match="unknown setting HEALTHSCORE_ZZZ; the settings are "):
        load_settings({"HEALTHSCORE_ZZZ": "1"})


def test_test_only_variables_and_other_prefixes_are_not_rejected() -> None:
    env = {name: "1" for name in TEST_ONLY_VARIABLES} | {"HOME": "/root", "HEALTHSCOREX": "1"}
    assert load_settings(env) == load_settings({})
    assert "HEALTHSCORE_TEST_POSTGRES" in TEST_ONLY_VARIABLES


@pytest.mark.parametrize(
    "url",
    ["duckdb", "spark-local", "spark://master:7077", PG, "postgres://u@localhost/db?schema=t1"],
)
def test_engine_urls_that_are_accepted(url: str) -> None:
    s = load_settings({"HEALTHSCORE_ENGINE": url})
    assert s.engine.get_secret_value() == url
    assert s.engine_url == (None if url == "duckdb" else url)


@pytest.mark.parametrize(
    ("url", "why"),
    [
        ("mysql://scorer:s3cr3t-pw@h/db", "unknown engine 'mysql'"),
        ("postgres://scorer:s3cr3t-pw@db:54x2/health", "port that is not a number"),
        ("postgresql://scorer:s3cr3t-pw@/health", "names no host"),
        ("spark://master", "names no port"),
        ("duck", "is not an engine"),
        ("spark-locale", "is not an engine"),
    ],
)
def test_a_bad_engine_url_is_one_line_naming_the_variable_without_the_password(
    url: str, why: str
) -> None:
    with pytest.raises(InvalidSettings) as exc:
        load_settings({"HEALTHSCORE_ENGINE": url})
    msg = str(exc.value)
    assert msg.startswith("HEALTHSCORE_ENGINE: ") and why in msg
    assert "\n" not in msg and PASSWORD not in msg
    assert "postgresql://user@host:port/db" in msg or "spark://host:port" in msg


def test_a_password_is_masked_in_str_and_repr() -> None:
    s = load_settings({"HEALTHSCORE_ENGINE": PG})
    for text in (str(s), repr(s), str(s.engine), repr(s.engine), repr(App(s))):
        assert PASSWORD not in text, text
        assert "postgresql://scorer:***@db.internal:5432/health" in text
    assert s.engine.get_secret_value() == PG  # the one place that connects gets it whole
    assert str(SecretUrl("duckdb")) == "duckdb"  # nothing to hide stays readable
    assert isinstance(Settings.model_fields["engine"].default, SecretUrl)


def test_a_bad_memory_limit_names_the_variable_and_the_fix() -> None:
    with pytest.raises(InvalidSettings, match=r"HEALTHSCORE_MEMORY_LIMIT='lots'.*like 4GB"):
        load_settings({"HEALTHSCORE_MEMORY_LIMIT": "lots"})


def test_an_override_is_named_as_a_setting_not_a_variable() -> None:
    with pytest.raises(InvalidSettings) as exc:
        load_settings({}, engine="oracle://x")
    assert str(exc.value).startswith("engine: ") and "HEALTHSCORE_" not in str(exc.value)


# -- at start-up, through the CLI --------------------------------------------------------


def test_the_cli_refuses_a_bad_engine_before_opening_anything(tmp_path: Path) -> None:
    db = tmp_path / "s.duckdb"
    with open_store(db) as s:
        assert s.count("score_snapshots") == 0
    result = CliRunner().invoke(
        cli,
        ["score", "--db", str(db)],
        env={"HEALTHSCORE_ENGINE": f"mysql://scorer:{PASSWORD}@h/db"},
    )
    assert result.exit_code == 1
    assert isinstance(result.exception, InvalidSettings)
    assert "unknown engine 'mysql'" in str(result.exception)
    assert PASSWORD not in result.output and PASSWORD not in str(result.exception)


def test_a_bad_engine_option_is_a_usage_error_naming_the_option(tmp_path: Path) -> None:
    db = tmp_path / "s.duckdb"
    open_store(db).close()
    result = CliRunner().invoke(
        cli, ["score", "--db", str(db), "--engine", f"postgres://u:{PASSWORD}@h:port/x"]
    )
    assert result.exit_code == 2, result.output
    said = " ".join(result.output.replace("│", " ").split())  # unwrap Rich's error panel
    assert (
        "Invalid value for --engine: 'postgres://u:***@h:port/x' has a port that is not a number"
        in said
    )
    assert PASSWORD not in result.output


def _run(*args: str, env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", "from healthscore.cli import main; main()", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_an_unknown_variable_stops_the_command_with_one_line(tmp_path: Path) -> None:
    import os

    env = {k: v for k, v in os.environ.items() if not k.startswith("HEALTHSCORE_")}
    env["HEALTHSCORE_ENGNE"] = PG
    r = _run("init", "--db", str(tmp_path / "s.duckdb"), env=env, cwd=tmp_path)
    assert r.returncode == 1
    lines = [ln for ln in r.stderr.splitlines() if ln.strip()]
    assert lines == ["error: unknown setting HEALTHSCORE_ENGNE; did you mean HEALTHSCORE_ENGINE?"]
    assert not (tmp_path / "s.duckdb").exists()  # nothing was created
