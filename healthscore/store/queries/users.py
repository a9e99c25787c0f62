"""Reads of the users table (hashes included: only `healthscore.auth.users` calls these)."""

from __future__ import annotations

from typing import Any

from healthscore.store.queries._backend import Source, rows, table

__all__ = ["count_users", "read_user", "read_users"]


def read_user(source: Source, username: str) -> dict[str, Any] | None:
    """One user's row (with its password hash), or None."""
    u = table(source, "users")
    got = rows(u.filter(u.username == username).limit(1))
    return got[0] if got else None


def read_users(source: Source) -> list[dict[str, Any]]:
    """Every user's row, by username."""
    return rows(table(source, "users").order_by("username"))


def count_users(source: Source) -> int:
    """How many users exist (disabled ones included)."""
    return int(table(source, "users").count().to_pyarrow().as_py())
