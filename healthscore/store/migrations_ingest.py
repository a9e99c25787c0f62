"""Schema steps of the ingest feature (names numbered 030-034).

Each step runs once per store, inside a transaction, and is recorded by name.  A step is
plain DDL on the DuckDB connection; it must not import healthscore.store.migrations.
"""

from __future__ import annotations

from collections.abc import Callable

import duckdb


def _m030_external_ids(con: duckdb.DuckDBPyConnection) -> None:
    # Tools do not share an account id: Stripe knows its customer id, Zendesk an
    # organisation, Segment a groupId.  Each account may carry one id per source.
    con.execute(
        """
        CREATE TABLE IF NOT EXISTS account_external_ids (
          account_id VARCHAR NOT NULL, source VARCHAR NOT NULL, external_id VARCHAR NOT NULL,
          batch_id VARCHAR, registered_at TIMESTAMP NOT NULL
        )"""
    )


def _m031_batch_bookkeeping(con: duckdb.DuckDBPyConnection) -> None:
    # What `imports list` shows and `imports undo` needs: the profile and source of a batch,
    # the keys it inserted, and the stored versions an --update batch replaced.
    con.execute("ALTER TABLE import_batches ADD COLUMN IF NOT EXISTS profile VARCHAR")
    con.execute("ALTER TABLE import_batches ADD COLUMN IF NOT EXISTS source_name VARCHAR")
    con.execute("ALTER TABLE import_batches ADD COLUMN IF NOT EXISTS undone_at TIMESTAMP")
    con.execute(
        """
        CREATE TABLE IF NOT EXISTS import_batch_rows (
          batch_id VARCHAR NOT NULL, kind VARCHAR NOT NULL, row_key VARCHAR, event_key UBIGINT
        )"""
    )
    # Events: a batch's keys as lists, up to 2M keys a row (a row per key cost a tenth of
    # the import's time at 2M events; the lists cost about half as much).
    con.execute(
        """
        CREATE TABLE IF NOT EXISTS import_batch_event_keys (
          batch_id VARCHAR NOT NULL, event_keys UBIGINT[] NOT NULL
        )"""
    )
    con.execute(
        """
        CREATE TABLE IF NOT EXISTS import_replaced_rows (
          batch_id VARCHAR NOT NULL, kind VARCHAR NOT NULL, row_key VARCHAR NOT NULL,
          row_json VARCHAR NOT NULL
        )"""
    )


MIGRATIONS: list[tuple[str, Callable[[duckdb.DuckDBPyConnection], None]]] = [
    ("030_account_external_ids", _m030_external_ids),
    ("031_batch_bookkeeping", _m031_batch_bookkeeping),
]
