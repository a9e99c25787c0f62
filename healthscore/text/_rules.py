"""The lexicon, phrase, theme and intent rules, read once from the YAML beside this module.

Rules are data (see STYLE.md): the YAML files say what customer-feedback language means;
this module only compiles them.  Nothing is read at import time.

Speed: Python's regex engine tries every alternative at every position, so a hundred rules
scanned over every text would dominate the analysis.  Each rule therefore carries the
literal words its pattern is built from; a rule none of whose words occurs in the text
cannot match (every branch of every pattern contains one) and is not run.  A test holds the
gated and the ungated readings equal on the evaluation set.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from functools import cache
from pathlib import Path
from typing import Any

import yaml

__all__ = ["GATES", "Gated", "IntentRules", "PhraseRule", "Rules", "rules"]

_HERE = Path(__file__).parent


class _Switch:
    """Whether gates are used (tests turn them off to prove they change nothing)."""

    on = True


GATES = _Switch()


@dataclass(frozen=True)
class Gated:
    """A compiled pattern and the literal words one of which any match contains."""

    pattern: re.Pattern[str]
    words: frozenset[str]
    gid: int = -1  # its number among all gates (Rules.open_gates lists the ones to run)

    def may_match(self, open_gates: frozenset[int]) -> bool:
        """Whether the pattern can match a text whose open gates are `open_gates`."""
        return not GATES.on or self.gid in open_gates

    def search(self, text: str, open_gates: frozenset[int]) -> bool:
        return self.may_match(open_gates) and self.pattern.search(text) is not None


_COMMON = frozenset(
    [
        "a",
        "an",
        "and",
        "are",
        "as",
        "at",
        "be",
        "but",
        "by",
        "do",
        "for",
        "from",
        "had",
        "has",
        "have",
        "i",
        "in",
        "is",
        "it",
        "its",
        "my",
        "no",
        "not",
        "of",
        "on",
        "or",
        "our",
        "so",
        "the",
        "to",
        "us",
        "was",
        "we",
        "were",
        "with",
        "you",
    ]
)


def _cost(words: frozenset[str]) -> tuple[int, int, int]:
    """How weak a gate is: common words and short words pass nearly every text."""
    return (sum(w in _COMMON for w in words), -min(len(w) for w in words), len(words))


def _required(items: Any) -> frozenset[str] | None:
    """Words one of which every match of the parsed sequence `items` contains, or None.

    A walk over `re`'s own parse tree: runs of literal letters are words; an alternation
    requires one of its branches' words; a group or a repeat of at least one requires what
    its body requires; of several such requirements the most selective is kept."""
    candidates: list[frozenset[str]] = []
    run: list[str] = []

    def flush() -> None:
        if len(run) >= 2:
            candidates.append(frozenset({"".join(run)}))
        run.clear()

    for op, arg in items:
        name = str(op)
        if name == "LITERAL":
            ch = chr(arg).lower()
            if ch.isalnum():
                run.append(ch)
                continue
            flush()
        elif name == "AT":
            continue  # \b and anchors take no room
        elif name in ("MAX_REPEAT", "MIN_REPEAT", "POSSESSIVE_REPEAT"):
            flush()
            low, _high, sub = arg
            if low >= 1 and (req := _required(sub)):
                candidates.append(req)
        elif name in ("SUBPATTERN", "ATOMIC_GROUP"):
            flush()
            sub = arg[-1]
            if req := _required(sub):
                candidates.append(req)
        elif name == "BRANCH":
            flush()
            reqs = [_required(branch) for branch in arg[1]]
            if all(reqs):
                candidates.append(frozenset().union(*[r for r in reqs if r]))
        else:
            flush()
    flush()
    return min(candidates, key=_cost) if candidates else None


def _gated(source: str) -> Gated:
    from re import _parser  # type: ignore[attr-defined]  # the stdlib's regex parser

    compiled = re.compile(source, re.I)
    words = _required(_parser.parse(source, re.I))
    return Gated(compiled, words or frozenset())


@dataclass(frozen=True)
class PhraseRule:
    """A phrase whose meaning replaces VADER's reading of its words."""

    group: str
    gated: Gated
    valence: float

    @property
    def pattern(self) -> re.Pattern[str]:
        return self.gated.pattern


