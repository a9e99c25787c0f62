"""Named, ordered schema migrations, each applied in its own transaction and recorded.

A store made by an older healthscore opens in a newer one: `open_store` applies the
migrations it has not seen yet.  A store from a *newer* version is refused rather than
silently misread.  Never edit a released migration; append a new one.
"""

from __future__ import annotations

from collections.abc import Callable

import duckdb

from healthscore.store.migrations_features import FEATURE_MIGRATIONS
from healthscore.store.schema import KINDS, Table

__all__ = [
    "MIGRATIONS",
    "apply_migrations",
    "canonical_pairs_sql",
    "canonical_properties_sql",
    "create_table_sql",
    "event_row_hash_sql",
    "schema_version",
]


def canonical_properties_sql(props: str) -> str:
    """`props` (JSON object text) as a canonical text: keys sorted, values trimmed, empty
    values dropped; NULL when nothing is left.  Text that is no JSON object stays as it is.

    The same extras then give the same text whatever their column order in a CSV, their key
    order in JSON Lines (which follows DuckDB's threads) or the empty columns beside them.
    """
    entries = f"map_entries(try_cast(try_cast({props} AS JSON) AS MAP(VARCHAR, VARCHAR)))"
    kept = (
        f"list_sort(list_filter(list_transform({entries}, e -> {{'k': e.key, 'v': trim(e.value)}}),"
        " e -> e.v <> ''))"
    )
    return (
        f"CASE WHEN {props} IS NULL THEN NULL "
        f"WHEN {entries} IS NULL THEN CAST({props} AS VARCHAR) "
        f"WHEN len({kept}) = 0 THEN NULL ELSE CAST(to_json({kept}) AS VARCHAR) END"
    )


def canonical_pairs_sql(pairs: list[tuple[str, str]]) -> str:
    """`canonical_properties_sql` of the object {key: value} built from text `pairs` of
    (key, SQL of a VARCHAR value), computed without building and re-parsing the JSON.

    The importers use it for text sources: it is several times cheaper per row, and gives
    exactly the text `canonical_properties_sql` gives for the stored properties."""
    if not pairs:
        return "CAST(NULL AS VARCHAR)"
    entries = ", ".join(
        "{'k': " + _literal(k) + f", 'v': trim(CAST({v} AS VARCHAR))}}" for k, v in sorted(pairs)
    )
    kept = f"list_filter([{entries}], e -> e.v <> '')"
    return f"CASE WHEN len({kept}) = 0 THEN NULL ELSE CAST(to_json({kept}) AS VARCHAR) END"


