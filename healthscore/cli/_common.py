"""What every command shares: the App, the --db option, dates, output formats, consoles,
progress, and `-` for standard output."""

from __future__ import annotations

import contextlib
import csv
import datetime as dt
import io
import json
import math
import re
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
from rich.text import Text

from healthscore.app import App
from healthscore.config import BadSetting, terminal_columns
from healthscore.errors import HealthscoreError, StoreError
from healthscore.store import Store


def _width(stream: Any) -> int | None:
    """Rich's own width on a terminal or with $COLUMNS; wide when piped to a file or pager.

    Rich falls back to 80 columns off a terminal, which folds account ids and dates of an
    11-column listing mid-word; `healthscore accounts > red.txt` should read like the screen.
    """
    if terminal_columns() or (hasattr(stream, "isatty") and stream.isatty()):
        return None
    return 200


# A leading style label: "[bold red]error:[/] ...", "[yellow]warning:[/] ...".
_LABEL = re.compile(r"\[(?P<style>[a-z][a-z ]*)\](?P<label>[^\[\]]*)\[/\]")


class PlainConsole(Console):
    """A console that never reads user text as Rich markup.

    Messages carry user data (a cell `[/oops]`, a column named `[/bold]`, an account
    `[bold]12`); as markup those raise `MarkupError` or are silently changed.  So a string
    is printed as it is, except for one leading style label (``[bold red]error:[/] ...``),
    the house style for a message's kind, whose label text is ours.  Table cells and
    titles are plain too.  To print real markup, pass a `rich.text.Text` built from it.
    """

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(markup=False, **kwargs)

    def print(self, *objects: Any, markup: bool | None = None, **kwargs: Any) -> None:  # type: ignore[override]
        if markup is not False:
            objects = tuple(_labelled(o) for o in objects)
        super().print(*objects, markup=False, **kwargs)


def _labelled(obj: Any) -> Any:
    """A string whose leading ``[style]label[/]`` is styled and whose rest is plain text."""
    if isinstance(obj, str) and (m := _LABEL.match(obj)):
        return Text.assemble((m["label"], m["style"]), obj[m.end() :])
    return obj


def print_error(exc: BaseException) -> None:
    """The one line a failed command prints on stderr: the message as plain text."""
    err.print(Text.assemble(("error:", "bold red"), " ", str(exc)), highlight=False)


# Results go to stdout; progress and messages to stderr so pipes stay clean.
out = PlainConsole(soft_wrap=True, width=_width(sys.stdout))
err = PlainConsole(stderr=True, soft_wrap=True, width=_width(sys.stderr))


class OutputFormat(StrEnum):
    table = "table"
    csv = "csv"
    json = "json"


DbOption = Annotated[
    Path | None,
    typer.Option("--db", help="Store file (default: $HEALTHSCORE_DB or ./healthscore.duckdb)."),
]
FormatOption = Annotated[
    OutputFormat,
    typer.Option("--format", "-f", help="table, csv or json (csv and json: one document)."),
]

STDOUT = Path("-")


def parse_date(value: Any) -> dt.date:
    """A calendar date written YYYY-MM-DD; anything else is a usage error that shows the form."""
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value).strip())
    except ValueError:
        raise typer.BadParameter(
            f"{value!r} is not a date; write it as YYYY-MM-DD, e.g. 2026-10-31"
        ) from None


def date_option(*names: str, help: str) -> Any:
    """A typed date option (YYYY-MM-DD), parsed and checked before the command runs."""
    return typer.Option(*names, parser=parse_date, metavar="YYYY-MM-DD", help=help)


