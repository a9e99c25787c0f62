"""The set-based writes of a rules run say the same as the row-by-row ones did: an opened
CTA's outbox payload is `outbox_payload` of its row, and its history row says it opened."""

from __future__ import annotations

import datetime as dt
import json

from healthscore.actions import cta_history, list_ctas, parse_rules
from healthscore.actions.lifecycle import outbox_payload
from healthscore.actions.model import AUTO_RESOLVED, SYSTEM
from healthscore.actions.run import apply_rules
from healthscore.store import Store
from healthscore.store.ctas import locked_cta

from .conftest import AS_OF, add_accounts, make_facts

RULES = parse_rules(
    """
rules:
  - name: low_score
    type: risk
    reason: Score is low
    holdout: 0
    critical: true
    when:
      - score: {below: 50}
"""
)


def test_an_opened_ctas_outbox_payload_and_history(store: Store) -> None:
    add_accounts(store, ["A", "B"])
    rows = {"A": {"score": 40, "arr": 12_345, "churn_probability": 0.123}, "B": {"score": 90}}
    apply_rules(store, make_facts(store, rows), RULES, at=dt.datetime(2026, 10, 31, 8))
    (cta,) = list_ctas(store)
    stored = store.con.execute("SELECT topic, key, payload, status FROM outbox").fetchall()
    assert [(t, k, s) for t, k, _, s in stored] == [
        ("cta.opened", f"cta:{cta.id}:open:1", "pending")
    ]
    row = locked_cta(store.con, cta.id)
    assert row is not None
    expected = json.loads(
        json.dumps(outbox_payload({**row, "deferred": False}, "A Inc"), default=str)
    )
    assert json.loads(stored[0][2]) == expected
    assert expected["evidence"] == ["health score 40 (below 50)"] and expected["critical"] is True
    (h,) = cta_history(store, cta.id)
    assert h["action"] == "opened" and h["actor"] == SYSTEM
    assert json.loads(h["after_state"]) == {"on": str(AS_OF), "rule": "low_score", "status": "open"}
    # The same day again writes nothing more.
    apply_rules(store, make_facts(store, rows), RULES, at=dt.datetime(2026, 10, 31, 9))
    assert store.con.execute("SELECT count(*) FROM outbox").fetchone() == (1,)
    assert len(cta_history(store, cta.id)) == 1


def test_an_auto_resolved_ctas_history_and_outbox_row(store: Store) -> None:
    add_accounts(store, ["A"])
    apply_rules(store, make_facts(store, {"A": {"score": 40}}), RULES)
    (cta,) = list_ctas(store)
    before = locked_cta(store.con, cta.id)
    nextday = AS_OF + dt.timedelta(days=1)
    run = apply_rules(store, make_facts(store, {"A": {"score": 70}}, as_of=nextday), RULES)
    assert run.resolved == 1
    after = locked_cta(store.con, cta.id)
    assert before is not None and after is not None
    assert (after["status"], after["outcome"], after["closed_on"]) == (
        "closed",
        AUTO_RESOLVED,
        nextday,
    )
    assert after["note"] == "the condition recovered" and after["version"] == 2
    h = cta_history(store, cta.id)[-1]
    assert h["action"] == "auto-resolved"
    tracked = ("status", "owner", "snoozed_until", "snooze_reason", "outcome", "note", "due")
    b, a = json.loads(h["before_state"]), json.loads(h["after_state"])
    assert {k: b[k] for k in tracked} == {
        k: None if before[k] is None else str(before[k]) if k == "due" else before[k]
        for k in tracked
    }
    assert (a["status"], a["outcome"], a["note"]) == ("closed", AUTO_RESOLVED, after["note"])
    (payload,) = [
        json.loads(p)
        for (p,) in store.con.execute(
            "SELECT payload FROM outbox WHERE key = ?", [f"cta:{cta.id}:closed:2"]
        ).fetchall()
    ]
    assert payload == json.loads(json.dumps(outbox_payload(after), default=str))


def test_an_opened_ctas_notification_says_it_is_deferred(store: Store) -> None:
    """The outbox row is written after the queue: a CTA that waits for capacity says so."""
    rules = parse_rules(
        """
capacity: {unit: ctas, per_week: 1}
rules:
  - name: low_score
    type: risk
    reason: Score is low
    holdout: 0
    when:
      - score: {below: 50}
"""
    )
    add_accounts(store, ["A", "B"])
    rows = {"A": {"score": 40, "arr": 20_000}, "B": {"score": 40, "arr": 10_000}}
    apply_rules(store, make_facts(store, rows), rules)
    got = {
        p["account_id"]: p["deferred"]
        for (p,) in (
            (json.loads(x),) for (x,) in store.con.execute("SELECT payload FROM outbox").fetchall()
        )
    }
    assert got == {"A": False, "B": True}
    assert {c.account_id: c.deferred for c in list_ctas(store)} == got
