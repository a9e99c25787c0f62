"""`healthscore predict | backtest | insights | scorecard suggest`."""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer

from healthscore.cli._app import app, scorecard_app
from healthscore.cli._common import (
    STDOUT,
    DbOption,
    FormatOption,
    OutputFormat,
    current_app,
    date_option,
    emit,
    emit_json,
    err,
    flatten,
    json_text,
    out,
    refuse_overwrite,
    write_text,
)
from healthscore.errors import NotEnoughData, NotEnoughOutcomes
from healthscore.predict.api import MODELS
from healthscore.predict.words import MANAGER_COLUMNS, for_managers, score_text


class Model(StrEnum):
    auto = "auto"
    logistic = "logistic"
    gbt = "gbt"
    ensemble = "ensemble"


assert tuple(Model) == MODELS, "the --model choices are the library's models"

HorizonOption = Annotated[
    int, typer.Option("--horizon-days", min=1, help="Days ahead a churn counts.")
]


def _pct(x: float | None, scale: float = 1.0) -> str:
    if x is None:
        return "n/a"
    return f"{100 * x:.0f} %" if scale == 1.0 else f"{x:.2f}"


def _prob(x: Any) -> str:
    return "n/a" if x is None or x != x else f"{100 * float(x):.1f} %"


def _band_mins(hs: Any) -> list[float]:
    from healthscore.predict.scorecard_bridge import default_bands

    return [lo for _, lo in default_bands(hs.scorecard)]


def _for_managers(hs: Any, res: Any) -> Any:
    """predict's frame as CS managers read it (`words.for_managers`): who the account is,
    scores floored into their band, and a note where band and probability disagree."""
    from healthscore.predict.api import model_health
    from healthscore.predict.scorecard_bridge import default_bands
    from healthscore.store.queries.ctas import account_facts

    rows, churned = res.info.get("train_rows"), res.info.get("train_churn")
    base = res.info.get("base_rate") or (churned / rows if rows and churned else None)
    own = list(model_health(res.frame["churn_probability"], base)) if base else None
    return for_managers(res.frame, account_facts(hs.store), default_bands(hs.scorecard), base, own)


def _choice(res: Any) -> dict[str, str]:
    """Which model was chosen and why, and how its probabilities were calibrated."""
    choice = getattr(res, "choice", None)
    if choice is None:
        return {}
    out = {"model_chosen": str(choice.reason)}
    note = getattr(choice, "calibration_note", None)
    if note:
        out["calibration"] = str(note)
    return out


def _warn(lines: list[str]) -> None:
    for w in lines:
        err.print(f"[bold yellow]warning:[/] {w}", highlight=False)


