"""The capacity-aware queue: each owner works at most their weekly capacity of CTAs; the
rest wait, visibly deferred, and move up as capacity frees.

Capacity is a number of CTAs per week, or hours per week with an effort per CTA type
(`capacity:` in the rules file), set per segment or per person (a person's own figure
wins).  CTAs already in progress keep their place; the others are taken by priority.  What
does not fit can overflow to a team pool up to the pool's own capacity; the rest is
deferred.  Snoozed CTAs take no capacity while they sleep.  Held-back CTAs are not queued
at all: nobody sees them.

This is how healthscore fights alert fatigue and over-servicing: a CSM sees the week's
most valuable CTAs, and the backlog shows what waits.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from healthscore.actions.rules import Capacity

__all__ = ["capacity_of", "effort_of", "plan_queue"]


def effort_of(row: Mapping[str, Any], cap: Capacity) -> float:
    """What one CTA costs against capacity: 1 (counting CTAs) or its hours."""
    if cap.unit == "ctas":
        return 1.0
    if row.get("effort_hours") is not None:
        return float(row["effort_hours"])
    return float(cap.effort_hours.get(str(row["type"]), 1.0))


def capacity_of(owner: str | None, segment: str | None, cap: Capacity) -> float:
    """An owner's weekly capacity (infinite when no limit is set)."""
    if owner is not None and owner in cap.people:
        return float(cap.people[owner])
    if segment is not None and str(segment).lower() in cap.segments:
        return float(cap.segments[str(segment).lower()])
    return float("inf") if cap.per_week is None else float(cap.per_week)


def plan_queue(
    rows: Sequence[Mapping[str, Any]],
    segments: Mapping[str, str | None],
    cap: Capacity,
) -> dict[int, tuple[bool, str | None]]:
    """CTA id -> (deferred, owner) for every open or in-progress CTA in `rows`.

    `segments` maps account ids to segments (for segment capacities).  The owner changes
    only when a CTA overflows to the team pool.
    """
    active = [r for r in rows if r["status"] in ("open", "in_progress") and not r["held_back"]]
    # In progress first (being worked), then the most valuable; ids break ties (oldest first).
    active.sort(
        key=lambda r: (r["status"] != "in_progress", -float(r["priority"] or 0), int(r["id"]))
    )
    used: dict[str | None, float] = {}
    out: dict[int, tuple[bool, str | None]] = {}
    for r in active:
        owner = r.get("owner")
        if owner == cap.pool and cap.pool is not None:
            owner_cap = cap.pool_per_week
        else:
            owner_cap = capacity_of(owner, segments.get(str(r["account_id"])), cap)
        cost = effort_of(r, cap)
        if r["status"] == "in_progress" or used.get(owner, 0.0) + cost <= owner_cap:
            used[owner] = used.get(owner, 0.0) + cost
            out[int(r["id"])] = (False, owner)
        elif (
            cap.pool is not None
            and owner != cap.pool
            and used.get(cap.pool, 0.0) + cost <= cap.pool_per_week
        ):
            used[cap.pool] = used.get(cap.pool, 0.0) + cost
            out[int(r["id"])] = (False, cap.pool)
        else:
            out[int(r["id"])] = (True, owner)
    return out
