"""healthscore.api: the same results as the CLI, from Python."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd
import pytest

from healthscore import api
from healthscore.errors import InvalidScorecard
from healthscore.store import open_store


def test_accounts_frame_and_explain(store_file: Path) -> None:
    df = api.accounts(store_file, sort="score")
    assert isinstance(df, pd.DataFrame) and len(df) > 0
    assert list(df.columns[:3]) == ["as_of", "account_id", "name"]
    scored = df["score"].dropna()
    assert scored.is_monotonic_increasing
    ex = api.explain(df["account_id"].iloc[0], db=store_file)
    assert ex.score == pytest.approx(df["score"].iloc[0])
    assert ex.as_dict()["account_id"] == df["account_id"].iloc[0]


def test_score_uses_env_db_and_scorecard(
    store_file: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HEALTHSCORE_DB", str(store_file))
    card = tmp_path / "card.yaml"
    card.write_text(api.load_scorecard().source.replace('version: "1.0"', 'version: "9"'))
    monkeypatch.setenv("HEALTHSCORE_SCORECARD", str(card))
    run = api.score(as_of="2026-10-31")
    assert run.scorecard_version.startswith("9+")
    with open_store(store_file) as s:
        v = s.con.execute(
            "SELECT DISTINCT scorecard_version FROM score_snapshots WHERE as_of = DATE '2026-10-31'"
        ).fetchall()
    assert v == [(run.scorecard_version,)]


def test_score_backfill_on_open_store(store_file: Path) -> None:
    with open_store(store_file) as s:
        run = api.score(s, backfill=("2026-07-04", "2026-07-18"), every_days=7)
        assert run.dates == [dt.date(2026, 7, 4), dt.date(2026, 7, 11), dt.date(2026, 7, 18)]
        s.con.execute("SELECT 1")  # the caller's store stays open


def test_invalid_scorecard_raises(store_file: Path, tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: x\nversion: 1\nbands: []\ngroups: []\n")
    with pytest.raises(
        InvalidScorecard,
        match=r"bad\.yaml: 2 problems\n  line 3, bands: got 0 item\(s\); `bands` needs at least 2\n"
        r"  line 4, groups: got 0 item\(s\); `groups` needs at least 1$",
    ):
        api.score(store_file, scorecard=bad)