@app.command("predict")
def predict_cmd(
    ctx: typer.Context,
    as_of: Annotated[dt.date, date_option("--as-of", help="Predict as of this date.")],
    output: Annotated[
        Path, typer.Option("--output", "-o", help="File to write; - = standard output.")
    ],
    horizon_days: HorizonOption = 30,
    model: Annotated[
        Model, typer.Option("--model", help="auto picks logistic or gbt by validation AUC.")
    ] = Model.auto,
    fmt: Annotated[
        OutputFormat,
        typer.Option("--format", "-f", help="csv (default) or json; table with --output - only."),
    ] = OutputFormat.csv,
    gross_margin: Annotated[
        float | None,
        typer.Option(
            "--gross-margin",
            min=0.0,
            max=1.0,
            help="Gross margin (0-1] for each account's CLTV; default 1 (revenue CLTV).",
        ),
    ] = None,
    db: DbOption = None,
) -> None:
    """Churn probability, health score, expected months to churn, CLTV and risk drivers per account.

    Each row starts with who the account is (name, segment, ARR, owner), its band and score,
    and its risk drivers in words; band_note says why where the band and the churn
    probability disagree. Too few churns to train a model: the scorecard's scores stand in
    (with a warning).

    Example: healthscore predict --as-of 2026-09-30 --horizon-days 90 --output risk.csv
    """
    from healthscore.predict.api import predict

    if fmt is OutputFormat.table and output != STDOUT:
        raise typer.BadParameter(
            "a table is for the terminal: use --output -", param_hint="--format"
        )
    if gross_margin == 0:
        raise typer.BadParameter("a gross margin above 0 and up to 1", param_hint="--gross-margin")
    hs = current_app(ctx, db=db)
    try:
        res = predict(
            hs.store,
            as_of,
            horizon_days=horizon_days,
            model=model.value,
            scorecard=hs.scorecard,
            fallback=True,
            gross_margin=gross_margin,
        )
    except NotEnoughOutcomes:
        raise  # a NotEnoughData too, whose message needs no option name
    except NotEnoughData as exc:
        raise NotEnoughData(f"--as-of: {exc}") from None
    _warn(res.warnings)
    frame = _for_managers(hs, res)
    if fmt is OutputFormat.table:
        shown = [c for c in (*MANAGER_COLUMNS, "expected_months_to_churn") if c in frame]
        table = frame[shown].assign(
            health_score=[score_text(v, _band_mins(hs)) for v in frame["health_score"]],
            churn_probability=[_prob(v) for v in frame["churn_probability"]],
        )
        emit(table.to_dict("records"), fmt, title=f"Churn risk as of {as_of}")
    elif fmt is OutputFormat.json:
        choice = _choice(res)
        if choice:  # which model scored the rows and why, with each row
            frame = frame.assign(**choice)
        write_text(output, frame.to_json(orient="records", indent=2) + "\n")
    else:
        write_text(output, frame.to_csv(index=False))
    counts = frame["band"].value_counts().to_dict()
    where = "standard output" if output == STDOUT else str(output)
    err.print(
        f"wrote {len(res.frame)} accounts to {where} (model: {res.model}; bands: "
        + ", ".join(f"{k} {v}" for k, v in counts.items())
        + ")",
        highlight=False,
    )
    for key, text in _choice(res).items():
        err.print(f"{key.replace('_', ' ')}: {text}", highlight=False, markup=False)
    noted = int((frame["band_note"] != "").sum())
    if noted:
        err.print(
            f"note: {noted} accounts have a scorecard band the churn model alone would not "
            "give; their band_note says why",
            highlight=False,
        )


@app.command("backtest")
def backtest_cmd(
    ctx: typer.Context,
    horizon_days: HorizonOption = 30,
    json_file: Annotated[
        Path | None, typer.Option("--json", help="Write the figures as JSON; - = stdout.")
    ] = None,
    html: Annotated[Path | None, typer.Option("--html", help="Write an HTML report.")] = None,
    capacity: Annotated[
        int, typer.Option("--capacity", min=1, help="Accounts the team can work per week.")
    ] = 25,
    db: DbOption = None,
    fmt: FormatOption = OutputFormat.table,
) -> None:
    """Out-of-time backtest of the scorecard, the learned models and a recency baseline.

    csv is one row per method; json the full figures (as --json writes them).

    Example: healthscore backtest --horizon-days 30 --capacity 40 --html backtest.html
    """
    from healthscore.predict.backtest import run_backtest as backtest
    from healthscore.predict.report import render_backtest_html

    if html == STDOUT:
        raise typer.BadParameter("the report is a file: give a path", param_hint="--html")
    hs = current_app(ctx, db=db)
    res = backtest(hs.store, horizon_days=horizon_days, capacity=capacity, scorecard=hs.scorecard)
    if json_file is not None:
        write_text(json_file, json_text(res.summary))
    if html:
        render_backtest_html(res, html)
    if json_file == STDOUT:  # standard output holds that one document
        return
    if fmt is OutputFormat.json:
        emit_json(res.summary)
        return
    rows = [
        {
            "method": name,
            "label": r["label"],
            **{k: v for k, v in r.items() if k != "label" and not isinstance(v, dict | list)},
        }
        for name, r in res.summary["methods"].items()
    ]
    if fmt is OutputFormat.csv:
        emit(rows, fmt)
        return
    s = res.summary
    for line in s.get("headline", []):
        out.print(line, highlight=False)
    d = s["data"]
    out.print(
        f"{d['churn_events']} churns known up to {d['outcomes_known_until']} "
        f"({d.get('billing_reason') or 'from the subscriptions'}); data {d['start']} to "
        f"{d['end']}, {len(s['folds'])} cut-offs, {s['horizon_days']}-day horizon.",
        highlight=False,
        markup=False,
    )
    for r in s["methods"].values():
        auc = "n/a" if r["auc"] is None else f"{r['auc']:.3f}"
        lift = "n/a" if r["top_decile_lift"] is None else f"{r['top_decile_lift']:.2f}"
        out.print(f"{r['label']:<48} AUC {auc}  top-decile lift {lift}", highlight=False)
    for f in s["folds"]:
        if f.get("model_choice"):
            why = f["model_choice"].get("reason", "")
            out.print(
                f"model chosen at cut-off {f['cutoff']}: {why}", highlight=False, markup=False
            )
    out.print(s["verdict"], highlight=False)


