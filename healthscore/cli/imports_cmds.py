"""`healthscore imports list|undo|profiles` and `healthscore quarantine list|export|clear|retry`."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal

import typer

from healthscore.cli._app import app
from healthscore.cli._common import DbOption, FormatOption, OutputFormat, current_app, emit, err
from healthscore.errors import ImportRejected

imports_app = typer.Typer(
    help="Import batches: list them, undo one; the shipped profiles.", no_args_is_help=True
)
app.add_typer(imports_app, name="imports")
quarantine_app = typer.Typer(
    help="Rows imports kept back: list, export to fix, clear, re-import.", no_args_is_help=True
)
app.add_typer(quarantine_app, name="quarantine")


@imports_app.command("list")
def imports_list(
    ctx: typer.Context,
    kind: Annotated[str | None, typer.Option("--kind", help="Only batches of this kind.")] = None,
    limit: Annotated[int, typer.Option("--limit", help="How many, newest first.")] = 50,
    fmt: FormatOption = OutputFormat.table,
    db: DbOption = None,
) -> None:
    """Import batches, newest first: id, kind, files, rows, time, profile, state.

    Example: healthscore imports list --kind events
    """
    from healthscore.ingest.batches import list_batches

    rows = list_batches(current_app(ctx, db=db).store, limit=limit, kind=kind)
    if fmt is OutputFormat.table:
        for r in rows:
            r["state"] = f"undone {r['undone_at']}" if r["undone_at"] else r["status"]
        emit(
            rows,
            fmt,
            title="Import batches",
            columns=[
                "batch",
                "kind",
                "files",
                "finished_at",
                "rows_inserted",
                "rows_updated",
                "rows_rejected",
                "profile",
                "source",
                "state",
            ],
        )
        return
    emit(rows, fmt)


@imports_app.command("undo")
def imports_undo(
    ctx: typer.Context,
    batch: Annotated[str, typer.Argument(help="Batch id, from `healthscore imports list`.")],
    keep_later: Annotated[
        bool,
        typer.Option(
            "--keep-later", help="Rows a later --update batch changed stay as it left them."
        ),
    ] = False,
    undo_later: Annotated[
        bool,
        typer.Option("--undo-later", help="Rows a later --update batch changed are removed too."),
    ] = False,
    db: DbOption = None,
) -> None:
    """Take back one import batch, atomically: its rows go, rows it replaced come back.

    Refused when a later --update batch changed rows of this batch, unless --keep-later or
    --undo-later says which way to go; refused for accounts other rows still refer to.

    Example: healthscore imports undo 20261202T101500-1a2b3c4d
    """
    from healthscore.ingest.batches import undo_batch

    if keep_later and undo_later:
        raise ImportRejected("give --keep-later or --undo-later, not both")
    later: Literal["refuse", "keep", "undo"] = (
        "keep" if keep_later else "undo" if undo_later else "refuse"
    )
    r = undo_batch(current_app(ctx, db=db).store, batch, later=later)
    err.print(
        f"undid batch {r.batch_id} ({r.kind}): {r.rows_deleted:,} row(s) removed, "
        f"{r.rows_restored:,} restored"
        + (f", {r.rows_kept:,} kept as a later batch changed them" if r.rows_kept else "")
        + (f", {r.links_deleted:,} external id(s) removed" if r.links_deleted else ""),
        markup=False,
        highlight=False,
    )


@imports_app.command("profiles")
def imports_profiles(
    ctx: typer.Context,
    name: Annotated[str | None, typer.Argument(help="Show one profile's fields.")] = None,
    fmt: FormatOption = OutputFormat.table,
) -> None:
    """The shipped import profiles (tool, kind, version, documented source), or one's fields.

    Example: healthscore imports profiles zendesk-tickets
    """
    from healthscore.ingest.profiles import find_profile, shipped_profiles

    if name:
        prof = find_profile(name)
        rows = [{"field": t, "from": fs.describe()} for t, fs in prof.fields.items()]
        rows += [
            {"field": f"external id ({s})", "from": " or ".join(c)}
            for s, c in prof.external_ids.items()
        ]
        if prof.where:
            rows.append(
                {"field": "(rows kept)", "from": f"{prof.where[0]} in {', '.join(prof.where[1])}"}
            )
        emit(rows, fmt, title=f"{prof.label}: {prof.tool} → {prof.kind} ({', '.join(prof.docs)})")
        return
    emit(
        [
            {
                "profile": p.name,
                "version": p.version,
                "tool": p.tool,
                "kind": p.kind,
                "export": p.export,
                "docs": " ".join(p.docs),
            }
            for p in shipped_profiles()
        ],
        fmt,
        title="Import profiles",
    )


@quarantine_app.command("list")
def quarantine_list(
    ctx: typer.Context,
    batch: Annotated[str | None, typer.Option("--batch", help="Only this batch.")] = None,
    kind: Annotated[str | None, typer.Option("--kind", help="Only this kind.")] = None,
    limit: Annotated[int, typer.Option("--limit")] = 100,
    fmt: FormatOption = OutputFormat.table,
    db: DbOption = None,
) -> None:
    """The problems of rows imports kept back: batch, file, line, field, value, reason.

    Example: healthscore quarantine list --kind tickets
    """
    from healthscore.ingest.quarantine import list_quarantine

    emit(
        list_quarantine(current_app(ctx, db=db).store, batch, kind, limit), fmt, title="Quarantine"
    )


@quarantine_app.command("export")
def quarantine_export(
    ctx: typer.Context,
    output: Annotated[Path, typer.Option("-o", "--output", help="CSV file to write.")],
    batch: Annotated[str | None, typer.Option("--batch", help="Only this batch.")] = None,
    kind: Annotated[str | None, typer.Option("--kind", help="Only this kind.")] = None,
    db: DbOption = None,
) -> None:
    """Write the kept-back rows as CSV, to fix and import again (`quarantine retry`).

    Example: healthscore quarantine export --batch 20261202T101500-1a2b3c4d -o fix.csv
    """
    from healthscore.ingest.quarantine import export_quarantine

    n = export_quarantine(current_app(ctx, db=db).store, output, batch, kind)
    err.print(f"wrote {n:,} row(s) to {output}", markup=False, highlight=False)


@quarantine_app.command("clear")
def quarantine_clear(
    ctx: typer.Context,
    batch: Annotated[str | None, typer.Option("--batch", help="Only this batch.")] = None,
    kind: Annotated[str | None, typer.Option("--kind", help="Only this kind.")] = None,
    all_: Annotated[bool, typer.Option("--all", help="Clear every kept-back row.")] = False,
    db: DbOption = None,
) -> None:
    """Forget kept-back rows (of one batch, one kind, or --all).

    Example: healthscore quarantine clear --batch 20261202T101500-1a2b3c4d
    """
    from healthscore.ingest.quarantine import clear_quarantine

    if not (batch or kind or all_):
        raise ImportRejected("say what to clear: --batch BATCH, --kind KIND or --all")
    n = clear_quarantine(current_app(ctx, db=db).store, batch, kind)
    err.print(f"cleared {n:,} row(s) from quarantine", markup=False, highlight=False)


@quarantine_app.command("retry")
def quarantine_retry(
    ctx: typer.Context,
    batch: Annotated[str, typer.Argument(help="The batch whose rows were kept back.")],
    file: Annotated[Path, typer.Argument(help="The fixed export (from `quarantine export`).")],
    db: DbOption = None,
) -> None:
    """Import a fixed quarantine export as the batch's kind; on success its quarantine clears.

    Exit codes as for import: 0 all rows loaded, 1 refused (nothing written).

    Example: healthscore quarantine retry 20261202T101500-1a2b3c4d fix.csv
    """
    from healthscore.cli.ingest_cmds import _print_report
    from healthscore.ingest import import_files
    from healthscore.ingest.quarantine import clear_quarantine, quarantine_kind

    store = current_app(ctx, db=db).open_store(create=False)
    kind = quarantine_kind(store, batch)
    report = import_files(store, kind, [file])
    _print_report(report)
    n = clear_quarantine(store, batch)
    err.print(
        f"cleared {n:,} row(s) of batch {batch} from quarantine", markup=False, highlight=False
    )
