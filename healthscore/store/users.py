"""Writes of the users table: add, change role/password/state.  Reads are in
`healthscore.store.queries.users`; hashing and rules are in `healthscore.auth.users`."""

from __future__ import annotations

import datetime as dt
import secrets

import duckdb

__all__ = ["insert_user", "session_secret", "update_user"]

_FIELDS = ("display_name", "role", "email", "password_hash", "disabled")


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


def insert_user(
    con: duckdb.DuckDBPyConnection,
    *,
    username: str,
    display_name: str,
    role: str,
    email: str | None,
    password_hash: str,
) -> None:
    """Insert one user row (the caller checked the name is free)."""
    now = _now()
    con.execute(
        "INSERT INTO users (username, display_name, role, email, password_hash, disabled, "
        "session_epoch, created_at, updated_at) VALUES (?, ?, ?, ?, ?, false, 0, ?, ?)",
        [username, display_name, role, email, password_hash, now, now],
    )


def update_user(
    con: duckdb.DuckDBPyConnection,
    username: str,
    *,
    end_sessions: bool = False,
    **values: object,
) -> None:
    """Set some of display_name, role, email, password_hash, disabled on one user.

    `end_sessions` raises the user's session epoch, so every cookie issued before is void.
    """
    unknown = set(values) - set(_FIELDS)
    if unknown:
        raise ValueError(f"unknown user fields: {sorted(unknown)}")
    sets = [f"{k} = ?" for k in values]
    params: list[object] = list(values.values())
    if end_sessions:
        sets.append("session_epoch = session_epoch + 1")
    sets.append("updated_at = ?")
    params += [_now(), username]
    con.execute(f"UPDATE users SET {', '.join(sets)} WHERE username = ?", params)


def session_secret(con: duckdb.DuckDBPyConnection) -> str:
    """The store's key for signing sessions, made (at random) on first use."""
    got = con.execute("SELECT value FROM auth_secrets WHERE name = 'session'").fetchone()
    if got is not None:
        return str(got[0])
    value = secrets.token_urlsafe(48)
    con.execute("INSERT INTO auth_secrets VALUES ('session', ?) ON CONFLICT DO NOTHING", [value])
    got = con.execute("SELECT value FROM auth_secrets WHERE name = 'session'").fetchone()
    return str(got[0])  # type: ignore[index]
