"""`healthscore predict | backtest | insights | scorecard suggest`."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Annotated

import typer

from healthscore.cli._app import app, scorecard_app
from healthscore.cli._common import DbOption, err, out, settings, store
from healthscore.errors import NotEnoughOutcomes


def _as_of(value: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise typer.BadParameter(
            f"{value!r} is not a date; use YYYY-MM-DD", param_hint="--as-of"
        ) from None


def _pct(x: float | None, scale: float = 1.0) -> str:
    if x is None:
        return "n/a"
    return f"{100 * x:.0f} %" if scale == 1.0 else f"{x:.2f}"


@app.command("predict")
def predict_cmd(
    as_of: Annotated[str, typer.Option("--as-of", help="Predict as of this date (YYYY-MM-DD).")],
    output: Annotated[Path, typer.Option("--output", "-o", help="CSV file to write.")],
    horizon_days: Annotated[int, typer.Option("--horizon-days", min=1)] = 30,
    model: Annotated[
        str, typer.Option("--model", help="auto, logistic, gbt or ensemble.")
    ] = "auto",
    db: DbOption = None,
) -> None:
    """Churn probability, health score, expected months to churn and risk drivers per account.

    Example: healthscore predict --as-of 2026-09-30 --horizon-days 90 --output risk.csv
    """
    from healthscore.predict.api import predict, scorecard_fallback

    if model not in ("auto", "logistic", "gbt", "ensemble"):
        raise typer.BadParameter("use auto, logistic, gbt or ensemble", param_hint="--model")
    day = _as_of(as_of)
    card = settings(db).scorecard
    with store(db) as s:
        try:
            res = predict(s, day, horizon_days=horizon_days, model=model, scorecard=card)
        except NotEnoughOutcomes as exc:
            err.print(f"[bold yellow]warning:[/] {exc}", highlight=False)
            err.print(
                "[bold yellow]warning:[/] falling back to the configured scorecard; "
                "churn_probability is empty",
                highlight=False,
            )
            res = scorecard_fallback(s, day, card)
    res.frame.to_csv(output, index=False)
    counts = res.frame["band"].value_counts().to_dict()
    err.print(
        f"wrote {len(res.frame)} accounts to {output} (model: {res.model}; bands: "
        + ", ".join(f"{k} {v}" for k, v in counts.items())
        + ")",
        highlight=False,
    )


@app.command("backtest")
def backtest_cmd(
    horizon_days: Annotated[int, typer.Option("--horizon-days", min=1)] = 30,
    json_file: Annotated[
        Path | None, typer.Option("--json", help="Write the figures as JSON.")
    ] = None,
    html: Annotated[Path | None, typer.Option("--html", help="Write an HTML report.")] = None,
    capacity: Annotated[
        int, typer.Option("--capacity", min=1, help="Accounts the team can work per week.")
    ] = 25,
    db: DbOption = None,
) -> None:
    """Out-of-time backtest of the scorecard, the learned models and a recency baseline.

    Example: healthscore backtest --horizon-days 30 --capacity 40 --html backtest.html
    """
    from healthscore.predict.backtest import backtest
    from healthscore.predict.report import render_backtest_html

    with store(db) as s:
        res = backtest(
            s, horizon_days=horizon_days, capacity=capacity, scorecard=settings(db).scorecard
        )
    if json_file:
        json_file.write_text(json.dumps(res.summary, indent=2, default=str), encoding="utf-8")
    if html:
        render_backtest_html(res, html)
    for _m, r in res.summary["methods"].items():
        auc = "n/a" if r["auc"] is None else f"{r['auc']:.3f}"
        lift = "n/a" if r["top_decile_lift"] is None else f"{r['top_decile_lift']:.2f}"
        out.print(f"{r['label']:<40} AUC {auc}  top-decile lift {lift}", highlight=False)
    out.print(res.summary["verdict"], highlight=False)


@scorecard_app.command("suggest")
def suggest_cmd(
    output: Annotated[Path, typer.Option("--output", "-o", help="Scorecard YAML to write.")],
    horizon_days: Annotated[int, typer.Option("--horizon-days", min=1)] = 30,
    db: DbOption = None,
) -> None:
    """A scorecard whose groups and weights come from the learned logistic model.

    Example: healthscore scorecard suggest --output suggested.yaml
    """
    from healthscore.predict.backtest import backtest
    from healthscore.predict.suggest import suggest_scorecard

    card = settings(db).scorecard
    with store(db) as s:
        text, _ = suggest_scorecard(s, horizon_days=horizon_days, scorecard=card)
        output.write_text(text, encoding="utf-8")
        err.print(f"wrote {output}", highlight=False)
        rows = {}
        for name, path in (("current", card), ("suggested", output)):
            try:
                res = backtest(s, horizon_days=horizon_days, models=(), scorecard=path)
                rows[name] = res.summary["methods"].get("scorecard")
            except Exception as exc:  # side-by-side figures are informative only
                err.print(f"backtest of the {name} scorecard unavailable: {exc}", highlight=False)
    for name, r in rows.items():
        if r is None:
            out.print(f"{name:<10} not scored", highlight=False)
            continue
        auc = "n/a" if r["auc"] is None else f"{r['auc']:.3f}"
        out.print(
            f"{name:<10} AUC {auc}  top-decile lift {_pct(r['top_decile_lift'], 100)}x  "
            f"red: catches {_pct(r['red_recall'])} of churners, "
            f"{_pct(r['over_servicing_rate'])} false alarms",
            highlight=False,
        )
    err.print(
        "note: the suggested weights were learned from the same history the backtest "
        "replays, so its figures are optimistic",
        highlight=False,
    )


@app.command("insights")
def insights_cmd(
    html: Annotated[Path | None, typer.Option("--html", help="Write an HTML report.")] = None,
    db: DbOption = None,
) -> None:
    """Churn by metric cohort, time to first value, NPS vs advocacy, CSM touch cadence.

    Example: healthscore insights --html insights.html
    """
    from healthscore.predict.insights import insights, render_insights_html

    with store(db) as s:
        res = insights(s)
    if html:
        render_insights_html(res, html)
    mc = res["metric_cohorts"]
    if mc["available"]:
        for m, rows in list(mc["metrics"].items())[:5]:
            rates = ", ".join(f"{100 * c['churn_rate']:.1f}" for c in rows)
            out.print(f"{m}: churn % by decile {rates}", highlight=False)
    for key in ("time_to_first_value", "nps_vs_advocacy", "csm_touch_cadence"):
        if not res[key]["available"]:
            out.print(f"{key}: not available: {res[key]['reason']}", highlight=False)
    ttfv = res["time_to_first_value"]
    if ttfv["available"]:
        buckets = "; ".join(
            f"{x['ttfv']}: {int(x['accounts'])} accounts, churn {100 * x['churn_rate']:.0f} %"
            for x in ttfv["overall"]
        )
        out.print(f"time to first value: {buckets}", highlight=False)
    nps = res["nps_vs_advocacy"]
    if nps["available"]:
        out.print(
            f"NPS: {nps['promoters_never_referring']} of {nps['promoters']} promoters "
            "never referred anyone",
            highlight=False,
        )
    cad = res["csm_touch_cadence"]
    if cad["available"]:
        for seg, x in cad["segments"].items():
            out.print(
                f"{seg}: minimum healthy touch cadence "
                f"{x['minimum_healthy_cadence_per_month'] or 'none found'} per month; "
                f"{len(x['under_touched_active_accounts'])} active accounts under it",
                highlight=False,
            )
