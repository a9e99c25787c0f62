"""Trusted bulk loading of DataFrames (the demo generator's way into the store)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime

import pandas as pd

from healthscore.errors import ImportRejected
from healthscore.ingest._sql import insert_new_rows, new_batch_id, qi, record_batch
from healthscore.ingest._stage import event_hash_sql, find_duplicates, keyed_select
from healthscore.ingest._tz import utc_session
from healthscore.store.db import Store
from healthscore.store.schema import KINDS, kind

__all__ = ["load_frames"]

# Columns the loader can derive, so callers need not compute them.
_DERIVED = {"events": {"event_key"}, "subscriptions": {"subscription_id"}}


def load_frames(store: Store, frames: Mapping[str, pd.DataFrame]) -> dict[str, int]:
    """Insert DataFrames (kind -> rows) in one transaction; return rows inserted per kind.

    Trusted input: columns are checked against the schema and values cast to its types,
    but rows are not validated one by one.  Idempotent: rows whose key is already stored
    are skipped, so loading the same frames twice adds nothing.
    """
    for name in frames:
        kind(name)  # UnknownKind for typos
    inserted: dict[str, int] = {}
    started = datetime.now(UTC)
    with utc_session(store.con), store.transaction() as con:
        for name in [k for k in KINDS if k in frames]:
            table = KINDS[name]
            df = frames[name]
            unknown = [c for c in df.columns if c not in table.column_names]
            if unknown:
                raise ImportRejected(
                    f"{name} frame: unknown column(s) {', '.join(map(str, unknown))} "
                    f"(known: {', '.join(table.column_names)})"
                )
            derivable = _DERIVED.get(name, set())
            missing = [
                c.name
                for c in table.columns
                if c.required and c.name not in df.columns and c.name not in derivable
            ]
            if missing:
                raise ImportRejected(
                    f"{name} frame: missing required column(s) {', '.join(missing)} "
                    f"(found: {', '.join(map(str, df.columns))})"
                )
            view = f"_frame_{name}"
            con.register(view, df)
            try:
                exprs = []
                for c in table.columns:
                    if c.name in df.columns:
                        exprs.append(f"CAST({qi(c.name)} AS {c.type}) AS {qi(c.name)}")
                    elif c.name == "subscription_id":
                        exprs.append(
                            "concat_ws('|', account_id, product, CAST(start_date AS DATE)) "
                            "AS subscription_id"
                        )
                    else:
                        exprs.append(f"CAST(NULL AS {c.type}) AS {qi(c.name)}")
                typed = f"SELECT row_number() OVER () AS _line, {', '.join(exprs)} FROM {view}"
                if name == "events":
                    # Keys come with the frame or are hashed here, in the same pass.
                    h = "event_key" if "event_key" in df.columns else event_hash_sql()
                    typed = f"SELECT *, {h} AS _h FROM ({typed})"
                con.execute(f"CREATE OR REPLACE TEMP TABLE _lf_stage AS {typed}")
            finally:
                con.unregister(view)
            n_dup, dups = find_duplicates(con, table, "_lf_stage", limit=5)
            if n_dup:
                shown = "; ".join(f"{d.key!r} at rows {d.lines[:5]}" for d in dups)
                raise ImportRejected(f"{name} frame: {n_dup} row(s) repeat a key: {shown}")
            rows = con.execute("SELECT count(*) FROM _lf_stage").fetchone()[0]  # type: ignore[index]
            n = insert_new_rows(con, table, f"({keyed_select(con, table, '_lf_stage')})")
            con.execute("DROP TABLE _lf_stage")
            record_batch(
                con,
                new_batch_id(),
                name,
                "<frames>",
                started,
                rows_read=int(rows),
                rows_inserted=n,
                rows_duplicate=int(rows) - n,
                rows_rejected=0,
                status="committed",
            )
            inserted[name] = n
    return inserted
