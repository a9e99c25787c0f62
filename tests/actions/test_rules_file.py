"""The rules file is checked like a scorecard: every problem at once, each with its line."""

from __future__ import annotations

import pytest

from healthscore.actions import InvalidRules, load_rules, parse_rules

BROKEN = """\
rules:
  - name: a
    type: riskk
    reason: r
    when:
      - metrc: {name: x, below: 1}
  - name: b
    type: risk
    reason: ok
    hold_days: -2
    when:
      - score: {below: low}
  - name: b
    type: opportunity
    reason: dup
    when:
      - band: red
"""


def test_every_problem_is_reported_with_its_line() -> None:
    with pytest.raises(InvalidRules) as exc:
        parse_rules(BROKEN, "mine.yaml")
    problems = exc.value.problems
    assert problems == sorted(problems, key=lambda p: int(p.split()[1].rstrip(",")))
    text = "\n".join(problems)
    assert "line 3, rules[0].type: got 'riskk'; did you mean 'risk'?" in text
    assert (
        "line 6, rules[0].when[0].metrc: unknown condition 'metrc'; did you mean 'metric'?" in text
    )
    assert "line 10, rules[1].hold_days: got -2" in text
    assert "line 12, rules[1].when[0].score.below: got 'low'" in text
    assert "line 13, rules[2].name: rule 'b' appears twice" in text
    assert str(exc.value).startswith("mine.yaml: 5 problems")


def test_yaml_syntax_errors_name_the_line() -> None:
    with pytest.raises(InvalidRules, match=r"x.yaml line 3: not valid YAML"):
        parse_rules("rules:\n  - name: a\n  bad: [\n", "x.yaml")


def test_a_review_ask_may_not_be_gated_on_sentiment() -> None:
    gated = """\
rules:
  - name: happy_reviews
    type: opportunity
    reason: ask the happy ones
    ask: {kind: review}
    when:
      - event: {kind: ticket_resolved, within_days: 3}
      - metric: {name: support_csat_avg_90d, at_least: 4}
"""
    with pytest.raises(InvalidRules, match="review gating") as exc:
        parse_rules(gated, "g.yaml")
    assert "line 6" in str(exc.value) and "csat" in str(exc.value)
    # Referral asks may target promoters.
    ok = gated.replace("kind: review", "kind: referral")
    assert parse_rules(ok).rules[0].ask == "referral"


def test_unknown_playbook_and_keys_are_named() -> None:
    text = """\
rules:
  - name: a
    type: risk
    reason: r
    playbok: x
    playbook: nope
    when: [{band: red}]
"""
    with pytest.raises(InvalidRules) as exc:
        parse_rules(text)
    msg = str(exc.value)
    assert "line 5, rules[0].playbok: unknown key 'playbok'; did you mean 'playbook'?" in msg
    assert "line 6, rules[0].playbook: unknown playbook 'nope'" in msg


def test_the_builtin_rules_load_on_by_default() -> None:
    rs = load_rules()
    names = {r.name for r in rs.enabled()}
    assert {
        "usage_drop",
        "login_consistency",
        "adoption_stalling",
        "ticket_spike",
        "slow_resolution",
        "nps_detractor",
        "nps_falling",
        "onboarding_stalled",
        "milestone_overdue",
        "payment_issue",
        "red_renewal",
        "touch_overdue",
        "judgement_disagrees",
        "expansion_ready",
        "referral_ask",
        "review_ask",
    } <= names
    # Must-do lifecycle plays are never held back; the others hold back 10 % by default.
    for r in rs.rules:
        if r.type == "lifecycle":
            assert r.holdout == 0
    assert rs.rule("usage_drop").holdout == pytest.approx(0.1)


def test_a_missing_file_is_one_clear_error(tmp_path) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(InvalidRules, match="no such rules file"):
        load_rules(tmp_path / "none.yaml")
