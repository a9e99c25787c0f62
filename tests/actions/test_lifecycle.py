"""CTAs through their life: one per account and reason, persistence, cooldown and hold,
snooze and wake, auto-resolve, close with an outcome, the hold-out, the outbox, the queue,
and a rule failing at run time while the others run."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from healthscore.actions import (
    CtaNotFound,
    IllegalTransition,
    assign_cta,
    close_cta,
    cta_history,
    get_cta,
    list_ctas,
    parse_rules,
    snooze_cta,
    tick_step,
    update_cta,
)
from healthscore.actions.holdout import held_back
from healthscore.actions.run import apply_rules
from healthscore.store import Store, open_store

from .conftest import AS_OF, add_accounts, make_facts

RULES = parse_rules(
    """
capacity: {unit: ctas, per_week: 100}
playbooks:
  - name: call
    steps:
      - {title: Call the champion, due_days: 2}
      - {title: Send the recap, due_days: 4, owner: team-lead}
rules:
  - name: low_score
    type: risk
    reason: Score is low
    holdout: 0
    playbook: call
    when:
      - score: {below: 50}
  - name: slow
    type: risk
    reason: Slow tickets
    holdout: 0
    hold_days: 7
    when:
      - metric: {name: support_median_resolution_hours_90d, above: 72}
  - name: detractor
    type: risk
    reason: Detractor
    holdout: 0
    auto_resolve: false
    max_fires: {count: 1, days: 30}
    when:
      - metric: {name: voice_nps_latest, at_most: 6}
