"""Evaluate rules on a run date's facts: which accounts each rule fires for, with evidence.

A rule that fails (a metric the store lacks, a bug) is reported by name with its error and
skipped; the other rules still run.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from healthscore.actions.conditions import Match, evaluate
from healthscore.actions.facts import Facts
from healthscore.actions.rules import Rule

__all__ = ["Firing", "RuleFailure", "evaluate_rule", "evaluate_rules"]


@dataclass
class Firing:
    """One rule holding for one account on the run date."""

    rule: str
    account_id: str
    evidence: list[str]
    contacts: list[str] = field(default_factory=list)
    moment: str | None = None


@dataclass
class RuleFailure:
    rule: str
    error: str


def evaluate_rule(rule: Rule, facts: Facts) -> dict[str, Firing]:
    """account -> Firing for every active account where all of the rule's conditions hold."""
    parts: list[Match] = [evaluate(c, facts) for c in rule.when]
    mask = pd.Series(True, index=facts.frame.index)
    for p in parts:
        mask &= p.mask
    ids = facts.frame.index[mask.to_numpy(bool)]
    if len(ids) == 0:
        return {}
    evidence: dict[str, list[str]] = {a: [] for a in ids}
    contacts: dict[str, list[str]] = {}
    moments: dict[str, str] = {}
    for p in parts:
        for a, w in p.words(ids).items():
            if a in evidence:
                evidence[a] += [x for x in w if x not in evidence[a]]
        if p.moment_contacts is not None:
            for a in ids:
                contacts.setdefault(a, [])
                contacts[a] += [c for c in p.moment_contacts.get(a, []) if c not in contacts[a]]
                if p.moment_words and a in p.moment_words:
                    moments.setdefault(a, p.moment_words[a])
    return {
        str(a): Firing(rule.name, str(a), evidence[a], contacts.get(a, []), moments.get(a))
        for a in ids
    }


def evaluate_rules(
    rules: list[Rule], facts: Facts
) -> tuple[dict[str, dict[str, Firing]], list[RuleFailure]]:
    """Every rule's firings; a rule that raises is reported and left out."""
    fired: dict[str, dict[str, Firing]] = {}
    failed: list[RuleFailure] = []
    for rule in rules:
        try:
            fired[rule.name] = evaluate_rule(rule, facts)
        except Exception as exc:  # one broken rule must not stop the others
            failed.append(RuleFailure(rule.name, f"{type(exc).__name__}: {exc}"))
    return fired, failed