@scorecard_app.command("suggest")
def suggest_cmd(
    ctx: typer.Context,
    output: Annotated[
        Path, typer.Option("--output", "-o", help="Scorecard YAML to write; - = stdout.")
    ],
    horizon_days: HorizonOption = 30,
    force: Annotated[bool, typer.Option("--force", help="Overwrite an existing file.")] = False,
    db: DbOption = None,
    fmt: FormatOption = OutputFormat.table,
) -> None:
    """A scorecard whose groups and weights come from the learned logistic model.

    Shows how the current and the suggested scorecard backtest side by side (on stderr
    when the scorecard goes to standard output).

    Example: healthscore scorecard suggest --output suggested.yaml
    """
    from healthscore.predict.suggest import suggest_with_backtests

    refuse_overwrite(output, force)
    hs = current_app(ctx, db=db)
    sug = suggest_with_backtests(hs.store, horizon_days=horizon_days, scorecard=hs.scorecard)
    write_text(output, sug.text)
    if output != STDOUT:
        err.print(f"wrote {output}", highlight=False)
    to_stdout = output != STDOUT
    if to_stdout and fmt is OutputFormat.json:
        emit_json(sug.rows())
    elif to_stdout and fmt is OutputFormat.csv:
        emit(sug.rows(), fmt)
    else:
        console = out if to_stdout else err
        for name, r in sug.figures.items():
            if r is None:
                console.print(f"{name:<10} not scored", highlight=False)
                continue
            auc = "n/a" if r["auc"] is None else f"{r['auc']:.3f}"
            console.print(
                f"{name:<10} AUC {auc}  top-decile lift {_pct(r['top_decile_lift'], 100)}x  "
                f"red: catches {_pct(r['red_recall'])} of churners, "
                f"{_pct(r['over_servicing_rate'])} false alarms",
                highlight=False,
            )
    for w in sug.warnings:
        err.print(f"note: {w}", highlight=False)


@app.command("insights")
def insights_cmd(
    ctx: typer.Context,
    html: Annotated[Path | None, typer.Option("--html", help="Write an HTML report.")] = None,
    db: DbOption = None,
    fmt: FormatOption = OutputFormat.table,
) -> None:
    """Churn by metric cohort, time to first value, NPS vs advocacy, CSM touch cadence.

    csv is every figure as one key,value table (keys are paths such as
    nps_vs_advocacy.promoters); json the same findings as one object.

    Example: healthscore insights --html insights.html
    """
    from healthscore.predict.insights import compute_insights as insights
    from healthscore.predict.insights import render_insights_html

    res = insights(current_app(ctx, db=db).store)
    if html:
        render_insights_html(res, html)
    if fmt is OutputFormat.json:
        emit_json(res)
        return
    if fmt is OutputFormat.csv:
        emit(flatten(res), fmt, columns=["key", "value"])
        return
    _print_insights(res)


