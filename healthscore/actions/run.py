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

import numpy as np
import pandas as pd

from healthscore.actions.engine import Firing, RuleFailure, evaluate_rules
from healthscore.actions.facts import Facts
from healthscore.actions.holdout import held_back
from healthscore.actions.lifecycle import apply_changes, now_utc
from healthscore.actions.model import AUTO_RESOLVED, SYSTEM
from healthscore.actions.queue import plan_queue
from healthscore.actions.rules import Capacity, Rule, RuleSet, load_rules
from healthscore.store import Store
from healthscore.store.ctas import (
    account_segments_of,
    add_asks,
    add_fires,
    add_opened_events,
    add_steps_many,
    close_ctas,
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
    set_rule_states_many,
)
from healthscore.store.db import Connection
from healthscore.store.outbox import enqueue_cta_rows

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


class _Columns:
    """The facts a run reads per firing, as plain dicts: one pandas conversion per column
    for the whole portfolio instead of a `frame.loc[account]` per firing (which cost more
    than everything else in a large run)."""

    def __init__(self, frame: pd.DataFrame, as_of: dt.date):
        idx = frame.index.astype(str)

        def col(name: str) -> pd.Series:
            if name in frame.columns:
                return frame[name].set_axis(idx)
            return pd.Series(None, index=idx, dtype=object)

        def num(name: str) -> pd.Series:
            return pd.to_numeric(col(name), errors="coerce")

        self.arr = num("arr").fillna(0.0).to_dict()
        self.p = num("churn_probability").fillna(0.0).to_dict()
        self.p_source = _plain(col("churn_source"), str)
        renewal = pd.to_datetime(col("renewal_date"), errors="coerce").dt.normalize()
        left = (renewal - pd.Timestamp(as_of)).dt.days.to_numpy(float)
        # Urgency rises up to 1.5x as the renewal comes within 90 days.
        with np.errstate(invalid="ignore"):
            near = (left >= 0) & (left <= 90)
        factor = np.where(near, 1 + 0.5 * (90 - left) / 90, 1.0)
        self.renewal_factor = dict(zip(idx, factor.astype(float).tolist(), strict=True))
        self.owner = _plain(col("owner"), str)
        self.segment = col("segment").astype(str).to_dict()
        self.band = _plain(col("band"), str)
        self.score = _plain(num("score"), float)
        self.usage = _plain(num("usage_active_days_28d"), float)
        self.name = col("name").astype(str).to_dict()


def _plain(series: pd.Series, kind: type) -> dict[str, Any]:
    """account -> the value as a plain str/float, None where missing."""
    if kind is float:
        values = pd.to_numeric(series, errors="coerce").astype(float)
    else:
        values = series.astype(object).where(series.isna(), series.astype(str))
    return values.astype(object).where(values.notna(), None).to_dict()


def _owner(rule: Rule, csm: Any, segment: str) -> str | None:
    spec = rule.owner
    if isinstance(spec, dict):
        spec = spec.get(segment, spec.get(str(segment).lower(), spec.get("default", "csm")))
    if spec == "csm":
        return None if csm is None or (isinstance(csm, float) and math.isnan(csm)) else str(csm)
    return str(spec)


def _is_key(role: Any) -> bool:
    return isinstance(role, str) and any(k in role.lower() for k in _KEY_ROLES)


class _People:
    """The contacts a run may ask, grouped by account once (a run over a large portfolio
    asks thousands of accounts; filtering the contact frame per ask was quadratic)."""

    def __init__(self, facts: Facts, accounts: list[str]):
        self.by_account: dict[str, list[dict[str, Any]]] = {}
        for r in facts.contacts(accounts).to_dict("records"):
            r["contact_id"] = str(r["contact_id"])
            self.by_account.setdefault(str(r["account_id"]), []).append(r)
        self._facts = facts
        self._promoters: dict[str, list[str]] | None = None

    def promoters(self) -> dict[str, list[str]]:
        """account -> its contacts whose latest NPS is 9 or 10."""
        if self._promoters is None:
            p = self._facts.promoters
            p = p[p["nps"] >= 9]
            out: dict[str, list[str]] = {}
            for a, c in zip(p["account_id"].astype(str), p["contact_id"].astype(str), strict=True):
                out.setdefault(a, []).append(c)
            self._promoters = out
        return self._promoters


