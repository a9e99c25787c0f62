"""The same events never land twice unnoticed.

An event's key is its source id when it has one, else a hash of its content.  So the same
events imported once with `messageId` mapped to `event_id` and once without get different
keys and would be stored twice.  After the new rows are written (still inside the
transaction) we look for new events whose account, user, time, type and value match a
stored event on the *other* side of the id divide, and refuse the import with the reason,
or, with `dedupe`, drop those new rows as already stored.

The check first asks whether both sides of the divide are present at all (a scan of one
column), so imports that keep their id handling pay next to nothing.
"""

from __future__ import annotations

import duckdb

from healthscore.errors import ImportRejected

__all__ = ["cross_id_check"]

_SAME = (
    "o.account_id = n.account_id AND o.event_time = n.event_time "
    "AND o.event_type = n.event_type AND o.user_id IS NOT DISTINCT FROM n.user_id "
    "AND o.value IS NOT DISTINCT FROM n.value"
)


def cross_id_check(con: duckdb.DuckDBPyConnection, new: str, dedupe: bool, report: object) -> int:
    """Refuse (or with `dedupe` delete and count) new events already stored under the other
    id handling; `new` is the SQL condition telling this import's rows."""
    if new == "TRUE":
        return 0  # nothing was stored before
    new_ids, new_bare = con.execute(
        f"SELECT bool_or(event_id IS NOT NULL), bool_or(event_id IS NULL) FROM events WHERE {new}"
    ).fetchone()  # type: ignore[misc]
    old_ids, old_bare = con.execute(
        f"SELECT bool_or(event_id IS NOT NULL), bool_or(event_id IS NULL) FROM events "
        f"WHERE NOT ({new})"
    ).fetchone()  # type: ignore[misc]
    pairs = []
    if new_ids and old_bare:
        pairs.append(
            (
                "n.event_id IS NOT NULL AND o.event_id IS NULL",
                "have an event id now but were stored without one",
            )
        )
    if new_bare and old_ids:
        pairs.append(
            (
                "n.event_id IS NULL AND o.event_id IS NOT NULL",
                "have no event id now but were stored with one",
            )
        )
    total = 0
    for cond, why in pairs:
        match = (
            f"FROM events n WHERE {new.replace('rowid', 'n.rowid')} AND EXISTS (SELECT 1 FROM "
            f"events o WHERE NOT ({new.replace('rowid', 'o.rowid')}) AND {cond.replace('n.', 'n.')} "
            f"AND {_SAME})"
        )
        n, first = con.execute(
            f"SELECT count(*), min(n.account_id || ' ' || n.event_type || ' at ' || "
            f"CAST(n.event_time AS VARCHAR)) {match}"
        ).fetchone()  # type: ignore[misc]
        if not n:
            continue
        if not dedupe:
            raise ImportRejected(
                f"{n:,} event(s) match stored events by account, user, time, type and value "
                f"but {why} (e.g. {first}); importing them would store them twice. Nothing "
                "was imported: map the id column as the first import did, or import with "
                "--dedupe to skip the events already stored"
            )
        total += int(
            con.execute(f"DELETE FROM events WHERE rowid IN (SELECT n.rowid {match})").fetchone()[0]  # type: ignore[index]
        )  # type: ignore[index]
        getattr(report, "notes", []).append(
            f"{n:,} event(s) {why}; skipped as already stored (--dedupe)"
        )
    return total
