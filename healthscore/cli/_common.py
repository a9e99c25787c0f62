"""What every command shares: the --db option, output formats, consoles and progress."""

from __future__ import annotations

import csv
import io
import json
import os
import sys
from collections.abc import Iterable, Sequence
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.table import Table as RichTable

from healthscore.config import Settings, load_settings
from healthscore.store import Store, open_store


def _width(stream: Any) -> int | None:
    """Rich's own width on a terminal or with $COLUMNS; wide when piped to a file or pager.

    Rich falls back to 80 columns off a terminal, which folds account ids and dates of an
    11-column listing mid-word; `healthscore accounts > red.txt` should read like the screen.
    """
    if os.environ.get("COLUMNS") or (hasattr(stream, "isatty") and stream.isatty()):
        return None
    return 200


# Results go to stdout; progress and messages to stderr so pipes stay clean.
out = Console(soft_wrap=True, width=_width(sys.stdout))
err = Console(stderr=True, soft_wrap=True, width=_width(sys.stderr))


class OutputFormat(StrEnum):
    table = "table"
    csv = "csv"
    json = "json"


DbOption = Annotated[
    Path | None,
    typer.Option("--db", help="Store file (default: $HEALTHSCORE_DB or ./healthscore.duckdb)."),
]
FormatOption = Annotated[OutputFormat, typer.Option("--format", "-f", help="table, csv or json.")]


def settings(db: Path | None = None, **overrides: object) -> Settings:
    return load_settings(os.environ, db=db, **overrides)


def store(db: Path | None, *, create: bool = False) -> Store:
    s = settings(db)
    return open_store(s.db, create=create, memory_limit=s.memory_limit)


def progress(transient: bool = True) -> Progress:
    """A progress bar on stderr; silent when stderr is not a terminal."""
    return Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
        console=err,
        transient=transient,
        disable=not err.is_terminal,
    )


def emit(
    rows: Sequence[dict[str, Any]],
    fmt: OutputFormat,
    *,
    title: str | None = None,
    columns: Iterable[str] | None = None,
) -> None:
    """Print rows as a Rich table, CSV or JSON (one shape for every listing)."""
    cols = list(columns) if columns is not None else (list(rows[0]) if rows else [])
    if fmt is OutputFormat.json:
        sys.stdout.write(json.dumps(list(rows), default=str, indent=2) + "\n")
    elif fmt is OutputFormat.csv:
        buf = io.StringIO()
        w = csv.DictWriter(buf, fieldnames=cols, extrasaction="ignore", lineterminator="\n")
        w.writeheader()
        w.writerows(rows)
        sys.stdout.write(buf.getvalue())
    else:
        t = RichTable(title=title, show_lines=False)
        for c in cols:
            t.add_column(c, overflow="fold")
        for r in rows:
            t.add_row(*("" if r.get(c) is None else str(r.get(c)) for c in cols))
        out.print(t)
