"""Schema steps of the auth feature: users, sessions, audit (names numbered 025-029).

Each step runs once per store, inside a transaction, and is recorded by name.  A step is
plain DDL on the DuckDB connection; it must not import healthscore.store.migrations.

Sessions live in signed cookies, not in the store; a user's ``session_epoch`` is part of
the cookie, so raising it (a password reset, a disable) ends every session at once.
"""

from __future__ import annotations

from collections.abc import Callable

import duckdb


def _m025_users(con: duckdb.DuckDBPyConnection) -> None:
    con.execute(
        """
        CREATE TABLE IF NOT EXISTS users (
            username VARCHAR PRIMARY KEY,
            display_name VARCHAR NOT NULL,
            role VARCHAR NOT NULL,
            email VARCHAR,
            password_hash VARCHAR NOT NULL,
            disabled BOOLEAN NOT NULL DEFAULT false,
            session_epoch INTEGER NOT NULL DEFAULT 0,
            created_at TIMESTAMP NOT NULL,
            updated_at TIMESTAMP NOT NULL
        )
        """
    )


def _m026_audit_log(con: duckdb.DuckDBPyConnection) -> None:
    con.execute("CREATE SEQUENCE IF NOT EXISTS audit_log_id START 1")
    con.execute(
        """
        CREATE TABLE IF NOT EXISTS audit_log (
            id BIGINT PRIMARY KEY DEFAULT nextval('audit_log_id'),
            occurred_at TIMESTAMP NOT NULL,
            actor VARCHAR NOT NULL,
            action VARCHAR NOT NULL,
            entity VARCHAR NOT NULL,
            entity_id VARCHAR NOT NULL,
            before_json VARCHAR,
            after_json VARCHAR
        )
        """
    )


def _m027_secrets(con: duckdb.DuckDBPyConnection) -> None:
    # The key that signs session cookies and CSRF tokens, made once per store so sessions
    # survive a restart of the server; `healthscore.store.users.session_secret` reads it.
    con.execute(
        "CREATE TABLE IF NOT EXISTS auth_secrets (name VARCHAR PRIMARY KEY, value VARCHAR NOT NULL)"
    )


MIGRATIONS: list[tuple[str, Callable[[duckdb.DuckDBPyConnection], None]]] = [
    ("025_users", _m025_users),
    ("026_audit_log", _m026_audit_log),
    ("027_auth_secrets", _m027_secrets),
]