@dataclass(frozen=True)
class IntentRules:
    cancellation: tuple[Gated, ...]
    cancellation_guards: tuple[Gated, ...]
    competitor: tuple[Gated, ...]
    competitor_context: tuple[Gated, ...]
    competitor_guards: tuple[Gated, ...]
    competitor_names: re.Pattern[str]
    competitors: tuple[str, ...]


@dataclass(frozen=True)
class Rules:
    words: dict[str, float]
    phrases: tuple[PhraseRule, ...]
    themes: dict[str, tuple[Gated, ...]]
    intent: IntentRules
    # Every gate's literal words, each looked for once per text, and the gates each opens.
    literals: tuple[str, ...] = ()
    opens: dict[str, frozenset[int]] = field(default_factory=dict)
    always: frozenset[int] = frozenset()

    def present(self, text: str) -> frozenset[int]:
        """The gates that may match `text`: those one of whose words occurs in it."""
        lower = text.lower()
        found = [self.opens[w] for w in self.literals if w in lower]
        return self.always.union(*found)


def any_match(gates: tuple[Gated, ...], text: str, open_gates: frozenset[int]) -> bool:
    return any(g.search(text, open_gates) for g in gates)


def _load(name: str) -> Any:
    return yaml.safe_load((_HERE / name).read_text(encoding="utf-8"))


def _compile(patterns: list[str], names: str = "") -> tuple[Gated, ...]:
    """Each pattern gated; @COMPETITOR stands for the product names' alternation."""
    out = []
    for p in patterns:
        if "@COMPETITOR" in p:
            # The names are literals too, so the gate holds them (lower-cased).
            out.append(_gated(p.replace("@COMPETITOR", names)))
        else:
            out.append(_gated(p))
    return tuple(out)


def competitor_alternation(names: tuple[str, ...]) -> str:
    """A regex alternation of product names, longest first, on word boundaries."""
    ordered = sorted({n.strip() for n in names if n.strip()}, key=len, reverse=True)
    return r"\b(?:" + "|".join(re.escape(n) for n in ordered) + r")\b"


@cache
def rules(extra_competitors: tuple[str, ...] = ()) -> Rules:
    """Every rule, compiled; `extra_competitors` adds product names from the settings."""
    lex = _load("lexicon.yaml")
    themes = _load("themes.yaml")
    intent = _load("intent.yaml")
    competitors = tuple(intent["competitors"]) + tuple(extra_competitors)
    names = competitor_alternation(competitors)
    phrases = tuple(
        PhraseRule(group, _gated(pattern), float(valence))
        for group, items in lex["phrases"].items()
        for pattern, valence in items
    )
    theme_gates = {k: _compile(v) for k, v in themes.items()}
    intent_rules = IntentRules(
        cancellation=_compile(intent["cancellation"], names),
        cancellation_guards=_compile(intent["cancellation_guards"]),
        competitor=_compile(intent["competitor"], names),
        competitor_context=_compile(intent["competitor_context"]),
        competitor_guards=_compile(intent["competitor_guards"]),
        competitor_names=re.compile(names, re.I),
        competitors=competitors,
    )
    counter = iter(range(1_000_000))

    def number(gates: tuple[Gated, ...]) -> tuple[Gated, ...]:
        return tuple(replace(g, gid=next(counter)) for g in gates)

    phrases = tuple(replace(p, gated=number((p.gated,))[0]) for p in phrases)
    theme_gates = {k: number(v) for k, v in theme_gates.items()}
    ir = intent_rules
    intent_rules = replace(
        ir,
        cancellation=number(ir.cancellation),
        cancellation_guards=number(ir.cancellation_guards),
        competitor=number(ir.competitor),
        competitor_context=number(ir.competitor_context),
        competitor_guards=number(ir.competitor_guards),
    )
    gates = [p.gated for p in phrases] + [g for gs in theme_gates.values() for g in gs]
    gates += [g for name in _INTENT_LISTS for g in getattr(intent_rules, name)]
    opens: dict[str, set[int]] = {}
    for g in gates:
        for w in g.words:
            opens.setdefault(w, set()).add(g.gid)
    return Rules(
        words={str(k): float(v) for k, v in lex["words"].items()},
        phrases=phrases,
        themes=theme_gates,
        intent=intent_rules,
        literals=tuple(sorted(opens)),
        opens={w: frozenset(ids) for w, ids in opens.items()},
        always=frozenset(g.gid for g in gates if not g.words),
    )


_INTENT_LISTS = (
    "cancellation",
    "cancellation_guards",
    "competitor",
    "competitor_context",
    "competitor_guards",
)
