"""Schema steps of the REST API: API keys, tracking message ids, ingestion jobs (names numbered 040-044).

Each step runs once per store, inside a transaction, and is recorded by name.  A step is
plain DDL on the DuckDB connection; it must not import healthscore.store.migrations.
"""

from __future__ import annotations

from collections.abc import Callable

import duckdb


def _m040_api_keys(con: duckdb.DuckDBPyConnection) -> None:
    # Only the SHA-256 of the token is kept; `prefix` (the token's public first part) lets
    # a person recognise a key in a listing without the secret.
    con.execute(
        """
        CREATE TABLE IF NOT EXISTS api_keys (
            key_id VARCHAR PRIMARY KEY,
            name VARCHAR NOT NULL,
            prefix VARCHAR NOT NULL,
            token_sha256 VARCHAR NOT NULL UNIQUE,
            scopes VARCHAR NOT NULL,
            created_at TIMESTAMP NOT NULL,
            created_by VARCHAR,
            revoked_at TIMESTAMP
        )
        """
    )


def _m041_tracking(con: duckdb.DuckDBPyConnection) -> None:
    # Every accepted Segment message id, whatever became of it: the de-duplication record.
    # No index: the server's writes are serialised and de-duplicate with a join, and an ART
    # index would be rewritten at every checkpoint (each request's close), growing with it.
    con.execute(
        """
        CREATE TABLE IF NOT EXISTS tracking_messages (
            message_id VARCHAR NOT NULL,
            call VARCHAR NOT NULL,
            received_at TIMESTAMP NOT NULL,
            outcome VARCHAR NOT NULL
        )
        """
    )
    # user -> account, learned from group calls (and identify calls naming a groupId).
    con.execute(
        """
        CREATE TABLE IF NOT EXISTS tracking_links (
            user_id VARCHAR PRIMARY KEY,
            account_id VARCHAR NOT NULL,
            updated_at TIMESTAMP NOT NULL
        )
        """
    )
    # identify traits of users whose account is not known yet (they become contacts later).
    con.execute(
        """
        CREATE TABLE IF NOT EXISTS tracking_users (
            user_id VARCHAR PRIMARY KEY,
            traits VARCHAR NOT NULL,
            updated_at TIMESTAMP NOT NULL
        )
        """
    )
    # track calls whose account cannot be told yet: kept, never dropped; they move into
    # events when a later identify/group call (or an account import) resolves them.
    con.execute(
        """
        CREATE TABLE IF NOT EXISTS tracking_pending (
            message_id VARCHAR PRIMARY KEY,
            user_id VARCHAR,
            account_id VARCHAR,
            event_time TIMESTAMP NOT NULL,
            event_type VARCHAR NOT NULL,
            value DOUBLE,
            properties VARCHAR,
            reason VARCHAR NOT NULL,
            received_at TIMESTAMP NOT NULL
        )
        """
    )


def _m042_ingest_jobs(con: duckdb.DuckDBPyConnection) -> None:
    con.execute(
        """
        CREATE TABLE IF NOT EXISTS ingest_jobs (
            job_id VARCHAR PRIMARY KEY,
            kind VARCHAR NOT NULL,
            source VARCHAR NOT NULL,
            options VARCHAR NOT NULL,
            status VARCHAR NOT NULL,
            created_at TIMESTAMP NOT NULL,
            started_at TIMESTAMP,
            finished_at TIMESTAMP,
            key_id VARCHAR,
            report VARCHAR,
            message VARCHAR,
            problems VARCHAR
        )
        """
    )


MIGRATIONS: list[tuple[str, Callable[[duckdb.DuckDBPyConnection], None]]] = [
    ("040_api_keys", _m040_api_keys),
    ("041_tracking", _m041_tracking),
    ("042_ingest_jobs", _m042_ingest_jobs),
]
