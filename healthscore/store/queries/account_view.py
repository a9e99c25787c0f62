"""Reads the Account 360 page makes: one account's score history and its timeline rows
(tickets, surveys with their comments, CSM touches and notes, judgements, invoices,
milestones, weekly usage) and its success plan."""

from __future__ import annotations

import datetime as dt
from typing import Any

import ibis

from healthscore.store.queries._backend import Source, has_table, rows, table

__all__ = ["account_goals", "account_timeline", "score_series", "weekly_usage"]


def score_series(source: Source, account_id: str) -> list[dict[str, Any]]:
    """(as_of, score, band, scorecard_version) of every snapshot of the account, oldest first."""
    s = table(source, "score_snapshots")
    got = s.filter(s.account_id == account_id).select("as_of", "score", "band", "scorecard_version")
    return rows(got.order_by("as_of"))


def _since(t: Any, col: str, since: dt.date | None) -> Any:
    if since is None:
        return t
    return t.filter(t[col] >= ibis.timestamp(dt.datetime.combine(since, dt.time())))


def account_timeline(
    source: Source, account_id: str, *, since: dt.date | None = None, limit: int = 60
) -> dict[str, list[dict[str, Any]]]:
    """The account's rows per kind (newest first, at most `limit` each) since a date."""
    out: dict[str, list[dict[str, Any]]] = {}

    def take(name: str, time_col: str, cols: list[str]) -> None:
        if not has_table(source, name):
            out[name] = []
            return
        t = table(source, name)
        t = t.filter(t.account_id == account_id)
        t = _since(t, time_col, since) if time_col.endswith("_at") else t
        if since is not None and not time_col.endswith("_at"):
            t = t.filter(t[time_col] >= ibis.date(since))
        out[name] = rows(t.select(*cols).order_by(ibis.desc(time_col)).limit(limit))

    take(
        "tickets",
        "opened_at",
        [
            "ticket_id",
            "opened_at",
            "resolved_at",
            "status",
            "priority",
            "category",
            "csat",
            "subject",
            "body",
            "feature",
            "escalated",
        ],
    )
    take(
        "surveys",
        "responded_at",
        ["response_id", "responded_at", "survey_type", "score", "comment"],
    )
    take(
        "interactions",
        "occurred_at",
        ["interaction_id", "occurred_at", "kind", "direction", "csm", "notes"],
    )
    take(
        "judgements",
        "recorded_at",
        ["judgement_id", "recorded_at", "measure", "value", "csm", "note"],
    )
    take(
        "invoices",
        "issued_date",
        [
            "invoice_id",
            "issued_date",
            "due_date",
            "paid_date",
            "amount",
            "currency",
            "status",
            "failed_attempts",
        ],
    )
    take(
        "milestones",
        "due_date",
        ["milestone_id", "goal_id", "title", "due_date", "completed_date", "status"],
    )
    return out


def weekly_usage(
    source: Source, account_id: str, *, since: dt.date | None = None
) -> list[dict[str, Any]]:
    """Product events and distinct users per week (week starting Monday), oldest first."""
    e = table(source, "events")
    e = _since(e.filter(e.account_id == account_id), "event_time", since)
    week = e.event_time.truncate("W").cast("date").name("week")
    agg = e.group_by(week).aggregate(events=e.count(), users=e.user_id.nunique())
    return rows(agg.order_by("week"))


def account_goals(source: Source, account_id: str) -> list[dict[str, Any]]:
    """The account's goals (its success plan), newest first, each with its milestones."""
    g = table(source, "goals")
    goals = rows(g.filter(g.account_id == account_id).order_by(ibis.desc("created_at")))
    m = table(source, "milestones")
    ms = rows(m.filter(m.account_id == account_id).order_by("due_date"))
    for goal in goals:
        goal["milestones"] = [x for x in ms if x["goal_id"] == goal["goal_id"]]
    loose = [x for x in ms if x["goal_id"] not in {g["goal_id"] for g in goals}]
    if loose:
        goals.append(
            {
                "goal_id": None,
                "title": "Milestones without a goal",
                "status": None,
                "success_plan": None,
                "target_date": None,
                "milestones": loose,
            }
        )
    return goals
