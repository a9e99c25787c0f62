"""The churn probability in a CTA's priority: the churn model's where it has one for the
account, the calibrated score otherwise, and the CTA says which."""

from __future__ import annotations

import datetime as dt

import pytest

from healthscore.actions import get_cta, list_ctas, parse_rules
from healthscore.actions.facts import model_churn, use_model_churn
from healthscore.actions.run import apply_rules
from healthscore.store import Store

from .conftest import AS_OF, add_accounts, make_facts

RULES = parse_rules(
    """
rules:
  - name: low_score
    type: risk
    reason: Score is low
    holdout: 0
    when:
      - score: {below: 50}
"""
)


def test_the_cta_records_where_its_churn_probability_came_from(store: Store) -> None:
    add_accounts(store, ["A", "B"])
    rows = {
        "A": {
            "score": 40,
            "arr": 10_000,
            "churn_probability": 0.3,
            "churn_source": "churn model (gbt)",
        },
        "B": {
            "score": 30,
            "arr": 10_000,
            "churn_probability": 0.1,
            "churn_source": "calibrated score",
        },
    }
    apply_rules(store, make_facts(store, rows), RULES)
    got = {c.account_id: c for c in list_ctas(store)}
    assert got["A"].churn_source == "churn model (gbt)" and got["A"].priority == pytest.approx(3000)
    assert got["B"].churn_source == "calibrated score" and got["B"].priority == pytest.approx(1000)
    # A re-fire the next day takes the new day's probability and its source.
    rows["B"] = {**rows["B"], "churn_probability": 0.2, "churn_source": "churn model (gbt)"}
    apply_rules(store, make_facts(store, rows, as_of=AS_OF + dt.timedelta(days=1)), RULES)
    b = get_cta(store, got["B"].id)
    assert (b.churn_probability, b.churn_source) == (0.2, "churn model (gbt)")
    assert b.priority == pytest.approx(2000)


def test_without_a_model_the_calibrated_score_stands_in_and_says_why(store: Store) -> None:
    add_accounts(store, ["A"])
    pred, why = model_churn(store, AS_OF)  # an empty store: nothing to train on
    assert pred is None and why
    facts = make_facts(store, {"A": {"score": 40, "arr": 10_000, "churn_probability": 0.25}})
    facts.churn_source = use_model_churn(store, AS_OF, facts.frame, "calibrated on 0 snapshots")
    assert "no model prediction" in facts.churn_source
    apply_rules(store, facts, RULES)
    (cta,) = list_ctas(store)
    assert cta.churn_probability == 0.25 and cta.priority == pytest.approx(2500)
    assert cta.churn_source is not None
    assert cta.churn_source.startswith("calibrated score (no model prediction: ")
    assert why in cta.churn_source
