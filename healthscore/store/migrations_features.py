"""The schema steps of every feature, in the order they apply (after the core's 001-006)."""

from __future__ import annotations

from collections.abc import Callable

import duckdb

from healthscore.store import (
    migrations_actions,
    migrations_api,
    migrations_auth,
    migrations_ingest,
    migrations_notify,
    migrations_predict,
    migrations_text,
)

FEATURE_MIGRATIONS: list[tuple[str, Callable[[duckdb.DuckDBPyConnection], None]]] = [
    *migrations_text.MIGRATIONS,
    *migrations_actions.MIGRATIONS,
    *migrations_notify.MIGRATIONS,
    *migrations_auth.MIGRATIONS,
    *migrations_ingest.MIGRATIONS,
    *migrations_predict.MIGRATIONS,
    *migrations_api.MIGRATIONS,
]