class CliApp(App):
    """The App as the CLI runs it: the same object, with messages that name commands."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.on_wait = _say_waiting

    @property
    def store(self) -> Store:
        # The core's message says what to do in words; here it can name the commands.
        if not self.store_is_open and not self.db_path.exists():
            p = self.db_path
            raise StoreError(
                f"no store at {p}; create it with `healthscore init --db {p}` (or "
                f"`healthscore demo --db {p}`), or point --db / $HEALTHSCORE_DB at a store"
            )
        return super().store


def _say_waiting(message: str) -> None:
    """While another process holds the store: say so on stderr, once, before waiting."""
    err.print(f"{message} (HEALTHSCORE_LOCK_TIMEOUT sets how long)…", highlight=False)


def _flag(name: str) -> str:
    return "--" + name.replace("_", "-")


def current_app(ctx: typer.Context, **overrides: object) -> App:
    """The App the callback built, with this command's options (e.g. --db) on top.

    A derived App is closed when the command ends; options that are None keep the App's
    settings.  A rejected option value becomes a usage error naming the option.
    """
    root = ctx.find_root()
    base = root.obj if isinstance(root.obj, App) else None
    if base is None:  # a command invoked without the callback
        base = make_app(root, None)  # type: ignore[arg-type]  # typer's Context is click's
    try:
        derived = base.replace(**overrides)
    except BadSetting as exc:
        if exc.from_env:
            raise
        raise typer.BadParameter(
            str(exc).removeprefix(f"{exc.name}: "), param_hint=_flag(exc.name)
        ) from None
    if derived is not base:
        ctx.call_on_close(derived.close)
    return derived


def make_app(ctx: typer.Context, db: Path | None) -> App:
    """Build the App of this CLI run in the callback and hand it down as `ctx.obj`.

    Settings are read and validated here, before any command runs.  A test may pass its
    own App as ``CliRunner().invoke(app, args, obj=App(...))``; it is used (and left open).
    """
    given = ctx.obj if isinstance(ctx.obj, App) else None
    base = given or CliApp.from_env()
    try:
        built = base.replace(db=db)
    except BadSetting as exc:
        if exc.from_env:
            raise
        raise typer.BadParameter(str(exc), param_hint="--db") from None
    if built is not given:
        ctx.call_on_close(built.close)
    ctx.obj = built
    return built


def open_output(path: Path) -> Any:
    """A text stream for `--output PATH`; `-` is standard output (left open)."""
    if path == STDOUT:
        return contextlib.nullcontext(sys.stdout)
    check_output_path(path)
    try:
        return path.open("w", encoding="utf-8", newline="")
    except OSError as exc:
        raise HealthscoreError(f"cannot write {path}: {exc.strerror or exc}") from None


def check_output_path(path: Path) -> None:
    """Refuse an output path that is a directory or lies in a missing folder, by name
    (instead of IsADirectoryError or FileNotFoundError)."""
    if path == STDOUT:
        return
    if path.is_dir():
        raise HealthscoreError(
            f"{path} is a directory; name a file to write, e.g. {path / 'report.html'}"
        )
    parent = path.parent
    if not parent.is_dir():
        what = "is not a folder" if parent.exists() else "does not exist"
        raise HealthscoreError(
            f"cannot write {path}: the folder {parent} {what}; create it first or name another path"
        )


def write_text(path: Path, text: str) -> None:
    """Write `text` to `path`, or to standard output for `-`."""
    with open_output(path) as fh:
        fh.write(text)


def refuse_overwrite(path: Path, force: bool) -> None:
    check_output_path(path)
    if path != STDOUT and path.exists() and not force:
        raise HealthscoreError(f"{path} exists; pass --force to overwrite it")


def progress(transient: bool = True) -> Progress:
    """A progress bar on stderr; silent when stderr is not a terminal."""
    return Progress(
        # The description names user files: plain text, not markup.
        TextColumn("{task.description}", style="bold", markup=False),
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
        emit_json(list(rows))
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


def emit_json(value: Any) -> None:
    """One JSON document on standard output."""
    sys.stdout.write(json_text(value))


def json_text(value: Any) -> str:
    """`value` as a JSON document, NaN and infinities (which JSON lacks) written as null."""
    return json.dumps(_finite(value), default=str, indent=2, allow_nan=False) + "\n"


def _finite(value: Any) -> Any:
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_finite(v) for v in value]
    return value


def flatten(value: Any, prefix: str = "") -> list[dict[str, Any]]:
    """A nested result as rows of (key, value), keys dotted paths: one CSV table for any shape."""
    if isinstance(value, dict):
        rows: list[dict[str, Any]] = []
        for k, v in value.items():
            rows += flatten(v, f"{prefix}.{k}" if prefix else str(k))
        return rows
    if isinstance(value, list | tuple):
        rows = []
        for i, v in enumerate(value):
            rows += flatten(v, f"{prefix}.{i}" if prefix else str(i))
        return rows
    return [{"key": prefix, "value": value}]
