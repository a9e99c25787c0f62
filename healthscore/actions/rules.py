"""The rules file: rules that raise calls-to-action, their playbooks and the owners' capacity.

Validated the way scorecards are: the whole file is checked and every problem is reported
at once, each as ``line N, path: what was found; what is allowed``.  An invalid file is
refused as a whole (`InvalidRules`), so the rules in force stay as they were.

The shipped `builtin_rules.yaml` is the default and the reference (docs/actions.md).
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from healthscore.actions.model import CTA_TYPES, InvalidRules
from healthscore.yamlfile import load_with_lines

__all__ = [
    "BUILTIN_RULES",
    "CONDITION_KINDS",
    "Capacity",
    "Playbook",
    "PlaybookStep",
    "Rule",
    "RuleSet",
    "load_rules",
    "parse_rules",
]

BUILTIN_RULES = Path(__file__).with_name("builtin_rules.yaml")

COMPARATORS = ("above", "below", "at_least", "at_most", "equals")
EVENT_KINDS = (
    "ticket_resolved",
    "milestone_reached",
    "milestone_overdue",
    "first_value",
    "payment_late",
    "payment_failed",
    "nps_detractor",
    "nps_promoter",
    "cancellation_intent",
    "competitor_intent",
)
CHANGE_KINDS = ("drop", "spike", "decline", "rise", "shift", "first_value")
OUTCOME_KINDS = ("churn", "band_recovery", "usage_recovery")
ASK_KINDS = ("review", "referral", "testimonial")
# Conditions a review ask may not carry: asking only the happy customers is review gating
# (Google's review policy forbids it; the FTC's rule on reviews treats it as suppression).
GATING = ("nps", "csat", "sentiment", "score", "band", "judgement", "churn_probability")

# Each condition is a mapping with one of these keys; the value's allowed keys follow.
CONDITION_KINDS: dict[str, tuple[str, ...]] = {
    "metric": ("name", *COMPARATORS, "missing", "say"),
    "score": COMPARATORS,
    "band": (),
    "trend": ("days", *COMPARATORS),
    "change": ("metric", "kind", "direction", "within_days"),
    "churn_probability": COMPARATORS,
    "driver": ("group", "measure", "top"),
    "segment_rank": ("metric", "below_percentile", "above_percentile"),
    "event": ("kind", "within_days", "min_days"),
    "renewal_within_days": (),
    "tenure_days": COMPARATORS,
    "touch_overdue": (),
    "judgement_gap": ("measure", "min_points"),
    "segment": (),
    "signal": ("name", *COMPARATORS),
    "all": (),
    "any": (),
    "not": (),
}


@dataclass(frozen=True)
class PlaybookStep:
    title: str
    due_days: int = 0
    owner: str = "owner"  # "owner" = the CTA's owner; else a named person or team
    template: str | None = None


@dataclass(frozen=True)
class Playbook:
    name: str
    steps: tuple[PlaybookStep, ...]


@dataclass(frozen=True)
class Capacity:
    """Weekly capacity per owner: CTAs per week, or hours with an effort per CTA type.

    `segments` and `people` override the default (a person's own limit wins); `pool` is the
    team pool that takes the overflow, up to `pool_per_week`."""

    per_week: float | None = 15
    unit: str = "ctas"  # "ctas" or "hours"
    effort_hours: Mapping[str, float] = field(default_factory=dict)
    segments: Mapping[str, float] = field(default_factory=dict)
    people: Mapping[str, float] = field(default_factory=dict)
    pool: str | None = None
    pool_per_week: float = 0


@dataclass(frozen=True)
class Rule:
    """One rule: when its conditions hold for an account, it opens (or refreshes) a CTA."""

    name: str
    type: str
    reason: str
    when: tuple[dict[str, Any], ...]
    description: str = ""
    enabled: bool = True
    owner: Any = "csm"  # "csm", a name, or {segment: owner, default: owner}
    due_days: int = 7
    urgency: float = 1.0
    critical: bool = False
    hold_days: int = 0
    max_fires: tuple[int, int] | None = None  # (count, days)
    auto_resolve: bool = True
    holdout: float = 0.1
    outcome_kind: str = "churn"
    outcome_days: int = 90
    playbook: str | None = None
    ask: str | None = None
    ask_cooldown_days: int = 90
    effort_hours: float | None = None
    expire_days: int | None = None
    line: int = 0


@dataclass(frozen=True)
class RuleSet:
    rules: tuple[Rule, ...]
    playbooks: Mapping[str, Playbook]
    capacity: Capacity
    file: str = "<rules>"
    source: str = ""

    def rule(self, name: str) -> Rule:
        for r in self.rules:
            if r.name == name:
                return r
        raise KeyError(name)

    def enabled(self) -> list[Rule]:
        return [r for r in self.rules if r.enabled]


# -- loading ---------------------------------------------------------------------------------


def load_rules(path: str | Path | None = None) -> RuleSet:
    """The rules of `path` (default: the shipped built-in rules)."""
    p = Path(path) if path is not None else BUILTIN_RULES
    try:
        text = p.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InvalidRules(f"{p}: no such rules file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise InvalidRules(f"{p}: cannot read the rules file ({exc})") from None
    return parse_rules(text, file=p.name if path is None else str(p))


def parse_rules(text: str, file: str = "<rules>") -> RuleSet:
    """Parse and check rules YAML; every problem at once, each with its line."""
    data, lines = load_with_lines(text, file, InvalidRules)
    if not isinstance(data, dict):
        raise InvalidRules(f"{file}: a rules file is a YAML mapping with a `rules:` list")
    check = _Checker(lines)
    ruleset = check.ruleset(data, file, text)
    if check.problems:
        ordered = [p for _, p in sorted(check.problems, key=lambda x: x[0])]
        if len(ordered) == 1:
            msg = f"{file} {ordered[0]}"
        else:
            msg = f"{file}: {len(ordered)} problems\n" + "\n".join(f"  {p}" for p in ordered)
        raise InvalidRules(msg, problems=ordered)
    assert ruleset is not None
    return ruleset


def _closest(name: str, known: Any) -> str:
    hits = difflib.get_close_matches(str(name), sorted(known), n=1, cutoff=0.6)
    return f"did you mean {hits[0]!r}? " if hits else ""


def _num(v: Any) -> bool:
    return isinstance(v, int | float) and not isinstance(v, bool)


class _Checker:
    """Walks the raw YAML, collects (line, problem) pairs and builds the rule set."""

    def __init__(self, lines: dict[tuple[Any, ...], int]):
        self.lines = lines
        self.problems: list[tuple[int, str]] = []

    def line(self, loc: tuple[Any, ...]) -> int:
        while loc:
            if loc in self.lines:
                return self.lines[loc]
            loc = loc[:-1]
        return self.lines.get((), 0)

    def bad(self, loc: tuple[Any, ...], what: str) -> None:
        path = ""
        for p in loc:
            path += f"[{p}]" if isinstance(p, int) else (f".{p}" if path else str(p))
        n = self.line(loc)
        self.problems.append((n, f"line {n}, {path or 'rules'}: {what}"))

    def keys(
        self, loc: tuple[Any, ...], value: Mapping[str, Any], allowed: tuple[str, ...]
    ) -> None:
        for k in value:
            if k not in allowed:
                self.bad(
                    (*loc, k),
                    f"unknown key {k!r}; {_closest(k, allowed)}allowed keys: {', '.join(allowed)}",
                )

    # -- the file ------------------------------------------------------------------------

    def ruleset(self, data: dict[str, Any], file: str, text: str) -> RuleSet | None:
        self.keys(
            (), data, ("version", "description", "rules", "playbooks", "capacity", "defaults")
        )
        defaults = data.get("defaults") or {}
        if not isinstance(defaults, dict):
            self.bad(("defaults",), "must be a mapping of `key: value` lines")
            defaults = {}
        self.keys(("defaults",), defaults, ("holdout", "due_days", "outcome_days"))
        playbooks = self.playbooks(data.get("playbooks") or [])
        capacity = self.capacity(data.get("capacity") or {})
        raw = data.get("rules")
        if not isinstance(raw, list) or not raw:
            self.bad(("rules",), "a rules file needs a non-empty `rules:` list")
            raw = []
        rules: list[Rule] = []
        seen: set[str] = set()
        for i, r in enumerate(raw):
            name = r.get("name") if isinstance(r, dict) else None
            if isinstance(name, str) and name.strip() in seen:
                self.bad(
                    ("rules", i, "name"),
                    f"rule {name.strip()!r} appears twice; rule names are unique",
                )
            if isinstance(name, str):
                seen.add(name.strip())
            rule = self.rule(("rules", i), r, defaults, playbooks)
            if rule is not None:
                rules.append(rule)
        if self.problems:
            return None
        return RuleSet(tuple(rules), playbooks, capacity, file, text)

    def playbooks(self, raw: Any) -> dict[str, Playbook]:
        out: dict[str, Playbook] = {}
        if not isinstance(raw, list):
            self.bad(("playbooks",), "must be a list of playbooks (`- name: ...`)")
            return out
        for i, pb in enumerate(raw):
            loc: tuple[Any, ...] = ("playbooks", i)
            if not isinstance(pb, dict):
                self.bad(loc, "a playbook is a mapping with `name` and `steps`")
                continue
            self.keys(loc, pb, ("name", "description", "steps"))
            name = pb.get("name")
            if not isinstance(name, str) or not name:
                self.bad((*loc, "name"), "a playbook needs a `name`")
                continue
            steps: list[PlaybookStep] = []
            raw_steps = pb.get("steps")
            if not isinstance(raw_steps, list) or not raw_steps:
                self.bad((*loc, "steps"), "a playbook needs a non-empty list of `steps`")
                raw_steps = []
            for j, s in enumerate(raw_steps):
                sloc = (*loc, "steps", j)
                if not isinstance(s, dict):
                    self.bad(
                        sloc, "a step is a mapping with `title`, `due_days`, `owner`, `template`"
                    )
                    continue
                self.keys(sloc, s, ("title", "due_days", "owner", "template"))
                title = s.get("title")
                if not isinstance(title, str) or not title:
                    self.bad((*sloc, "title"), "a step needs a `title`")
                    continue
                due = s.get("due_days", 0)
                if not isinstance(due, int) or isinstance(due, bool) or due < 0:
                    self.bad(
                        (*sloc, "due_days"), f"got {due!r}; due_days must be a whole number ≥ 0"
                    )
                    due = 0
                tmpl = s.get("template")
                if tmpl is not None and not isinstance(tmpl, str):
                    self.bad((*sloc, "template"), "a template is text")
                    tmpl = None
                steps.append(PlaybookStep(title, int(due), str(s.get("owner", "owner")), tmpl))
            out[name] = Playbook(name, tuple(steps))
        return out

    def capacity(self, raw: Any) -> Capacity:
        loc = ("capacity",)
        if not isinstance(raw, dict):
            self.bad(loc, "must be a mapping of `key: value` lines")
            return Capacity()
        self.keys(
            loc,
            raw,
            ("per_week", "unit", "effort_hours", "segments", "people", "pool", "pool_per_week"),
        )
        unit = raw.get("unit", "ctas")
        if unit not in ("ctas", "hours"):
            self.bad((*loc, "unit"), f"got {unit!r}; allowed: ctas, hours")
            unit = "ctas"
        per_week = raw.get("per_week", 15)
        if per_week is not None and (not _num(per_week) or per_week < 0):
            self.bad(
                (*loc, "per_week"),
                f"got {per_week!r}; per_week must be a number ≥ 0 (or empty: no limit)",
            )
            per_week = 15
        maps: dict[str, dict[str, float]] = {}
        for key in ("effort_hours", "segments", "people"):
            m = raw.get(key) or {}
            if not isinstance(m, dict):
                self.bad((*loc, key), "must be a mapping of `name: number` lines")
                m = {}
            for k, v in m.items():
                if not _num(v) or v < 0:
                    self.bad((*loc, key, k), f"got {v!r}; must be a number ≥ 0")
            if key == "effort_hours":
                for k in m:
                    if k not in CTA_TYPES:
                        self.bad(
                            (*loc, key, k),
                            f"unknown CTA type {k!r}; {_closest(k, CTA_TYPES)}types: {', '.join(CTA_TYPES)}",
                        )
            maps[key] = {
                str(k).lower() if key == "segments" else str(k): float(v)
                for k, v in m.items()
                if _num(v)
            }
        pool = raw.get("pool")
        if pool is not None and not isinstance(pool, str):
            self.bad((*loc, "pool"), "the team pool is a name (text)")
            pool = None
        pool_cap = raw.get("pool_per_week", 0)
        if not _num(pool_cap) or pool_cap < 0:
            self.bad((*loc, "pool_per_week"), f"got {pool_cap!r}; must be a number ≥ 0")
            pool_cap = 0
        return Capacity(
            None if per_week is None else float(per_week),
            str(unit),
            maps["effort_hours"],
            maps["segments"],
            maps["people"],
            pool,
            float(pool_cap),
        )

    # -- one rule ------------------------------------------------------------------------

    _RULE_KEYS = (
        "name",
        "type",
        "reason",
        "description",
        "when",
        "enabled",
        "owner",
        "due_days",
        "urgency",
        "critical",
        "hold_days",
        "max_fires",
        "auto_resolve",
        "holdout",
        "outcome",
        "playbook",
        "ask",
        "effort_hours",
        "expire_days",
    )

    def rule(
        self,
        loc: tuple[Any, ...],
        r: Any,
        defaults: dict[str, Any],
        playbooks: dict[str, Playbook],
    ) -> Rule | None:
        if not isinstance(r, dict):
            self.bad(loc, "a rule is a mapping with name, type, reason and when")
            return None
        self.keys(loc, r, self._RULE_KEYS)
        ok = True
        name = r.get("name")
        if not isinstance(name, str) or not name.strip():
            self.bad((*loc, "name"), "a rule needs a `name`")
            ok = False
        typ = r.get("type")
        if typ not in CTA_TYPES:
            self.bad(
                (*loc, "type"),
                f"got {typ!r}; {_closest(str(typ), CTA_TYPES)}allowed: {', '.join(CTA_TYPES)}",
            )
            ok = False
        reason = r.get("reason")
        if not isinstance(reason, str) or not reason.strip():
            self.bad((*loc, "reason"), "a rule needs a `reason` (the CTA's headline, in words)")
            ok = False
        when = r.get("when")
        if isinstance(when, dict):
            when = [when]
        if not isinstance(when, list) or not when:
            self.bad(
                (*loc, "when"), "a rule needs `when:`, a list of conditions that must all hold"
            )
            when = []
            ok = False
        kinds_used: set[str] = set()
        for j, c in enumerate(when):
            self.condition((*loc, "when", j), c, kinds_used)
        ints = {}
        for key, default, lo in (
            ("due_days", defaults.get("due_days", 7), 0),
            ("hold_days", 0, 0),
        ):
            v = r.get(key, default)
            if not isinstance(v, int) or isinstance(v, bool) or v < lo:
                self.bad((*loc, key), f"got {v!r}; {key} must be a whole number ≥ {lo}")
                ok = False
                v = default
            ints[key] = int(v)
        floats: dict[str, float] = {}
        default_holdout: float = 0.0 if typ == "lifecycle" else defaults.get("holdout", 0.1)
        for key, fallback, low, high in (
            ("urgency", 1.0, 0.0, 10.0),
            ("holdout", default_holdout, 0.0, 0.5),
        ):
            v = r.get(key, fallback)
            if not _num(v) or not low <= v <= high:
                self.bad((*loc, key), f"got {v!r}; {key} must be a number from {low:g} to {high:g}")
                ok = False
                v = fallback
            floats[key] = float(v)
        bools = {}
        for key, default in (("enabled", True), ("critical", False), ("auto_resolve", True)):
            v = r.get(key, default)
            if not isinstance(v, bool):
                self.bad((*loc, key), f"got {v!r}; {key} must be true or false")
                ok = False
                v = default
            bools[key] = v
        max_fires = None
        mf = r.get("max_fires")
        if mf is not None:
            if (
                not isinstance(mf, dict)
                or set(mf) - {"count", "days"}
                or not all(
                    isinstance(mf.get(k), int) and not isinstance(mf.get(k), bool) and mf[k] >= 1
                    for k in ("count", "days")
                )
            ):
                self.bad(
                    (*loc, "max_fires"),
                    "max_fires is {count: N, days: D}: at most N firings per D days, both whole numbers ≥ 1",
                )
                ok = False
            else:
                max_fires = (int(mf["count"]), int(mf["days"]))
        outcome_kind, outcome_days = "churn", int(defaults.get("outcome_days", 90))
        oc = r.get("outcome")
        if oc is not None:
            if not isinstance(oc, dict):
                self.bad(
                    (*loc, "outcome"),
                    "outcome is {kind: churn|band_recovery|usage_recovery, days: N}",
                )
                ok = False
            else:
                self.keys((*loc, "outcome"), oc, ("kind", "days"))
                k = oc.get("kind", "churn")
                if k not in OUTCOME_KINDS:
                    self.bad(
                        (*loc, "outcome", "kind"), f"got {k!r}; allowed: {', '.join(OUTCOME_KINDS)}"
                    )
                    ok = False
                d = oc.get("days", outcome_days)
                if not isinstance(d, int) or isinstance(d, bool) or d < 1:
                    self.bad(
                        (*loc, "outcome", "days"), f"got {d!r}; days must be a whole number ≥ 1"
                    )
                    ok = False
                outcome_kind, outcome_days = str(k), int(d) if isinstance(d, int) else outcome_days
        pb = r.get("playbook")
        if pb is not None and pb not in playbooks:
            self.bad(
                (*loc, "playbook"),
                f"unknown playbook {pb!r}; {_closest(str(pb), playbooks)}playbooks: {', '.join(playbooks) or 'none defined'}",
            )
            ok = False
        ask, cooldown = None, 90
        a = r.get("ask")
        if a is not None:
            if not isinstance(a, dict):
                self.bad(
                    (*loc, "ask"), "ask is {kind: review|referral|testimonial, cooldown_days: N}"
                )
                ok = False
            else:
                self.keys((*loc, "ask"), a, ("kind", "cooldown_days"))
                ask = a.get("kind")
                if ask not in ASK_KINDS:
                    self.bad((*loc, "ask", "kind"), f"got {ask!r}; allowed: {', '.join(ASK_KINDS)}")
                    ok = False
                cooldown = a.get("cooldown_days", 90)
                if not isinstance(cooldown, int) or isinstance(cooldown, bool) or cooldown < 1:
                    self.bad(
                        (*loc, "ask", "cooldown_days"),
                        f"got {cooldown!r}; must be a whole number ≥ 1",
                    )
                    ok = False
                    cooldown = 90
                if ask == "review" and (gated := sorted(kinds_used & set(GATING))):
                    self.bad(
                        (*loc, "when"),
                        f"a review ask may not depend on {', '.join(gated)}: asking only customers "
                        "expected to be positive is review gating (Google's review policy forbids "
                        "it; the FTC treats it as suppression). Fire it on the moment (event: "
                        "ticket_resolved, milestone_reached, first_value) for every eligible contact",
                    )
                    ok = False
        owner = r.get("owner", "csm")
        if not (
            isinstance(owner, str)
            or (isinstance(owner, dict) and all(isinstance(v, str) for v in owner.values()))
        ):
            self.bad(
                (*loc, "owner"),
                "owner is csm (the account's CSM), a name, or a mapping {segment: name, default: name}",
            )
            ok = False
        expire = r.get("expire_days")
        if expire is not None and (
            not isinstance(expire, int) or isinstance(expire, bool) or expire < 1
        ):
            self.bad(
                (*loc, "expire_days"), f"got {expire!r}; expire_days must be a whole number ≥ 1"
            )
            ok = False
            expire = None
        effort = r.get("effort_hours")
        if effort is not None and (not _num(effort) or effort < 0):
            self.bad((*loc, "effort_hours"), f"got {effort!r}; must be a number ≥ 0")
            ok = False
        if not ok:
            return None
        return Rule(
            name=str(name).strip(),
            type=str(typ),
            reason=str(reason).strip(),
            when=tuple(when),
            description=str(r.get("description", "")),
            enabled=bools["enabled"],
            owner=owner,
            due_days=ints["due_days"],
            urgency=floats["urgency"],
            critical=bools["critical"],
            hold_days=ints["hold_days"],
            max_fires=max_fires,
            auto_resolve=bools["auto_resolve"],
            holdout=floats["holdout"],
            outcome_kind=outcome_kind,
            outcome_days=outcome_days,
            playbook=pb,
            ask=ask,
            ask_cooldown_days=int(cooldown),
            effort_hours=None if effort is None else float(effort),
            expire_days=expire,
            line=self.line(loc),
        )

    # -- conditions ----------------------------------------------------------------------

    def condition(self, loc: tuple[Any, ...], c: Any, used: set[str]) -> None:
        if not isinstance(c, dict) or len(c) != 1:
            self.bad(
                loc, f"a condition is a mapping with one key, one of: {', '.join(CONDITION_KINDS)}"
            )
            return
        ((kind, value),) = c.items()
        if kind not in CONDITION_KINDS:
            self.bad(
                (*loc, kind),
                f"unknown condition {kind!r}; {_closest(kind, CONDITION_KINDS)}conditions: {', '.join(CONDITION_KINDS)}",
            )
            return
        used.add(kind)
        vloc = (*loc, kind)
        if kind in ("all", "any"):
            if not isinstance(value, list) or not value:
                self.bad(vloc, f"`{kind}` takes a non-empty list of conditions")
                return
            for j, sub in enumerate(value):
                self.condition((*vloc, j), sub, used)
            return
        if kind == "not":
            self.condition(vloc, value, used)
            return
        if kind == "band":
            if not (
                isinstance(value, str)
                or (isinstance(value, list) and value and all(isinstance(v, str) for v in value))
            ):
                self.bad(vloc, "band is a band name or a list of them, e.g. red or [red, yellow]")
            return
        if kind == "segment":
            if not (
                isinstance(value, str)
                or (isinstance(value, list) and all(isinstance(v, str) for v in value))
            ):
                self.bad(vloc, "segment is a segment name or a list of them")
            return
        if kind == "renewal_within_days":
            if not isinstance(value, int) or isinstance(value, bool) or value < 0:
                self.bad(vloc, f"got {value!r}; renewal_within_days is a whole number of days ≥ 0")
            return
        if kind == "touch_overdue":
            if not isinstance(value, bool):
                self.bad(
                    vloc,
                    "touch_overdue is true (no CSM touch within the segment's cadence) or false",
                )
            return
        if not isinstance(value, dict):
            self.bad(vloc, f"`{kind}` takes a mapping of {', '.join(CONDITION_KINDS[kind])}")
            return
        self.keys(vloc, value, CONDITION_KINDS[kind])
        for op in COMPARATORS:
            if op in value:
                self._threshold((*vloc, op), value[op])
        if kind == "metric":
            if not isinstance(value.get("name"), str):
                self.bad(
                    vloc,
                    "a metric condition needs `name:` (a metric of `healthscore metrics list`)",
                )
            if "say" in value and not isinstance(value["say"], str):
                self.bad(
                    (*vloc, "say"),
                    "say is the evidence in words, e.g. 'no first value yet' ({value} = the value)",
                )
            if "missing" in value and not isinstance(value["missing"], bool):
                self.bad((*vloc, "missing"), "missing is true or false")
            elif "missing" not in value and not any(op in value for op in COMPARATORS):
                self.bad(
                    vloc,
                    f"a metric condition needs one of {', '.join(COMPARATORS)} (or missing: true)",
                )
            name = value.get("name")
            if isinstance(name, str) and any(w in name for w in ("nps", "csat")):
                used.add("nps" if "nps" in name else "csat")
            if isinstance(name, str) and "sentiment" in name:
                used.add("sentiment")
        elif kind == "signal":
            if not isinstance(value.get("name"), str):
                self.bad(vloc, "a signal condition needs `name:`")
            used.add("sentiment")
        elif kind in ("score", "churn_probability", "tenure_days", "trend"):
            if not any(op in value for op in COMPARATORS):
                self.bad(vloc, f"`{kind}` needs one of {', '.join(COMPARATORS)}")
            if kind == "trend" and value.get("days", 30) not in (7, 30):
                self.bad((*vloc, "days"), f"got {value.get('days')!r}; trend days are 7 or 30")
        elif kind == "change":
            m = value.get("metric")
            if not (
                isinstance(m, str)
                or (isinstance(m, list) and m and all(isinstance(x, str) for x in m))
            ):
                self.bad(vloc, "a change condition needs `metric:` (a name or a list of names)")
            k = value.get("kind", list(CHANGE_KINDS))
            for x in [k] if isinstance(k, str) else k if isinstance(k, list) else [k]:
                if x not in CHANGE_KINDS:
                    self.bad((*vloc, "kind"), f"got {x!r}; change kinds: {', '.join(CHANGE_KINDS)}")
            d = value.get("direction")
            if d is not None and d not in ("up", "down"):
                self.bad((*vloc, "direction"), f"got {d!r}; allowed: up, down")
            self._days((*vloc, "within_days"), value.get("within_days", 0))
        elif kind == "event":
            k = value.get("kind")
            if k not in EVENT_KINDS:
                self.bad(
                    (*vloc, "kind"),
                    f"got {k!r}; {_closest(str(k), EVENT_KINDS)}events: {', '.join(EVENT_KINDS)}",
                )
            self._days((*vloc, "within_days"), value.get("within_days", 7))
            self._days((*vloc, "min_days"), value.get("min_days", 0))
            if isinstance(k, str) and k.startswith("nps"):
                used.add("nps")
            if isinstance(k, str) and k.endswith("_intent"):
                used.add("sentiment")
        elif kind == "driver":
            if "group" not in value and "measure" not in value:
                self.bad(vloc, "a driver condition needs `group:` or `measure:` (of the scorecard)")
            top = value.get("top", 3)
            if not isinstance(top, int) or isinstance(top, bool) or top < 1:
                self.bad((*vloc, "top"), f"got {top!r}; top must be a whole number ≥ 1")
        elif kind == "segment_rank":
            if not isinstance(value.get("metric"), str):
                self.bad(vloc, "a segment_rank condition needs `metric:`")
            pcts = [k for k in ("below_percentile", "above_percentile") if k in value]
            if not pcts:
                self.bad(
                    vloc, "a segment_rank condition needs below_percentile or above_percentile"
                )
            for k in pcts:
                v = value[k]
                if not _num(v) or not 0 < v < 100:
                    self.bad((*vloc, k), f"got {v!r}; a percentile is a number between 0 and 100")
        elif kind == "judgement_gap":
            v = value.get("min_points", 30)
            if not _num(v) or not 0 < v <= 100:
                self.bad(
                    (*vloc, "min_points"),
                    f"got {v!r}; min_points is a number of score points, 1-100",
                )
            used.add("judgement")

    def _threshold(self, loc: tuple[Any, ...], v: Any) -> None:
        """A number, or per segment: {enterprise: 60, default: 30}."""
        if _num(v):
            return
        if isinstance(v, dict) and v and all(_num(x) for x in v.values()):
            return
        self.bad(
            loc,
            f"got {v!r}; a threshold is a number or a mapping {{segment: number, default: number}}",
        )

    def _days(self, loc: tuple[Any, ...], v: Any) -> None:
        if not isinstance(v, int) or isinstance(v, bool) or v < 0:
            self.bad(loc, f"got {v!r}; a number of days is a whole number ≥ 0")