def _ask_contacts(
    rule: Rule, f: Firing, facts: Facts, people: _People, asked: set[str]
) -> list[dict[str, Any]]:
    """The contacts to ask: for a review, everyone tied to the moment (or the account's key
    contacts for a milestone or first value), never filtered on how they feel; for a
    referral or testimonial, the account's promoters who have not referred.  Anyone asked
    within the cooldown is left out."""
    mine = people.by_account.get(f.account_id, [])
    if rule.ask == "review":
        ids = list(f.contacts)
        if not ids:
            key = [r for r in mine if _is_key(r.get("role"))]
            ids = [r["contact_id"] for r in (key or mine[:3])]
    else:
        promoters = people.promoters().get(f.account_id, [])
        ids = [c for c in promoters if c not in facts.referrer_contacts]
        if not ids and not promoters:
            ids = [r["contact_id"] for r in mine if _is_key(r.get("role"))][:2]
    ids = [c for c in dict.fromkeys(str(c) for c in ids) if c not in asked]
    info: dict[str, dict[str, Any]] = {}
    for r in mine:
        info.setdefault(r["contact_id"], r)
    out = []
    for c in ids:
        got = info.get(c, {})
        out.append(
            {
                "contact_id": c,
                "name": got.get("name"),
                "email": got.get("email"),
                "role": got.get("role"),
            }
        )
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