def _literal(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def event_row_hash_sql(alias: str = "", props: str | None = None) -> str:
    """Key of an event without event_id: a hash of its typed content, properties canonical.

    `props` is the canonical properties already computed (`canonical_pairs_sql`); by default
    they are derived from the `properties` column.  Rows without properties hash as they
    always did.  Changing this formula changes the
    keys of stored events: it needs a migration recomputing them (as 006 does), or a
    re-import after the upgrade stores every id-less event a second time.
    """
    p = f"{alias}." if alias else ""
    props = props or canonical_properties_sql(f"{p}properties")
    return f"hash({p}account_id, {p}user_id, {p}event_time, {p}event_type, {p}value, {props})"


def create_table_sql(table: Table, name: str | None = None) -> str:
    cols = ",\n  ".join(
        f"{c.name} {c.type}{' NOT NULL' if c.required else ''}" for c in table.columns
    )
    return f"CREATE TABLE IF NOT EXISTS {name or table.name} (\n  {cols}\n)"


def _m001_signals(con: duckdb.DuckDBPyConnection) -> None:
    # Primary keys are enforced by the importers' dedupe (an anti-join), not by indexes:
    # DuckDB's ART indexes cost memory and time on 100M-row event tables.
    for table in KINDS.values():
        con.execute(create_table_sql(table))


def _m002_system(con: duckdb.DuckDBPyConnection) -> None:
    con.execute(
        """
        CREATE TABLE IF NOT EXISTS import_batches (
          batch_id VARCHAR NOT NULL, kind VARCHAR NOT NULL, files VARCHAR NOT NULL,
          started_at TIMESTAMP NOT NULL, finished_at TIMESTAMP,
          rows_read BIGINT, rows_inserted BIGINT, rows_duplicate BIGINT, rows_rejected BIGINT,
          status VARCHAR NOT NULL
        )"""
    )
    con.execute(
        """
        CREATE TABLE IF NOT EXISTS quarantine (
          batch_id VARCHAR NOT NULL, kind VARCHAR NOT NULL, file VARCHAR NOT NULL,
          line BIGINT, field VARCHAR, value VARCHAR, reason VARCHAR NOT NULL,
          raw VARCHAR, quarantined_at TIMESTAMP NOT NULL
        )"""
    )


def _m003_scores(con: duckdb.DuckDBPyConnection) -> None:
    con.execute(
        """
        CREATE TABLE IF NOT EXISTS scorecards (
          version VARCHAR NOT NULL, name VARCHAR NOT NULL, source VARCHAR NOT NULL,
          created_at TIMESTAMP NOT NULL
        )"""
    )
    con.execute(
        """
        CREATE TABLE IF NOT EXISTS score_snapshots (
          as_of DATE NOT NULL, account_id VARCHAR NOT NULL, score DOUBLE, band VARCHAR,
          confidence VARCHAR, coverage DOUBLE, confidence_note VARCHAR,
          scorecard_version VARCHAR NOT NULL, computed_at TIMESTAMP NOT NULL
        )"""
    )
    con.execute(
        """
        CREATE TABLE IF NOT EXISTS score_groups (
          as_of DATE NOT NULL, account_id VARCHAR NOT NULL, group_name VARCHAR NOT NULL,
          score DOUBLE, weight DOUBLE, effective_weight DOUBLE, contribution DOUBLE
        )"""
    )
    con.execute(
        """
        CREATE TABLE IF NOT EXISTS score_measures (
          as_of DATE NOT NULL, account_id VARCHAR NOT NULL, group_name VARCHAR NOT NULL,
          measure VARCHAR NOT NULL, metric VARCHAR NOT NULL, raw_value DOUBLE,
          normalized DOUBLE, weight DOUBLE, effective_weight DOUBLE, contribution DOUBLE,
          status VARCHAR NOT NULL
        )"""
    )


def _m004_import_updates(con: duckdb.DuckDBPyConnection) -> None:
    # `import --update` replaces stored rows whose source changed (a ticket resolved since).
    con.execute("ALTER TABLE import_batches ADD COLUMN IF NOT EXISTS rows_updated BIGINT DEFAULT 0")


def _m005_escalation_time(con: duckdb.DuckDBPyConnection) -> None:
    # Escalation as a dated event, so a backfill does not count a later escalation early.
    con.execute("ALTER TABLE tickets ADD COLUMN IF NOT EXISTS escalated_at TIMESTAMP")


def _m045_feature_synonyms(con: duckdb.DuckDBPyConnection) -> None:
    con.execute("ALTER TABLE features ADD COLUMN IF NOT EXISTS synonyms VARCHAR")


def _m006_canonical_event_keys(con: duckdb.DuckDBPyConnection) -> None:
    # Keys of id-less events used to hash the properties text as read, so the same events
    # re-exported with other column order came back as new.  Recompute the keys the old
    # formula made (a key a data frame brought with it is left alone), so a re-import after
    # the upgrade finds them.  Rows without properties keep their key: the formulas agree.
    old = "hash(account_id, user_id, event_time, event_type, value, properties)"
    new = (
        "hash(account_id, user_id, event_time, event_type, value, "
        f"{canonical_properties_sql('properties')})"
    )
    con.execute(
        f"UPDATE events SET event_key = {new} "
        f"WHERE event_id IS NULL AND properties IS NOT NULL AND event_key = {old}"
    )


MIGRATIONS: list[tuple[str, Callable[[duckdb.DuckDBPyConnection], None]]] = [
    ("001_signals", _m001_signals),
    ("002_import_bookkeeping", _m002_system),
    ("003_score_history", _m003_scores),
    ("004_import_updates", _m004_import_updates),
    ("005_ticket_escalation_time", _m005_escalation_time),
    ("006_canonical_event_keys", _m006_canonical_event_keys),
    ("045_feature_synonyms", _m045_feature_synonyms),
    # Each feature keeps its own steps in its own module (numbers reserved per feature, so
    # work on several features never collides): text 007-009, actions 010-019, notify
    # 020-024, auth (users, audit) 025-029, ingest profiles and batches 030-034, predict 035-039, REST API (keys, tracking, jobs) 040-044.
    *FEATURE_MIGRATIONS,
]


def schema_version(con: duckdb.DuckDBPyConnection) -> list[str]:
    """The migrations applied to this store.  Opening a migrated store writes nothing (the
    web server opens it per request), so the table is created only when it is missing."""
    exists = con.execute(
        "SELECT count(*) FROM duckdb_tables() WHERE table_name = 'schema_migrations' "
        "AND database_name = current_database() AND schema_name = 'main'"
    ).fetchone()
    if not (exists and exists[0]):
        con.execute(
            "CREATE TABLE IF NOT EXISTS schema_migrations (name VARCHAR NOT NULL, applied_at TIMESTAMP NOT NULL)"
        )
    return [
        r[0] for r in con.execute("SELECT name FROM schema_migrations ORDER BY name").fetchall()
    ]


def apply_migrations(con: duckdb.DuckDBPyConnection) -> list[str]:
    """Apply pending migrations; return the names applied now."""
    from healthscore.errors import StoreError

    done = set(schema_version(con))
    known = {name for name, _ in MIGRATIONS}
    if unknown := sorted(done - known):
        raise StoreError(
            f"this store was written by a newer healthscore (migrations {', '.join(unknown)}); "
            "upgrade healthscore to open it"
        )
    applied = []
    for name, step in MIGRATIONS:
        if name in done:
            continue
        con.execute("BEGIN TRANSACTION")
        try:
            step(con)
            con.execute("INSERT INTO schema_migrations VALUES (?, now())", [name])
            con.execute("COMMIT")
        except Exception:
            con.execute("ROLLBACK")
            raise
        applied.append(name)
    return applied
