"""Import batches you can manage: what each one wrote, and taking one back.

Every import records the keys of the rows it inserted (`import_batch_rows`) and, with
`--update`, the stored versions it replaced (`import_replaced_rows`).  Undo deletes a
batch's rows and puts back what it replaced, in one transaction.  When a later `--update`
batch changed rows of the batch being undone, undo refuses unless told which way to go:
`later="keep"` leaves the later versions in place, `later="undo"` removes them too.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Literal

import duckdb

from healthscore.errors import ImportRejected
from healthscore.ingest._sql import qi, ql
from healthscore.store.db import Store
from healthscore.store.schema import KINDS, Table

__all__ = ["UndoReport", "list_batches", "record_rows", "save_replaced", "undo_batch"]


_KEYS_PER_ROW = 1 << 21  # event keys per import_batch_event_keys row (16 MiB of keys)


def _key_sql(table: Table, alias: str = "") -> tuple[str, str]:
    """(row_key SQL, event_key SQL) of a table row."""
    p = f"{alias}." if alias else ""
    if table.name == "events":
        return "NULL", f"{p}event_key"
    return f"CAST({p}{qi(table.key[0])} AS VARCHAR)", "NULL"


def record_rows(con: duckdb.DuckDBPyConnection, table: Table, batch_id: str, new: str) -> None:
    """Remember the keys of the rows this batch inserted (`new`: SQL condition on rowid)."""
    if table.name == "events":
        # A list per range of rowids: one list of every key (38M in a big export) is a
        # single value DuckDB cannot spill, and ran out of memory under a 1 GiB budget.
        lo, hi, n = con.execute(
            f"SELECT min(rowid), max(rowid), count(*) FROM events WHERE {new}"
        ).fetchone()  # type: ignore[misc]
        if lo is None:
            return
        # The new rows' rowids are consecutive; should they ever not be, one list it is.
        step = _KEYS_PER_ROW if hi - lo < 2 * n + _KEYS_PER_ROW else hi - lo + 1
        for start in range(int(lo), int(hi) + 1, step):
            con.execute(
                f"INSERT INTO import_batch_event_keys SELECT {ql(batch_id)}, list(event_key) "
                f"FROM events WHERE {new} AND rowid >= {start} AND rowid < "
                f"{start + step} HAVING count(*) > 0"
            )
        return
    rk, ek = _key_sql(table)
    con.execute(
        f"INSERT INTO import_batch_rows SELECT {ql(batch_id)}, {ql(table.name)}, {rk}, {ek} "
        f"FROM {table.name} WHERE {new}"
    )


def _row_json(table: Table, alias: str) -> str:
    cols = ", ".join(f"{qi(c)} := {alias}.{qi(c)}" for c in table.column_names)
    return f"CAST(to_json(struct_pack({cols})) AS VARCHAR)"


def save_replaced(con: duckdb.DuckDBPyConnection, table: Table, source: str, batch_id: str) -> None:
    """Keep the stored rows an --update is about to replace (same test as the delete)."""
    on = " AND ".join(f"s.{qi(k)} = t.{qi(k)}" for k in table.key)
    same = " AND ".join(f"s.{qi(c)} IS NOT DISTINCT FROM t.{qi(c)}" for c in table.column_names)
    con.execute(
        f"INSERT INTO import_replaced_rows SELECT {ql(batch_id)}, {ql(table.name)}, "
        f"CAST(t.{qi(table.key[0])} AS VARCHAR), {_row_json(table, 't')} FROM {table.name} t "
        f"WHERE EXISTS (SELECT 1 FROM {source} s WHERE {on}) "
        f"AND NOT EXISTS (SELECT 1 FROM {source} s WHERE {on} AND {same})"
    )


def list_batches(store: Store, limit: int = 50, kind: str | None = None) -> list[dict[str, object]]:
    """The newest batches first: id, kind, file, rows, time, profile, source and state."""
    where = f"WHERE kind = {ql(kind)}" if kind else ""
    rows = store.con.execute(
        "SELECT batch_id, kind, files, finished_at, rows_read, rows_inserted, rows_updated, "
        "rows_duplicate, rows_rejected, profile, source_name, status, undone_at "
        f"FROM import_batches {where} ORDER BY finished_at DESC, batch_id DESC LIMIT {int(limit)}"
    ).fetchall()
    names = [
        "batch",
        "kind",
        "files",
        "finished_at",
        "rows_read",
        "rows_inserted",
        "rows_updated",
        "rows_duplicate",
        "rows_rejected",
        "profile",
        "source",
        "status",
        "undone_at",
    ]
    out = []
    for r in rows:
        d = dict(zip(names, r, strict=True))
        d["finished_at"] = (
            d["finished_at"].isoformat(sep=" ", timespec="seconds") if d["finished_at"] else None
        )
        d["undone_at"] = (
            d["undone_at"].isoformat(sep=" ", timespec="seconds") if d["undone_at"] else None
        )
        out.append(d)
    return out


@dataclass
class UndoReport:
    batch_id: str
    kind: str
    rows_deleted: int = 0
    rows_restored: int = 0
    rows_kept: int = 0
    links_deleted: int = 0

    def as_dict(self) -> dict[str, object]:
        return dict(self.__dict__)


def _match(table: Table, alias: str, keys: str) -> str:
    """Rows of `table` (as `alias`) whose key is in the `keys` relation (row_key, event_key)."""
    if table.name == "events":
        return f"{alias}.event_key IN (SELECT event_key FROM {keys})"
    return f"CAST({alias}.{qi(table.key[0])} AS VARCHAR) IN (SELECT row_key FROM {keys})"


def undo_batch(
    store: Store, batch_id: str, *, later: Literal["refuse", "keep", "undo"] = "refuse"
) -> UndoReport:
    """Take one batch back atomically: delete its rows, restore what it replaced."""
    con = store.con
    row = con.execute(
        "SELECT kind, status, undone_at FROM import_batches WHERE batch_id = ?", [batch_id]
    ).fetchone()
    if row is None:
        known = [
            r[0]
            for r in con.execute(
                "SELECT batch_id FROM import_batches ORDER BY finished_at DESC LIMIT 3"
            ).fetchall()
        ]
        raise ImportRejected(
            f"no import batch {batch_id!r}; see `healthscore imports list`"
            + (f" (latest: {', '.join(known)})" if known else "")
        )
    kind_name, _status, undone = row
    if undone is not None:
        raise ImportRejected(f"batch {batch_id} was already undone at {undone:%Y-%m-%d %H:%M:%S}")
    report = UndoReport(batch_id, kind_name)
    with store.transaction() as tx:
        report.links_deleted = int(
            tx.execute(
                "DELETE FROM account_external_ids WHERE batch_id = ?", [batch_id]
            ).fetchone()[0]  # type: ignore[index]
        )  # type: ignore[index]
        if kind_name in KINDS:
            _undo_rows(tx, KINDS[kind_name], batch_id, later, report)
        tx.execute(
            "UPDATE import_batches SET undone_at = ? WHERE batch_id = ?",
            [datetime.now(UTC).replace(tzinfo=None), batch_id],
        )
    return report


def _undo_rows(
    con: duckdb.DuckDBPyConnection, table: Table, batch_id: str, later: str, report: UndoReport
) -> None:
    b = ql(batch_id)
    n_rows = con.execute(
        f"SELECT (SELECT count(*) FROM import_batch_rows WHERE batch_id = {b}) + "
        f"(SELECT count(*) FROM import_batch_event_keys WHERE batch_id = {b})"
    ).fetchone()[0]  # type: ignore[index]
    n_repl = con.execute(
        f"SELECT count(*) FROM import_replaced_rows WHERE batch_id = {b}"
    ).fetchone()[0]  # type: ignore[index]
    rows_sum = con.execute(
        "SELECT rows_inserted + coalesce(rows_updated, 0) FROM import_batches WHERE batch_id = ?",
        [batch_id],
    ).fetchone()[0]  # type: ignore[index]
    if not n_rows and not n_repl and rows_sum:
        raise ImportRejected(
            f"batch {batch_id} recorded no row keys (made by an older healthscore or by a "
            "trusted frame load), so it cannot be undone row by row"
        )
    # Later --update batches that replaced rows this batch wrote.
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE _undo_keys AS SELECT coalesce(row_key, "
        f"CAST(event_key AS VARCHAR)) AS k, event_key FROM import_batch_rows WHERE batch_id = {b} "
        f"UNION ALL SELECT CAST(k AS VARCHAR), k FROM (SELECT unnest(event_keys) AS k FROM "
        f"import_batch_event_keys WHERE batch_id = {b})"
    )
    mine_at = f"(SELECT finished_at FROM import_batches WHERE batch_id = {b})"
    clash = con.execute(
        f"SELECT r.batch_id, count(*) FROM import_replaced_rows r JOIN import_batches ib "
        f"USING (batch_id) WHERE r.kind = {ql(table.name)} AND ib.undone_at IS NULL "
        f"AND ib.finished_at >= {mine_at} AND r.batch_id <> {b} "
        f"AND r.row_key IN (SELECT k FROM _undo_keys) GROUP BY r.batch_id ORDER BY 1"
    ).fetchall()
    keep_keys = "SELECT NULL::VARCHAR AS row_key WHERE FALSE"
    if clash:
        shown = ", ".join(f"{bid} ({n:,} row(s))" for bid, n in clash)
        if later == "refuse":
            raise ImportRejected(
                f"batch {batch_id}: later --update batch(es) changed its rows: {shown}; "
                "undo those first, or say which way to go: --keep-later leaves their "
                "versions in place, --undo-later removes those rows too"
            )
        ids = ", ".join(ql(bid) for bid, _ in clash)
        later_keys = (
            f"SELECT row_key FROM import_replaced_rows WHERE batch_id IN ({ids}) "
            f"AND row_key IN (SELECT k FROM _undo_keys)"
        )
        if later == "keep":
            con.execute(f"CREATE OR REPLACE TEMP TABLE _undo_keep AS {later_keys}")
            keep_keys = "SELECT row_key FROM _undo_keep"
            report.rows_kept = int(
                con.execute("SELECT count(DISTINCT row_key) FROM _undo_keep").fetchone()[0]  # type: ignore[index]
            )  # type: ignore[index]
        # Either way the later batch's saved version (this batch's) must not come back
        # when that later batch is undone in turn.
        con.execute(
            f"DELETE FROM import_replaced_rows WHERE batch_id IN ({ids}) "
            "AND row_key IN (SELECT k FROM _undo_keys)"
        )
    if table.name == "accounts":
        _refuse_referenced(con, batch_id)
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE _undo_del AS SELECT k AS row_key, event_key "
        f"FROM _undo_keys WHERE k NOT IN ({keep_keys})"
    )
    report.rows_deleted = int(
        con.execute(
            f"DELETE FROM {table.name} t WHERE {_match(table, 't', '_undo_del')}"
        ).fetchone()[0]  # type: ignore[index]
    )  # type: ignore[index]
    # Put back what this batch replaced (typed from the saved JSON).
    casts = ", ".join(
        f"CAST(json_extract_string(row_json, {ql('$.' + chr(34) + c.name + chr(34))}) AS {c.type}) AS {qi(c.name)}"
        for c in table.columns
    )
    report.rows_restored = int(
        con.execute(
            f"INSERT INTO {table.name} BY NAME SELECT {casts} FROM import_replaced_rows "
            f"WHERE batch_id = {b}"
        ).fetchone()[0]  # type: ignore[index]
    )  # type: ignore[index]
    con.execute(f"DELETE FROM import_replaced_rows WHERE batch_id = {b}")
    con.execute("DROP TABLE _undo_keys; DROP TABLE _undo_del; DROP TABLE IF EXISTS _undo_keep")


def _refuse_referenced(con: duckdb.DuckDBPyConnection, batch_id: str) -> None:
    """Accounts other batches' rows still refer to are not taken away from under them."""
    for t in KINDS.values():
        if t.references.get("account_id") != "accounts":
            continue
        n = con.execute(
            f"SELECT count(*) FROM {t.name} WHERE account_id IN (SELECT k FROM _undo_keys)"
        ).fetchone()[0]  # type: ignore[index]
        if n:
            raise ImportRejected(
                f"batch {batch_id}: {n:,} {t.name} row(s) refer to accounts it imported; "
                f"undo those {t.name} batches first (see `healthscore imports list`)"
            )
