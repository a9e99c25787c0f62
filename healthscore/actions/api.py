"""The actions layer's Python API: what the CLI, the web app and the REST API call.

Every function takes an open `Store`.  Changes go through the lifecycle state machine and
write a history row (who, when, before, after) and an outbox row in one transaction.
Unknown ids raise `CtaNotFound` (a `NotFound`: the REST layer answers 404); illegal
changes raise `IllegalTransition`.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import pandas as pd

from healthscore.actions.changes import describe_change
from healthscore.actions.facts import gather_facts, metric_labels
from healthscore.actions.lifecycle import apply_change, now_utc
from healthscore.actions.model import (
    CTA_TYPES,
    OUTCOMES,
    STATUSES,
    Cta,
    CtaNotFound,
    IllegalTransition,
    Step,
    StepNotFound,
)
from healthscore.actions.plans import auto_complete_milestones
from healthscore.actions.rules import RuleSet, load_rules
from healthscore.actions.run import AlertRun, apply_rules, requeue
from healthscore.errors import HealthscoreError, NotEnoughData
from healthscore.store import Store
from healthscore.store.changes import replace_changes
from healthscore.store.ctas import locked_cta, tick_step_row
from healthscore.store.queries import snapshot_dates
from healthscore.store.queries.changes import change_rows, latest_detection_date
from healthscore.store.queries.ctas import cta_events, cta_rows, cta_steps

__all__ = [
    "AlertRun",
    "assign_cta",
    "close_cta",
    "cta_history",
    "default_as_of",
    "get_cta",
    "list_changes",
    "list_ctas",
    "resolve_rules",
    "rule_table",
    "run_alerts",
    "snooze_cta",
    "tick_step",
    "update_cta",
]

RulesArg = RuleSet | str | Path | None


def resolve_rules(rules: RulesArg) -> RuleSet:
    """A RuleSet from a RuleSet, a path (validated: `InvalidRules` lists every problem with
    its line) or None (the shipped built-in rules)."""
    if isinstance(rules, RuleSet):
        return rules
    return load_rules(rules)


def default_as_of(store: Store) -> dt.date:
    """The newest scored date: rules read the score, so they run where there is one."""
    days = snapshot_dates(store)
    if not days:
        raise NotEnoughData(
            "the store holds no scores yet; score the portfolio before running the rules"
        )
    return days[-1]


def run_alerts(
    store: Store,
    as_of: dt.date | None = None,
    rules: RulesArg = None,
    *,
    mode: str = "live",
    at: dt.datetime | None = None,
    churn_model: bool = True,
) -> AlertRun:
    """Run the rules as of `as_of` (default: the newest scored date): detect changes, open,
    refresh, auto-resolve and wake CTAs, and queue them by capacity.  Idempotent per date.

    Priorities use the churn model's probability where it has one for the account
    (`churn_model=False`: the calibrated score throughout); each CTA records which.
    The rules are parsed before anything is read, so an invalid file changes nothing."""
    ruleset = resolve_rules(rules)
    day = as_of or default_as_of(store)
    facts = gather_facts(store, day, model=churn_model)
    replace_changes(store, day, facts.changes)
    completed = auto_complete_milestones(store, facts.frame, day)
    run = apply_rules(store, facts, ruleset, mode=mode, at=at)
    run.milestones_completed = len(completed)
    return run


def list_changes(
    store: Store,
    *,
    account_id: str | None = None,
    since: dt.date | None = None,
    as_of: dt.date | None = None,
) -> list[dict[str, Any]]:
    """Detected changes in words, newest first: those of the run on `as_of` (detected now
    and stored when that date has none), else of the newest run (or of the newest scored
    date when nothing was detected yet)."""
    newest = latest_detection_date(store)
    day = as_of or newest or default_as_of(store)
    if as_of is not None or newest is None:
        # Detect for that date now (and keep it): `changes --as-of` need not wait for a run.
        facts = gather_facts(store, day)
        replace_changes(store, day, facts.changes)
        labels = facts.labels
    else:
        labels = metric_labels(store)
    found = change_rows(store, detected_on=day, account_id=account_id, since=since)
    out = []
    for r in found.to_dict("records"):
        good = _good_direction(str(r["metric"]), str(r["direction"]))
        out.append(
            {
                "account_id": r["account_id"],
                "metric": r["metric"],
                "kind": r["kind"],
                "direction": r["direction"],
                "good": good,
                "before": r["before_value"],
                "after": r["after_value"],
                "size": r["size"],
                "z": None if pd.isna(r["z"]) else r["z"],
                "started": _as_date(r["started"]),
                "detected_on": _as_date(r["detected_on"]),
                "words": describe_change(r, labels.get(str(r["metric"]))),
                "evidence": json.loads(r["evidence"]) if isinstance(r["evidence"], str) else [],
            }
        )
    return out


_LOWER_IS_BETTER = ("support_tickets", "days_since", "resolution", "late", "overdue", "failed")


def _good_direction(metric: str, direction: str) -> bool:
    """Whether the change is good news (an adoption jump, NPS rising, first value)."""
    worse_up = any(w in metric for w in _LOWER_IS_BETTER)
    return (direction == "up") != worse_up


def _as_date(v: Any) -> dt.date | None:
    return None if v is None or pd.isna(v) else pd.Timestamp(v).date()


def _cta(row: dict[str, Any], steps: pd.DataFrame | None = None) -> Cta:
    mine: list[Step] = []
    if steps is not None and not steps.empty:
        for s in steps[steps["cta_id"] == row["id"]].to_dict("records"):
            mine.append(
                Step(
                    int(s["step_no"]),
                    str(s["title"]),
                    s["owner"] if isinstance(s["owner"], str) else None,
                    None if pd.isna(s["due"]) else pd.Timestamp(s["due"]).date(),
                    s["template"] if isinstance(s["template"], str) else None,
                    None if pd.isna(s["done_at"]) else pd.Timestamp(s["done_at"]).to_pydatetime(),
                    s["done_by"] if isinstance(s["done_by"], str) else None,
                )
            )
    return Cta(
        id=int(row["id"]),
        account_id=str(row["account_id"]),
        account_name=row.get("account_name"),
        rule=row["rule"],
        type=row["type"],
        reason=row["reason"],
        evidence=list(row["evidence"]),
        owner=row.get("owner"),
        due=row.get("due"),
        priority=float(row["priority"] or 0),
        arr_at_stake=row.get("arr_at_stake"),
        churn_probability=row.get("churn_probability"),
        churn_source=row.get("churn_source"),
        urgency=row.get("urgency"),
        status=row["status"],
        snoozed_until=row.get("snoozed_until"),
        snooze_reason=row.get("snooze_reason"),
        outcome=row.get("outcome"),
        note=row.get("note"),
        opened_on=row.get("opened_on"),
        last_fired_on=row.get("last_fired_on"),
        closed_on=row.get("closed_on"),
        fire_count=int(row.get("fire_count") or 1),
        deferred=bool(row.get("deferred")),
        critical=bool(row.get("critical")),
        version=int(row.get("version") or 1),
        steps=mine,
    )


def _check_choice(value: str | None, allowed: tuple[str, ...], what: str) -> None:
    if value is not None and value not in allowed:
        raise HealthscoreError(f"unknown {what} {value!r}; use one of: {', '.join(allowed)}")


def list_ctas(
    store: Store,
    *,
    owner: str | None = None,
    type: str | None = None,
    status: str | None = None,
    account_id: str | None = None,
    include_deferred: bool = True,
    include_closed: bool = False,
) -> list[Cta]:
    """CTAs by priority (highest first).  Closed ones only with `include_closed` or
    status='closed'; held-back ones never (they are recorded, not shown)."""
    _check_choice(type, CTA_TYPES, "CTA type")
    _check_choice(status, STATUSES, "status")
    got = cta_rows(store, owner=owner, type=type, status=status, account_id=account_id)
    if status is None and not include_closed:
        got = [r for r in got if r["status"] != "closed"]
    if not include_deferred:
        got = [r for r in got if not r["deferred"]]
    steps = cta_steps(store, [int(r["id"]) for r in got]) if got else None
    return [_cta(r, steps) for r in got]


def get_cta(store: Store, id: int) -> Cta:
    """One CTA with its checklist; `CtaNotFound` for an unknown (or held-back) id."""
    got = cta_rows(store, ids=[int(id)])
    if not got:
        raise CtaNotFound(id)
    return _cta(got[0], cta_steps(store, [int(id)]))


def cta_history(store: Store, id: int) -> list[dict[str, Any]]:
    """Who changed the CTA, when, and its state before and after, oldest first."""
    get_cta(store, id)
    return cta_events(store, int(id))


def _change(store: Store, id: int, *, actor: str, action: str, changes: dict[str, Any]) -> Cta:
    if not actor:
        raise HealthscoreError("a change to a call-to-action needs the actor (who makes it)")
    with store.transaction() as con:
        row = locked_cta(con, int(id))
        if row is None or row["held_back"] or row["mode"] != "live":
            raise CtaNotFound(id)
        apply_change(con, row, actor=actor, action=action, changes=changes)
        if "status" in changes or "owner" in changes:
            # Capacity freed (or moved): the backlog moves up at once, not on the next run.
            requeue(con, "live", None)
    return get_cta(store, id)


def update_cta(
    store: Store,
    id: int,
    *,
    actor: str,
    status: str | None = None,
    note: str | None = None,
) -> Cta:
    """Move a CTA to `status` (open or in_progress; use snooze_cta / close_cta for those)
    and/or set its note."""
    if status is not None:
        _check_choice(status, ("open", "in_progress"), "status for an update")
    changes: dict[str, Any] = {}
    if status is not None:
        changes["status"] = status
    if note is not None:
        changes["note"] = note
    if not changes:
        return get_cta(store, id)
    return _change(store, id, actor=actor, action="updated", changes=changes)


def snooze_cta(store: Store, id: int, *, actor: str, until: dt.date, reason: str) -> Cta:
    """Snooze until a date (it wakes by itself on the first run on or after it)."""
    if not reason or not reason.strip():
        raise HealthscoreError("snoozing needs a reason (why it can wait)")
    if until <= dt.date.today() - dt.timedelta(days=3650):
        raise HealthscoreError(f"snooze until {until}: give a date in the future")
    return _change(
        store,
        id,
        actor=actor,
        action="snoozed",
        changes={"status": "snoozed", "snoozed_until": until, "snooze_reason": reason.strip()},
    )


def assign_cta(store: Store, id: int, *, actor: str, owner: str) -> Cta:
    """Give the CTA to another owner (a person or the team pool)."""
    if not owner or not owner.strip():
        raise HealthscoreError("assigning needs the new owner's name")
    cur = get_cta(store, id)
    if cur.status == "closed":
        raise IllegalTransition(f"call-to-action {id} is closed; it can no longer change")
    return _change(store, id, actor=actor, action="assigned", changes={"owner": owner.strip()})


def close_cta(store: Store, id: int, *, actor: str, outcome: str, note: str | None = None) -> Cta:
    """Close with an outcome: done, saved (customer saved), lost (customer lost) or not_valid
    (a false alarm: counted in the rule's false-alarm rate)."""
    _check_choice(outcome, OUTCOMES, "outcome")
    changes: dict[str, Any] = {"status": "closed", "outcome": outcome}
    if note is not None:
        changes["note"] = note
    return _change(store, id, actor=actor, action="closed", changes=changes)


def tick_step(store: Store, cta_id: int, step_no: int, *, actor: str) -> Cta:
    """Tick a playbook step as done, recording who and when."""
    if not actor:
        raise HealthscoreError("ticking a step needs the actor (who did it)")
    get_cta(store, cta_id)
    at = now_utc()
    with store.transaction() as con:
        if not tick_step_row(con, cta_id, step_no, at, actor):
            raise StepNotFound(
                f"call-to-action {cta_id} has no step {step_no}; its steps are listed with it"
            )
        from healthscore.store.ctas import add_event

        add_event(
            con,
            int(cta_id),
            at=at,
            actor=actor,
            action=f"ticked step {step_no}",
            before=None,
            after={"step": step_no},
        )
    return get_cta(store, cta_id)


def rule_table(store: Store, rules: RulesArg = None) -> list[dict[str, Any]]:
    """The rules with their hold-out share, CTAs opened and false-alarm rate (the share of
    the CTAs people closed that they closed as "not valid")."""
    from healthscore.store.queries.ctas import cta_worked, effectiveness_rows

    ruleset = resolve_rules(rules)
    ctas = effectiveness_rows(store)
    closed = cta_worked(store)["closed_by_people"]
    out = []
    for r in ruleset.rules:
        mine = ctas[ctas["rule"] == r.name] if not ctas.empty else ctas
        people = mine[mine["id"].isin(closed)] if not mine.empty else mine
        n = len(people)
        out.append(
            {
                "rule": r.name,
                "type": r.type,
                "enabled": r.enabled,
                "holdout": r.holdout,
                "reason": r.reason,
                "opened": len(mine),
                "closed_by_people": n,
                "false_alarm_rate": float((people["outcome"] == "not_valid").mean()) if n else None,
            }
        )
    return out
