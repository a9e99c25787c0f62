"""The demo ends with open CTAs of several types, evidence in words, a review ask after a
resolved ticket, a referral ask for a promoter, capacity deferring some, and an
effectiveness report over the simulated team's history."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest

from healthscore.actions import effectiveness, list_ctas
from healthscore.actions.facts import model_churn
from healthscore.demo import build_and_score
from healthscore.store import Store, open_store


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Store, dict]]:
    path: Path = tmp_path_factory.mktemp("actions-demo") / "demo.duckdb"
    store = open_store(path)
    run = build_and_score(store, n_accounts=150, months=12, seed=3)
    yield store, run.actions or {}
    store.close()


def test_the_demo_ends_with_open_ctas_of_several_types(demo: tuple[Store, dict]) -> None:
    store, summary = demo
    ctas = list_ctas(store)
    assert summary["open"] == len(ctas) > 0
    assert len({c.type for c in ctas}) >= 3
    assert all(c.evidence and all(isinstance(e, str) and e for e in c.evidence) for c in ctas)
    reviews = [c for c in ctas if c.rule == "review_ask" and any("ticket" in e for e in c.evidence)]
    assert reviews and any("ask for a review:" in e for e in reviews[0].evidence)
    referrals = [c for c in ctas if c.rule == "referral_ask"]
    assert referrals and "has never referred anyone" in referrals[0].evidence
    assert any(c.deferred for c in ctas)  # capacity defers, visibly
    assert summary["lines"][0].startswith("Calls-to-action on ")


def test_the_demo_history_feeds_the_effectiveness_report(demo: tuple[Store, dict]) -> None:
    store, summary = demo
    assert summary["history"]["weeks"] > 0 and summary["history"]["held_back"] > 0
    rep = effectiveness(store)
    overall = next(r for r in rep.rows if r.kind == "all")
    assert overall.shown > 0 and overall.held_back > 0 and overall.worked > 0
    assert overall.verdict


def test_the_demos_last_run_ranks_by_the_churn_models_probability(
    demo: tuple[Store, dict],
) -> None:
    """The last day's run trains the churn model (the demo has the churned customers to
    train on) and its CTAs carry the model's probability, saying so."""
    store, summary = demo
    today = [c for c in list_ctas(store) if c.last_fired_on == summary["as_of"]]
    assert today
    pred, source = model_churn(store, summary["as_of"])
    assert pred is not None, source
    for c in today:
        assert c.churn_source == source
        assert c.churn_probability == pytest.approx(float(pred[c.account_id]), abs=1e-4)
        assert c.priority == pytest.approx(
            (c.arr_at_stake or 0) * (c.churn_probability or 0) * (c.urgency or 0), abs=0.01
        )


def test_an_alerts_run_reads_the_kept_metric_history_and_finds_the_same_changes(
    demo: tuple[Store, dict],
) -> None:
    from healthscore.actions.api import default_as_of
    from healthscore.actions.facts import HISTORY_WEEKS, gather_facts, history_dates
    from healthscore.store.queries.changes import metric_history

    store, _ = demo
    day = default_as_of(store)
    earlier = [d for d in history_dates(day, HISTORY_WEEKS) if d != day]
    kept = metric_history(store, earlier)
    assert set(kept["as_of"]) == set(earlier)  # scoring kept every earlier date of the grid
    per_date = kept.groupby("as_of").size()
    scored = store.con.execute(
        "SELECT count(*) FROM score_snapshots WHERE as_of = ?", [earlier[0]]
    ).fetchone()[0]  # type: ignore[index]
    assert per_date[earlier[0]] >= scored > 0
    with_kept = gather_facts(store, day, calibrate=False)
    store.con.execute("BEGIN TRANSACTION")
    try:
        store.con.execute("DELETE FROM metric_history")
        recomputed = gather_facts(store, day, calibrate=False)
    finally:
        store.con.execute("ROLLBACK")
    assert len(with_kept.changes) > 0
    cols = ["account_id", "metric", "kind", "direction", "before_value", "after_value", "started"]
    a = with_kept.changes[cols].sort_values(cols[:3]).reset_index(drop=True)
    b = recomputed.changes[cols].sort_values(cols[:3]).reset_index(drop=True)
    pd.testing.assert_frame_equal(a, b)
