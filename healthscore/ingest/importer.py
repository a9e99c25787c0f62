"""Import files of one KIND: validate every row inside DuckDB, then insert in one transaction.

Pipeline per import (all SQL, nothing row-by-row in Python):

1. each file becomes a *stage* of typed rows plus an error code per row (`_err`);
2. duplicate keys and unknown accounts add more problems;
3. without ``quarantine`` any problem rejects the whole import (nothing written);
   with it, problem rows go to the ``quarantine`` table and the rest load;
4. new rows are inserted with an anti-join on the table key (re-imports add nothing);
   with ``update``, stored rows whose source changed are replaced first.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import duckdb

from healthscore.errors import ImportRejected
from healthscore.ingest._sql import (
    delete_changed_rows,
    insert_new_rows,
    new_batch_id,
    qi,
    ql,
    record_batch,
)
from healthscore.ingest._stage import event_hash_sql, keyed_select
from healthscore.ingest._tz import ordered, utc_session
from healthscore.ingest.batches import record_rows, save_replaced
from healthscore.ingest.dedupe import cross_id_check
from healthscore.ingest.links import register_ids
from healthscore.ingest.prepare import ImportSpec, Prepared, prepare_source
from healthscore.ingest.readers import (
    LINE,
    Source,
    detect_format,
    open_source,
    translate_read_error,
)
from healthscore.ingest.report import ImportReport
from healthscore.ingest.resolve import RESOLVE_ORDER, failure_lines, resolve_refs
from healthscore.store.db import Store
from healthscore.store.migrations import canonical_pairs_sql
from healthscore.store.schema import Column, Table, kind

__all__ = [
    "MAX_SHOWN",
    "ImportReport",
    "ProgressCallback",
    "TimeRange",
    "import_files",
    "import_sources",
    "plausible_time_range",
    "timestamp_sql",
]

MAX_SHOWN = 20

# (description, fraction done or None) -> None
ProgressCallback = Callable[[str, float | None], None]

_EXPECT = {
    "DOUBLE": "is not a number",
    "INTEGER": "is not a whole number",
    "BIGINT": "is not a whole number",
    "UBIGINT": "is not a non-negative whole number",
    "BOOLEAN": "is not true/false (expected true, false, 1 or 0)",
    "DATE": "is not a date (expected ISO 8601, e.g. 2024-02-29)",
    "TIMESTAMP": "is not a date (expected ISO 8601, e.g. 2024-02-29T10:00:00Z)",
}


# (earliest, latest) day a timestamp may fall on, both included.
TimeRange = tuple[date, date]

EARLIEST = date(1990, 1, 1)


def plausible_time_range(today: date | None = None) -> TimeRange:
    """The default range of event times: 1990-01-01 to a year after today.

    Outside it a value is a placeholder, not a time: `epoch` (1970), `infinity`, year 9999.
    One such row would move every "newest data" date, and with it every score."""
    today = today or date.today()
    return EARLIEST, today + timedelta(days=366)


@dataclass(frozen=True)
class _Check:
    """One validation outcome code: `col` failed for `reason` (used in SQL and messages)."""

    code: str
    source_col: str
    reason: str


def parse_mapping(pairs: Sequence[str] | None) -> dict[str, str]:
    """`--map src=dst,src2=dst2` (repeatable) to {src: dst}."""
    out: dict[str, str] = {}
    for item in pairs or []:
        for part in item.split(","):
            if not part.strip():
                continue
            if "=" not in part:
                raise ImportRejected(
                    f"column mapping {part!r}: expected source=target, e.g. ts=event_time"
                )
            src, dst = part.split("=", 1)
            out[src.strip()] = dst.strip()
    return out


def load_mapping_file(path: Path) -> dict[str, str]:
    """A YAML mapping file: either {src: dst} or {columns: {src: dst}}."""
    import yaml

    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise ImportRejected(f"{path}: cannot read the mapping file: {exc}") from None
    if isinstance(data, dict) and isinstance(data.get("columns"), dict):
        data = data["columns"]
    if not isinstance(data, dict) or not all(isinstance(v, str) for v in data.values()):
        raise ImportRejected(f"{path}: expected a mapping of source column: target column")
    return {str(k): v for k, v in data.items()}


def import_files(
    store: Store,
    kind_name: str,
    paths: Sequence[str | Path],
    *,
    mapping: Mapping[str, str] | None = None,
    quarantine: bool = False,
    update: bool = False,
    fmt: str | None = None,
    on_progress: ProgressCallback | None = None,
    time_range: TimeRange | None = None,
    spec: ImportSpec | None = None,
    dry_run: bool = False,
    dedupe: bool = False,
    clear: Sequence[str] = (),
) -> ImportReport:
    """Import files of `kind_name` (CSV/.gz, JSON Lines, Parquet) in one transaction.

    Columns are matched forgivingly (see `mapping.py`); `spec` adds a profile's or the
    command line's value maps, constants, date formats and derived values.  `dry_run`
    does everything but commit.  `dedupe` skips events stored before under another id
    handling instead of refusing them.

    Timestamps (and each kind's time column) must fall within `time_range`, by default
    `plausible_time_range()`; no date may be infinite.

    Raises ImportRejected (nothing written) when any row is bad, unless `quarantine`
    is set, in which case bad rows are kept in the quarantine table instead. A row whose
    key is already stored is skipped, unless `update` is set: then a stored row whose
    content differs is replaced (a ticket resolved since the last export, an invoice paid).
    Empty cells keep the stored values, except in the columns named in `clear`.
    """
    table = kind(kind_name)
    _check_clear(table, clear, update)
    if not paths:
        raise ImportRejected(f"import {kind_name}: give at least one file")
    resolved = [Path(p) for p in paths]
    spec = spec or ImportSpec()
    prepared: list[Prepared] = []
    for p in resolved:
        src = open_source(store.con, p, detect_format(p, fmt))
        prepared.append(prepare_source(table, src, spec, dict(mapping or {})))
    opts = _Opts(
        mappings=[pr.mapping for pr in prepared],
        account_by=spec.account_by,
        dedupe=dedupe,
        dry_run=dry_run,
        profile=spec.profile,
        source_name=spec.source_name,
        lines={pr.source.label: pr.lines for pr in prepared},
        after=_register_ids(prepared, spec) if spec.external_ids else None,
        clear=tuple(clear),
    )
    return import_sources(
        store,
        table,
        [pr.source for pr in prepared],
        mapping=mapping or {},
        quarantine=quarantine or dry_run,
        update=update,
        on_progress=on_progress,
        time_range=time_range,
        opts=opts,
    )


AfterHook = Callable[[duckdb.DuckDBPyConnection, "ImportReport"], None]


@dataclass
class _Opts:
    """What the file importer adds to the shared pipeline (ChurnSim needs none of it)."""

    mappings: list[dict[str, str]] | None = None
    account_by: tuple[str, ...] = RESOLVE_ORDER
    dedupe: bool = False
    dry_run: bool = False
    profile: str | None = None
    source_name: str | None = None
    lines: dict[str, list[str]] = field(default_factory=dict)
    after: AfterHook | None = None
    # --update: columns whose empty cells empty the stored value (otherwise empty = missing)
    clear: tuple[str, ...] = ()
    # the fast path failed: problems are known to exist, so number lines from the start
    located: bool = False


def _check_clear(table: Table, clear: Sequence[str], update: bool) -> None:
    """Columns to clear must be non-key fields of the kind, and only mean something in an update."""
    if not clear:
        return
    if not update:
        raise ImportRejected(
            "clearing columns only applies to an update: add --update, or drop the columns "
            "to clear (a plain import never changes stored rows)"
        )
    for c in clear:
        if c not in table.column_names or c in table.key:
            fields = ", ".join(n for n in table.column_names if n not in table.key)
            raise ImportRejected(
                f"cannot clear {c!r}: not a non-key field of {table.name} (fields: {fields})"
            )


class _DryRun(Exception):
    """Roll the dry run's transaction back, carrying its report out."""

    def __init__(self, report: ImportReport):
        self.report = report


def _register_ids(prepared: Sequence[Prepared], spec: ImportSpec) -> AfterHook:
    """After an accounts import: remember each account's ids in other tools."""

    def hook(con: duckdb.DuckDBPyConnection, report: ImportReport) -> None:
        for pr in prepared:
            register_ids(con, pr, spec, report)

    return hook


_BAD_ROW = "healthscore: bad row (re-checking to report it)"


class _Retry(Exception):
    """The bulk fast path found a problem: roll back and take the checking path."""


def import_sources(
    store: Store,
    table: Table,
    sources: Sequence[Source],
    *,
    mapping: Mapping[str, str],
    quarantine: bool,
    update: bool = False,
    on_progress: ProgressCallback | None = None,
    con: duckdb.DuckDBPyConnection | None = None,
    time_range: TimeRange | None = None,
    opts: _Opts | None = None,
) -> ImportReport:
    """Validate and load described sources; runs in its own transaction unless `con` is given."""
    span = time_range or plausible_time_range()
    o = opts or _Opts()
    if con is not None:  # the caller's session
        return _run(con, table, sources, mapping, quarantine, on_progress, update, span, o)
    with utc_session(store.con):
        if not quarantine and not update and not o.dry_run:  # the fast path skips stored keys
            try:
                with store.transaction() as tx:
                    return _bulk(tx, table, sources, mapping, on_progress, span, o)
            except (_Retry, duckdb.Error):
                # Rolled back; the checking path below says precisely what is wrong, and
                # since something is, it numbers lines in its one pass.
                o = replace(o, located=True)
        budget: str | None = checking_budget()
        while True:
            try:
                with store.memory_budget(budget), store.transaction() as tx:
                    report = _run(
                        tx, table, sources, mapping, quarantine, on_progress, update, span, o
                    )
                    if o.dry_run:
                        raise _DryRun(report)
                    return report
            except _DryRun as dry:
                dry.report.dry_run = True
                return dry.report
            except duckdb.OutOfMemoryException:
                # Rolled back.  Some of DuckDB's memory cannot spill; our budget must never
                # fail an import that fits the machine, so it runs again without it.
                if budget is None or store.memory_limit is not None:
                    raise
                budget = None


def checking_budget() -> str:
    """DuckDB's memory while the checking path stages every typed row, when no limit is set.

    The stage lives until the transaction ends; uncapped it grew toward two copies of the
    file (11.5 GB for a 38M-row CSV).  Capped, it spills beside the store: 1 GiB, or a
    quarter of a smaller machine's memory."""
    try:
        ram = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError, AttributeError):
        ram = 0
    mib = 1024 if ram <= 0 else min(1024, max(256, ram // 4 // 2**20))
    return f"{mib}MiB"


def _new_report(table: Table, sources: Sequence[Source], o: _Opts) -> ImportReport:
    report = ImportReport(table.name, new_batch_id(), [s.label for s in sources])
    report.profile, report.source_name = o.profile, o.source_name
    report.mapping = {s.label: o.lines.get(s.label, []) for s in sources}
    return report


def _mappings(
    mapping: Mapping[str, str], sources: Sequence[Source], o: _Opts
) -> list[Mapping[str, str]]:
    return list(o.mappings) if o.mappings is not None else [mapping] * len(sources)


def _max_rowid(con: duckdb.DuckDBPyConnection, table: Table) -> str:
    """SQL condition telling rows appended from now on (rowids above every stored one)."""
    before = con.execute(f"SELECT max(rowid) FROM {table.name}").fetchone()[0]  # type: ignore[index]
    return "TRUE" if before is None else f"rowid > {int(before)}"


def _bulk(
    con: duckdb.DuckDBPyConnection,
    table: Table,
    sources: Sequence[Source],
    mapping: Mapping[str, str],
    on_progress: ProgressCallback | None,
    span: TimeRange,
    o: _Opts,
) -> ImportReport:
    """Fast path: validate while writing straight into the table, then check the new rows.

    No stage: rows are typed, checked and appended in one streaming pass; the first bad
    row aborts the statement (error()), and key or reference problems found afterwards
    raise _Retry; either way the caller rolls back and `_run` reports the details. Rows
    whose key was already stored are then deleted again (idempotent re-imports).
    New rows are told apart by rowid: rows appended in this transaction get rowids above
    every committed one.
    """
    started = datetime.now(UTC)
    report = _new_report(table, sources, o)
    maps = _mappings(mapping, sources, o)
    plans = [_plan(table, s, m, report, span) for s, m in zip(sources, maps, strict=True)]
    before_max = con.execute(f"SELECT max(rowid) FROM {table.name}").fetchone()[0]  # type: ignore[index]
    new = "TRUE" if before_max is None else f"rowid > {int(before_max)}"
    n = 0
    for i, (src, plan) in enumerate(zip(sources, plans, strict=True)):
        with _polled(con, f"reading {src.label} ({i + 1}/{len(sources)})", on_progress):
            sql = _stage_insert_sql(table, src, plan, i, numbered=False, direct=True)
            n += int(con.execute(sql).fetchone()[0])  # type: ignore[index]
    if n == 0:
        raise _Retry
    if on_progress:
        on_progress("checking keys and references", None)
    keys = ["event_id"] if table.name == "events" else list(table.key)
    kc = ", ".join(qi(k) for k in keys)
    notnull = " AND ".join(f"{qi(k)} IS NOT NULL" for k in keys)
    if con.execute(
        f"SELECT count(*) FROM (SELECT {kc} FROM {table.name} WHERE {new} AND {notnull} "
        "GROUP BY ALL HAVING count(*) > 1)"
    ).fetchone()[0]:  # type: ignore[index]
        raise _Retry
    for col, ref_kind in table.references.items():
        ref = kind(ref_kind)
        if con.execute(
            f"SELECT count(*) FROM (SELECT DISTINCT {qi(col)} AS v FROM {table.name} "
            f"WHERE {new} AND {qi(col)} IS NOT NULL) s WHERE NOT EXISTS "
            f"(SELECT 1 FROM {ref.name} r WHERE r.{qi(ref.key[0])} = s.v)"
        ).fetchone()[0]:  # type: ignore[index]
            raise _Retry
    dup = 0
    if before_max is not None:
        (key,) = table.key
        with _polled(con, f"skipping {table.name} already stored", on_progress):
            dup = int(
                con.execute(
                    f"DELETE FROM {table.name} WHERE {new} AND {qi(key)} IN "
                    f"(SELECT {qi(key)} FROM {table.name} WHERE NOT ({new}))"
                ).fetchone()[0]  # type: ignore[index]
            )
    if table.name == "events":
        dup += cross_id_check(con, new, o.dedupe, report)
    report.rows_read, report.rows_inserted, report.rows_duplicate = n, n - dup, dup
    record_rows(con, table, report.batch_id, new)
    if o.after:
        o.after(con, report)
    record_batch(
        con,
        report.batch_id,
        table.name,
        ", ".join(report.files),
        started,
        rows_read=n,
        rows_inserted=n - dup,
        rows_duplicate=dup,
        rows_rejected=0,
        status="committed",
        profile=report.profile,
        source_name=report.source_name,
    )
    return report


def _run(
    con: duckdb.DuckDBPyConnection,
    table: Table,
    sources: Sequence[Source],
    mapping: Mapping[str, str],
    quarantine: bool,
    on_progress: ProgressCallback | None,
    update: bool = False,
    span: TimeRange | None = None,
    o: _Opts | None = None,
) -> ImportReport:
    started = datetime.now(UTC)
    o = o or _Opts()
    report = _new_report(table, sources, o)
    span = span or plausible_time_range()
    maps = _mappings(mapping, sources, o)
    # column errors before rows
    plans = [_plan(table, s, m, report, span) for s, m in zip(sources, maps, strict=True)]
    # Fast pass without line numbers (numbering serialises DuckDB's parallel CSV reader);
    # only when something is wrong do we read again, numbered, to say where.  Both stages
    # stay in memory until the transaction ends (a temporary table dropped inside it is
    # kept for rollback), which doubled the peak: so when problems are expected (quarantine
    # on, or the fast path already failed) the one pass is the numbered one.
    numbered = quarantine or o.located
    needs_lines = _stage_and_check(
        con, table, sources, plans, numbered=numbered, cb=on_progress, by=o.account_by
    )
    report.rows_read = int(con.execute("SELECT count(*) FROM _stage").fetchone()[0])  # type: ignore[index]
    if report.rows_read == 0:
        # A quiet day's export (a header and no rows) is not a failure: a scheduler runs on.
        report.notes.append(
            f"{', '.join(report.files)}: no rows to import (only a header); nothing written"
        )
        con.execute("DROP TABLE _stage; DROP TABLE _problems")
        _record(con, table, report, started)
        return report
    if needs_lines and not numbered:
        needs_lines = _stage_and_check(
            con, table, sources, plans, numbered=True, cb=on_progress, by=o.account_by
        )
    report.notes = [n for n in needs_lines if n]
    _summarise(con, table, sources, report)
    if report.problem_count and not quarantine:
        noted = "".join(f"\n  {n}" for n in report.notes)
        shown = "\n  ".join(report.problems)
        more = (
            f"\n  … and {report.problem_count - len(report.problems)} more"
            if report.problem_count > len(report.problems)
            else ""
        )
        raise ImportRejected(
            f"{table.name} import rejected: {report.problem_count} problem(s) in "
            f"{report.rows_rejected} row(s); nothing was imported "
            "(fix the file, or import with quarantine on to load the good rows and keep the "
            f"rejected ones aside):{noted}\n  {shown}{more}",
            problems=[*report.notes, *report.problems],
        )
    good = "_err = ''"
    if report.problem_count:
        labels = "[" + ", ".join(ql(s.label) for s in sources) + "]"
        con.execute(
            f"INSERT INTO quarantine SELECT {ql(report.batch_id)}, {ql(table.name)}, "
            f"{labels}[file + 1], line, field, value, reason, raw, now() FROM _problems"
        )
        good += " AND NOT EXISTS (SELECT 1 FROM _problems p WHERE p.file = _file AND " + (
            "p.line = _line)"
        )
    if on_progress:
        on_progress(f"writing {table.name}", None)
    new = _max_rowid(con, table)
    with _polled(con, f"writing {table.name}", on_progress):
        final = f"({keyed_select(con, table, '_stage', good)})"
        if update:
            final = _merge_stored(con, table, final, o.clear)
            save_replaced(con, table, final, report.batch_id)
            report.rows_updated = delete_changed_rows(con, table, final)
        report.rows_inserted = insert_new_rows(con, table, final) - report.rows_updated
    if table.name == "events":
        report.rows_inserted -= cross_id_check(con, new, o.dedupe, report)
    report.rows_duplicate = (
        report.rows_read - report.rows_rejected - report.rows_inserted - report.rows_updated
    )
    con.execute("DROP TABLE _stage; DROP TABLE _problems; DROP TABLE IF EXISTS _update")
    record_rows(con, table, report.batch_id, new)
    if o.after:
        o.after(con, report)
    _record(con, table, report, started)
    return report


def _record(
    con: duckdb.DuckDBPyConnection, table: Table, report: ImportReport, started: datetime
) -> None:
    status = "committed_with_quarantine" if report.rows_rejected else "committed"
    record_batch(
        con,
        report.batch_id,
        table.name,
        ", ".join(report.files),
        started,
        rows_read=report.rows_read,
        rows_inserted=report.rows_inserted,
        rows_duplicate=report.rows_duplicate,
        rows_rejected=report.rows_rejected,
        status="empty" if report.rows_read == 0 else status,
        rows_updated=report.rows_updated,
        profile=report.profile,
        source_name=report.source_name,
    )


def _merged_properties(stored: str, new: str) -> str:
    """SQL of stored properties with the file's keys laid over them, one level deep.

    A key the file carries replaces the stored value; a key it lacks, or carries empty
    (null or ""), keeps the stored one. When the file changes nothing the stored text is
    kept as it is, so an unchanged row is not counted (or rewritten) as an update."""
    smap = f"coalesce(try_cast(try_cast({stored} AS JSON) AS MAP(VARCHAR, JSON)), MAP {{}})"
    given = (
        f"list_filter(map_entries(try_cast(try_cast({new} AS JSON) AS MAP(VARCHAR, JSON))), "
        "e -> e.value IS NOT NULL AND CAST(e.value AS VARCHAR) NOT IN ('null', '\"\"'))"
    )
    changed = (
        f"len(list_filter({given}, e -> map_extract_value({smap}, e.key) IS DISTINCT FROM e.value))"
    )
    merged = f"CAST(to_json(map_concat({smap}, map_from_entries({given}))) AS VARCHAR)"
    return (
        f"CASE WHEN {new} IS NULL THEN {stored} WHEN {given} IS NULL THEN {new} "
        f"WHEN {changed} = 0 THEN {stored} WHEN {stored} IS NULL THEN {new} ELSE {merged} END"
    )


def _merge_stored(
    con: duckdb.DuckDBPyConnection, table: Table, final: str, clear: Sequence[str]
) -> str:
    """`final` merged with the stored rows of the same key (`import --update`).

    Empty means missing, also in an update: an empty cell, or a column the file lacks,
    keeps the stored value (a narrow export of ticket_id, status and resolved_at must not
    blank the priority), and `properties` keys the file does not carry stay. Only the
    columns named in `clear` take the file's empty cells as "now empty" (a reopened
    ticket's resolved_at); a cleared `properties` is replaced whole.
    """
    on = " AND ".join(f"t.{qi(k)} = s.{qi(k)}" for k in table.key)
    stored = f"t.{qi(table.key[0])} IS NOT NULL"

    def value(c: str) -> str:
        if c in table.key or c in clear:
            return f"s.{qi(c)}"
        if c == "properties":
            return f"CASE WHEN {stored} THEN {_merged_properties('t.properties', 's.properties')} ELSE s.properties END"
        return f"CASE WHEN {stored} THEN coalesce(s.{qi(c)}, t.{qi(c)}) ELSE s.{qi(c)} END"

    cols = ", ".join(f"{value(c)} AS {qi(c)}" for c in table.column_names)
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE _update AS SELECT {cols} FROM {final} s "
        f"LEFT JOIN {table.name} t ON {on}"
    )
    return "_update"


def _stage_and_check(
    con: duckdb.DuckDBPyConnection,
    table: Table,
    sources: Sequence[Source],
    plans: Sequence[_Plan],
    *,
    numbered: bool,
    cb: ProgressCallback | None,
    by: tuple[str, ...] = RESOLVE_ORDER,
) -> list[str]:
    """Stage every source and collect its problems.

    Returns the summary lines of account references not resolved (see `resolve.py`) and,
    when there are problems but no such lines, one empty string: truthy either way."""
    _create_stage(con, table)
    con.execute(
        "CREATE OR REPLACE TEMP TABLE _problems (file INTEGER, line BIGINT, field VARCHAR, "
        "value VARCHAR, reason VARCHAR, raw VARCHAR)"
    )
    for i, (src, plan) in enumerate(zip(sources, plans, strict=True)):
        what = "locating problems in" if numbered else "reading"
        step = f"{what} {src.label} ({i + 1}/{len(sources)})"
        with _polled(con, step, cb), ordered(con) if numbered else nullcontext():
            try:
                con.execute(_stage_insert_sql(table, src, plan, i, numbered=numbered))
            except duckdb.OutOfMemoryException:
                raise  # the machine's limit, not the file's fault
            except duckdb.Error as exc:
                raise translate_read_error(exc, src.path, src.label, src.fmt) from None
        _collect_row_problems(con, plan, i)
    if cb:
        cb("checking keys and references", None)
    notes = _resolve_accounts(con, table, plans, by)
    _collect_duplicates(con, table, plans)
    _collect_references(con, table, plans)
    if con.execute("SELECT count(*) FROM _problems").fetchone()[0]:  # type: ignore[index]
        return notes or [""]
    return notes


def _resolve_accounts(
    con: duckdb.DuckDBPyConnection, table: Table, plans: Sequence[_Plan], by: tuple[str, ...]
) -> list[str]:
    """Account references that are no stored id: resolved by external id, name or e-mail
    (in `by`'s order), ambiguous ones made problems, all failures summarised."""
    if table.references.get("account_id") != "accounts":
        return []
    unknown = (
        "SELECT account_id AS ref, _file, _line FROM _stage s WHERE _err = '' AND account_id "
        "IS NOT NULL AND NOT EXISTS (SELECT 1 FROM accounts a WHERE a.account_id = s.account_id)"
    )
    if not con.execute(f"SELECT count(*) FROM ({unknown})").fetchone()[0]:  # type: ignore[index]
        return []
    steps = tuple(b for b in by if b != "id")
    resolve_refs(con, unknown, steps)
    con.execute(
        "UPDATE _stage SET account_id = r.account_id FROM _resolved r "
        "WHERE _stage.account_id = r.ref AND r.n = 1 AND _stage._err = ''"
    )
    if table.name == "events":  # the content key of id-less events names the account
        con.execute(
            f"UPDATE _stage SET _h = {event_hash_sql()} WHERE event_id IS NULL AND account_id "
            "IN (SELECT account_id FROM _resolved WHERE n = 1)"
        )
    field_name = _source_name(plans, "account_id")
    con.execute(
        f"INSERT INTO _problems SELECT _file, _line, {ql(field_name)}, account_id, "
        "'matches ' || _n || ' accounts by ' || replace(_step, '_', ' ') || ' (' || "
        "array_to_string(_accounts[1:3], ', ') || '); give the account id', "
        f"{_row_json(table)} FROM (SELECT s.*, r.n AS _n, r.step AS _step, r.accounts AS "
        "_accounts FROM _stage s JOIN _resolved r ON r.ref = s.account_id "
        "WHERE r.n > 1 AND s._err = '')"
    )
    return failure_lines(con, unknown, field_name, by)


@dataclass
class _Plan:
    """How one source's columns feed the table: target -> source column, plus checks."""

    source: Source
    target_to_source: dict[str, str]
    extras: list[str]
    checks: list[_Check]
    # column -> SQL condition on its typed value that makes it implausible
    ranges: dict[str, str] = field(default_factory=dict)


def _plan(
    table: Table,
    src: Source,
    mapping: Mapping[str, str],
    report: ImportReport,
    span: TimeRange | None = None,
) -> _Plan:
    renamed: dict[str, str] = {}  # target -> source
    for col in src.columns:
        target = mapping.get(col, col)
        if target in table.column_names:
            if target in renamed:
                raise ImportRejected(
                    f"{src.label}: columns {renamed[target]!r} and {col!r} both map to {target!r}"
                )
            renamed[target] = col
    derivable = {"event_key"} if table.name == "events" else set()
    if table.name == "subscriptions":
        derivable.add("subscription_id")
    missing = [
        c.name
        for c in table.columns
        if c.required and c.name not in renamed and c.name not in derivable
    ]
    if missing:
        unmapped = [m for m in mapping if m not in src.columns]
        hint = (
            f"; mapped source column(s) not in the file: {', '.join(unmapped)}" if unmapped else ""
        )
        raise ImportRejected(
            f"{src.label}: missing required column(s) "
            f"{', '.join(repr(m) for m in missing)} for {table.name} "
            f"(found columns: {', '.join(src.columns) or 'none'}; "
            f"map a source column to each, as source=target){hint}"
        )
    used = set(renamed.values())
    extras = [c for c in src.columns if c not in used]
    if extras and "properties" not in table.column_names:
        report.warnings.append(
            f"{src.label}: column(s) {', '.join(extras)} are not part of {table.name}; ignored"
        )
        extras = []
    checks: list[_Check] = []
    ranges: dict[str, str] = {}
    for c in table.columns:
        s = renamed.get(c.name)
        label = s if s is not None else c.name
        if c.required and c.name not in derivable:
            checks.append(_Check(f"{c.name}:req", label, "is required but empty"))
        if s is not None and c.type in _EXPECT:
            checks.append(_Check(f"{c.name}:type", label, _EXPECT[c.type]))
        if s is not None and c.choices:
            checks.append(
                _Check(f"{c.name}:choice", label, f"is not one of: {', '.join(c.choices)}")
            )
        if s is not None and (bad := _implausible(table, c, span or plausible_time_range())):
            sql, reason = bad
            ranges[c.name] = sql
            checks.append(_Check(f"{c.name}:range", label, reason))
    return _Plan(src, renamed, extras, checks, ranges)


def _implausible(table: Table, c: Column, span: TimeRange) -> tuple[str, str] | None:
    """(SQL condition, reason) for a value that cannot be real, or None when any value can be.

    Numbers must be finite. Timestamps and each kind's time column must fall within `span`; other dates (a renewal
    or due date may lie years ahead, 9999-12-31 often means "never") must only be finite.
    """
    v = qi(c.name)
    if c.type == "DOUBLE":  # 1e309, NaN and inf parse, but no amount or score is infinite
        return (
            f"NOT isfinite({v})",
            "is not a finite number (write an amount such as 12.5, or leave the cell empty)",
        )
    if c.type not in ("TIMESTAMP", "DATE"):
        return None
    lo, hi = span
    if c.type == "TIMESTAMP" or c.name == table.time_column:
        first = f"{c.type} '{lo.isoformat()}'"
        last = f"{c.type} '{hi.isoformat()}'"
        if c.type == "TIMESTAMP":
            last = f"{c.type} '{(hi + timedelta(days=1)).isoformat()}'"
            cond = f"NOT ({v} >= {first} AND {v} < {last})"
        else:
            cond = f"NOT ({v} BETWEEN {first} AND {last})"
        return cond, (
            f"is outside the plausible range {lo.isoformat()} to {hi.isoformat()} "
            "(a placeholder such as epoch or infinity is not a time: leave the cell empty "
            "when unknown, or widen the accepted time range)"
        )
    return (
        f"NOT isfinite({v})",
        "is not a finite date (leave the cell empty when there is none, e.g. open-ended)",
    )


def _create_stage(con: duckdb.DuckDBPyConnection, table: Table) -> None:
    cols = ", ".join(f"{qi(c.name)} {c.type}" for c in table.columns)
    extra = ", _h UBIGINT" if table.name == "events" else ""
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE _stage (_file INTEGER, _line BIGINT, {cols}, "
        f"_err VARCHAR, _raw VARCHAR{extra})"
    )


def timestamp_sql(v: str) -> str:
    """ISO 8601 text to a UTC TIMESTAMP: offsets and zone names honoured, naive text is UTC.

    The zone-aware parser is several times slower, so text with no offset after the date
    (no '+' or '-') takes the plain parser; it rejects zone names, which then fall back.
    """
    tz = f"CAST(try_cast({v} AS TIMESTAMPTZ) AS TIMESTAMP)"
    after_date = f"substr({v}, 11)"
    return (
        f"CASE WHEN contains({after_date}, '+') OR contains({after_date}, '-') THEN {tz} "
        f"ELSE coalesce(try_cast({v} AS TIMESTAMP), {tz}) END"
    )


def _typed(c: Column, raw: str, src_type: str) -> str:
    """SQL turning a source value into the column's type (NULL when it cannot)."""
    text = src_type == "VARCHAR"
    if not text and src_type == c.type:
        return raw  # typed source (Parquet) already in the right type: nothing to do
    v = f"nullif({raw}, '')" if text else raw
    if c.type == "VARCHAR":
        if c.choices:
            return f"nullif(lower(trim(CAST({raw} AS VARCHAR))), '')"
        return f"nullif(CAST({raw} AS VARCHAR), '')" if text else f"CAST({raw} AS VARCHAR)"
    if c.type == "TIMESTAMP":
        return timestamp_sql(v) if text else f"try_cast({raw} AS TIMESTAMP)"
    if c.type == "DATE" and text:
        return f"coalesce(try_cast({v} AS DATE), CAST({timestamp_sql(v)} AS DATE))"
    if c.type == "BOOLEAN" and text:
        return f"try_cast(lower({v}) AS BOOLEAN)"
    return f"try_cast({v} AS {c.type})"


def _stage_insert_sql(
    table: Table, src: Source, plan: _Plan, file_index: int, *, numbered: bool, direct: bool = False
) -> str:
    """INSERT of one source's typed rows into the stage (or, `direct`, into the table itself).

    `direct` is the bulk fast path: the first bad row aborts the statement via error().
    """
    inner: list[str] = [f"{LINE} AS _line"]
    raw_alias: dict[str, str] = {}
    # JSON Lines values come as JSON: fields are typed from their text, while `properties`
    # take the JSON values themselves (a number stays a number, true stays true).
    types = {n: "VARCHAR" if t == "JSON" else t for n, t in src.columns.items()}
    as_json: dict[str, str] = {}
    for j, name in enumerate(src.columns):
        raw_alias[name] = f"_r{j}"
        if src.columns[name] == "JSON":
            inner.append(f"({qi(name)} ->> '$') AS _r{j}")
            as_json[name] = qi(name)
        else:
            inner.append(f"{qi(name)} AS _r{j}")
    checks: list[tuple[str, str]] = []  # (condition of a bad row, its label)
    props_key: str | None = None  # canonical properties for the event key, when cheap
    for c in table.columns:
        s = plan.target_to_source.get(c.name)
        if c.name == "properties" and s is None and plan.extras:
            pairs = ", ".join(f"{qi(e)} := {as_json.get(e, raw_alias[e])}" for e in plan.extras)
            inner.append(f"CAST(to_json(struct_pack({pairs})) AS VARCHAR) AS {qi(c.name)}")
            if table.name == "events" and all(types[e] == "VARCHAR" for e in plan.extras):
                texts = [(e, raw_alias[e]) for e in plan.extras]
                inner.append(f"{canonical_pairs_sql(texts)} AS _pk")
                props_key = "_pk"
        elif s is None:
            inner.append(f"CAST(NULL AS {c.type}) AS {qi(c.name)}")
            if c.name == "properties" and table.name == "events":
                props_key = "CAST(NULL AS VARCHAR)"  # what the canonical form of NULL is
        else:
            inner.append(f"{_typed(c, raw_alias[s], types[s])} AS {qi(c.name)}")
        if c.name == "event_key":
            continue
        name = qi(c.name)
        raw = raw_alias.get(s) if s is not None else None
        if c.required and not (c.name == "subscription_id" and s is None):
            checks.append((f"{name} IS NULL AND {raw or 'NULL'} IS NULL", f"{c.name}:req"))
        if raw is not None and c.type in _EXPECT and types[s] != c.type:  # type: ignore[index]
            blank = f"nullif({raw}, '')" if types[s] == "VARCHAR" else raw  # type: ignore[index]
            checks.append((f"{name} IS NULL AND {blank} IS NOT NULL", f"{c.name}:type"))
        if raw is not None and c.choices:
            choices = ", ".join(ql(x) for x in c.choices)
            checks.append((f"{name} NOT IN ({choices})", f"{c.name}:choice"))
        if c.name in plan.ranges:
            checks.append((plan.ranges[c.name], f"{c.name}:range"))
    labelled = ", ".join(f"CASE WHEN {cond} THEN {ql(label)} END" for cond, label in checks)
    err = f"concat_ws(',', {labelled})" if checks else "''"
    raw_json = ", ".join(f"{qi(n)} := {a}" for n, a in raw_alias.items())
    numbered_sql = f"SELECT {', '.join(inner)} FROM ({src.select if numbered else src.fast})"
    if table.name == "subscriptions" and "subscription_id" not in plan.target_to_source:
        numbered_sql = (
            "SELECT * REPLACE (concat_ws('|', account_id, product, CAST(start_date AS VARCHAR)) "
            f"AS subscription_id) FROM ({numbered_sql})"
        )
    mid = (
        f"SELECT *, {err} AS _err FROM ({numbered_sql})"
        if checks
        else f"SELECT *, '' AS _err FROM ({numbered_sql})"
    )
    cols = ", ".join(qi(c.name) for c in table.columns)
    h = f", {event_hash_sql(props_key)} AS _h" if table.name == "events" else ""
    if direct:
        key = f"{event_hash_sql(props_key)} AS event_key, " if table.name == "events" else ""
        rest = ", ".join(qi(c) for c in table.column_names if c != "event_key" or not key)
        # The first bad row aborts, so a yes/no per row will do (building the text of
        # every check for every row cost about 5% of the insert).
        bad = " OR ".join(f"({cond})" for cond, _ in checks) or "FALSE"
        return (
            f"INSERT INTO {table.name} ({cols}) SELECT {key}{rest} FROM ({numbered_sql}) "
            f"WHERE CASE WHEN {bad} THEN error({ql(_BAD_ROW)}) ELSE TRUE END"
        )
    return (
        f"INSERT INTO _stage SELECT {file_index}, _line, {cols}, _err, "
        f"CASE WHEN _err <> '' THEN CAST(to_json(struct_pack({raw_json})) AS VARCHAR) END{h} "
        f"FROM ({mid})"
    )


def _collect_row_problems(con: duckdb.DuckDBPyConnection, plan: _Plan, file_index: int) -> None:
    if not plan.checks:
        return
    values = ", ".join(
        f"({ql(ch.code)}, {ql(ch.source_col)}, {ql('$.' + _jpath(ch.source_col))}, {ql(ch.reason)})"
        for ch in plan.checks
    )
    con.execute(
        f"INSERT INTO _problems SELECT s._file, s._line, m.field, "
        f"json_extract_string(s._raw, m.path), m.reason, s._raw FROM "
        f"(SELECT _file, _line, _raw, unnest(string_split(_err, ',')) AS code FROM _stage "
        f"WHERE _file = {file_index} AND _err <> '') s "
        f"JOIN (VALUES {values}) m(code, field, path, reason) USING (code)"
    )


def _jpath(name: str) -> str:
    return '"' + name.replace('"', '\\"') + '"'


def _source_name(plans: Sequence[_Plan], target: str) -> str:
    for p in plans:
        if target in p.target_to_source:
            return p.target_to_source[target]
    return target


def _row_json(table: Table) -> str:
    """The staged (typed) row as JSON text, for quarantine rows found after typing."""
    cols = ", ".join(f"{qi(c)} := {qi(c)}" for c in table.column_names if c != "event_key")
    return f"CAST(to_json(struct_pack({cols})) AS VARCHAR)"


def _collect_duplicates(
    con: duckdb.DuckDBPyConnection, table: Table, plans: Sequence[_Plan]
) -> None:
    """Rows repeating a key within the import: every occurrence after the first is a problem."""
    keys = ["event_id"] if table.name == "events" else list(table.key)
    kc = ", ".join(qi(k) for k in keys)
    notnull = " AND ".join(f"{qi(k)} IS NOT NULL" for k in keys)
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE _dupkeys AS SELECT {kc} FROM _stage "
        f"WHERE _err = '' AND {notnull} GROUP BY ALL HAVING count(*) > 1"
    )
    if not con.execute("SELECT count(*) FROM _dupkeys").fetchone()[0]:  # type: ignore[index]
        con.execute("DROP TABLE _dupkeys")
        return
    field_name = _source_name(plans, keys[0])
    labels = "[" + ", ".join(ql(p.source.label) for p in plans) + "]"
    value = (
        f"CAST({qi(keys[0])} AS VARCHAR)"
        if len(keys) == 1
        else "concat_ws('|', " + ", ".join(f"CAST({qi(k)} AS VARCHAR)" for k in keys) + ")"
    )
    con.execute(
        f"INSERT INTO _problems SELECT _file, _line, {ql(field_name)}, {value}, "
        f"'is a duplicate of ' || CASE WHEN _f0 = _file THEN '' ELSE {labels}[_f0 + 1] || ' ' END "
        f"|| 'line ' || _l0 || ' (keys must be unique)', {_row_json(table)} FROM ("
        f"  SELECT s.*, first_value(_file) OVER w AS _f0, first_value(_line) OVER w AS _l0, "
        f"  row_number() OVER w AS _n FROM _stage s SEMI JOIN _dupkeys USING ({kc}) "
        f"  WHERE s._err = '' WINDOW w AS (PARTITION BY {kc} ORDER BY _file, _line)) WHERE _n > 1"
    )
    con.execute("DROP TABLE _dupkeys")


