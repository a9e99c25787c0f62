"""Reads the Account 360 page makes: one account's score history and its timeline rows
(tickets, surveys with their comments, CSM touches and notes, judgements, invoices,
milestones, weekly usage) and its success plan."""

from __future__ import annotations

import datetime as dt
from typing import Any

from healthscore.store.queries._backend import Source, has_table, param_rows

__all__ = ["account_goals", "account_timeline", "score_series", "weekly_usage"]


def score_series(source: Source, account_id: str) -> list[dict[str, Any]]:
    """(as_of, score, band, scorecard_version) of every snapshot of the account, oldest first."""
    return param_rows(
        source,
        "SELECT as_of, score, band, scorecard_version FROM score_snapshots "
        "WHERE account_id = $account ORDER BY as_of",
        {"account": account_id},
    )


def account_timeline(
    source: Source, account_id: str, *, since: dt.date | None = None, limit: int = 60
) -> dict[str, list[dict[str, Any]]]:
    """The account's rows per kind (newest first, at most `limit` each) since a date."""
    out: dict[str, list[dict[str, Any]]] = {}

    def take(name: str, time_col: str, cols: list[str]) -> None:
        if not has_table(source, name):
            out[name] = []
            return
        params: dict[str, Any] = {"account": account_id, "limit": limit}
        cond = "account_id = $account"
        if since is not None:
            # a time of day from midnight on; a date column from that day on
            start = dt.datetime.combine(since, dt.time()) if time_col.endswith("_at") else since
            cond += f" AND {time_col} >= $since"
            params["since"] = start
        out[name] = param_rows(
            source,
            f"SELECT {', '.join(cols)} FROM {name} WHERE {cond} "
            f"ORDER BY {time_col} DESC LIMIT $limit",
            params,
        )

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
    params: dict[str, Any] = {"account": account_id}
    cond = "account_id = $account"
    if since is not None:
        cond += " AND event_time >= $since"
        params["since"] = dt.datetime.combine(since, dt.time())
    return param_rows(
        source,
        "SELECT CAST(date_trunc('week', event_time) AS DATE) AS week, count(*) AS events, "
        f"count(DISTINCT user_id) AS users FROM events WHERE {cond} GROUP BY 1 ORDER BY 1",
        params,
    )


def account_goals(source: Source, account_id: str) -> list[dict[str, Any]]:
    """The account's goals (its success plan), newest first, each with its milestones."""
    goals = param_rows(
        source,
        "SELECT * FROM goals WHERE account_id = $account ORDER BY created_at DESC",
        {"account": account_id},
    )
    ms = param_rows(
        source,
        "SELECT * FROM milestones WHERE account_id = $account ORDER BY due_date",
        {"account": account_id},
    )
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
