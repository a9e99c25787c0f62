"""The CTA state machine: open -> in progress -> snoozed -> closed, as data, and the one
function that applies a change, writes its history row and its outbox row.

An illegal transition (snoozing a closed CTA, closing one twice) is refused with
`IllegalTransition` before anything is written.  Every change bumps the CTA's version, so
the outbox key ``cta:{id}:{state}:{version}`` names each notification-worthy change once.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from healthscore.actions.model import AUTO_RESOLVED, OUTCOMES, IllegalTransition
from healthscore.store.ctas import add_event, add_events, update_cta_row, update_cta_states
from healthscore.store.db import Connection
from healthscore.store.outbox import enqueue, enqueue_many

__all__ = ["TRANSITIONS", "apply_change", "apply_changes", "now_utc", "outbox_payload"]

TRANSITIONS: dict[str, frozenset[str]] = {
    "open": frozenset({"in_progress", "snoozed", "closed"}),
    "in_progress": frozenset({"open", "snoozed", "closed"}),
    "snoozed": frozenset({"open", "in_progress", "closed"}),
    "closed": frozenset(),
}
# The fields a history row shows before and after.
_TRACKED = (
    "status",
    "owner",
    "snoozed_until",
    "snooze_reason",
    "outcome",
    "note",
    "due",
    "priority",
)


def now_utc() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


def outbox_payload(row: dict[str, Any], account_name: str | None = None) -> dict[str, Any]:
    """What a notification about this CTA carries."""
    return {
        "id": int(row["id"]),
        "account_id": row["account_id"],
        "account_name": account_name if account_name is not None else row.get("account_name"),
        "owner": row.get("owner"),
        "type": row["type"],
        "rule": row["rule"],
        "reason": row["reason"],
        "evidence": list(row["evidence"]),
        "priority": round(float(row["priority"] or 0), 2),
        "critical": bool(row.get("critical")),
        "due": row.get("due"),
        "status": row["status"],
        "outcome": row.get("outcome"),
        "deferred": bool(row.get("deferred")),
    }


def _tracked(row: dict[str, Any]) -> dict[str, Any]:
    return {k: row.get(k) for k in _TRACKED}


def apply_change(
    con: Connection,
    row: dict[str, Any],
    *,
    actor: str,
    action: str,
    changes: dict[str, Any],
    at: dt.datetime | None = None,
    on: dt.date | None = None,
    account_name: str | None = None,
) -> dict[str, Any]:
    """Apply `changes` to the CTA `row` inside the caller's transaction; the new row.

    A status change must be allowed by TRANSITIONS; closing needs an outcome.  Writes the
    row, a cta_events row (who, when, before, after) and, unless the CTA is held back, an
    outbox row: cta.closed when it closes, cta.changed otherwise.
    """
    at = at or now_utc()
    new_status = changes.get("status", row["status"])
    if new_status != row["status"] and new_status not in TRANSITIONS[row["status"]]:
        raise IllegalTransition(
            f"call-to-action {row['id']} is {row['status'].replace('_', ' ')}; it cannot become "
            f"{new_status.replace('_', ' ')}"
            + (
                " (a closed CTA stays closed: a new firing opens a new one)"
                if row["status"] == "closed"
                else ""
            )
        )
    if row["status"] == "closed" and changes:
        raise IllegalTransition(f"call-to-action {row['id']} is closed; it can no longer change")
    if new_status == "closed":
        outcome = changes.get("outcome")
        if outcome not in (*OUTCOMES, AUTO_RESOLVED):
            raise IllegalTransition(
                f"closing call-to-action {row['id']} needs an outcome: {', '.join(OUTCOMES)}"
            )
        changes.setdefault("closed_on", on or at.date())
    if new_status != "snoozed" and row["status"] == "snoozed":
        changes.setdefault("snoozed_until", None)
    new = {**row, **changes}
    new["version"] = int(row["version"]) + 1
    new["updated_at"] = at
    update_cta_row(con, int(row["id"]), {**changes, "version": new["version"], "updated_at": at})
    add_event(
        con,
        int(row["id"]),
        at=at,
        actor=actor,
        action=action,
        before=_tracked(row),
        after=_tracked(new),
    )
    if not row["held_back"]:
        topic = "cta.closed" if new_status == "closed" else "cta.changed"
        enqueue(
            con,
            topic=topic,
            key=f"cta:{row['id']}:{new_status}:{new['version']}",
            payload=outbox_payload(new, account_name),
            now=at,
        )
    return new


def _checked(
    row: dict[str, Any], changes: dict[str, Any], at: dt.datetime, on: dt.date | None
) -> dict[str, Any]:
    """The CTA's new state after `changes`, or IllegalTransition (nothing is written)."""
    new_status = changes.get("status", row["status"])
    if row["status"] == "closed":
        raise IllegalTransition(f"call-to-action {row['id']} is closed; it can no longer change")
    if new_status != row["status"] and new_status not in TRANSITIONS[row["status"]]:
        raise IllegalTransition(
            f"call-to-action {row['id']} is {row['status'].replace('_', ' ')}; it cannot become "
            f"{new_status.replace('_', ' ')}"
        )
    changes = dict(changes)
    if new_status == "closed":
        if changes.get("outcome") not in (*OUTCOMES, AUTO_RESOLVED):
            raise IllegalTransition(
                f"closing call-to-action {row['id']} needs an outcome: {', '.join(OUTCOMES)}"
            )
        changes.setdefault("closed_on", on or at.date())
    if new_status != "snoozed" and row["status"] == "snoozed":
        changes.setdefault("snoozed_until", None)
    new = {**row, **changes}
    new["version"] = int(row["version"]) + 1
    new["updated_at"] = at
    return new


def apply_changes(
    con: Connection,
    items: list[tuple[dict[str, Any], dict[str, Any], str, str]],
    *,
    at: dt.datetime | None = None,
    on: dt.date | None = None,
    notify: bool = True,
) -> list[dict[str, Any]]:
    """Many changes at once, each (row, changes, actor, action): the same checks, history
    and outbox rows as `apply_change`, written in a few statements (a daily run or a replay
    moves hundreds of CTAs)."""
    at = at or now_utc()
    news = [_checked(row, changes, at, on) for row, changes, _, _ in items]
    update_cta_states(con, news)
    add_events(
        con,
        [
            (int(row["id"]), at, actor, action, _tracked(row), _tracked(new))
            for (row, _, actor, action), new in zip(items, news, strict=True)
        ],
    )
    if notify:
        enqueue_many(
            con,
            [
                (
                    "cta.closed" if new["status"] == "closed" else "cta.changed",
                    f"cta:{new['id']}:{new['status']}:{new['version']}",
                    outbox_payload(new),
                )
                for new in news
                if not new["held_back"]
            ],
            now=at,
        )
    return news