"""
)


def _run(store: Store, rows: dict, day: dt.date = AS_OF, rules=RULES, now: bool = False):  # type: ignore[no-untyped-def]
    at = None if now else dt.datetime.combine(day, dt.time(8))
    return apply_rules(store, make_facts(store, rows, as_of=day), rules, at=at)


def _outbox(store: Store) -> list[tuple[str, str]]:
    return [
        tuple(r)
        for r in store.con.execute(
            "SELECT topic, key FROM outbox ORDER BY created_at, key"
        ).fetchall()
    ]


def test_one_cta_per_account_and_reason_refired_not_duplicated(store: Store) -> None:
    add_accounts(store, ["A", "B"])
    first = _run(store, {"A": {"score": 40}, "B": {"score": 80}})
    assert (first.opened, first.updated) == (1, 0)
    again = _run(store, {"A": {"score": 40}, "B": {"score": 80}})  # the same day: idempotent
    assert (again.opened, again.updated) == (0, 0)
    later = _run(store, {"A": {"score": 35}, "B": {"score": 80}}, AS_OF + dt.timedelta(days=1))
    assert (later.opened, later.updated) == (0, 1)
    (cta,) = list_ctas(store)
    assert cta.fire_count == 2 and cta.evidence == ["health score 35 (below 50)"]
    assert cta.account_name == "A Inc" and cta.owner == "Ana"
    assert [s.title for s in cta.steps] == ["Call the champion", "Send the recap"]
    assert cta.steps[1].owner == "team-lead" and cta.steps[0].due == AS_OF + dt.timedelta(days=2)
    # Notified once, when it opened: a condition that persists is not news.
    assert _outbox(store) == [("cta.opened", f"cta:{cta.id}:open:1")]
    payload = json.loads(store.con.execute("SELECT payload FROM outbox").fetchone()[0])
    assert payload["account_name"] == "A Inc" and payload["critical"] is False


def test_ctas_persist_across_reopening(tmp_path: Path) -> None:
    path = tmp_path / "p.duckdb"
    with open_store(path) as s:
        add_accounts(s, ["A"])
        _run(s, {"A": {"score": 40}})
    with open_store(path) as s:
        (cta,) = list_ctas(s)
        assert cta.reason == "Score is low" and cta.status == "open"
        assert [h["action"] for h in cta_history(s, cta.id)] == ["opened"]


def test_priority_is_arr_times_churn_probability_times_urgency(store: Store) -> None:
    _run(store, {"A": {"score": 40, "arr": 50_000, "churn_probability": 0.2}})
    (cta,) = list_ctas(store)
    assert (cta.arr_at_stake, cta.churn_probability, cta.urgency) == (50_000, 0.2, 1.0)
    assert cta.priority == pytest.approx(10_000)


def test_hold_days_before_firing(store: Store) -> None:
    slow = {"support_median_resolution_hours_90d": 100}
    for k in range(7):
        assert (
            _run(store, {"A": slow}, AS_OF + dt.timedelta(days=k)).per_rule["slow"]["opened"] == 0
        )
    assert _run(store, {"A": slow}, AS_OF + dt.timedelta(days=7)).per_rule["slow"]["opened"] == 1


def test_at_most_once_per_30_days(store: Store) -> None:
    det = {"voice_nps_latest": 3}
    _run(store, {"A": det})
    (cta,) = list_ctas(store)
    close_cta(store, cta.id, actor="ana", outcome="done", note="called")
    # Still a detractor ten days later: the cap holds it back; after 30 days it may fire again.
    assert _run(store, {"A": det}, AS_OF + dt.timedelta(days=10)).opened == 0
    assert _run(store, {"A": det}, AS_OF + dt.timedelta(days=30)).opened == 1


def test_auto_resolve_when_the_condition_recovers(store: Store) -> None:
    _run(store, {"A": {"score": 40}})
    (cta,) = list_ctas(store)
    run = _run(store, {"A": {"score": 70}}, AS_OF + dt.timedelta(days=1))
    assert run.resolved == 1
    closed = get_cta(store, cta.id)
    assert (closed.status, closed.outcome, closed.note) == (
        "closed",
        "auto_resolved",
        "the condition recovered",
    )
    assert _outbox(store)[-1] == ("cta.closed", f"cta:{cta.id}:closed:2")
    # A rule without auto_resolve keeps its CTA open.
    _run(store, {"B": {"voice_nps_latest": 2}}, AS_OF + dt.timedelta(days=2))
    _run(store, {"B": {"voice_nps_latest": 9}}, AS_OF + dt.timedelta(days=3))
    assert [c.rule for c in list_ctas(store)] == ["detractor"]


def test_snooze_until_a_date_then_wake(store: Store) -> None:
    _run(store, {"A": {"score": 40}})
    (cta,) = list_ctas(store)
    until = AS_OF + dt.timedelta(days=5)
    s = snooze_cta(store, cta.id, actor="ana", until=until, reason="customer on holiday")
    assert (s.status, s.snoozed_until, s.snooze_reason) == ("snoozed", until, "customer on holiday")
    _run(store, {"A": {"score": 40}}, AS_OF + dt.timedelta(days=4))
    assert get_cta(store, cta.id).status == "snoozed"
    woke = _run(store, {"A": {"score": 40}}, until, now=True)
    assert woke.woke == 1 and get_cta(store, cta.id).status == "open"
    actions = [(h["actor"], h["action"]) for h in cta_history(store, cta.id)]
    assert actions == [("healthscore", "opened"), ("ana", "snoozed"), ("healthscore", "woke")]


def test_close_with_outcome_and_the_state_machine(store: Store) -> None:
    _run(store, {"A": {"score": 40}})
    (cta,) = list_ctas(store)
    started = update_cta(store, cta.id, actor="ana", status="in_progress", note="on it")
    assert started.status == "in_progress" and started.note == "on it"
    ticked = tick_step(store, cta.id, 1, actor="ana")
    assert ticked.steps[0].done_by == "ana" and ticked.steps[0].done_at is not None
    assert assign_cta(store, cta.id, actor="ana", owner="Ben").owner == "Ben"
    closed = close_cta(store, cta.id, actor="ben", outcome="saved", note="renewed")
    assert (closed.status, closed.outcome, closed.note, closed.closed_on) == (
        "closed",
        "saved",
        "renewed",
        dt.date.today(),
    )
    hist = cta_history(store, cta.id)
    last = json.loads(hist[-1]["after_state"])
    assert (hist[-1]["actor"], last["status"], last["outcome"]) == ("ben", "closed", "saved")
    assert json.loads(hist[-1]["before_state"])["status"] == "in_progress"
    with pytest.raises(IllegalTransition, match="closed"):
        snooze_cta(store, cta.id, actor="ana", until=AS_OF, reason="x")
    with pytest.raises(IllegalTransition):
        close_cta(store, cta.id, actor="ana", outcome="done")
    with pytest.raises(Exception, match="unknown outcome"):
        close_cta(store, cta.id, actor="ana", outcome="meh")
    with pytest.raises(CtaNotFound, match="no call-to-action with id 999"):
        get_cta(store, 999)
    # Closed CTAs are listed only when asked for.
    assert list_ctas(store) == [] and [c.id for c in list_ctas(store, status="closed")] == [cta.id]
    # A new firing after the close opens a new CTA.
    assert _run(store, {"A": {"score": 40}}, AS_OF + dt.timedelta(days=1)).opened == 1


def test_holdout_is_random_reproducible_recorded_and_never_shown(store: Store) -> None:
    rules = parse_rules(
        "rules:\n  - {name: low, type: risk, reason: Low, holdout: 0.5, when: [{score: {below: 50}}]}\n"
    )
    rows = {f"A{i:03d}": {"score": 40} for i in range(200)}
    run = _run(store, rows, rules=rules)
    assert run.opened == 200 and 70 < run.held_back < 130
    expected = {a for a in rows if held_back("low", a, AS_OF, 0.5)}
    assert len(expected) == run.held_back
    shown = {c.account_id for c in list_ctas(store)}
    assert shown == set(rows) - expected  # held-back CTAs are recorded but never listed
    stored = store.con.execute("SELECT count(*) FROM ctas WHERE held_back").fetchone()[0]
    assert stored == run.held_back
    # Nobody is notified about a held-back CTA.
    assert store.con.execute("SELECT count(*) FROM outbox").fetchone()[0] == 200 - run.held_back
    held_id = store.con.execute("SELECT min(id) FROM ctas WHERE held_back").fetchone()[0]
    with pytest.raises(CtaNotFound):
        get_cta(store, held_id)
    # Must-do plays: no hold-out at all.
    assert not any(held_back("x", a, AS_OF, 0.0) for a in rows)


def test_capacity_defers_the_lowest_priority_and_frees_up(store: Store) -> None:
    rules = parse_rules(
        "capacity: {unit: ctas, per_week: 2, pool: pool, pool_per_week: 1}\n"
        "rules:\n  - {name: low, type: risk, reason: Low, holdout: 0, when: [{score: {below: 50}}]}\n"
    )
    rows = {f"A{i}": {"score": 40, "arr": 1000.0 * (i + 1)} for i in range(5)}
    run = _run(store, rows, rules=rules)
    assert run.deferred == 2
    ctas = {c.account_id: c for c in list_ctas(store)}
    assert {a for a, c in ctas.items() if not c.deferred and c.owner == "Ana"} == {"A4", "A3"}
    assert ctas["A2"].owner == "pool" and not ctas["A2"].deferred  # overflow to the team pool
    assert {a for a, c in ctas.items() if c.deferred} == {"A1", "A0"}
    assert len(list_ctas(store, include_deferred=False)) == 3
    close_cta(store, ctas["A4"].id, actor="ana", outcome="done")
    assert not get_cta(store, ctas["A1"].id).deferred  # capacity freed: the next one moves up


def test_a_rule_failing_at_run_time_is_named_and_skipped(store: Store) -> None:
    rules = parse_rules(
        """
rules:
  - {name: broken, type: risk, reason: B, holdout: 0, when: [{metric: {name: no_such_metric, above: 1}}]}
  - {name: low, type: risk, reason: Low, holdout: 0, when: [{score: {below: 50}}]}
"""
    )
    run = _run(store, {"A": {"score": 40}}, rules=rules)
    assert [e.rule for e in run.errors] == ["broken"]
    assert "no_such_metric" in run.errors[0].error
    assert run.opened == 1 and [c.rule for c in list_ctas(store)] == ["low"]
    logged = json.loads(store.con.execute("SELECT errors FROM alert_runs").fetchone()[0])
    assert logged[0]["rule"] == "broken"
