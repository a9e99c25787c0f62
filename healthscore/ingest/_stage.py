"""The staged-rows step every importer shares: duplicate detection and event keys.

A *stage* is a temporary table with the target table's typed columns plus `_line`
(source line number) and, for events, `_h` (the provisional event key).
"""

from __future__ import annotations

from dataclasses import dataclass

import duckdb

from healthscore.ingest._sql import event_row_hash_sql, qi
from healthscore.store.schema import Table

__all__ = ["Duplicate", "event_hash_sql", "find_duplicates", "keyed_select"]


@dataclass(frozen=True)
class Duplicate:
    key: tuple[object, ...]
    lines: list[int]


def event_hash_sql(props: str | None = None) -> str:
    """Provisional event key: hash of event_id when present, else of the typed row (with
    `props`, the canonical properties when already computed)."""
    row = event_row_hash_sql(props=props)
    return f"CASE WHEN event_id IS NOT NULL THEN hash(event_id) ELSE {row} END"


def _key_cols(table: Table) -> list[str]:
    # Events are deduplicated on the source id; rows without id get content keys later.
    return ["event_id"] if table.name == "events" else list(table.key)


def find_duplicates(
    con: duckdb.DuckDBPyConnection, table: Table, stage: str, where: str = "TRUE", limit: int = 50
) -> tuple[int, list[Duplicate]]:
    """Keys that occur more than once in the stage: (number of surplus rows, first examples)."""
    keys = _key_cols(table)
    kc = ", ".join(qi(k) for k in keys)
    notnull = " AND ".join(f"{qi(k)} IS NOT NULL" for k in keys)
    sql = (
        f"SELECT {kc}, list(_line ORDER BY _line) AS lines FROM {stage} "
        f"WHERE ({where}) AND {notnull} GROUP BY ALL HAVING count(*) > 1"
    )
    con.execute(f"CREATE OR REPLACE TEMP TABLE _dups AS {sql}")
    total = con.execute("SELECT coalesce(sum(len(lines) - 1), 0) FROM _dups").fetchone()[0]  # type: ignore[index]
    rows = con.execute(f"SELECT * FROM _dups ORDER BY lines[1] LIMIT {limit}").fetchall()
    con.execute("DROP TABLE _dups")
    return int(total), [Duplicate(tuple(r[:-1]), list(r[-1])) for r in rows]


def keyed_select(
    con: duckdb.DuckDBPyConnection, table: Table, stage: str, where: str = "TRUE"
) -> str:
    """A SELECT yielding exactly the table's columns from the stage rows passing `where`.

    Events take their provisional key `_h`. Identical id-less events (two likes in the same
    second) share one key and are all kept; a re-import skips every row whose key is stored.
    """
    cols = table.column_names
    if table.name != "events":
        return f"SELECT {', '.join(qi(c) for c in cols)} FROM {stage} WHERE {where}"
    other = ", ".join(qi(c) for c in cols if c != "event_key")
    return f"SELECT _h AS event_key, {other} FROM {stage} WHERE {where}"
