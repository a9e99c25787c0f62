"""`healthscore kpis`: is the customer-success strategy working?  Portfolio KPIs per period."""

from __future__ import annotations

import csv
import datetime as dt
import io
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

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


class PeriodChoice(StrEnum):
    month = "month"
    quarter = "quarter"


class ByChoice(StrEnum):
    segment = "segment"
    plan = "plan"
    owner = "owner"
    coverage = "coverage"


class KpiFormat(StrEnum):
    table = "table"
    csv = "csv"
    json = "json"
    html = "html"


# The terminal table: (column, header, format); csv and json carry every figure.
_TABLE: tuple[tuple[str, str, str], ...] = (
    ("period", "period", "s"),
    ("group", "group", "s"),
    ("status", "status", "s"),
    ("accounts_start", "accounts", "n"),
    ("churned", "churned", "n"),
    ("churn_rate", "churn", "%"),
    ("new", "new", "n"),
    ("mrr_end", "MRR end", "m"),
    ("grr", "GRR", "%"),
    ("nrr", "NRR", "%"),
    ("nps", "NPS", "f"),
    ("csat_ticket_satisfied", "CSAT tickets", "%"),
    ("adoption_rate", "adoption", "%"),
    ("self_service_rate", "self-service", "%"),
    ("ttfv_median_days", "TTFV d", "f"),
    ("cltv", "CLTV", "m"),
)


def _csv(rows: list[dict[str, Any]]) -> str:
    cols: list[str] = []
    for r in rows:
        cols += [c for c in r if c not in cols]
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=cols, lineterminator="\n")
    w.writeheader()
    for r in rows:
        flat = dict(r)
        flat["no_data"] = "; ".join(f"{k}: {v}" for k, v in r["no_data"].items())
        w.writerow(flat)
    return buf.getvalue()


def _table(report: Any) -> None:
    from rich.table import Table

    from healthscore.portfolio.report import fmt

    t = Table(title=f"Portfolio KPIs per {report.period.value}")
    for _, header, _ in _TABLE:
        t.add_column(header, justify="left" if header in {"period", "group", "status"} else "right")
    for r in report.rows:
        cells = []
        for key, _, kind in _TABLE:
            text = fmt(r.get(key), kind)
            flag = r.get(f"{key}_vs_prev_flag")
            if flag == "significant":
                text += " *"
            cells.append(text)
        t.add_row(*cells)
    out.print(t)
    err.print(
        "* a change against the previous period larger than its noise (95 %); "
        "'no data' reasons are in --format csv or json",
        highlight=False,
    )


@app.command("kpis")
def kpis_cmd(
    ctx: typer.Context,
    period: Annotated[
        PeriodChoice, typer.Option("--period", help="Calendar months or quarters.")
    ] = PeriodChoice.month,
    start: Annotated[
        dt.date | None,
        date_option("--from", help="A day in the first period (default: a year back)."),
    ] = None,
    end: Annotated[
        dt.date | None,
        date_option("--to", help="A day in the last period (default: the newest data)."),
    ] = None,
    segment: Annotated[
        str | None, typer.Option("--segment", help="Only the accounts of this segment.")
    ] = None,
    by: Annotated[
        ByChoice | None,
        typer.Option(
            "--by",
            help="Also one row per segment, plan or owner, or per CSM coverage (covered or "
            "not: observational, not the effect of coverage).",
        ),
    ] = None,
    cadence_days: Annotated[
        int,
        typer.Option(
            "--cadence-days",
            min=1,
            help="With --by coverage: covered = a CSM interaction logged within this many "
            "days before the period's first day.",
        ),
    ] = 30,
    gross_margin: Annotated[
        float | None,
        typer.Option("--gross-margin", min=0.0, max=1.0, help="Gross margin for CLTV (0-1)."),
    ] = None,
    fmt: Annotated[
        KpiFormat,
        typer.Option("--format", "-f", help="table, csv, json (one document each) or html."),
    ] = KpiFormat.table,
    output: Annotated[
        Path, typer.Option("--output", "-o", help="File to write; - = standard output.")
    ] = STDOUT,
    db: DbOption = None,
) -> None:
    """Portfolio KPIs per month or quarter: logo churn, MRR movements, GRR and NRR, CLTV,
    NPS, CSAT, adoption, self-service, time to first value and the score's bands, with the
    change against the previous period and a year earlier (definitions: docs/kpis.md).

    Periods whose churn is not final yet are marked provisional. --by coverage compares
    the accounts a CSM touched within the cadence with the others: an observational
    comparison (CSMs choose whom they touch), not the effect of the strategy.

    Example: healthscore kpis --period quarter --by segment --format html --output kpis.html
    """
    from healthscore.portfolio import portfolio_kpis, render_kpi_html

    if fmt is KpiFormat.table and output != STDOUT:
        raise typer.BadParameter(
            "a table is for the terminal: use csv, json or html to write a file",
            param_hint="--format",
        )
    hs = current_app(ctx, db=db)
    report = portfolio_kpis(
        hs.store,
        period=period.value,
        start=start,
        end=end,
        segment=segment,
        by=None if by is None else by.value,
        gross_margin=gross_margin,
        cadence_days=cadence_days,
    )
    for note in report.notes:
        err.print(f"[bold yellow]note:[/] {note}", highlight=False)
    if fmt is KpiFormat.table:
        _table(report)
        return
    if fmt is KpiFormat.json:
        text = json_text(report.as_dict())
    elif fmt is KpiFormat.csv:
        text = _csv(report.rows)
    else:
        text = render_kpi_html(report)
    write_text(output, text)
    if output != STDOUT:
        err.print(f"wrote {len(report.rows)} rows to {output}", highlight=False)
