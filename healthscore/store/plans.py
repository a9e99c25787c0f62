"""Writes of success plans: goals and milestones go into the core `goals` and `milestones`
tables (so their progress feeds the Goals group of the score like imported ones), and the
parts those tables lack (owners, a milestone's completing condition) into their own."""

from __future__ import annotations

import datetime as dt
from typing import Any

import duckdb

__all__ = [
    "add_goal",
    "add_milestone",
    "complete_milestones",
    "next_plan_id",
    "set_milestone",
    "set_owner",
]


def next_plan_id(con: duckdb.DuckDBPyConnection, kind: str) -> str:
    """A fresh id: G-<n> for goals, M-<n> for milestones, past every stored one."""
    table, col, prefix = (
        ("goals", "goal_id", "G") if kind == "goal" else ("milestones", "milestone_id", "M")
    )
    row = con.execute(
        f"SELECT coalesce(max(try_cast(regexp_extract({col}, '(\\d+)$', 1) AS BIGINT)), 0) FROM {table}"
    ).fetchone()
    return f"{prefix}-{int(row[0] if row else 0) + 1:06d}"


def add_goal(con: duckdb.DuckDBPyConnection, row: dict[str, Any]) -> None:
    con.execute(
        "INSERT INTO goals (goal_id, account_id, title, success_plan, status, created_at, target_date) "
        "VALUES (?, ?, ?, ?, ?, ?, ?)",
        [
            row["goal_id"],
            row["account_id"],
            row["title"],
            row.get("success_plan"),
            row.get("status", "open"),
            row["created_at"],
            row.get("target_date"),
        ],
    )


def add_milestone(con: duckdb.DuckDBPyConnection, row: dict[str, Any]) -> None:
    con.execute(
        "INSERT INTO milestones (milestone_id, goal_id, account_id, title, due_date, completed_date, status) "
        "VALUES (?, ?, ?, ?, ?, NULL, 'planned')",
        [row["milestone_id"], row["goal_id"], row["account_id"], row["title"], row.get("due_date")],
    )
    if row.get("metric"):
        con.execute(
            "INSERT INTO milestone_rules VALUES (?, ?, ?, ?, NULL)",
            [row["milestone_id"], row["metric"], row["op"], float(row["value"])],
        )


def set_owner(con: duckdb.DuckDBPyConnection, kind: str, item_id: str, owner: str | None) -> None:
    con.execute("DELETE FROM plan_owners WHERE kind = ? AND item_id = ?", [kind, item_id])
    if owner:
        con.execute("INSERT INTO plan_owners VALUES (?, ?, ?)", [kind, item_id, owner])


def set_milestone(
    con: duckdb.DuckDBPyConnection, milestone_id: str, *, status: str, completed: dt.date | None
) -> None:
    con.execute(
        "UPDATE milestones SET status = ?, completed_date = ? WHERE milestone_id = ?",
        [status, completed, milestone_id],
    )


def complete_milestones(con: duckdb.DuckDBPyConnection, done: list[tuple[str, dt.date]]) -> None:
    """Mark milestones done by their metric condition on a date (and remember that it was
    the condition, not a person, that completed them)."""
    for mid, day in done:
        con.execute(
            "UPDATE milestones SET status = 'done', completed_date = ? WHERE milestone_id = ? "
            "AND completed_date IS NULL",
            [day, mid],
        )
        con.execute(
            "UPDATE milestone_rules SET completed_by_rule_on = ? WHERE milestone_id = ?", [day, mid]
        )