def _collect_references(
    con: duckdb.DuckDBPyConnection, table: Table, plans: Sequence[_Plan]
) -> None:
    """Rows naming an account (or other referenced row) that is neither stored nor imported."""
    for col, ref_kind in table.references.items():
        ref = kind(ref_kind)
        ref_key = ref.key[0]
        # Distinct ids first: a cheap aggregate, so the row-level pass runs only on failure.
        unknown = con.execute(
            f"SELECT count(*) FROM (SELECT DISTINCT {qi(col)} AS v FROM _stage "
            f"WHERE _err = '' AND {qi(col)} IS NOT NULL) s WHERE NOT EXISTS "
            f"(SELECT 1 FROM {ref.name} r WHERE r.{qi(ref_key)} = s.v)"
        ).fetchone()[0]  # type: ignore[index]
        if not unknown:
            continue
        field_name = _source_name(plans, col)
        con.execute(
            f"INSERT INTO _problems SELECT _file, _line, {ql(field_name)}, {qi(col)}, "
            f"'is not a known {ref_kind[:-1]} (import {ref_kind} first)', {_row_json(table)} "
            "FROM _stage s "
            f"WHERE _err = '' AND {qi(col)} IS NOT NULL AND NOT EXISTS "
            f"(SELECT 1 FROM {ref.name} r WHERE r.{qi(ref_key)} = s.{qi(col)}) "
            f"AND NOT EXISTS (SELECT 1 FROM _problems p WHERE p.file = s._file "
            f"AND p.line = s._line AND p.field = {ql(field_name)})"
        )


