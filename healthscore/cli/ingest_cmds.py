"""`healthscore init`, `import` and `status`: thin wrappers over healthscore.ingest."""

from __future__ import annotations

import shutil
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from healthscore.cli._app import app
from healthscore.cli._common import (
    DbOption,
    FormatOption,
    OutputFormat,
    current_app,
    emit,
    emit_json,
    err,
    out,
    progress,
)
from healthscore.errors import ImportRejected
from healthscore.ingest import (
    ImportReport,
    import_churnsim,
    import_files,
    load_mapping_file,
    parse_mapping,
    store_status,
)
from healthscore.ingest.options import build_spec
from healthscore.store import KINDS

# Exit codes a scheduler can tell apart (documented in the import command's help).
EXIT_KEPT_BACK = 3


class FileFormat(StrEnum):
    csv = "csv"
    jsonl = "jsonl"
    parquet = "parquet"


@app.command()
def init(ctx: typer.Context, db: DbOption = None) -> None:
    """Create an empty store (or migrate an existing one).

    Example: healthscore init --db acme.duckdb
    """
    hs = current_app(ctx, db=db)
    path = hs.db_path
    existed = path.exists()
    hs.open_store(create=True)
    err.print(f"{'store up to date' if existed else 'created store'}: {path}")


@contextmanager
def _progress_callback() -> Iterator[object]:
    """A Rich bar per step, fed by the importer's (description, fraction) reports."""
    with progress() as bar:
        tasks: dict[str, object] = {}

        def on_progress(step: str, fraction: float | None) -> None:
            if step not in tasks:
                tasks[step] = bar.add_task(step, total=100 if fraction is not None else None)
            if fraction is not None:
                bar.update(tasks[step], completed=round(fraction * 100))  # type: ignore[arg-type]

        yield on_progress


@contextmanager
def _stdin_as_file(paths: list[Path], fmt: str | None) -> Iterator[list[Path]]:
    """`-` means standard input: spooled to a temporary file so DuckDB can stream it."""
    if Path("-") not in paths:
        yield paths
        return
    if not fmt:
        raise ImportRejected("reading from stdin (-) needs --format csv|jsonl|parquet")
    with tempfile.TemporaryDirectory() as tmp:
        target = Path(tmp) / f"stdin.{fmt}"
        with target.open("wb") as fh:
            shutil.copyfileobj(sys.stdin.buffer, fh, 1 << 20)
        yield [target if p == Path("-") else p for p in paths]


def _print_mapping(r: ImportReport) -> None:
    """Every import says how it read each file: a field from which column, and how."""
    for label, lines in r.mapping.items():
        if not lines:
            continue
        err.print(
            f"mapping of {label}" + (f" (profile {r.profile})" if r.profile else "") + ":",
            markup=False,
            highlight=False,
        )
        for line in lines:
            err.print(f"  {line}", markup=False, highlight=False)


def _print_report(r: ImportReport) -> None:
    _print_mapping(r)
    for n in r.notes:
        err.print(f"note: {n}", markup=False, highlight=False)
    if r.dry_run:
        err.print(
            f"dry run, nothing written: {r.kind}: {r.rows_read:,} row(s) read, "
            f"{r.rows_inserted:,} would be new, {r.rows_updated:,} updated, "
            f"{r.rows_duplicate:,} already stored, {r.rows_rejected:,} with problems",
            highlight=False,
            markup=False,
        )
        for p in r.problems:
            err.print(f"  {p}", highlight=False, markup=False)
        for w in r.warnings:
            err.print(f"warning: {w}", highlight=False, markup=False)
        return
    err.print(
        f"{r.kind}: {r.rows_inserted:,} new, "
        + (f"{r.rows_updated:,} updated, " if r.rows_updated else "")
        + f"{r.rows_duplicate:,} already stored, "
        f"{r.rows_rejected:,} quarantined (of {r.rows_read:,} read; batch {r.batch_id})",
        highlight=False,
    )
    for w in r.warnings:
        err.print("[yellow]warning:[/] ", end="", highlight=False)
        err.print(w, highlight=False, markup=False)
    if r.rows_rejected:
        for p in r.problems:
            err.print(f"  {p}", highlight=False, markup=False)
        if r.problem_count > len(r.problems):
            err.print(
                f"  … and {r.problem_count - len(r.problems)} more (see `healthscore status`)"
            )


