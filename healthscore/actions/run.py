"""One run of the rules on a date: evaluate, then open, refresh, resolve, wake and queue
CTAs in one transaction, with their history and outbox rows.

Idempotent: a second run of the same date changes nothing (a CTA already refreshed on that
date is left alone, a firing already recorded is not recorded again, the hold-out draw is a
hash).  Runs over earlier dates in order replay history the same way a daily job would
have lived it.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import asdict, dataclass, field
from typing import Any

import pandas as pd

from healthscore.actions.engine import Firing, RuleFailure, evaluate_rules
from healthscore.actions.facts import Facts
from healthscore.actions.holdout import held_back
from healthscore.actions.lifecycle import apply_changes, now_utc, outbox_payload
from healthscore.actions.model import AUTO_RESOLVED, SYSTEM
from healthscore.actions.queue import plan_queue
from healthscore.actions.rules import Capacity, Rule, RuleSet, load_rules
from healthscore.store import Store
from healthscore.store.ctas import (
    account_segments_of,
    add_asks,
    add_events,
    add_fires,
    add_steps_many,
    fires_since,
    insert_ctas,
    latest_capacity,
    next_cta_id,
    open_cta_rows,
    recent_asks,
    record_run,
    refresh_ctas,
    rule_states,
    set_deferred,
    set_rule_states,
)
from healthscore.store.db import Connection
from healthscore.store.outbox import enqueue_many

__all__ = ["AlertRun", "apply_rules", "requeue"]

# A condition seen again within this many days counts as still holding (runs may skip days).
_HOLD_GAP_DAYS = 8
_KEY_ROLES = ("admin", "champion", "sponsor", "executive")


@dataclass
class AlertRun:
    """What one run did; `errors` names each rule that failed and why."""

    as_of: dt.date
    mode: str = "live"
    rules: int = 0
    fired: int = 0
    opened: int = 0
    updated: int = 0
    resolved: int = 0
    held_back: int = 0
    woke: int = 0
    deferred: int = 0
    errors: list[RuleFailure] = field(default_factory=list)
    per_rule: dict[str, dict[str, int]] = field(default_factory=dict)
    churn_probability: str = ""
    changes: int = 0
    milestones_completed: int = 0

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def _urgency(rule: Rule, renewal: Any, as_of: dt.date) -> float:
    """The rule's urgency, raised up to 1.5x as the renewal comes within 90 days."""
    u = rule.urgency
    if renewal is not None and not (isinstance(renewal, float) and math.isnan(renewal)):
        try:
            days = (pd.Timestamp(renewal).date() - as_of).days
        except (TypeError, ValueError):
            days = None
        if days is not None and 0 <= days <= 90:
            u *= 1 + 0.5 * (90 - days) / 90
    return round(u, 3)


def _owner(rule: Rule, csm: Any, segment: str) -> str | None:
    spec = rule.owner
    if isinstance(spec, dict):
        spec = spec.get(segment, spec.get(str(segment).lower(), spec.get("default", "csm")))
    if spec == "csm":
        return None if csm is None or (isinstance(csm, float) and math.isnan(csm)) else str(csm)
    return str(spec)


def _f(v: Any) -> float | None:
    try:
        x = float(v)
    except (TypeError, ValueError):
        return None
    return None if math.isnan(x) else x


def _ask_contacts(
    rule: Rule, f: Firing, facts: Facts, contacts: pd.DataFrame, asked: set[str]
) -> list[dict[str, Any]]:
    """The contacts to ask: for a review, everyone tied to the moment (or the account's key
    contacts for a milestone or first value), never filtered on how they feel; for a
    referral or testimonial, the account's promoters who have not referred.  Anyone asked
    within the cooldown is left out."""
    mine = contacts[contacts["account_id"] == f.account_id]
    if rule.ask == "review":
        ids = list(f.contacts)
        if not ids:
            role = mine["role"].fillna("").str.lower()
            key = mine[role.str.contains("|".join(_KEY_ROLES))]
            ids = list((key if not key.empty else mine.head(3))["contact_id"])
    else:
        p = facts.promoters
        p = p[(p["account_id"] == f.account_id) & (p["nps"] >= 9)]
        ids = [c for c in p["contact_id"].astype(str) if c not in facts.referrer_contacts]
        if not ids and p.empty:
            role = mine["role"].fillna("").str.lower()
            ids = list(mine[role.str.contains("|".join(_KEY_ROLES))]["contact_id"].head(2))
    ids = [c for c in dict.fromkeys(str(c) for c in ids) if c not in asked]
    info = mine.set_index("contact_id")
    out = []
    for c in ids:
        name = info["name"].get(c) if c in info.index else None
        email = info["email"].get(c) if c in info.index else None
        role = info["role"].get(c) if c in info.index else None
        out.append({"contact_id": c, "name": name, "email": email, "role": role})
    return out


