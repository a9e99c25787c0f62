"""Each query of the store query layer, on the embedded DuckDB store and on PostgreSQL.

Every test runs twice (the `engine` fixture): against the store itself and against its
tables copied to PostgreSQL.  The expected values are read from the DuckDB file with plain
SQL, so both engines are held to the same, independently computed numbers.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from healthscore.errors import HealthscoreError
from healthscore.ingest import load_frames
from healthscore.store import Store, open_store
from healthscore.store.queries import (
    accounts,
    activity,
    engagement,
    events,
    outcomes,
    scores,
    span,
    summary,
)

from .conftest import FIRST_SNAPSHOT, LAST_SNAPSHOT

On = Callable[..., Any]


def weekly(first: dt.date, last: dt.date) -> list[dt.date]:
    return [first + dt.timedelta(days=7 * i) for i in range((last - first).days // 7 + 1)]


def sql(store: Store, query: str, params: list[Any] | None = None) -> list[tuple[Any, ...]]:
    return store.con.execute(query, params or []).fetchall()


def small_store(path: Path, *, named: str = "Acme") -> Store:
    """Three accounts (two carrying the same name), subscriptions, events, one snapshot."""
    store = open_store(path)
    load_frames(
        store,
        {
            "accounts": pd.DataFrame(
                {
                    "account_id": ["A1", "A2", "A3"],
                    "name": [named, named.upper(), "Borealis"],
                    "segment": ["smb", None, "enterprise"],
                    "owner_csm": ["Ann Lee", "Bo Chan", None],
                    "mrr": [100.0, None, 900.0],
                }
            ),
            "subscriptions": pd.DataFrame(
                {
                    "subscription_id": ["s1", "s2", "s3", "s4"],
                    "account_id": ["A1", "A1", "A2", "A3"],
                    "product": "core",
                    "start_date": [
                        dt.date(2024, 1, 1),
                        dt.date(2024, 2, 1),
                        dt.date(2024, 1, 15),
                        dt.date(2024, 1, 1),
                    ],
                    "end_date": [dt.date(2024, 2, 1), None, dt.date(2024, 3, 1), None],
                    "mrr": [100.0, 150.0, 50.0, 900.0],
                }
            ),
            "events": pd.DataFrame(
                {
                    "account_id": ["A1", "A1", "A3", "A3", "A3"],
                    "event_time": pd.to_datetime(
                        [
                            "2024-01-03 10:00",
                            "2024-03-10 23:59",
                            "2024-01-02 00:00",
                            "2024-02-20 08:00",
                            "2024-03-31 12:00",
                        ]
                    ),
                    "event_type": ["login", "export", "login", "login", "export"],
                }
            ),
        },
    )
    return store


# -- accounts ------------------------------------------------------------------------------


def test_example_account_is_the_lowest_red_of_the_newest_snapshot_holding_one(
    scored: Store, on: On
) -> None:
    (expected,) = sql(
        scored,
        "SELECT account_id FROM score_snapshots WHERE band = 'red' "
        "ORDER BY as_of DESC, score, account_id LIMIT 1",
    )[0]
    assert accounts.example_account(on(scored, shared=True)) == expected


def test_example_account_without_red_scores_is_the_biggest_by_mrr(tmp_path: Path, on: On) -> None:
    with small_store(tmp_path / "s.duckdb") as store:
        assert accounts.example_account(on(store)) == "A3"
    with open_store(tmp_path / "empty.duckdb") as empty:
        assert accounts.example_account(on(empty)) is None


def test_find_account_by_id_or_by_name(tmp_path: Path, on: On) -> None:
    with small_store(tmp_path / "s.duckdb") as store:
        src = on(store)
        assert accounts.find_account(src, "A2") == "A2"
        assert accounts.find_account(src, "borealis") == "A3"
        assert accounts.find_account(src, "nobody") is None
        with pytest.raises(HealthscoreError, match=r"2 accounts are named 'acme' \(A1, A2\)"):
            accounts.find_account(src, "acme")
        assert accounts.account_exists(src, "A1")
        assert not accounts.account_exists(src, "Acme")


def test_segments_owners_and_profiles(tmp_path: Path, on: On) -> None:
    with small_store(tmp_path / "s.duckdb") as store:
        src = on(store)
        assert accounts.account_segments(src) == {"A1": "smb", "A2": None, "A3": "enterprise"}
        assert accounts.known_segments(src) == ["enterprise", "smb"]
        assert accounts.known_owners(src) == ["Ann Lee", "Bo Chan"]
        assert accounts.account_profile(src, "A3") == {
            "name": "Borealis",
            "segment": "enterprise",
            "owner": None,
            "arr": 10800.0,
            "renewal_date": None,
        }
        assert accounts.account_profile(src, "nope") == dict.fromkeys(
            ("name", "segment", "owner", "arr", "renewal_date")
        )


def test_portfolio_rows_match_the_stored_snapshot(scored: Store, on: On) -> None:
    src = on(scored, shared=True)
    week, month = LAST_SNAPSHOT - dt.timedelta(days=7), LAST_SNAPSHOT - dt.timedelta(days=28)
    got = {
        r["account_id"]: r
        for r in accounts.portfolio(src, LAST_SNAPSHOT, week_before=week, month_before=month)
    }
    expected = sql(
        scored,
        """SELECT s.account_id, a.name, a.segment, a.owner_csm,
                  round(coalesce(a.arr, 12 * a.mrr, 12 * sub.mrr), 2), a.renewal_date, s.score,
                  s.band, s.confidence, s.coverage, s.score - p7.score, s.score - p30.score
           FROM score_snapshots s LEFT JOIN accounts a USING (account_id)
           LEFT JOIN (SELECT account_id, sum(mrr) AS mrr FROM subscriptions
                      WHERE start_date <= $1 AND (end_date IS NULL OR end_date > $1)
                      GROUP BY account_id) sub USING (account_id)
           LEFT JOIN score_snapshots p7 ON p7.account_id = s.account_id AND p7.as_of = $2
           LEFT JOIN score_snapshots p30 ON p30.account_id = s.account_id AND p30.as_of = $3
           WHERE s.as_of = $1""",
        [LAST_SNAPSHOT, week, month],
    )
    assert len(got) == len(expected) > 50
    for row in expected:
        assert_row(got[row[0]], dict(zip(accounts.PORTFOLIO_COLUMNS, row, strict=True)))
    assert any(r["trend_7d"] not in (None, 0) for r in got.values())


def assert_row(got: dict[str, Any], expected: dict[str, Any]) -> None:
    assert list(got) == list(expected)
    for key, want in expected.items():
        have = got[key]
        if isinstance(want, float) and not math.isnan(want):
            assert have == pytest.approx(want, abs=1e-9), key
        elif isinstance(want, float) or want is None:
            assert have is None or (isinstance(have, float) and math.isnan(have)), key
        else:
            assert have == want, key


def test_portfolio_filters(scored: Store, on: On) -> None:
    src = on(scored, shared=True)

    def ids(**filters: Any) -> set[str]:
        return {r["account_id"] for r in accounts.portfolio(src, LAST_SNAPSHOT, **filters)}

    def stored(where: str, *params: Any) -> set[str]:
        return {
            r[0]
            for r in sql(
                scored,
                "SELECT s.account_id FROM score_snapshots s LEFT JOIN accounts a "
                f"USING (account_id) WHERE s.as_of = ? AND {where}",
                [LAST_SNAPSHOT, *params],
            )
        }

    assert ids(band="RED") == stored("s.band = 'red'") != set()
    assert ids(unscored=True) == stored("s.band IS NULL")
    assert ids(segment="SMB") == stored("a.segment = 'smb'") != set()
    owner = sql(scored, "SELECT owner_csm FROM accounts WHERE owner_csm IS NOT NULL LIMIT 1")[0][0]
    part = owner.split()[-1][1:4]
    assert ids(owner=part.upper()) == stored("lower(a.owner_csm) LIKE ?", f"%{part.lower()}%")
    trends = accounts.portfolio(src, LAST_SNAPSHOT)
    assert all(r["trend_7d"] is None and r["trend_30d"] is None for r in trends)


# -- scores --------------------------------------------------------------------------------


def test_snapshot_dates_and_rows(scored: Store, on: On) -> None:
    src = on(scored, shared=True)
    days = weekly(FIRST_SNAPSHOT, LAST_SNAPSHOT)
    assert scores.snapshot_dates(src) == days
    picked = [days[1], days[-1]]
    got = scores.read_snapshots(src, picked)
    want = scored.con.execute(
        "SELECT * FROM score_snapshots WHERE as_of IN (?, ?) ORDER BY as_of, account_id", picked
    ).df()
    pd.testing.assert_frame_equal(got, want, check_exact=False, atol=1e-9)
    assert len(scores.read_snapshots(src)) == scored.count("score_snapshots")
    assert scores.read_snapshots(src, []).empty
    assert scores.known_bands(src) == ["green", "red", "yellow"]


def test_one_accounts_snapshot_groups_and_measures(scored: Store, on: On) -> None:
    src = on(scored, shared=True)
    acct, day = sql(
        scored,
        "SELECT account_id, max(as_of) FROM score_snapshots WHERE score IS NOT NULL "
        "GROUP BY 1 ORDER BY 1 LIMIT 1",
    )[0]
    assert scores.latest_snapshot_date(src, acct) == day == LAST_SNAPSHOT
    mid = dt.date(2026, 10, 1)
    assert scores.latest_snapshot_date(src, acct, mid) == dt.date(2026, 9, 26)
    assert scores.latest_snapshot_date(src, acct, dt.date(2026, 1, 1)) is None
    assert scores.latest_snapshot_date(src, "no-such-account") is None

    snap = scores.account_snapshot(src, acct, day)
    want = sql(
        scored,
        "SELECT score, band, confidence, coverage, confidence_note, scorecard_version "
        "FROM score_snapshots WHERE account_id = ? AND as_of = ?",
        [acct, day],
    )[0]
    assert snap is not None
    assert_row(snap, dict(zip(snap, want, strict=True)))
    assert scores.account_snapshot(src, acct, dt.date(2026, 9, 6)) is None

    prev = scores.previous_score(src, acct, day)
    (p_day, p_score) = sql(
        scored,
        "SELECT as_of, score FROM score_snapshots WHERE account_id = ? AND as_of = ?",
        [acct, day - dt.timedelta(days=7)],
    )[0]
    assert prev is not None
    assert prev.as_of == p_day
    assert prev.score == pytest.approx(p_score)
    assert scores.previous_score(src, acct, FIRST_SNAPSHOT) is None

    groups = scores.group_rows(src, acct, day).sort_values("group_name", ignore_index=True)
    want_g = scored.con.execute(
        "SELECT group_name, score, weight, effective_weight, contribution FROM score_groups "
        "WHERE account_id = ? AND as_of = ? ORDER BY group_name",
        [acct, day],
    ).df()
    pd.testing.assert_frame_equal(groups, want_g, check_exact=False, atol=1e-9)
    assert len(groups) >= 4
    meas = scores.measure_rows(src, acct, day).sort_values("measure", ignore_index=True)
    want_m = scored.con.execute(
        "SELECT * FROM score_measures WHERE account_id = ? AND as_of = ? ORDER BY measure",
        [acct, day],
    ).df()
    pd.testing.assert_frame_equal(meas, want_m, check_exact=False, atol=1e-9)


# -- the data span, events, activity, summary ----------------------------------------------


def test_data_range_is_the_first_and_newest_observed_day(tmp_path: Path, on: On) -> None:
    with small_store(tmp_path / "s.duckdb") as store:
        src = on(store)
        assert span.data_range(src) == (dt.date(2024, 1, 1), dt.date(2024, 3, 31))
        assert span.data_range(src, dt.date(2024, 3, 1)) == (
            dt.date(2024, 1, 1),
            dt.date(2024, 3, 1),
        )
    with open_store(tmp_path / "empty.duckdb") as empty:
        assert span.data_range(on(empty)) is None


def test_data_range_leaves_out_future_milestones(scored: Store, on: On) -> None:
    (first, last) = sql(
        scored,
        "SELECT least(min(start_date), min(CAST(event_time AS DATE))), "
        "max(CAST(event_time AS DATE)) FROM accounts, events",
    )[0]
    future = sql(scored, "SELECT max(due_date) FROM milestones")[0][0]
    assert future > last
    assert span.data_range(on(scored, shared=True)) == (first, last)


def test_event_type_counts(scored: Store, on: On) -> None:
    got = events.event_type_counts(on(scored, shared=True))
    want = sql(
        scored,
        "SELECT event_type, count(*) AS n FROM events GROUP BY 1 ORDER BY n DESC, event_type",
    )
    assert got == want
    assert len(got) >= 5


def test_days_since_activity(tmp_path: Path, on: On) -> None:
    with small_store(tmp_path / "s.duckdb") as store:
        got = activity.days_since_activity(
            on(store), [dt.date(2024, 1, 1), dt.date(2024, 3, 10)], "idle"
        )
    assert got.to_dict("records") == [
        # A1: first subscription starts that day, no event yet; A3: no event before the 2nd.
        {"as_of": dt.date(2024, 1, 1), "account_id": "A1", "idle": 0.0},
        {"as_of": dt.date(2024, 1, 1), "account_id": "A3", "idle": 0.0},
        {"as_of": dt.date(2024, 3, 10), "account_id": "A1", "idle": 0.0},  # 23:59 counts
        {"as_of": dt.date(2024, 3, 10), "account_id": "A2", "idle": 55.0},  # since 2024-01-15
        {"as_of": dt.date(2024, 3, 10), "account_id": "A3", "idle": 19.0},  # since 2024-02-20
    ]


def test_days_since_activity_carries_the_last_event_over_dates_without_one(
    tmp_path: Path, on: On
) -> None:
    # Each event is read once, in the slice up to its date; a later date without events
    # of its own still counts from the newest one before it.
    with small_store(tmp_path / "s.duckdb") as store:
        got = activity.days_since_activity(
            on(store), [dt.date(2024, 1, 20), dt.date(2024, 2, 1), dt.date(2024, 3, 10)]
        )
    a2 = got[got["account_id"] == "A2"]
    assert list(zip(a2["as_of"], a2["days_since_activity"], strict=True)) == [
        (dt.date(2024, 1, 20), 5.0),
        (dt.date(2024, 2, 1), 17.0),
        (dt.date(2024, 3, 10), 55.0),
    ]


def test_portfolio_summary(scored: Store, on: On) -> None:
    got = summary.portfolio_summary(on(scored, shared=True))
    n, churned = sql(
        scored,
        "SELECT count(*), count(*) FILTER (WHERE account_id NOT IN "
        "(SELECT account_id FROM subscriptions WHERE end_date IS NULL)) FROM accounts",
    )[0]
    assert (got["accounts"], got["churned"], got["active"]) == (n, churned, n - churned)
    assert got["rows"]["events"] == got["events"] == scored.count("events")
    assert got["rows"] == {k: scored.count(k) for k in got["rows"]}
    assert summary.row_count(on(scored, shared=True), "features") == scored.count("features") > 0
    assert got["mrr"] == pytest.approx(sql(scored, "SELECT sum(mrr) FROM accounts")[0][0])
    assert sum(s["accounts"] for s in got["by_segment"].values()) == n
    first, last = sql(scored, "SELECT min(event_time), max(event_time) FROM events")[0]
    assert (got["first_date"], got["last_date"]) == (first.date(), last.date())
    (open_n,) = sql(scored, "SELECT count(*) FROM tickets WHERE status IN ('open', 'pending')")[0]
    (answered,) = sql(scored, "SELECT count(*) FROM surveys WHERE responded_at IS NOT NULL")[0]
    assert (got["open_tickets"], got["survey_responses"]) == (open_n, answered)
    assert open_n > 0 and answered > 0


# -- outcomes' inputs ----------------------------------------------------------------------


def test_subscription_rows_and_first_event(tmp_path: Path, on: On) -> None:
    with small_store(tmp_path / "s.duckdb") as store:
        src = on(store)
        got = outcomes.subscription_rows(src, dt.date(2024, 1, 31))
        assert outcomes.first_event_day(src) == dt.date(2024, 1, 2)
    got["start_date"] = pd.to_datetime(got["start_date"]).dt.date
    got["end_date"] = pd.to_datetime(got["end_date"]).dt.date
    assert sorted(got.itertuples(index=False, name=None)) == [
        ("A1", dt.date(2024, 1, 1), dt.date(2024, 2, 1), 100.0),
        ("A2", dt.date(2024, 1, 15), dt.date(2024, 3, 1), 50.0),
        ("A3", dt.date(2024, 1, 1), outcomes.OPEN_END, 900.0),
    ]


def test_subscription_changes(tmp_path: Path, on: On) -> None:
    with small_store(tmp_path / "s.duckdb") as store:
        got = outcomes.subscription_changes(
            on(store),
            until=dt.date(2024, 3, 31),
            grace_days=7,
            billing_end=dt.date(2024, 3, 31),
            tolerance=0.01,
        )
    assert got.to_dict("records") == [
        # A1 renewed into a bigger plan on the day its first one ended: one spell, no churn.
        {"account_id": "A1", "outcome": "expansion", "date": dt.date(2024, 2, 1),
         "mrr_before": 100.0, "mrr_after": 150.0},
        {"account_id": "A1", "outcome": "renewal", "date": dt.date(2024, 2, 1),
         "mrr_before": pytest.approx(math.nan, nan_ok=True), "mrr_after": 150.0},
        # A2 ended 2024-03-01 and did not come back within the grace week.
        {"account_id": "A2", "outcome": "churn", "date": dt.date(2024, 3, 1),
         "mrr_before": pytest.approx(math.nan, nan_ok=True), "mrr_after": 0.0},
    ]  # fmt: skip


def test_subscription_changes_of_the_demo_match_the_embedded_store(scored: Store, on: On) -> None:
    from healthscore.predict.outcomes import derive_outcomes

    full = derive_outcomes(scored)
    got = outcomes.subscription_changes(
        on(scored, shared=True),
        until=full.data_end,
        grace_days=7,
        billing_end=full.billing_end,
        tolerance=0.01,
    )
    assert set(full.events["outcome"]) == {"churn", "renewal", "expansion", "contraction"}
    pd.testing.assert_frame_equal(got, full.events, check_exact=False, atol=1e-9)


# -- engagement ----------------------------------------------------------------------------


def records(df: pd.DataFrame) -> list[tuple[Any, ...]]:
    return sorted(df.itertuples(index=False, name=None))


def test_engagement_per_account(scored: Store, on: On) -> None:
    src = on(scored, shared=True)
    starts = records(engagement.account_starts(src))
    assert starts == [
        (a, seg, per, pd.Timestamp(d))
        for a, seg, per, d in sql(
            scored,
            "SELECT a.account_id, coalesce(a.segment, '(none)'), coalesce(a.persona, '(none)'), "
            "coalesce(min(a.start_date), min(s.start_date)) FROM accounts a "
            "LEFT JOIN subscriptions s USING (account_id) "
            "GROUP BY a.account_id, a.segment, a.persona ORDER BY 1",
        )
    ]
    first = records(engagement.first_value_times(src))
    assert first == sql(
        scored,
        "SELECT e.account_id, min(e.event_time) FROM events e JOIN features f "
        "ON f.feature = e.event_type WHERE f.first_value GROUP BY 1 ORDER BY 1",
    )
    assert len(first) > 20
    nps = records(engagement.latest_nps(src))
    assert nps == sql(
        scored,
        "SELECT account_id, arg_max(score, responded_at) FROM surveys "
        "WHERE survey_type = 'nps' AND score IS NOT NULL GROUP BY 1 ORDER BY 1",
    )
    assert len(nps) > 20
    adv = records(engagement.advocacy_counts(src))
    assert adv == sql(
        scored,
        "SELECT account_id, count(*), count(*) FILTER (WHERE kind = 'referral') "
        "FROM advocacy GROUP BY 1 ORDER BY 1",
    )
    assert any(r[2] for r in adv)
    touches = records(engagement.interaction_counts(src))
    assert touches == sql(
        scored, "SELECT account_id, count(*) FROM interactions GROUP BY 1 ORDER BY 1"
    )