def _summarise(
    con: duckdb.DuckDBPyConnection, table: Table, sources: Sequence[Source], report: ImportReport
) -> None:
    n, rows = con.execute("SELECT count(*), count(DISTINCT (file, line)) FROM _problems").fetchone()  # type: ignore[misc]
    report.problem_count = int(n)
    report.rows_rejected = int(rows)
    for f, line, fld, value, reason in con.execute(
        f"SELECT file, line, field, value, reason FROM _problems ORDER BY file, line, field "
        f"LIMIT {MAX_SHOWN}"
    ).fetchall():
        src = sources[f]
        shown = "empty" if value is None else f'"{value}"'
        if reason.startswith("is required"):
            report.problems.append(f'{src.label} {src.unit} {line}, column "{fld}": {reason}')
        else:
            report.problems.append(
                f'{src.label} {src.unit} {line}, column "{fld}": {shown} {reason}'
            )


@contextmanager
def _polled(
    con: duckdb.DuckDBPyConnection, step: str, on_progress: ProgressCallback | None
) -> Iterator[None]:
    """Report DuckDB's own progress for the running statement from a side thread."""
    if on_progress is None:
        yield
        return
    done = threading.Event()

    def poll() -> None:
        while not done.wait(0.25):
            try:
                pct = con.query_progress()
            except duckdb.Error:
                continue
            if pct is not None and pct >= 0:
                on_progress(step, min(pct, 100.0) / 100.0)

    on_progress(step, 0.0)
    t = threading.Thread(target=poll, daemon=True)
    t.start()
    try:
        yield
    finally:
        done.set()
        t.join()
        on_progress(step, 1.0)
