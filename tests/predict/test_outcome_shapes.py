"""Outcomes from every common billing shape, on small hand-written files (docs/outcomes.md).

Each file goes through the real importer (`import_files`), as a user would import it.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd
import pytest

from healthscore.errors import HealthscoreError
from healthscore.ingest import import_files
from healthscore.predict.backtest import run_backtest
from healthscore.predict.outcomes import derive_outcomes
from healthscore.store import Store, open_store

D = dt.date
EXPORT_DAY = D(2024, 6, 30)

# A Stripe-style export: one row per subscription, no renewal rows; Stripe's own names.
STRIPE_MAP = {
    "id": "subscription_id",
    "customer": "account_id",
    "plan": "product",
    "created": "start_date",
    "ended_at": "end_date",
}
STRIPE = """id,customer,plan,status,created,canceled_at,ended_at,current_period_end,mrr
sub_1,a1,pro,canceled,2021-03-04,2024-01-10,2024-01-10,2024-02-04,100
sub_2,a2,pro,canceled,2020-07-01,2024-02-20,2024-03-01,2024-03-01,100
sub_3,a3,basic,canceled,2022-11-15,2024-03-02,,2024-03-15,50
sub_4,a4,basic,active,2023-05-09,2024-04-01,,2024-05-09,50
sub_5,a5,team,canceled,2019-09-30,2024-05-05,2024-05-05,2024-05-30,300
sub_6,a6,team,active,2018-01-01,,,2024-07-01,300
sub_7,a7,pro,active,2022-02-02,,,2024-07-02,100
sub_8,a8,pro,active,2023-12-12,2024-06-20,,2024-07-12,100
"""
STRIPE_CHURNS = [
    ("a1", D(2024, 1, 10)),  # canceled at once: ended_at
    ("a2", D(2024, 3, 1)),  # canceled at the term end: ended_at = current_period_end
    ("a3", D(2024, 3, 15)),  # canceled, no ended_at: ends at current_period_end
    ("a4", D(2024, 5, 9)),  # still "active", cancellation scheduled for the term end (reached)
    ("a5", D(2024, 5, 5)),  # canceled at once
]


def _write(tmp_path: Path, name: str, text: str) -> Path:
    p = tmp_path / name
    p.write_text(text)
    return p


def _events(tmp_path: Path, accounts: list[str], until: dt.date) -> Path:
    """One login per account and week from 2023-10-01 to `until` (the export day)."""
    days = pd.date_range("2023-10-01", until, freq="7D")
    rows = [f"{a},{d.date()}T10:00:00,login" for a in accounts for d in days]
    return _write(tmp_path, "events.csv", "account_id,event_time,event_type\n" + "\n".join(rows))


def _import_subscriptions(store: Store, path: Path, mapping: dict[str, str] | None) -> None:
    """The real importer; it keeps the billing-state columns (status, canceled_at,
    current_period_end, trial_end, paused_at, resumes_at) the outcomes read."""
    import_files(store, "subscriptions", [path], mapping=mapping)
    kept = store.con.execute(
        "SELECT count(status), count(canceled_at), count(current_period_end) FROM subscriptions"
    ).fetchone()
    file_cols = set(pd.read_csv(path, nrows=0).columns)
    for col, n in zip(("status", "canceled_at", "current_period_end"), kept, strict=True):
        assert (n > 0) == (col in file_cols), col


def _store(tmp_path: Path, subs_csv: str, mapping: dict[str, str] | None = None) -> Store:
    subs = _write(tmp_path, "subs.csv", subs_csv)
    col = "customer" if "customer" in (mapping or {}) else "account_id"
    ids = sorted(set(pd.read_csv(subs)[col].astype(str)))
    accounts = _write(tmp_path, "accounts.csv", "account_id\n" + "\n".join(ids))
    store = open_store(tmp_path / "s.duckdb")
    import_files(store, "accounts", [accounts])
    _import_subscriptions(store, subs, mapping)
    import_files(store, "events", [_events(tmp_path, ids, EXPORT_DAY)])
    return store


def _churns(o) -> list[tuple[str, dt.date]]:
    return sorted((r.account_id, r.date) for r in o.of("churn").itertuples())


def test_stripe_export_with_five_cancellations_gives_five_churns(tmp_path: Path) -> None:
    store = _store(tmp_path, STRIPE, STRIPE_MAP)
    o = derive_outcomes(store, grace_days=7)
    assert o.billing_end == EXPORT_DAY  # the data end, not the newest start (2023-12-12)
    assert _churns(o) == sorted(STRIPE_CHURNS)
    # a8 asked to cancel on 06-20, effective 07-12: after the export day, not churn yet.
    assert "a8" not in {a for a, _ in _churns(o)}
    # Known on 2024-04-15: a4's cancellation was asked for (04-01) but not reached, and a5's
    # was not asked for yet.
    early = derive_outcomes(store, grace_days=7, as_of=D(2024, 4, 15))
    assert _churns(early) == sorted(STRIPE_CHURNS[:3])
    active = set(early.active_at([D(2024, 4, 15)])["account_id"])
    assert active == {"a4", "a5", "a6", "a7", "a8"}


def test_billing_date_given_by_the_user_bounds_what_is_known(tmp_path: Path) -> None:
    store = _store(tmp_path, STRIPE, STRIPE_MAP)
    o = derive_outcomes(store, grace_days=7, billing_date=D(2024, 3, 10))
    assert o.billing_end == D(2024, 3, 10)
    assert _churns(o) == [("a1", D(2024, 1, 10)), ("a2", D(2024, 3, 1))]
    assert "given" in o.billing_reason


def test_a_snapshot_alone_is_read_up_to_its_import_day(tmp_path: Path) -> None:
    subs = _write(tmp_path, "subs.csv", STRIPE)
    accounts = _write(tmp_path, "a.csv", "account_id\n" + "\n".join(f"a{i}" for i in range(1, 9)))
    store = open_store(tmp_path / "s.duckdb")
    import_files(store, "accounts", [accounts])
    _import_subscriptions(store, subs, STRIPE_MAP)
    o = derive_outcomes(store, grace_days=7)
    today = dt.datetime.now(dt.UTC).date()
    assert o.billing_end == today and o.data_end == today
    # a8's cancellation (07-12) is reached too by now.
    assert len(_churns(o)) == 6


HISTORY = """account_id,product,start_date,end_date,mrr
r1,basic,2024-01-01,2024-02-01,10
r1,basic,2024-02-01,2024-03-01,10
r2,basic,2024-01-01,2024-02-01,10
r2,basic,2024-02-01,2024-03-01,10
r2,basic,2024-03-01,2024-04-01,10
r2,basic,2024-04-01,2024-05-01,10
r2,basic,2024-05-01,2024-06-01,10
r2,basic,2024-06-01,2024-07-01,10
"""


def test_a_row_per_renewal_is_read_up_to_its_newest_renewal(tmp_path: Path) -> None:
    store = _store(tmp_path, HISTORY)
    o = derive_outcomes(store, grace_days=7)
    # Every row ended: a history, whose billing "today" is its newest renewal (06-01), not
    # the events' end (06-30); r2's last term ends after it (censored).
    assert o.billing_end == D(2024, 6, 1) and o.data_end == EXPORT_DAY
    assert "renewal" in o.billing_reason
    assert _churns(o) == [("r1", D(2024, 3, 1))]
    assert len(o.of("renewal")) == 6


TRIALS_PAUSES_ADDONS = """id,account_id,product,start_date,end_date,mrr,status,trial_end,paused_at,resumes_at
q0,t1,pro,2024-01-01,2024-01-15,100,canceled,2024-01-15,,
q1,t2,pro,2024-01-01,2024-04-01,100,canceled,2024-01-15,,
q2,t3,pro,2024-05-01,,100,trialing,2024-07-15,,
q3,p1,pro,2023-06-01,,100,active,,2024-02-01,2024-03-01
q4,p2,pro,2023-06-01,2024-04-10,100,canceled,,2024-03-01,
q5,p3,pro,2023-06-01,,100,paused,,2024-05-01,
q6,o1,base,2023-01-01,,200,active,,,
q7,o1,seats_addon,2023-06-01,2024-02-01,50,canceled,,,
q8,o2,base,2023-01-01,2024-03-01,200,canceled,,,
q9,o2,seats_addon,2023-06-01,2024-04-01,50,canceled,,,
"""


def test_trials_pauses_and_overlapping_addons(tmp_path: Path) -> None:
    store = _store(tmp_path, TRIALS_PAUSES_ADDONS, {"id": "subscription_id"})
    o = derive_outcomes(store, grace_days=7)
    churns = dict(_churns(o))
    # A trial that never turned paid is no churn; one that did churns at its end.
    assert "t1" not in churns and churns["t2"] == D(2024, 4, 1)
    # A trial still running is no paying customer yet.
    assert "t3" not in set(o.active_at([D(2024, 6, 1)])["account_id"])
    # A pause is neither churn nor contraction; a canceled paused row churns at its end.
    assert "p1" not in churns and "p3" not in churns
    assert churns["p2"] == D(2024, 4, 10)
    contractions = set(o.of("contraction")["account_id"])
    assert not contractions & {"p1", "p2", "p3"}
    assert "p3" in set(o.active_at([D(2024, 6, 1)])["account_id"])
    # An add-on ending under a running base is a contraction; the account churns when the
    # last of its overlapping rows ends.
    assert "o1" not in churns and "o1" in contractions
    assert churns["o2"] == D(2024, 4, 1)
    assert sorted(churns) == ["o2", "p2", "t2"]


def test_backtest_on_open_ended_subscriptions_says_what_is_missing(tmp_path: Path) -> None:
    """Issue 16: it raised BinderException '+(NULL, INTERVAL)'."""
    rows = "\n".join(f"x{i},pro,2023-0{1 + i % 9}-01,,100" for i in range(12))
    store = _store(tmp_path, "account_id,product,start_date,end_date,mrr\n" + rows + "\n")
    o = derive_outcomes(store, grace_days=7)
    assert _churns(o) == []
    with pytest.raises(HealthscoreError, match="churn"):
        run_backtest(store, min_outcomes=5)


def test_outcomes_command_lists_what_it_read_with_mrr_before_and_after(tmp_path: Path) -> None:
    """`healthscore outcomes`: each outcome with its date and MRR, and up to when churn is
    known and why, so a user can check the reading of their billing history."""
    import json

    from typer.testing import CliRunner

    from healthscore.cli import app

    _store(tmp_path, STRIPE, STRIPE_MAP).close()
    runner = CliRunner()
    db = str(tmp_path / "s.duckdb")
    res = runner.invoke(app, ["outcomes", "--db", db, "--format", "json"])
    assert res.exit_code == 0, res.output
    doc = json.loads(res.stdout)
    assert doc["churn_known_until"] == str(EXPORT_DAY - dt.timedelta(days=7))
    assert "other signals end on 2024-06-30" in doc["why"]
    got = [(r["account_id"], r["date"], r["mrr_before"], r["mrr_after"]) for r in doc["outcomes"]]
    mrr = {"a1": 100.0, "a2": 100.0, "a3": 50.0, "a4": 50.0, "a5": 300.0}
    assert got == [(a, str(d), mrr[a], 0.0) for a, d in sorted(STRIPE_CHURNS)]
    res = runner.invoke(app, ["outcomes", "--db", db, "--account", "a4", "--format", "csv"])
    assert res.exit_code == 0, res.output
    assert res.stdout.splitlines()[1:] == ["a4,churn,2024-05-09,50.0,0.0"]
    assert "churn is known up to 2024-06-23" in res.stderr


def test_outcomes_command_shows_renewals_and_contractions(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from healthscore.cli import app

    _store(tmp_path, TRIALS_PAUSES_ADDONS, {"id": "subscription_id"}).close()
    res = CliRunner().invoke(
        app, ["outcomes", "--db", str(tmp_path / "s.duckdb"), "--account", "o1", "-f", "csv"]
    )
    assert res.exit_code == 0, res.output
    # o1's add-on (50) ends under its running base (200).
    assert "o1,contraction,2024-02-01,250.0,200.0" in res.stdout.splitlines()


def test_a_term_ending_after_the_newest_renewal_still_runs_on_predicts_day(
    tmp_path: Path,
) -> None:
    """ChurnSim writes renewals up to its newest one while events run a month on: r3's term
    ends 06-15, after the newest renewal (06-01); its renewal is not written yet, so on the
    events' last day (06-30) r3 is still a customer to score, not a lost one."""
    rows = HISTORY + "r3,basic,2024-04-15,2024-05-15,10\nr3,basic,2024-05-15,2024-06-15,10\n"
    store = _store(tmp_path, rows)
    o = derive_outcomes(store, grace_days=7)
    assert o.billing_end == D(2024, 6, 1) and o.data_end == EXPORT_DAY
    assert set(o.active_at([EXPORT_DAY])["account_id"]) == {"r2", "r3"}
    assert set(o.active_at([D(2024, 3, 15)])["account_id"]) == {"r2"}  # r1 churned 03-01
    assert "r3" not in {a for a, _ in _churns(o)}  # censored, not churn


def test_a_scheduled_row_does_not_move_the_billing_today(tmp_path: Path) -> None:
    """A subscription that starts after the export (Chargebee's `future`, Stripe's
    `incomplete`) is no observed data: the billing today stays the other signals' end."""
    rows = STRIPE + "sub_9,a9,pro,future,2024-07-20,,,,100\n"
    store = _store(tmp_path, rows, STRIPE_MAP)
    o = derive_outcomes(store, grace_days=7)
    assert o.billing_end == EXPORT_DAY and o.data_end == EXPORT_DAY
    assert _churns(o) == sorted(STRIPE_CHURNS)
