"""Scoring a real (demo) store: history, idempotent recompute, trends, explain, preview."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from healthscore.errors import NotEnoughData
from healthscore.scoring import (
    backfill,
    explain_account,
    list_accounts,
    load_scorecard,
    parse_scorecard,
    preview_scorecard,
    score,
    snapshot_dates,
    usage_template,
)
from healthscore.scoring.run import backfill_dates
from healthscore.store import Store, open_store

START = dt.date(2026, 8, 1)  # the range conftest backfills
END = dt.date(2026, 10, 31)

SYSTEM = ("scorecards", "score_snapshots", "score_groups", "score_measures")


def fingerprint(store: Store) -> dict[str, str]:
    """Content hash of every score table: any write at all changes it."""
    out = {}
    for t in SYSTEM:
        out[t] = store.con.execute(
            f"SELECT count(*)::VARCHAR || ':' || coalesce(md5(string_agg(x::VARCHAR, '|' "
            f"ORDER BY x::VARCHAR)), '') FROM {t} x"
        ).fetchone()[0]  # type: ignore[index]
    return out


def test_backfill_dates_include_end() -> None:
    assert backfill_dates(dt.date(2026, 1, 1), dt.date(2026, 1, 20), 7) == [
        dt.date(2026, 1, 1),
        dt.date(2026, 1, 8),
        dt.date(2026, 1, 15),
        dt.date(2026, 1, 20),
    ]


def test_backfill_stores_one_snapshot_per_account_and_date(store: Store) -> None:
    dates = snapshot_dates(store)
    assert dates == backfill_dates(START, END, 7)
    dupes = store.con.execute(
        "SELECT count(*) FROM (SELECT as_of, account_id FROM score_snapshots "
        "GROUP BY ALL HAVING count(*) > 1)"
    ).fetchone()[0]  # type: ignore[index]
    assert dupes == 0
    card = load_scorecard()
    versions = store.con.execute(
        "SELECT DISTINCT scorecard_version FROM score_snapshots"
    ).fetchall()
    assert versions == [(card.stored_version,)]
    src = store.con.execute(
        "SELECT source FROM scorecards WHERE version = ?", [card.stored_version]
    ).fetchone()
    assert src is not None and src[0] == card.source
    # Every scored account has its groups and measures; contributions add up to the score.
    check = store.con.execute(
        """SELECT max(abs(s.score - g.total)) FROM score_snapshots s
           JOIN (SELECT as_of, account_id, sum(contribution) AS total FROM score_groups
                 GROUP BY ALL) g USING (as_of, account_id)
           WHERE s.score IS NOT NULL"""
    ).fetchone()[0]  # type: ignore[index]
    assert check < 1e-3
    # Only accounts active on the date are scored, and the demo has some churn over time.
    n_last = store.count("score_snapshots WHERE as_of = DATE '2026-10-31'")
    n_active = store.con.execute(
        "SELECT count(DISTINCT account_id) FROM subscriptions "
        "WHERE start_date <= DATE '2026-10-31' "
        "AND (end_date IS NULL OR end_date > DATE '2026-10-31')"
    ).fetchone()[0]  # type: ignore[index]
    assert n_last == n_active
    bands = dict(
        store.con.execute(
            "SELECT band, count(*) FROM score_snapshots "
            "WHERE as_of = DATE '2026-10-31' GROUP BY band"
        ).fetchall()
    )
    assert set(bands) <= {"red", "yellow", "green", None}
    assert len(bands) >= 2  # a portfolio with one band would mean the scorecard separates nothing


def test_recompute_a_date_replaces_it(store: Store) -> None:
    day = dt.date(2026, 10, 3)
    before = store.count(f"score_measures WHERE as_of = DATE '{day}'")
    other = fingerprint(store)
    run = score(store, day)
    assert run.dates == [day]
    assert (
        store.count(f"score_snapshots WHERE as_of = DATE '{day}'")
        == run.accounts_scored + run.accounts_unscored
    )
    assert store.count(f"score_measures WHERE as_of = DATE '{day}'") == before
    assert store.count("score_snapshots") == int(other["score_snapshots"].split(":")[0])
    # The same scorecard once more: no new scorecards row.
    assert store.count("scorecards") == 1


def test_new_scorecard_version_is_recorded(store: Store) -> None:
    text = load_scorecard().source.replace('version: "1.0"', 'version: "1.1"')
    card = parse_scorecard(text, "v11.yaml")
    score(store, END, card)
    versions = dict(
        store.con.execute(
            "SELECT as_of, any_value(scorecard_version) FROM score_snapshots GROUP BY as_of"
        ).fetchall()
    )
    assert versions[END].startswith("1.1+") and versions[START].startswith("1.0+")
    assert store.count("scorecards") == 2


def test_empty_store_and_date_before_data(tmp_path: Path, store: Store) -> None:
    with (
        open_store(tmp_path / "empty.duckdb") as empty,
        pytest.raises(NotEnoughData, match="holds no data"),
    ):
        score(empty)
    with pytest.raises(NotEnoughData) as exc:
        score(store, dt.date(2001, 1, 1))
    assert "no account existed on 2001-01-01; the store's data runs from" in str(exc.value)
    assert "to 2026-10-31" in str(exc.value)


def test_trends_and_filters(store: Store) -> None:
    rows = list_accounts(store)
    assert rows and all(r["as_of"] == END for r in rows)
    scored = [r for r in rows if r["score"] is not None]
    assert [r["score"] for r in scored] == sorted(r["score"] for r in scored)
    # 7-day trend = score now minus the snapshot of 2026-10-24 (closest to 7 days back).
    r = scored[0]
    prev = store.con.execute(
        "SELECT score FROM score_snapshots WHERE account_id = ? AND as_of = DATE '2026-10-24'",
        [r["account_id"]],
    ).fetchone()[0]  # type: ignore[index]
    assert r["trend_7d"] == pytest.approx(r["score"] - prev)
    red = list_accounts(store, band="red")
    assert all(x["band"] == "red" for x in red)
    ent = list_accounts(store, segment="enterprise", sort="arr", desc=True, limit=3)
    assert len(ent) <= 3 and all(x["segment"] == "enterprise" for x in ent)
    assert [x["arr"] for x in ent] == sorted((x["arr"] for x in ent), reverse=True)
    soon = list_accounts(store, sort="renewal")
    dates = [x["renewal_date"] for x in soon if x["renewal_date"] is not None]
    assert dates == sorted(dates)


def test_explain_traces_score_to_measures(store: Store) -> None:
    acct = list_accounts(store)[0]["account_id"]
    ex = explain_account(store, acct)
    assert ex.as_of == END and ex.previous_as_of == dt.date(2026, 10, 24)
    assert sum(g["contribution"] or 0 for g in ex.groups) == pytest.approx(ex.score, abs=1e-3)
    support = next(g for g in ex.groups if g["group"] == "Support")
    names = [m["measure"] for m in support["measures"]]
    assert "median resolution time" in names
    res = next(m for m in support["measures"] if m["measure"] == "median resolution time")
    assert res["raw"] == "no data" or res["raw"].endswith(" h")
    # Changes are ranked by absolute impact and add up to the score change.
    pts = [abs(c.points) for c in ex.changes]
    assert pts == sorted(pts, reverse=True)
    if ex.previous_score is not None and ex.score is not None:
        total = sum(c.points for c in ex.changes)
        assert total == pytest.approx(ex.score - ex.previous_score, abs=0.05 * (len(ex.groups) + 1))


def test_explain_unknown_account(store: Store) -> None:
    from healthscore.errors import HealthscoreError

    with pytest.raises(HealthscoreError, match="no account 'NOPE'"):
        explain_account(store, "NOPE")


def test_preview_writes_nothing_and_same_card_moves_nothing(store: Store) -> None:
    before = fingerprint(store)
    same = preview_scorecard(store, load_scorecard())
    assert same.band_moves == [] and same.mean_abs_change == pytest.approx(0.0)
    assert same.red_added == same.red_removed == same.green_added == same.green_removed == 0
    stricter = parse_scorecard(
        load_scorecard().source.replace("min: 75", "min: 90").replace("min: 60", "min: 70"),
        "strict.yaml",
    )
    p = preview_scorecard(store, stricter, since=dt.date(2026, 10, 1))
    assert p.dates[0] >= dt.date(2026, 10, 1) and p.latest == END
    assert len(p.band_moves) > 0
    assert all(m["band_now"] != m["band_candidate"] for m in p.band_moves)
    assert p.green_removed > 0 and p.green_added == 0  # higher bar: only fewer greens
    assert fingerprint(store) == before


def test_usage_template_scores_an_events_only_store(tmp_path: Path, store_file: Path) -> None:
    with open_store(store_file) as full:
        events = full.con.execute("SELECT * FROM events").df()
        accounts = full.con.execute("SELECT account_id FROM accounts").df()
        subs = full.con.execute("SELECT * FROM subscriptions").df()
    from healthscore.ingest import load_frames

    with open_store(tmp_path / "events_only.duckdb") as s:
        load_frames(s, {"accounts": accounts, "subscriptions": subs, "events": events})
        text = usage_template(s)
        card = parse_scorecard(text, "usage.yaml")
        assert any(m.metric.startswith("events_") for g in card.groups for m in g.measures)
        run = score(s, END, card)
        assert run.accounts_scored > 0 and run.accounts_unscored == 0
        # The default scorecard still runs there, with lower coverage and confidence.
        run2 = score(s, END)
        cov = s.con.execute("SELECT avg(coverage) FROM score_snapshots").fetchone()[0]  # type: ignore[index]
        assert run2.accounts_scored + run2.accounts_unscored > 0 and cov < 0.8


def test_backfill_skips_dates_before_any_account(store: Store) -> None:
    first = store.con.execute("SELECT min(start_date) FROM accounts").fetchone()[0]  # type: ignore[index]
    start = first - dt.timedelta(days=14)
    run = backfill(store, start, first + dt.timedelta(days=14), 7)
    assert run.skipped_dates and max(run.skipped_dates) < first
    assert run.dates and min(run.dates) >= first
    stored = set(snapshot_dates(store))
    assert not stored & set(run.skipped_dates)
    assert set(run.dates) <= stored


def test_template_marks_trouble_events_lower_is_better(tmp_path: Path) -> None:
    import pandas as pd

    from healthscore.ingest import load_frames

    events = pd.DataFrame(
        {
            "event_id": [f"e{i}" for i in range(6)],
            "account_id": ["a", "a", "a", "b", "b", "b"],
            "event_time": pd.to_datetime(["2024-03-01"] * 6),
            "event_type": ["Like", "Like", "Thumbs Down", "Dislike", "Like", "Page View"],
        }
    )
    with open_store(tmp_path / "tiny.duckdb") as s:
        load_frames(
            s,
            {
                "accounts": pd.DataFrame({"account_id": ["a", "b"]}),
                "subscriptions": pd.DataFrame(
                    {
                        "account_id": ["a", "b"],
                        "product": ["p", "p"],
                        "start_date": pd.to_datetime(["2024-01-01"] * 2).date,
                        "mrr": [10.0, 20.0],
                    }
                ),
                "events": events,
            },
        )
        card = parse_scorecard(usage_template(s), "t.yaml")
        measures = {m.metric: m for g in card.groups for m in g.measures}
        assert list(measures)[4] == "events_like_28d"  # most frequent type first
        assert measures["events_dislike_28d"].direction == "lower_is_better"
        assert measures["events_like_28d"].direction is None
        assert measures["events_page_view_28d"].direction is None


def _scores(store: Store) -> dict[str, list[tuple]]:
    """Every stored score row, minus the write timestamps."""
    return {
        t: store.con.execute(
            f"SELECT * EXCLUDE ({'created_at' if t == 'scorecards' else 'computed_at'}) "
            f"FROM {t} ORDER BY ALL"
            if t in ("scorecards", "score_snapshots")
            else f"SELECT * FROM {t} ORDER BY ALL"
        ).fetchall()
        for t in SYSTEM
    }


def test_backfill_in_several_metric_calls_stores_the_same_scores(
    store: Store, store_file: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A large backfill computes metrics a few dates per call (memory); the stored history
    must not depend on where the dates were cut."""
    import shutil

    import healthscore.scoring.run as run

    whole = _scores(store)  # conftest's backfill: one metrics call for every date
    n_accounts = store.count("accounts")
    store.close()
    split_file = tmp_path / "split.duckdb"
    shutil.copy(store_file, split_file)
    calls: list[int] = []
    real = run._metrics_module()

    class Counting:
        def __getattr__(self, name: str) -> object:
            return getattr(real, name)

        def compute_metrics(self, backend: object, dates: list[dt.date], **kw: object) -> object:
            calls.append(len(dates))
            return real.compute_metrics(backend, dates, **kw)

    monkeypatch.setattr(run, "METRIC_ROWS_PER_CALL", 3 * n_accounts)  # 3 dates per call
    monkeypatch.setattr(run, "SCORE_ROWS_PER_CHUNK", n_accounts)  # scored one date at a time
    monkeypatch.setattr(run, "_metrics_module", Counting)
    with open_store(split_file) as s:
        for t in ("score_measures", "score_groups", "score_snapshots"):
            s.con.execute(f"DELETE FROM {t}")
        backfill(s, START, END, 7)
        split = _scores(s)
    assert len(calls) > 3 and max(calls) == 3
    assert len(split["score_measures"]) > 1000
    assert split == whole