def _new_states(
    matched: dict[str, Firing],
    states: dict[tuple[str, str], tuple[Any, Any]],
    rule: str,
    as_of: dt.date,
) -> dict[str, tuple[Any, Any]]:
    """account -> (holds since, last seen) after today's firings: a condition seen again
    within `_HOLD_GAP_DAYS` still holds since its first day."""
    out: dict[str, tuple[Any, Any]] = {}
    for acc in matched:
        since, last = states.get((rule, acc), (None, None))
        if since is None or last is None or (as_of - last).days > _HOLD_GAP_DAYS or last > as_of:
            since = as_of
        out[acc] = (since, as_of)
    return out


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

    The rules are evaluated on whole columns; the run then reads the stored state once,
    decides per firing with plain dict look-ups, and writes every kind of row (CTAs,
    refreshes, closes, history, checklists, firings, asks, outbox, queue) in one
    set-based statement each, all in one transaction: a crash writes nothing.

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
    cols = _Columns(facts.frame, as_of)
    in_frame = set(cols.arr)
    asking = sorted({a for r in rules if r.ask and r.name in fired for a in fired[r.name]})
    people = _People(facts, asking) if asking else None
    with store.transaction() as con:
        existing = {(r["rule"], r["account_id"]): r for r in open_cta_rows(con, mode)}
        by_rule: dict[str, list[tuple[str, str]]] = {}
        for key in existing:
            by_rule.setdefault(key[0], []).append(key)
        states = rule_states(con, mode)
        longest = max([r.max_fires[1] for r in rules if r.max_fires] + [1])
        fires = fires_since(con, mode, as_of - dt.timedelta(days=longest))
        next_id = first_id = next_cta_id(con)
        opened: list[dict[str, Any]] = []
        refreshed: list[dict[str, Any]] = []
        steps: list[dict[str, Any]] = []
        new_fires: list[tuple[Any, ...]] = []
        asks: list[tuple[Any, ...]] = []
        notices: dict[int, str] = {}  # CTA id -> account name, for the outbox
        closing: list[tuple[dict[str, Any], dict[str, Any], str, str]] = []
        resolving: list[tuple[int, str]] = []  # (CTA id, note) auto-resolved or expired
        all_states: dict[str, dict[str, tuple[Any, Any]]] = {}
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
            new_states = _new_states(matched, states, rule.name, as_of)
            all_states[rule.name] = new_states
            asked: set[str] = set()
            if rule.ask and matched:
                asked = recent_asks(
                    con, mode, rule.ask, as_of - dt.timedelta(days=rule.ask_cooldown_days - 1)
                )
            playbook = ruleset.playbooks[rule.playbook] if rule.playbook else None
            for acc, firing in matched.items():
                since = new_states[acc][0]
                if (as_of - since).days < rule.hold_days:
                    continue
                row = existing.get((rule.name, acc))
                arr = float(cols.arr.get(acc, 0.0)) or 0.0
                p = float(cols.p.get(acc, 0.0)) or 0.0
                urgency = round(rule.urgency * cols.renewal_factor.get(acc, 1.0), 3)
                priority = round(arr * p * urgency, 2)
                if row is not None:
                    if row["last_fired_on"] >= as_of:
                        continue
                    row.update(
                        {
                            "last_fired_on": as_of,
                            "fire_count": int(row["fire_count"]) + 1,
                            "evidence": firing.evidence if not rule.ask else row["evidence"],
                            "arr_at_stake": arr,
                            "churn_probability": p,
                            "churn_source": cols.p_source.get(acc),
                            "urgency": urgency,
                            "priority": priority,
                        }
                    )
                    refreshed.append(row)
                    stats["updated"] += 1
                    continue
                if rule.max_fires:
                    count, days = rule.max_fires
                    window = [d for d in fires.get((rule.name, acc), []) if (as_of - d).days < days]
                    if len(window) >= count:
                        continue
                evidence = list(firing.evidence)
                chosen: list[dict[str, Any]] = []
                if rule.ask and people is not None:
                    chosen = _ask_contacts(rule, firing, facts, people, asked)
                    if not chosen:
                        continue  # everyone was asked recently: nobody to ask
                    evidence += _ask_words(rule.ask, chosen)
                held = held_back(rule.name, acc, as_of, rule.holdout)
                cta_id = next_id
                next_id += 1
                owner = _owner(rule, cols.owner.get(acc), cols.segment.get(acc, "None"))
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
                    "churn_source": cols.p_source.get(acc),
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
                    "band_at_open": None if cols.band.get(acc) is None else str(cols.band[acc]),
                    "score_at_open": cols.score.get(acc),
                    "usage_at_open": cols.usage.get(acc),
                    "mode": mode,
                    "version": 1,
                    "created_at": at,
                    "updated_at": at,
                }
                opened.append(new)
                if playbook is not None:
                    steps += [
                        {
                            "cta_id": cta_id,
                            "step_no": i + 1,
                            "title": s.title,
                            "owner": owner if s.owner == "owner" else s.owner,
                            "due": as_of + dt.timedelta(days=s.due_days),
                            "template": s.template,
                        }
                        for i, s in enumerate(playbook.steps)
                    ]
                new_fires.append((rule.name, acc, mode, as_of, cta_id))
                for person in chosen:
                    asks.append((person["contact_id"], acc, rule.ask or "", as_of, cta_id, mode))
                    asked.add(person["contact_id"])
                if held:
                    stats["held_back"] += 1
                else:
                    notices[cta_id] = cols.name.get(acc, acc)
                existing[(rule.name, acc)] = new
                stats["opened"] += 1
            for key in by_rule.get(rule.name, []):
                row = existing.get(key)
                if row is None or row["status"] == "closed" or row["opened_on"] >= as_of:
                    continue
                acc = key[1]
                if rule.auto_resolve and acc not in matched and acc in in_frame:
                    note = "the condition recovered"
                elif (
                    rule.expire_days is not None
                    and row["status"] == "open"
                    and (as_of - row["opened_on"]).days >= rule.expire_days
                ):
                    note = f"expired: nobody started it within {rule.expire_days} days"
                else:
                    continue
                resolving.append((int(row["id"]), note))
                del existing[key]
                stats["resolved"] += 1
            run.per_rule[rule.name] = stats
            run.fired += stats["fired"]
            run.opened += stats["opened"]
            run.updated += stats["updated"]
            run.resolved += stats["resolved"]
            run.held_back += stats["held_back"]
        set_rule_states_many(con, mode, all_states)
        insert_ctas(con, opened)
        refresh_ctas(con, refreshed)
        if opened:  # their history and outbox rows, built from the inserted rows
            add_opened_events(con, first_id, next_id - 1, at, SYSTEM)
        add_steps_many(con, steps)
        add_fires(con, new_fires)
        add_asks(con, asks)
        # Auto-resolved and expired CTAs close in a few statements, their history and
        # outbox rows built in SQL (a next-day run over a large portfolio closes thousands).
        close_ctas(
            con,
            resolving,
            outcome=AUTO_RESOLVED,
            actor=SYSTEM,
            action="auto-resolved",
            at=at,
            on=as_of,
        )
        if notify:
            enqueue_cta_rows(con, "cta.closed", {i: None for i, _ in resolving}, now=at)
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
        segments = {a: (None if s == "nan" else s) for a, s in cols.segment.items()}
        run.deferred = requeue(con, mode, ruleset, list(existing.values()), segments=segments)
        if notify:  # after the queue, so each payload says whether the CTA waits (deferred)
            enqueue_cta_rows(con, "cta.opened", dict(notices), now=at)
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