def _ask_words(kind: str, people: list[dict[str, Any]]) -> list[str]:
    shown = []
    for p in people[:5]:
        who = p["name"] if isinstance(p["name"], str) else p["contact_id"]
        mail = f" <{p['email']}>" if isinstance(p["email"], str) else ""
        role = f" ({p['role']})" if isinstance(p["role"], str) else ""
        shown.append(f"{who}{mail}{role}")
    more = f" and {len(people) - 5} more" if len(people) > 5 else ""
    return [f"ask for a {kind}: " + "; ".join(shown) + more]


def apply_rules(
    store: Store,
    facts: Facts,
    ruleset: RuleSet,
    *,
    mode: str = "live",
    at: dt.datetime | None = None,
    notify: bool = True,
) -> AlertRun:
    """Evaluate every enabled rule on `facts` and bring the stored CTAs up to date.

    `notify=False` writes no outbox rows for the CTAs it opens (a replay of history, whose
    notifications are long past)."""
    as_of = facts.as_of
    at = at or now_utc()
    rules = ruleset.enabled()
    fired, failed = evaluate_rules(rules, facts)
    run = AlertRun(
        as_of, mode, rules=len(rules), errors=failed, churn_probability=facts.churn_source
    )
    run.changes = len(facts.changes)
    frame = facts.frame
    with store.transaction() as con:
        existing = {(r["rule"], r["account_id"]): r for r in open_cta_rows(con, mode)}
        states = rule_states(con, mode)
        longest = max([r.max_fires[1] for r in rules if r.max_fires] + [1])
        fires = fires_since(con, mode, as_of - dt.timedelta(days=longest))
        next_id = next_cta_id(con)
        ask_people: dict[str, pd.DataFrame] = {}
        opened: list[dict[str, Any]] = []
        refreshed: list[dict[str, Any]] = []
        events: list[tuple[Any, ...]] = []
        steps: list[dict[str, Any]] = []
        new_fires: list[tuple[Any, ...]] = []
        asks: list[tuple[Any, ...]] = []
        notices: list[tuple[int, dict[str, Any], str]] = []
        closing: list[tuple[dict[str, Any], dict[str, Any], str, str]] = []
        for rule in rules:
            if rule.name not in fired:
                continue  # it failed: its state and CTAs stay as they were
            matched = fired[rule.name]
            stats = {
                "fired": len(matched),
                "opened": 0,
                "updated": 0,
                "resolved": 0,
                "held_back": 0,
            }
            new_states: dict[str, tuple[Any, Any]] = {}
            for acc in matched:
                since, last = states.get((rule.name, acc), (None, None))
                if (
                    since is None
                    or last is None
                    or (as_of - last).days > _HOLD_GAP_DAYS
                    or last > as_of
                ):
                    since = as_of
                new_states[acc] = (since, as_of)
            set_rule_states(con, mode, rule.name, new_states)
            asked: set[str] = set()
            if rule.ask and matched:
                asked = recent_asks(
                    con, mode, rule.ask, as_of - dt.timedelta(days=rule.ask_cooldown_days - 1)
                )
                if rule.ask not in ask_people:
                    ask_people[rule.ask] = facts.contacts(sorted(matched))
            for acc, firing in matched.items():
                since = new_states[acc][0]
                if (as_of - since).days < rule.hold_days:
                    continue
                row = existing.get((rule.name, acc))
                info = frame.loc[acc]
                arr = _f(info.get("arr")) or 0.0
                p = _f(info.get("churn_probability")) or 0.0
                urgency = _urgency(rule, info.get("renewal_date"), as_of)
                priority = round(arr * p * urgency, 2)
                if row is not None:
                    if row["last_fired_on"] >= as_of:
                        continue
                    changes = {
                        "last_fired_on": as_of,
                        "fire_count": int(row["fire_count"]) + 1,
                        "evidence": firing.evidence if not rule.ask else row["evidence"],
                        "arr_at_stake": arr,
                        "churn_probability": p,
                        "urgency": urgency,
                        "priority": priority,
                    }
                    row.update(changes)
                    refreshed.append(row)
                    stats["updated"] += 1
                    continue
                if rule.max_fires:
                    count, days = rule.max_fires
                    window = [d for d in fires.get((rule.name, acc), []) if (as_of - d).days < days]
                    if len(window) >= count:
                        continue
                evidence = list(firing.evidence)
                people: list[dict[str, Any]] = []
                if rule.ask:
                    people = _ask_contacts(rule, firing, facts, ask_people[rule.ask], asked)
                    if not people:
                        continue  # everyone was asked recently: nobody to ask
                    evidence += _ask_words(rule.ask, people)
                held = held_back(rule.name, acc, as_of, rule.holdout)
                cta_id = next_id
                next_id += 1
                owner = _owner(rule, info.get("owner"), str(info.get("segment")))
                new = {
                    "id": cta_id,
                    "account_id": acc,
                    "rule": rule.name,
                    "type": rule.type,
                    "reason": rule.reason,
                    "evidence": evidence,
                    "owner": owner,
                    "due": as_of + dt.timedelta(days=rule.due_days),
                    "priority": priority,
                    "arr_at_stake": arr,
                    "churn_probability": p,
                    "urgency": urgency,
                    "status": "open",
                    "opened_on": as_of,
                    "last_fired_on": as_of,
                    "fire_count": 1,
                    "held_back": held,
                    "deferred": False,
                    "critical": rule.critical,
                    "effort_hours": rule.effort_hours,
                    "outcome_kind": rule.outcome_kind,
                    "outcome_days": rule.outcome_days,
                    "band_at_open": None if pd.isna(info.get("band")) else str(info.get("band")),
                    "score_at_open": _f(info.get("score")),
                    "usage_at_open": _f(info.get("usage_active_days_28d")),
                    "mode": mode,
                    "version": 1,
                    "created_at": at,
                    "updated_at": at,
                }
                opened.append(new)
                events.append(
                    (
                        cta_id,
                        at,
                        SYSTEM,
                        "opened" + (" (held back)" if held else ""),
                        None,
                        {"status": "open", "rule": rule.name, "on": as_of},
                    )
                )
                if rule.playbook:
                    pb = ruleset.playbooks[rule.playbook]
                    steps += [
                        {
                            "cta_id": cta_id,
                            "step_no": i + 1,
                            "title": s.title,
                            "owner": owner if s.owner == "owner" else s.owner,
                            "due": as_of + dt.timedelta(days=s.due_days),
                            "template": s.template,
                        }
                        for i, s in enumerate(pb.steps)
                    ]
                new_fires.append((rule.name, acc, mode, as_of, cta_id))
                for person in people:
                    asks.append((person["contact_id"], acc, rule.ask or "", as_of, cta_id, mode))
                    asked.add(person["contact_id"])
                if held:
                    stats["held_back"] += 1
                else:
                    notices.append((cta_id, new, str(info.get("name"))))
                existing[(rule.name, acc)] = new
                stats["opened"] += 1
            for (rname, acc), row in list(existing.items()):
                if rname != rule.name or row["status"] == "closed" or row["opened_on"] >= as_of:
                    continue
                if rule.auto_resolve and acc not in matched and acc in frame.index:
                    note = "the condition recovered"
                elif (
                    rule.expire_days is not None
                    and row["status"] == "open"
                    and (as_of - row["opened_on"]).days >= rule.expire_days
                ):
                    note = f"expired: nobody started it within {rule.expire_days} days"
                else:
                    continue
                closing.append(
                    (
                        row,
                        {"status": "closed", "outcome": AUTO_RESOLVED, "note": note},
                        SYSTEM,
                        "auto-resolved",
                    )
                )
                del existing[(rname, acc)]
                stats["resolved"] += 1
            run.per_rule[rule.name] = stats
            run.fired += stats["fired"]
            run.opened += stats["opened"]
            run.updated += stats["updated"]
            run.resolved += stats["resolved"]
            run.held_back += stats["held_back"]
        insert_ctas(con, opened)
        refresh_ctas(con, refreshed)
        add_events(con, events)
        add_steps_many(con, steps)
        add_fires(con, new_fires)
        add_asks(con, asks)
        if notify:  # one statement for a first run's thousands of new CTAs
            enqueue_many(
                con,
                [
                    ("cta.opened", f"cta:{cta_id}:open:1", outbox_payload(new, name))
                    for cta_id, new, name in notices
                ],
                now=at,
            )
        for row in list(existing.values()):
            if (
                row["status"] == "snoozed"
                and row.get("snoozed_until") is not None
                and row["snoozed_until"] <= as_of
            ):
                closing.append((row, {"status": "open"}, SYSTEM, "woke"))
                run.woke += 1
        for new in apply_changes(con, closing, at=at, on=as_of, notify=notify):
            key = (new["rule"], new["account_id"])
            if new["status"] != "closed":
                existing[key] = new
        run.deferred = requeue(con, mode, ruleset, list(existing.values()), facts)
        record_run(
            con,
            {
                "as_of": as_of,
                "mode": mode,
                "ran_at": at,
                "rules": run.rules,
                "fired": run.fired,
                "opened": run.opened,
                "updated": run.updated,
                "resolved": run.resolved,
                "held_back": run.held_back,
                "errors": [asdict(e) for e in failed],
                "capacity": asdict(ruleset.capacity),
            },
        )
    return run


def requeue(
    con: Connection,
    mode: str,
    ruleset: RuleSet | None,
    rows: list[dict[str, Any]] | None = None,
    facts: Facts | None = None,
    segments: dict[str, str | None] | None = None,
) -> int:
    """Recompute which open CTAs fit their owners' capacity; the number deferred.

    Without a rule set, the capacity of the newest run applies (the built-in one before
    any run)."""
    if rows is None:
        rows = open_cta_rows(con, mode)
    if segments is None:
        if facts is not None:
            segments = {str(k): v for k, v in facts.frame["segment"].items()}
        else:
            segments = account_segments_of(con, sorted({r["account_id"] for r in rows}))
    if ruleset is not None:
        cap = ruleset.capacity
    else:
        saved = latest_capacity(con, mode)
        cap = Capacity(**saved) if saved else load_rules().capacity
    plan = plan_queue(rows, segments, cap)
    set_deferred(con, plan)
    return sum(1 for d, _ in plan.values() if d)
