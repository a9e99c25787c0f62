"""Schema steps of the predict feature (names numbered 035-039).

Each step runs once per store, inside a transaction, and is recorded by name.  A step is
plain DDL on the DuckDB connection; it must not import healthscore.store.migrations.
"""

from __future__ import annotations

from collections.abc import Callable

import duckdb

# Columns of a one-row-per-subscription billing export (Stripe, Chargebee, Recurly), so
# churn can be read from its status and dates (docs/outcomes.md).  Fresh stores get them
# from the schema declaration; stores made before this step get them here.
_SUBSCRIPTION_COLUMNS = (
    ("status", "VARCHAR"),
    ("canceled_at", "DATE"),
    ("current_period_end", "DATE"),
    ("trial_end", "DATE"),
    ("paused_at", "DATE"),
    ("resumes_at", "DATE"),
)


def _m035_subscription_status(con: duckdb.DuckDBPyConnection) -> None:
    for name, type_ in _SUBSCRIPTION_COLUMNS:
        con.execute(f"ALTER TABLE subscriptions ADD COLUMN IF NOT EXISTS {name} {type_}")


MIGRATIONS: list[tuple[str, Callable[[duckdb.DuckDBPyConnection], None]]] = [
    ("035_subscription_status", _m035_subscription_status),
]
