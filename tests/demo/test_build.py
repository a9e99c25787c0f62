"""Writing the demo into a store, through the library and the `healthscore demo` command."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from healthscore.cli import app
from healthscore.demo import build_demo, generate
from healthscore.errors import StoreError
from healthscore.store import KINDS, open_store


def test_build_demo_writes_every_frame(tmp_path: Path) -> None:
    frames = generate(seed=3, n_accounts=80, months=12)
    with open_store(tmp_path / "d.duckdb") as store:
        summary = build_demo(store, seed=3, n_accounts=80, months=12)
        for name, df in frames.items():
            assert store.count(name) == len(df), name
        keys = store.con.execute("SELECT count(DISTINCT event_key) FROM events").fetchone()
        assert keys == (len(frames["events"]),)
    assert summary["accounts"] == 80
    assert summary["events"] == len(frames["events"])
    assert summary["churned"] + summary["active"] == 80
    assert sum(v["accounts"] for v in summary["by_segment"].values()) == 80


def test_build_demo_refuses_a_store_with_data(tmp_path: Path) -> None:
    with open_store(tmp_path / "d.duckdb") as store:
        build_demo(store, seed=1, n_accounts=30, months=6)
        with pytest.raises(StoreError, match="already holds data"):
            build_demo(store, seed=2, n_accounts=30, months=6)
        assert store.count("accounts") == 30


def test_cli_builds_a_store_and_refuses_to_overwrite(tmp_path: Path, cli_failure) -> None:  # type: ignore[no-untyped-def]
    db = tmp_path / "demo.duckdb"
    runner = CliRunner()
    args = ["demo", "--db", str(db), "--accounts", "70", "--months", "12", "--no-serve"]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    assert "healthscore accounts" in result.output
    assert "Scored 27 weekly snapshots" in result.output
    with open_store(db, create=False) as store:
        assert store.count("accounts") == 70
        counts = {k: store.count(k) for k in KINDS}
        # The demo ends with a scored portfolio: 6 months of weekly history, one row per
        # active account and date, every one from the same scorecard version.
        dates, versions, gaps = store.con.execute(
            "SELECT count(DISTINCT as_of), count(DISTINCT scorecard_version), "
            "max(as_of) - min(as_of) FROM score_snapshots"
        ).fetchone()
        assert (dates, versions, gaps) == (27, 1, 26 * 7)
    assert all(n > 0 for n in counts.values()), counts

    again = runner.invoke(app, [*args, "--seed", "8"])
    assert isinstance(again.exception, StoreError)
    failed = cli_failure(*args, "--seed", "8")
    assert failed.exit_code == 1 and failed.message == str(again.exception)
    assert "--force" in failed.message
    with open_store(db, create=False) as store:
        assert {k: store.count(k) for k in KINDS} == counts  # untouched

    forced = runner.invoke(app, [*args, "--seed", "8", "--force"])
    assert forced.exit_code == 0, forced.output
    with open_store(db, create=False) as store:
        assert store.count("accounts") == 70
        assert store.count("events") != counts["events"]


def test_cli_with_no_serve_builds_and_exits(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        app,
        [
            "demo",
            "--db",
            str(tmp_path / "x.duckdb"),
            "--accounts",
            "20",
            "--months",
            "3",
            "--no-serve",
        ],
    )
    assert result.exit_code == 0, result.output
    assert "Next steps" in result.output
    assert "sign in" not in result.output


def test_cli_will_not_force_over_a_foreign_file(tmp_path: Path, cli_failure) -> None:  # type: ignore[no-untyped-def]
    db = tmp_path / "notes.duckdb"
    db.write_text("my notes, not a store")
    failed = cli_failure("demo", "--db", str(db), "--force", "--no-serve")
    assert failed.exit_code == 1
    assert failed.message.startswith(f"{db} is a text file, not a healthscore store")
    assert db.read_text() == "my notes, not a store"


def test_tiny_demo_loads_even_with_empty_kinds(tmp_path: Path) -> None:
    for seed in range(3):
        with open_store(tmp_path / f"t{seed}.duckdb") as store:
            summary = build_demo(store, seed=seed, n_accounts=2, months=1)
            assert summary["accounts"] == 2
            assert store.count("features") == 15
