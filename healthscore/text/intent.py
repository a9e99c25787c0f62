"""Cancellation and competitor intent, with the sentence that shows it.

The strongest risk signal a text can carry is the customer saying they mean to leave, or
that they are looking at another product.  Both are found per sentence by the patterns in
intent.yaml; a sentence that also matches a guard ("no plans to switch", "looked at
alternatives but renewed") is not intent.  Evaluating a competitor counts as cancellation
intent too: it is how most cancellations are first announced.
"""

from __future__ import annotations

from dataclasses import dataclass

from healthscore.text._rules import rules

__all__ = ["Intent", "find_intent"]


@dataclass(frozen=True)
class Intent:
    cancellation: bool = False
    competitor: bool = False
    evidence: str | None = None
    competitor_name: str | None = None


def find_intent(sentences: list[str], competitors: tuple[str, ...] = ()) -> Intent:
    """The first sentence showing cancellation or competitor intent, if any."""
    r = rules(competitors).intent
    cancel_at: str | None = None
    comp_at: str | None = None
    comp_name: str | None = None
    for s in sentences:
        cancels = not any(g.search(s) for g in r.cancellation_guards) and any(
            p.search(s) for p in r.cancellation
        )
        if cancels and cancel_at is None:
            cancel_at = s
        if comp_at is None and not any(g.search(s) for g in r.competitor_guards):
            for p in r.competitor:
                hit = p.search(s)
                if hit and (cancels or any(c.search(s) for c in r.competitor_context)):
                    comp_at = s
                    named = hit.groupdict().get("comp")
                    comp_name = named if named else None
                    break
    if comp_at is not None and cancel_at is None:
        cancel_at = comp_at
    return Intent(cancel_at is not None, comp_at is not None, cancel_at or comp_at, comp_name)
