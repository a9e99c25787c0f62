"""Cancellation and competitor intent, with the sentence that shows it.

The strongest risk signal a text can carry is the customer saying they mean to leave, or
that they are looking at another product.  Both are found per sentence by the patterns in
intent.yaml; a sentence that also matches a guard ("no plans to switch", "looked at
alternatives but renewed") is not intent.  Evaluating a competitor counts as cancellation
intent too: it is how most cancellations are first announced.
"""

from __future__ import annotations

from dataclasses import dataclass

from healthscore.text._rules import any_match, rules

__all__ = ["Intent", "find_intent"]


@dataclass(frozen=True)
class Intent:
    cancellation: bool = False
    competitor: bool = False
    evidence: str | None = None
    competitor_name: str | None = None


def find_intent(
    sentences: list[str],
    competitors: tuple[str, ...] = (),
    present: frozenset[int] | None = None,
) -> Intent:
    """The first sentence showing cancellation or competitor intent, if any.

    `present`: the rules' literal words in the whole text (computed when not given)."""
    rs = rules(competitors)
    r = rs.intent
    have = rs.present(" ".join(sentences)) if present is None else present
    cancel_at: str | None = None
    comp_at: str | None = None
    comp_name: str | None = None
    for s in sentences:
        cancels = any_match(r.cancellation, s, have) and not any_match(
            r.cancellation_guards, s, have
        )
        if cancels and cancel_at is None:
            cancel_at = s
        if (
            comp_at is None
            and any_match(r.competitor, s, have)
            and (cancels or any_match(r.competitor_context, s, have))
            and not any_match(r.competitor_guards, s, have)
        ):
            comp_at = s
            named = r.competitor_names.search(s)
            comp_name = named.group(0) if named else None
    if comp_at is not None and cancel_at is None:
        cancel_at = comp_at
    return Intent(cancel_at is not None, comp_at is not None, cancel_at or comp_at, comp_name)
