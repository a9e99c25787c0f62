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
from healthscore.store import KINDS


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


def _print_report(r: ImportReport) -> None:
    err.print(
        f"{r.kind}: {r.rows_inserted:,} new, "
        + (f"{r.rows_updated:,} updated, " if r.rows_updated else "")
        + f"{r.rows_duplicate:,} already stored, "
        f"{r.rows_rejected:,} quarantined (of {r.rows_read:,} read; batch {r.batch_id})",
        highlight=False,
    )
    for w in r.warnings:
        err.print(f"[yellow]warning:[/] {w}", highlight=False)
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
        str, typer.Argument(help=f"What the files hold: churnsim, {', '.join(KINDS)}.")
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
    file_format: Annotated[
        FileFormat | None,
        typer.Option("--format", help="csv, jsonl or parquet (default: from the name)."),
    ] = None,
    db: DbOption = None,
) -> None:
    """Import CSV (or .csv.gz), JSON Lines or Parquet files of one KIND, or a ChurnSim folder.

    Example: healthscore import events events.csv.gz --map ts=event_time --quarantine
    Example: healthscore import tickets tickets-today.csv --update
    """
    columns = load_mapping_file(mapping) if mapping else {}
    columns.update(parse_mapping(map_))
    fmt = file_format.value if file_format is not None else None
    s = current_app(ctx, db=db).open_store(create=True)
    with _progress_callback() as cb:
        if kind == "churnsim":
            if len(files) != 1:
                raise ImportRejected("import churnsim takes exactly one folder")
            for r in import_churnsim(s, files[0], update=update, on_progress=cb).values():  # type: ignore[arg-type]
                _print_report(r)
            return
        with _stdin_as_file(list(files), fmt) as paths:
            report = import_files(
                s,
                kind,
                paths,
                mapping=columns,
                quarantine=quarantine,
                update=update,
                fmt=fmt,
                on_progress=cb,  # type: ignore[arg-type]
            )
        _print_report(report)


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
