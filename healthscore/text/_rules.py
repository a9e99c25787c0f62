"""The lexicon, phrase, theme and intent rules, read once from the YAML beside this module.

Rules are data (see STYLE.md): the YAML files say what customer-feedback language means;
this module only compiles them.  Nothing is read at import time.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import yaml

__all__ = ["IntentRules", "PhraseRule", "Rules", "rules"]

_HERE = Path(__file__).parent


@dataclass(frozen=True)
class PhraseRule:
    """A phrase whose meaning replaces VADER's reading of its words."""

    group: str
    pattern: re.Pattern[str]
    valence: float


@dataclass(frozen=True)
class IntentRules:
    cancellation: tuple[re.Pattern[str], ...]
    cancellation_guards: tuple[re.Pattern[str], ...]
    competitor: tuple[re.Pattern[str], ...]
    competitor_context: tuple[re.Pattern[str], ...]
    competitor_guards: tuple[re.Pattern[str], ...]
    competitors: tuple[str, ...]


@dataclass(frozen=True)
class Rules:
    words: dict[str, float]
    phrases: tuple[PhraseRule, ...]
    themes: dict[str, tuple[re.Pattern[str], ...]]
    intent: IntentRules


def _load(name: str) -> Any:
    return yaml.safe_load((_HERE / name).read_text(encoding="utf-8"))


def _compile(patterns: list[str], competitors: str = "") -> tuple[re.Pattern[str], ...]:
    return tuple(re.compile(p.replace("@COMPETITOR", competitors), re.I) for p in patterns)


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
    alternation = competitor_alternation(competitors)
    phrases = tuple(
        PhraseRule(group, re.compile(pattern, re.I), float(valence))
        for group, items in lex["phrases"].items()
        for pattern, valence in items
    )
    return Rules(
        words={str(k): float(v) for k, v in lex["words"].items()},
        phrases=phrases,
        themes={k: _compile(v) for k, v in themes.items()},
        intent=IntentRules(
            cancellation=_compile(intent["cancellation"], alternation),
            cancellation_guards=_compile(intent["cancellation_guards"]),
            competitor=_compile(intent["competitor"], alternation),
            competitor_context=_compile(intent["competitor_context"]),
            competitor_guards=_compile(intent["competitor_guards"]),
            competitors=competitors,
        ),
    )
