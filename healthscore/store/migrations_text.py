"""Schema steps of the text feature (names numbered 007-009).

Each step runs once per store, inside a transaction, and is recorded by name.  A step is
plain DDL on the DuckDB connection; it must not import healthscore.store.migrations.
"""

from __future__ import annotations

from collections.abc import Callable

import duckdb


def _text_analysis(con: duckdb.DuckDBPyConnection) -> None:
    """One row per analysed text: what a survey comment, ticket, CSM note or judgement note
    says.  Keyed by the text's source table and id; `text_hash` and `method` say which text
    and which method produced it, so a changed text or a new method version is re-analysed.
    Themes and features are comma-separated names."""
    con.execute(
        """
        CREATE TABLE IF NOT EXISTS text_analysis (
            source VARCHAR NOT NULL,
            text_id VARCHAR NOT NULL,
            detail VARCHAR,
            account_id VARCHAR NOT NULL,
            occurred_at TIMESTAMP,
            label VARCHAR NOT NULL,
            score DOUBLE,
            reason VARCHAR,
            themes VARCHAR,
            features VARCHAR,
            cancellation_intent BOOLEAN NOT NULL,
            competitor_intent BOOLEAN NOT NULL,
            language VARCHAR,
            evidence VARCHAR,
            text_hash VARCHAR NOT NULL,
            method VARCHAR NOT NULL,
            analysed_at TIMESTAMP NOT NULL,
            PRIMARY KEY (source, text_id)
        )
        """
    )


def _negative_features(con: duckdb.DuckDBPyConnection) -> None:
    """The features a negative text's complaint is about (comma-separated), so a mixed
    comment counts as friction only for the feature it complains about."""
    con.execute("ALTER TABLE text_analysis ADD COLUMN IF NOT EXISTS negative_features VARCHAR")


MIGRATIONS: list[tuple[str, Callable[[duckdb.DuckDBPyConnection], None]]] = [
    ("007_text_analysis", _text_analysis),
    ("008_text_negative_features", _negative_features),
]
