"""Import a ChurnSim / *Fighting Churn With Data* folder (account, subscription, event tables).

The mapping (documented in docs/data-model.md):

* account: ``account_id`` (int) becomes text; ``segment`` = ``channel`` (ChurnSim's behaviour
  population, the natural segment); every non-id column goes into ``properties`` as JSON;
  ``start_date`` = the account's first subscription start.
* subscription: kept as is; ``subscription_id`` = ``account_id|product|start_date``.
* event: ``event_type`` from its column, else joined from the event_type table by id;
  ``value`` = ``event_value``; ``event_key`` = hash of the row (identical rows kept, sharing it).
* features: one catalogue row per event type, category left empty.

All four kinds load in one transaction, through the same validation as ``import_files``.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import duckdb

from healthscore.errors import ImportRejected
from healthscore.ingest._sql import qi
from healthscore.ingest._tz import utc_session
from healthscore.ingest.importer import ImportReport, ProgressCallback, import_sources
from healthscore.ingest.readers import (
    LINE,
    Source,
    detect_format,
    open_source,
    translate_read_error,
)
from healthscore.store.db import Store
from healthscore.store.schema import KINDS

__all__ = ["find_churnsim_tables", "import_churnsim"]

_TABLES = ("account", "subscription", "event", "event_type")
_EXTS = (".parquet", ".csv.gz", ".csv")


def find_churnsim_tables(directory: Path) -> dict[str, Path]:
    """The table files in `directory` (Parquet preferred over CSV when both exist)."""
    found: dict[str, Path] = {}
    for name in _TABLES:
        for ext in _EXTS:
            p = directory / f"{name}{ext}"
            if p.exists():
                found[name] = p
                break
    missing = [t for t in ("account", "subscription", "event") if t not in found]
    if missing:
        have = sorted(p.name for p in directory.iterdir()) if directory.is_dir() else []
        raise ImportRejected(
            f"{directory}: not a ChurnSim folder; missing {', '.join(missing)} table(s) "
            f"(expected account, subscription and event as .parquet, .csv or .csv.gz; "
            f"found: {', '.join(have) or 'nothing'})"
        )
    return found


def _derived(con: duckdb.DuckDBPyConnection, base: Source, build: Callable[[str], str]) -> Source:
    """A Source whose rows are `build(base rows)`, numbered or not like the base."""
    select, fast = build(base.select), build(base.fast)
    cols = {r[0]: r[1] for r in con.execute(f"DESCRIBE {select}").fetchall() if r[0] != LINE}
    return Source(base.path, base.label, base.fmt, cols, select, base.unit, fast)


def _materialise(con: duckdb.DuckDBPyConnection, src: Source, name: str, sql: str) -> str:
    """A temporary table of `sql` over `src` (a small lookup table), read now so that a bad
    byte in it is reported with its own file and line, not the file it is joined to."""
    try:
        con.execute(f"CREATE OR REPLACE TEMP TABLE {name} AS {sql}")
    except duckdb.Error as exc:
        raise translate_read_error(exc, src.path, src.label, src.fmt) from None
    return name


def _need(src: Source, *cols: str) -> None:
    missing = [c for c in cols if c not in src.columns]
    if missing:
        raise ImportRejected(
            f"{src.label}: missing required column(s) {', '.join(map(repr, missing))} "
            f"(found columns: {', '.join(src.columns)})"
        )


def import_churnsim(
    store: Store,
    directory: str | Path,
    *,
    update: bool = False,
    on_progress: ProgressCallback | None = None,
) -> dict[str, ImportReport]:
    """Load a ChurnSim folder in one transaction; return the report per kind.

    With `update`, stored rows that come again with other values are replaced (a later
    export of the same simulation, where subscriptions have ended since)."""
    directory = Path(directory)
    files = find_churnsim_tables(directory)
    con = store.con
    raw = {name: open_source(con, p, detect_format(p)) for name, p in files.items()}
    acc, sub, ev = raw["account"], raw["subscription"], raw["event"]
    _need(acc, "account_id")
    _need(sub, "account_id", "product", "start_date", "mrr")
    _need(ev, "account_id", "event_time")

    # Each account's first subscription start, read (and any read error reported) as the
    # subscription file's, not as the account file's it is joined to.
    first_start = _materialise(
        con,
        sub,
        "_churnsim_first_start",
        f"SELECT CAST(account_id AS VARCHAR) AS account_id, "
        f"min(CAST(start_date AS VARCHAR)) AS first_start FROM ({sub.fast}) GROUP BY 1",
    )
    extra = [c for c in acc.columns if c != "account_id"]
    props = ", ".join(f"{qi(c)} := CAST(a.{qi(c)} AS VARCHAR)" for c in extra)
    props_sql = f"CAST(to_json(struct_pack({props})) AS VARCHAR)" if props else "NULL"
    segment = "CAST(a.channel AS VARCHAR)" if "channel" in acc.columns else "NULL"
    accounts = _derived(
        con,
        acc,
        lambda rows: (
            f"SELECT a.{LINE}, CAST(a.account_id AS VARCHAR) AS account_id, {segment} AS segment, "
            f"f.first_start AS start_date, "
            f"{props_sql} AS properties "
            f"FROM ({rows}) a LEFT JOIN {first_start} f "
            f"ON f.account_id = CAST(a.account_id AS VARCHAR)"
        ),
    )
    sub_cols = [
        c
        for c in (
            "product",
            "start_date",
            "end_date",
            "mrr",
            "quantity",
            "units",
            "bill_period_months",
            "discount",
        )
        if c in sub.columns
    ]
    subscriptions = _derived(
        con,
        sub,
        lambda rows: (
            f"SELECT {LINE}, CAST(account_id AS VARCHAR) AS account_id, "
            f"{', '.join(qi(c) for c in sub_cols)} FROM ({rows})"
        ),
    )

    if "event_type" in ev.columns:
        type_expr, join = "CAST(e.event_type AS VARCHAR)", ""
    elif "event_type_id" in ev.columns and "event_type" in raw:
        et = raw["event_type"]
        _need(et, "event_type_id", "event_type_name")
        type_expr = "CAST(t.event_type_name AS VARCHAR)"
        types = _materialise(con, et, "_churnsim_event_types", et.fast)
        join = (
            f"LEFT JOIN {types} t "
            "ON CAST(t.event_type_id AS VARCHAR) = CAST(e.event_type_id AS VARCHAR)"
        )
    else:
        raise ImportRejected(
            f"{ev.label}: no event_type column, and no event_type table to look event_type_id up in"
        )
    user = "CAST(e.user_id AS VARCHAR)" if "user_id" in ev.columns else "NULL"
    value = "e.event_value" if "event_value" in ev.columns else "NULL"
    events = _derived(
        con,
        ev,
        lambda rows: (
            f"SELECT e.{LINE}, CAST(e.account_id AS VARCHAR) AS account_id, {user} AS user_id, "
            f"e.event_time, {type_expr} AS event_type, {value} AS value FROM ({rows}) e {join}"
        ),
    )
    features = _derived(
        con,
        ev,
        lambda _rows: (
            f"SELECT row_number() OVER (ORDER BY feature) AS {LINE}, feature FROM "
            f"(SELECT DISTINCT event_type AS feature FROM ({events.fast}) "
            "WHERE event_type IS NOT NULL)"
        ),
    )
    reports: dict[str, ImportReport] = {}
    with utc_session(store.con), store.transaction() as tx:
        for name, src in (
            ("accounts", accounts),
            ("subscriptions", subscriptions),
            ("features", features),
            ("events", events),
        ):
            reports[name] = import_sources(
                store,
                KINDS[name],
                [src],
                mapping={},
                quarantine=False,
                update=update,
                on_progress=on_progress,
                con=tx,
            )
    return reports
