"""Schema steps of the notify feature (names numbered 020-024).

Each step runs once per store, inside a transaction, and is recorded by name.  A step is
plain DDL on the DuckDB connection; it must not import healthscore.store.migrations.

* ``outbox``: one row per notification-worthy change, written in the same transaction as
  the change (a CTA opened, changed or closed; a digest due).  `key` is unique, so a re-run
  never writes a second row for the same change.  The row itself never changes after it is
  written except for its `status` (pending -> routed).
* ``outbox_deliveries``: one row per (outbox row, channel) it is to be sent to, with the
  retry state (attempts, next_attempt_at) and the outcome.
* ``outbox_attempts``: every delivery attempt, successful or not, with time, channel,
  status code and error.
* ``digest_log``: which CTA events have gone into which owner's digest.
"""

from __future__ import annotations

from collections.abc import Callable

import duckdb


def _m020_outbox(con: duckdb.DuckDBPyConnection) -> None:
    # `seq` orders rows written in the same instant (a CTA opened and changed in one run)
    con.execute("CREATE SEQUENCE IF NOT EXISTS outbox_seq START 1")
    con.execute(
        """
        CREATE TABLE IF NOT EXISTS outbox (
          id VARCHAR PRIMARY KEY, seq BIGINT NOT NULL DEFAULT nextval('outbox_seq'), topic VARCHAR NOT NULL, key VARCHAR NOT NULL UNIQUE,
          payload JSON NOT NULL, created_at TIMESTAMP NOT NULL, status VARCHAR NOT NULL,
          routed_at TIMESTAMP
        )"""
    )
    con.execute(
        """
        CREATE TABLE IF NOT EXISTS outbox_deliveries (
          outbox_id VARCHAR NOT NULL, channel VARCHAR NOT NULL, target VARCHAR NOT NULL,
          status VARCHAR NOT NULL, attempts INTEGER NOT NULL DEFAULT 0,
          next_attempt_at TIMESTAMP NOT NULL, claimed_at TIMESTAMP, sent_at TIMESTAMP,
          last_error VARCHAR, created_at TIMESTAMP NOT NULL
        )"""
    )
    con.execute(
        """
        CREATE TABLE IF NOT EXISTS outbox_attempts (
          outbox_id VARCHAR NOT NULL, channel VARCHAR NOT NULL, target VARCHAR NOT NULL,
          attempt INTEGER NOT NULL, attempted_at TIMESTAMP NOT NULL, ok BOOLEAN NOT NULL,
          status_code INTEGER, error VARCHAR, duration_ms DOUBLE
        )"""
    )
    con.execute(
        """
        CREATE TABLE IF NOT EXISTS digest_log (
          digest_id VARCHAR NOT NULL, owner VARCHAR NOT NULL, period DATE NOT NULL,
          outbox_id VARCHAR NOT NULL
        )"""
    )


MIGRATIONS: list[tuple[str, Callable[[duckdb.DuckDBPyConnection], None]]] = [
    ("020_outbox", _m020_outbox),
]
