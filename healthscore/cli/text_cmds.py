"""`healthscore text analyze | run` and `healthscore feedback`: what customers write, read."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import sys
from collections.abc import Iterator
from enum import StrEnum
from pathlib import Path
from typing import IO, Annotated, Any

import typer

from healthscore.cli._app import app
from healthscore.cli._common import (
    STDOUT,
    DbOption,
    current_app,
    date_option,
    err,
    json_text,
    out,
    write_text,
)
from healthscore.errors import HealthscoreError

text_app = typer.Typer(
    help="Read what customers write: sentiment, themes, features and intent.",
    no_args_is_help=True,
)
app.add_typer(text_app, name="text")

# The fields `text analyze` adds to each input row, in output order.
RESULT_FIELDS = (
    "sentiment", "score", "themes", "features", "cancellation_intent", "competitor_intent",
    "language", "evidence", "reason",
)  # fmt: skip


class TextInputError(HealthscoreError):
    """The input of `text analyze` cannot be read."""


class AnalyzeFormat(StrEnum):
    jsonl = "jsonl"
    csv = "csv"
    table = "table"


class FeedbackFormat(StrEnum):
    table = "table"
    csv = "csv"
    json = "json"
    html = "html"


def _lines(path: Path) -> Iterator[str]:
    """Lines of `path` (or standard input for -), undecodable bytes replaced, not raised."""
    if str(path) == "-":
        stream: IO[bytes] = sys.stdin.buffer
        close = False
    else:
        try:
            stream = path.open("rb")
        except OSError as exc:
            raise TextInputError(f"cannot read {path}: {exc.strerror or exc}") from None
        close = True
    try:
        for raw in stream:
            yield raw.decode("utf-8", errors="replace").rstrip("\r\n")
    finally:
        if close:
            stream.close()


def _row(line: str, field: str) -> tuple[dict[str, Any], object]:
    """(fields to pass through, the text) of one input line: a JSON object or plain text."""
    stripped = line.strip()
    if stripped.startswith("{"):
        try:
            obj = json.loads(stripped)
        except ValueError:
            obj = None
        if isinstance(obj, dict):
            return obj, obj.get(field)
    return {"text": line}, line


def _flat(value: Any) -> Any:
    if isinstance(value, list | tuple):
        return ";".join(str(v) for v in value)
    return value


@text_app.command("analyze")
def analyze_cmd(
    ctx: typer.Context,
    file: Annotated[
        Path,
        typer.Argument(
            help="JSON Lines with a text field (other fields are passed through), or plain "
            "lines of text; - = standard input."
        ),
    ] = STDOUT,
    fmt: Annotated[
        AnalyzeFormat,
        typer.Option("--format", "-f", help="jsonl (one object a line), csv or table."),
    ] = AnalyzeFormat.jsonl,
    field: Annotated[
        str, typer.Option("--field", help="The JSON field that holds the text.")
    ] = "text",
    source: Annotated[
        str | None,
        typer.Option(
            "--source",
            help="What the texts are: nps, csat, ticket or note (CSAT comments are about support).",
        ),
    ] = None,
    db: DbOption = None,
) -> None:
    """Sentiment, score, themes, features, cancellation and competitor intent and the
    evidence sentence of each text.  With --db, features are the store's catalogue.

    A text that cannot be read (empty, not English, binary) gets sentiment `unknown` and a
    reason; the rest of the input goes on.

    Example: healthscore text analyze comments.jsonl --db healthscore.duckdb -f csv > out.csv
    """
    from healthscore.text import analyze
    from healthscore.text.batch import store_catalog
    from healthscore.text.features import FeatureCatalog

    hs = current_app(ctx, db=db)
    catalog = store_catalog(hs.store) if db is not None else FeatureCatalog.from_records([])
    competitors = tuple(getattr(hs.settings, "competitors", ()))
    rows: list[dict[str, Any]] = []
    n = 0
    for line in _lines(file):
        if not line.strip():
            continue
        passed, text = _row(line, field)
        a = analyze(text, features=catalog, source=source, competitors=competitors).as_dict()
        a.pop("method")
        result = {**passed, **{k: a[k] for k in RESULT_FIELDS}}
        n += 1
        if fmt is AnalyzeFormat.jsonl:
            sys.stdout.write(json.dumps(result, default=str, ensure_ascii=False) + "\n")
        else:
            rows.append(result)
    if fmt is AnalyzeFormat.csv:
        cols: list[str] = []
        for r in rows:
            cols += [c for c in r if c not in cols]
        buf = io.StringIO()
        w = csv.DictWriter(buf, fieldnames=cols, lineterminator="\n", extrasaction="ignore")
        w.writeheader()
        for r in rows:
            w.writerow({k: _flat(v) for k, v in r.items()})
        sys.stdout.write(buf.getvalue())
    elif fmt is AnalyzeFormat.table:
        _analysis_table(rows)
    if n == 0:
        err.print("no texts in the input", highlight=False)


def _analysis_table(rows: list[dict[str, Any]]) -> None:
    from rich.table import Table
    from rich.text import Text

    t = Table(show_lines=False)
    for c in ("text", "sentiment", "score", "themes", "features", "intent"):
        t.add_column(c, overflow="fold", justify="right" if c == "score" else "left")
    for r in rows:
        intent = ", ".join(k for k in ("cancellation", "competitor") if r.get(f"{k}_intent"))
        text = str(r.get("text") or r.get("evidence") or "")
        score = "" if r["score"] is None else f"{r['score']:+.2f}"
        label = r["sentiment"] + (f" ({r['reason']})" if r["sentiment"] == "unknown" else "")
        t.add_row(
            Text(text[:160]), Text(label), score, Text(", ".join(r["themes"])),
            Text(", ".join(r["features"])), intent,
        )  # fmt: skip
    out.print(t)


@text_app.command("run")
def run_cmd(
    ctx: typer.Context,
    full: Annotated[
        bool, typer.Option("--full", help="Re-analyse every text, not only new and changed ones.")
    ] = False,
    db: DbOption = None,
) -> None:
    """Analyse the store's texts (survey comments, tickets, CSM and judgement notes) and keep
    the results for metrics, explain, quotes and the feedback report.  Texts analysed before
    with the same method version are skipped.

    Example: healthscore text run --db healthscore.duckdb
    """
    from healthscore.text.batch import analyse_store

    hs = current_app(ctx, db=db)
    store = hs.store

    def progress(done: int, total: int) -> None:
        err.print(f"  {done:,} of {total:,} texts", highlight=False)

    res = analyse_store(
        store,
        full=full,
        competitors=tuple(getattr(hs.settings, "competitors", ())),
        progress=progress if sys.stderr.isatty() else None,
    )
    labels = ", ".join(f"{k} {v:,}" for k, v in sorted(res.labels.items())) or "none"
    out.print(
        f"{res.texts:,} texts: {res.analysed:,} analysed ({labels}), {res.unchanged:,} "
        f"unchanged, {res.removed:,} removed; cancellation intent in {res.cancellation:,}, "
        f"competitor in {res.competitor:,} (method {res.method})",
        highlight=False,
    )
    for why, count in sorted(res.unknown_reasons.items()):
        out.print(f"  unknown, {why}: {count:,}", highlight=False)


@app.command("feedback")
def feedback_cmd(
    ctx: typer.Context,
    end: Annotated[
        dt.date | None,
        date_option("--to", help="Last day of the period (default: the newest data)."),
    ] = None,
    days: Annotated[
        int,
        typer.Option("--days", min=1, help="Length of the period, compared with the one before."),
    ] = 90,
    segment: Annotated[
        str | None, typer.Option("--segment", help="Only the accounts of this segment.")
    ] = None,
    quotes: Annotated[int, typer.Option("--quotes", min=0, help="Example quotes per feature.")] = 3,
    fmt: Annotated[
        FeedbackFormat,
        typer.Option("--format", "-f", help="table, csv (one row per feature), json or html."),
    ] = FeedbackFormat.table,
    output: Annotated[
        Path, typer.Option("--output", "-o", help="File to write; - = standard output.")
    ] = STDOUT,
    db: DbOption = None,
) -> None:
    """The product feedback report: features ranked by friction (tickets, negative comments
    and low-CSAT tickets about them, weighted by the ARR of the accounts that raised them),
    with adoption, the trend against the previous period, the segments affected, example
    quotes, and the accounts whose texts show cancellation or competitor intent.

    Reads the analysis `healthscore text run` keeps (run it after importing new texts).

    Example: healthscore feedback --days 90 --format csv --output friction.csv
    """
    from healthscore.text.feedback import feedback_report, render_feedback_html

    if fmt is FeedbackFormat.table and output != STDOUT:
        raise typer.BadParameter(
            "a table is for the terminal: use csv, json or html to write a file",
            param_hint="--format",
        )
    report = feedback_report(
        current_app(ctx, db=db).store, end=end, days=days, segment=segment, quotes=quotes
    )
    for note in report.notes:
        err.print(f"note: {note} (`healthscore text run`)", highlight=False, markup=False)
    if fmt is FeedbackFormat.table:
        _feedback_table(report)
        return
    if fmt is FeedbackFormat.json:
        text = json_text(report.as_dict())
    elif fmt is FeedbackFormat.csv:
        rows = report.as_rows()
        buf = io.StringIO()
        cols = list(rows[0]) if rows else ["rank", "feature"]
        w = csv.DictWriter(buf, fieldnames=cols, lineterminator="\n")
        w.writeheader()
        w.writerows(rows)
        text = buf.getvalue()
    else:
        text = render_feedback_html(report)
    write_text(output, text)
    if output != STDOUT:
        err.print(f"wrote {len(report.rows)} features to {output}", highlight=False, markup=False)


def _feedback_table(report: Any) -> None:
    from rich.table import Table
    from rich.text import Text

    t = Table(title=f"Product feedback {report.start} to {report.end}: features by friction")
    for c in ("#", "feature", "friction ARR", "tickets", "neg.", "low CSAT", "accounts",
              "adoption", "trend", "segments", "what customers said"):  # fmt: skip
        t.add_column(
            c,
            overflow="fold",
            justify="left" if c in {"feature", "segments", "what customers said"} else "right",
        )
    for i, r in enumerate(report.rows, 1):
        trend = "" if r.trend is None else f"{r.trend:+.0f}%"
        quote = r.quotes[0] if r.quotes else None
        said = f"“{quote['evidence']}” ({quote['account']}, {quote['date']})" if quote else ""
        t.add_row(
            str(i), Text(r.feature), f"{r.friction_arr:,.0f}", str(r.tickets),
            str(r.negative_texts), str(r.low_csat), str(r.accounts),
            "" if r.adoption is None else f"{r.adoption:.0%}", trend,
            Text(", ".join(f"{s} ({n})" for s, n in r.segments)), Text(said),
        )  # fmt: skip
    out.print(t)
    out.print(f"{report.texts:,} texts read, {report.negative_texts:,} negative.", highlight=False)
    if report.intent:
        out.print(f"Flagged intent ({len(report.intent)}):", highlight=False)
        for it in report.intent[:20]:
            out.print(
                f"  {it['account']} ({it['kind']}, {it['source']}, {it['date']}): "
                f"“{it['evidence']}”",
                highlight=False,
                markup=False,
            )