def _print_insights(res: dict[str, Any]) -> None:
    mc = res["metric_cohorts"]
    if mc["available"]:
        out.print(
            f"{res['horizon_days']}-day churn % by decile of each metric, lowest values first "
            f"(overall {100 * mc['overall_churn_rate']:.1f} %):",
            highlight=False,
        )
        labels = mc.get("labels", {})
        for m, rows in list(mc["metrics"].items())[:5]:
            rates = ", ".join(f"{100 * c['churn_rate']:.1f}" for c in rows)
            out.print(f"  {labels.get(m, m)}: {rates}", highlight=False, markup=False)
    titles = {
        "time_to_first_value": "time to first value",
        "nps_vs_advocacy": "NPS against advocacy",
        "csm_touch_cadence": "CSM touch cadence",
    }
    for key, title in titles.items():
        if not res[key]["available"]:
            out.print(f"{title}: not available: {res[key]['reason']}", highlight=False)
    ttfv = res["time_to_first_value"]
    if ttfv["available"]:
        buckets = "; ".join(
            f"{x['ttfv']}: {int(x['accounts'])} accounts, churn {100 * x['churn_rate']:.0f} %"
            for x in ttfv["overall"]
        )
        out.print(f"time to first value: {buckets}", highlight=False)
    nps = res["nps_vs_advocacy"]
    if nps["available"] and nps.get("referrals_recorded", True):
        out.print(
            f"NPS: {nps['promoters_never_referring']} of {nps['promoters']} promoters "
            "never referred anyone",
            highlight=False,
        )
    elif nps["available"]:
        out.print(
            f"NPS: {nps['promoters_never_advocating']} of {nps['promoters']} promoters took no "
            "advocacy action; no referral is recorded at all, so whether they refer is unknown",
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


@app.command("outcomes")
def outcomes_cmd(
    ctx: typer.Context,
    account: Annotated[
        str | None, typer.Option("--account", help="Only this account (id or name).")
    ] = None,
    as_of: Annotated[
        dt.date | None, date_option("--as-of", help="Only what was knowable on this day.")
    ] = None,
    billing_date: Annotated[
        dt.date | None,
        date_option(
            "--billing-date", help="The day your billing export was taken (default: its import)."
        ),
    ] = None,
    grace_days: Annotated[
        int, typer.Option("--grace-days", min=0, help="Days a late renewal may take.")
    ] = 7,
    db: DbOption = None,
    fmt: FormatOption = OutputFormat.table,
) -> None:
    """The churns, renewals, expansions and contractions read from your subscriptions.

    Each with its date and the account's MRR before and after, and up to which day churn is
    known and why: check that healthscore read your billing history right
    (docs/outcomes.md). json adds that day and the reason to the list.

    Example: healthscore outcomes --account ACC-0042 --format csv
    """
    from healthscore.predict.outcomes import derive_outcomes, outcome_table
    from healthscore.store.queries import find_account

    hs = current_app(ctx, db=db)
    oc = derive_outcomes(hs.store, grace_days=grace_days, as_of=as_of, billing_date=billing_date)
    who = None
    if account is not None:
        who = find_account(hs.store, account)
        if who is None:
            raise typer.BadParameter(
                f"no account has the id or name {account!r}", param_hint="--account"
            )
    table = outcome_table(oc, who)
    rows = [{**r, "date": str(r["date"])} for r in table.to_dict("records")]
    known = {
        "churn_known_until": str(oc.known_until),
        "billing_today": str(oc.billing_end),
        "why": oc.billing_reason,
        "grace_days": oc.grace_days,
    }
    if fmt is OutputFormat.json:
        counts = table["outcome"].value_counts().to_dict()
        emit_json({**known, "counts": counts, "outcomes": rows})
        return
    if fmt is OutputFormat.csv:
        emit(rows, fmt, columns=list(table.columns))
    else:
        title = "Outcomes" + (f" of {who}" if who else "")
        if rows:
            emit(rows, fmt, title=title)
        else:
            out.print("no churn, renewal, expansion or contraction found", highlight=False)
    counts = ", ".join(f"{k} {v}" for k, v in table["outcome"].value_counts().items())
    err.print(
        f"{len(rows)} outcomes ({counts or 'none'}); churn is known up to {oc.known_until}: "
        f"{oc.billing_reason}, less {oc.grace_days} days for a late renewal",
        highlight=False,
        markup=False,
    )