@app.command("import")
def import_(
    ctx: typer.Context,
    kind: Annotated[
        str,
        typer.Argument(
            help=f"What the files hold: churnsim, links (external ids), {', '.join(KINDS)}."
        ),
    ],
    files: Annotated[list[Path], typer.Argument(help="Files (or a ChurnSim folder); - = stdin.")],
    map_: Annotated[
        list[str] | None,
        typer.Option("--map", help="Rename source columns: src=dst[,src2=dst2]. Repeatable."),
    ] = None,
    mapping: Annotated[
        Path | None, typer.Option("--mapping", help="YAML file of source: target column names.")
    ] = None,
    quarantine: Annotated[
        bool, typer.Option("--quarantine", help="Load good rows; keep bad ones in quarantine.")
    ] = False,
    update: Annotated[
        bool,
        typer.Option(
            "--update",
            help="Replace stored rows whose key comes again with other values (a ticket "
            "resolved, an invoice paid since the last export). Default: skip stored keys.",
        ),
    ] = False,
    clear: Annotated[
        list[str] | None,
        typer.Option(
            "--clear",
            help="With --update: columns whose empty cells empty the stored value (e.g. "
            "resolved_at of a reopened ticket); other empty cells keep what is stored. "
            "Comma-separated or repeated.",
        ),
    ] = None,
    file_format: Annotated[
        FileFormat | None,
        typer.Option("--format", help="csv, jsonl or parquet (default: from the name)."),
    ] = None,
    profile: Annotated[
        str | None,
        typer.Option(
            "--profile",
            help="A shipped export profile (stripe, zendesk-tickets, …; see `healthscore "
            "imports profiles`) or your own YAML file.",
        ),
    ] = None,
    set_: Annotated[
        list[str] | None,
        typer.Option(
            "--set", help="A constant field: field=value, e.g. survey_type=nps. Repeatable."
        ),
    ] = None,
    value: Annotated[
        list[str] | None,
        typer.Option(
            "--value",
            help="Map values of a field: field:source=stored[,source2=stored2], e.g. "
            "status:Solved=resolved. Case-insensitive. Repeatable.",
        ),
    ] = None,
    date_format: Annotated[
        list[str] | None,
        typer.Option(
            "--date-format",
            help="How dates are written: us, dayfirst, iso, epoch_s, epoch_ms, epoch or a "
            "strptime pattern; for every date field, or one: field=format. Repeatable.",
        ),
    ] = None,
    source: Annotated[
        str | None,
        typer.Option("--source", help="Name of the tool the file came from, kept with the batch."),
    ] = None,
    dry_run: Annotated[
        bool,
        typer.Option(
            "--dry-run", help="Show the mapping, row count and first problems; write nothing."
        ),
    ] = False,
    dedupe: Annotated[
        bool,
        typer.Option(
            "--dedupe",
            help="Skip events already stored under another id handling (with an id then, "
            "none now, or the reverse) instead of refusing the import.",
        ),
    ] = False,
    db: DbOption = None,
) -> None:
    """Import CSV (or .csv.gz), JSON Lines or Parquet files of one KIND, or a ChurnSim folder.

    Columns are matched ignoring case, spaces, _ and - (AccountId = account_id) and a few
    synonyms; the mapping used is printed. Rows name their account by id, a registered
    external id, the account's name or a contact's e-mail, in that order.

    Exit codes: 0 imported (also a header-only file: 0 rows, with a note); 1 refused,
    nothing written (bad rows, unreadable or 0-byte file, mapping typo); 2 usage error;
    3 imported, but --quarantine kept rows back (or --dry-run found problems).

    Example: healthscore import events events.csv.gz --map ts=event_time --quarantine
    Example: healthscore import tickets tickets-today.csv --update
    Example: healthscore import tickets reopened.csv --update --clear resolved_at
    Example: healthscore import subscriptions stripe_subscriptions.csv --profile stripe
    Example: healthscore import surveys nps.csv --set survey_type=nps --date-format us
    """
    columns = load_mapping_file(mapping) if mapping else {}
    columns.update(parse_mapping(map_))
    fmt = file_format.value if file_format is not None else None
    spec = build_spec(
        kind,
        profile=profile,
        constants=set_,
        values=value,
        date_formats=date_format,
        source=source,
    )
    s = current_app(ctx, db=db).open_store(create=True)
    with _progress_callback() as cb:
        if kind == "churnsim":
            if len(files) != 1:
                raise ImportRejected("import churnsim takes exactly one folder")
            for r in import_churnsim(s, files[0], update=update, on_progress=cb).values():  # type: ignore[arg-type]
                _print_report(r)
            return
        with _stdin_as_file(list(files), fmt) as paths:
            if kind == "links":
                from healthscore.ingest.links import import_links

                report = import_links(
                    s,
                    paths,
                    spec,
                    mapping=columns,
                    fmt=fmt,
                    quarantine=quarantine,
                    dry_run=dry_run,
                )
            else:
                report = import_files(
                    s,
                    kind,
                    paths,
                    mapping=columns,
                    quarantine=quarantine,
                    update=update,
                    clear=[c.strip() for v in clear or () for c in v.split(",") if c.strip()],
                    fmt=fmt,
                    on_progress=cb,  # type: ignore[arg-type]
                    spec=spec,
                    dry_run=dry_run,
                    dedupe=dedupe,
                )
    _print_report(report)
    if report.rows_rejected:
        raise typer.Exit(EXIT_KEPT_BACK)


@app.command()
def status(
    ctx: typer.Context,
    fmt: FormatOption = OutputFormat.table,
    db: DbOption = None,
) -> None:
    """What the store holds: rows and dates per kind, coverage, quarantine, last imports.

    csv is the per-kind table; json holds everything (kinds, quarantine, imports).

    Example: healthscore status --format json
    """
    info = store_status(current_app(ctx, db=db).store)
    if fmt is OutputFormat.json:
        emit_json(info)
        return
    if fmt is OutputFormat.csv:
        emit(
            info["kinds"],
            fmt,
            columns=["kind", "rows", "first", "last", "accounts_without_data"],
        )
        return
    out.print(f"store: {info['db']}", highlight=False)
    emit(
        [
            {
                "kind": k["kind"],
                "rows": f"{k['rows']:,}",
                "from": k["first"] or "",
                "to": k["last"] or "",
                "accounts without data": ""
                if k["accounts_without_data"] is None
                else f"{k['accounts_without_data']:,}",
            }
            for k in info["kinds"]
        ],
        fmt,
        title="Data",
    )
    if info["quarantine"]:
        emit(info["quarantine"], fmt, title=f"Quarantine ({info['quarantined_rows']:,} rows)")
    if info["imports"]:
        emit(
            info["imports"],
            fmt,
            title="Last imports",
            columns=[
                "finished_at",
                "kind",
                "files",
                "rows_inserted",
                "rows_updated",
                "rows_duplicate",
                "rows_rejected",
                "status",
            ],
        )
