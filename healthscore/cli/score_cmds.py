"""`healthscore score | explain | accounts | scorecard check|preview|template`."""

from __future__ import annotations

import datetime as dt
import re
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.text import Text

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
    out,
    parse_date,
    progress,
    refuse_overwrite,
    write_text,
)
from healthscore.errors import HealthscoreError, NotEnoughData
from healthscore.predict.words import score_text
from healthscore.scoring.accounts import ACCOUNT_COLUMNS, SORT_KEYS


class SortKey(StrEnum):
    score = "score"
    arr = "arr"
    trend = "trend"
    renewal = "renewal"
    name = "name"


assert tuple(SortKey) == SORT_KEYS, "the --sort choices are the library's sort keys"

ScorecardOption = Annotated[
    Path | None,
    typer.Option(
        "--scorecard",
        help="Scorecard YAML (default: $HEALTHSCORE_SCORECARD, else the shipped default).",
    ),
]


def _every(value: str) -> int:
    """'7d', '2w' or '7' -> days."""
    m = re.fullmatch(r"\s*(\d+)\s*([dw]?)\s*", value.lower())
    if not m or int(m.group(1)) < 1:
        raise typer.BadParameter(
            f"{value!r}: use a number of days like 7d or weeks like 2w", param_hint="--every"
        )
    return int(m.group(1)) * (7 if m.group(2) == "w" else 1)


def _band_mins(hs: Any) -> list[float] | None:
    """The configured scorecard's band thresholds (None when it cannot be read): they say
    whether a displayed score needs a decimal to stay inside its band."""
    try:
        return [float(b.min) for b in hs.scorecard.bands]
    except HealthscoreError:
        return None


def _num(x: Any, digits: int = 0) -> str:
    return "" if x is None else f"{x:,.{digits}f}"


@app.command("score")
def score_cmd(
    ctx: typer.Context,
    as_of: Annotated[
        dt.date | None, date_option("--as-of", help="Date to score (default: last day with data).")
    ] = None,
    backfill: Annotated[
        tuple[dt.date, dt.date] | None,
        typer.Option(
            "--backfill",
            parser=parse_date,
            metavar="FROM TO",
            help="Score every --every days from FROM to TO (YYYY-MM-DD).",
        ),
    ] = None,
    every: Annotated[str, typer.Option("--every", help="Backfill step, e.g. 7d or 1w.")] = "7d",
    scorecard: ScorecardOption = None,
    engine: Annotated[
        str | None,
        typer.Option(
            "--engine",
            help="Where metrics run: duckdb (the store; default), postgresql://user@host/db, "
            "spark-local or spark://host:port. Default: $HEALTHSCORE_ENGINE.",
        ),
    ] = None,
    copy: Annotated[
        bool,
        typer.Option(
            "--copy",
            help="First copy the store's tables into --engine (PostgreSQL keeps them; "
            "Spark holds them for this run).",
        ),
    ] = False,
    db: DbOption = None,
    fmt: FormatOption = OutputFormat.table,
) -> None:
    """Score every active account and store the snapshot (a date already scored is replaced).

    Metrics can run on another engine; scores are always written to the store.
    csv is one row summarising the run; json the same as an object.

    Example: healthscore score --backfill 2026-05-01 2026-10-31 --every 7d
    """
    from healthscore.scoring import backfill as run_backfill
    from healthscore.scoring import score as run_score

    if backfill and as_of:
        raise typer.BadParameter("use either --as-of or --backfill", param_hint="--as-of")
    step = _every(every)
    hs = current_app(ctx, db=db, scorecard=scorecard, engine=engine)
    card = hs.scorecard  # invalid -> error before opening the store
    s = hs.store
    if copy:
        from healthscore.store.engines import copy_store_to

        if hs.engine_url is None:
            raise typer.BadParameter("--copy needs a non-DuckDB --engine", param_hint="--copy")
        with err.status(f"copying the store's tables to {hs.engine_url.split('@')[-1]}…"):
            copy_store_to(hs.engine, s)
    eng = hs.engine  # None: the store itself; else connected once, here
    if backfill:
        start, end = backfill
        with progress() as bar:
            task = bar.add_task("scoring", total=None)

            def tick(done: int, total: int) -> None:
                bar.update(task, completed=done, total=total)

            run = run_backfill(s, start, end, step, card, eng, progress=tick, today=hs.today())
    else:
        run = run_score(s, as_of, card, eng, today=hs.today())
    if fmt is OutputFormat.json:
        emit_json(run.as_dict())
    elif fmt is OutputFormat.csv:
        emit([_run_row(run)], fmt)
    else:
        _print_run(run)
    _warn_about_run(run)


def _print_run(run: Any) -> None:
    last = run.dates[-1]
    bands = ", ".join(f"{k} {v}" for k, v in run.bands.items())
    span = f"{len(run.dates)} dates ({run.dates[0]} to {last})" if len(run.dates) > 1 else str(last)
    out.print(
        f"scored {span} with scorecard {run.scorecard_version}: on {last} "
        f"{run.accounts_scored} accounts scored ({bands})"
        + (f", {run.accounts_unscored} without enough data" if run.accounts_unscored else ""),
        highlight=False,
    )


def _run_row(run: Any) -> dict[str, Any]:
    """A scoring run as one CSV row: dates, counts, then one column per band."""
    return {
        "scorecard_version": run.scorecard_version,
        "first_date": run.dates[0],
        "last_date": run.dates[-1],
        "dates": len(run.dates),
        "accounts_scored": run.accounts_scored,
        "accounts_unscored": run.accounts_unscored,
        **{f"band_{k}": v for k, v in run.bands.items()},
        "skipped_dates": len(run.skipped_dates),
        "data_lag_days": run.data_lag_days,
    }


def _warn_about_run(run: Any) -> None:
    """Notes on stderr, in every format: stdout stays one document."""
    last = run.dates[-1]
    if run.accounts_unscored and run.accounts_unscored >= run.accounts_scored:
        err.print(
            "most accounts have too little of this scorecard's data to be scored (see "
            "`healthscore explain ACCOUNT`); for a store with only events and subscriptions, "
            "write a usage scorecard with `healthscore scorecard template --output usage.yaml`",
            highlight=False,
        )
    if run.data_lag_days > 7:
        newest = last - dt.timedelta(days=run.data_lag_days)
        err.print(
            f"note: the store's newest data is from {newest}, {run.data_lag_days} days before "
            f"{last}; usage and contact metrics read that gap as inactivity. Import newer data, "
            f"or score --as-of {newest}.",
            highlight=False,
        )
    if run.skipped_dates:
        err.print(
            f"skipped {len(run.skipped_dates)} date(s) before any account existed "
            f"(first: {run.skipped_dates[0]})",
            highlight=False,
        )


@app.command("explain")
def explain_cmd(
    ctx: typer.Context,
    account: Annotated[str, typer.Argument(help="Account id.")],
    as_of: Annotated[
        dt.date | None, date_option("--as-of", help="Snapshot date (default: latest).")
    ] = None,
    db: DbOption = None,
    fmt: FormatOption = OutputFormat.table,
) -> None:
    """Why an account has its score: groups, measures and what changed since last time.

    csv is one row per measure (with its group); json the whole explanation.

    Example: healthscore explain ACC-0042 --as-of 2026-10-24
    """
    from healthscore.scoring import explain_account as explain

    hs = current_app(ctx, db=db)
    try:
        ex = explain(hs.store, account, as_of)
    except NotEnoughData as exc:  # the core says it in words; here the command can be named
        when = f" --as-of {as_of}" if as_of else ""
        raise NotEnoughData(f"{exc}: `healthscore score{when}`") from None
    if fmt is not OutputFormat.table:
        if fmt is OutputFormat.json:
            emit_json(ex.as_dict())
        else:
            rows = [
                {"group": g["group"], **{k: v for k, v in m.items()}}
                for g in ex.groups
                for m in g["measures"]
            ]
            emit(rows, fmt)
        return
    name = ex.account.get("name") or ex.account_id
    mins = _band_mins(hs)
    score = "not scored" if ex.score is None else f"{score_text(ex.score, mins)} {ex.band}"
    # Names and ids are user text: styled pieces, never markup.
    out.print(
        Text.assemble(
            (str(name), "bold"),
            f" ({ex.account_id}) as of {ex.as_of}: score ",
            (score, "bold"),
            f", confidence {ex.confidence} (coverage {ex.coverage:.0%})",
        ),
        highlight=False,
    )
    out.print(f"  {ex.confidence_note}", highlight=False)
    if ex.previous_as_of is not None:
        prev = "not scored" if ex.previous_score is None else score_text(ex.previous_score, mins)
        out.print(f"  previous snapshot {ex.previous_as_of}: {prev}", highlight=False)
    life = ex.lifetime
    if life.get("cltv") is not None:
        out.print(
            f"  CLTV {life['cltv']:,.0f}: MRR {life['mrr']:,.0f} x "
            f"{life['expected_lifetime_months']:.1f} months expected ({life['lifetime_source']})",
            highlight=False,
        )
    elif life:
        why = "no MRR" if life.get("mrr") is None else "no churn in the last 12 months"
        out.print(f"  CLTV unknown: {why}", highlight=False)
    rows = []
    for g in ex.groups:
        rows.append(
            {
                "group / measure": f"[bold]{g['group']}[/]",
                "raw": "",
                "normalised": _num(g["score"]),
                "weight": _num(g["weight"], 1),
                "share": "" if g["effective_weight"] is None else f"{g['effective_weight']:.0%}",
                "contribution": _num(g["contribution"], 1),
                "status": "",
            }
        )
        for m in g["measures"]:
            rows.append(
                {
                    "group / measure": f"  {m['measure']}",
                    "raw": m["raw"],
                    "normalised": _num(m["normalized"]),
                    "weight": _num(m["weight"], 1),
                    "share": "" if not m["effective_weight"] else f"{m['effective_weight']:.0%}",
                    "contribution": _num(m["contribution"], 1),
                    "status": m["status"],
                }
            )
    emit(rows, OutputFormat.table)
    if ex.changes:
        out.print(f"[bold]What changed since {ex.previous_as_of}[/] (points of score):")
        for c in ex.changes:
            out.print(f"  {c.text}", highlight=False)
    elif ex.previous_as_of is not None:
        out.print(f"No group moved by more than 0.05 points since {ex.previous_as_of}.")
    for line in ex.voice_lines():  # what customers wrote: their text, never markup
        out.print(line, highlight=False, markup=False)


@app.command("accounts")
def accounts_cmd(
    ctx: typer.Context,
    band: Annotated[
        str | None, typer.Option("--band", help="Only this band, e.g. red, or unscored.")
    ] = None,
    segment: Annotated[str | None, typer.Option("--segment", help="Only this segment.")] = None,
    owner: Annotated[
        str | None, typer.Option("--owner", help="Owner CSM (substring match).")
    ] = None,
    sort: Annotated[SortKey, typer.Option("--sort", help="What to sort by.")] = SortKey.score,
    desc: Annotated[bool, typer.Option("--desc", help="Sort descending.")] = False,
    limit: Annotated[int | None, typer.Option("--limit", min=1, help="At most N rows.")] = None,
    as_of: Annotated[
        dt.date | None, date_option("--as-of", help="Snapshot date (default: latest).")
    ] = None,
    db: DbOption = None,
    fmt: FormatOption = OutputFormat.table,
) -> None:
    """The portfolio: score, band, 7/30-day trend, ARR, renewal, owner and confidence.

    Example: healthscore accounts --band red --segment enterprise --sort arr --desc
    """
    from healthscore.scoring import list_accounts
    from healthscore.scoring.accounts import UNSCORED, trend_arrow

    hs = current_app(ctx, db=db)
    rows = list_accounts(
        hs.store,
        as_of,
        band=band,
        segment=segment,
        owner=owner,
        sort=sort.value,
        desc=desc,
        limit=limit,
    )
    if fmt is not OutputFormat.table:
        for r in rows:
            for k in ("score", "coverage", "trend_7d", "trend_30d"):
                if r[k] is not None:
                    r[k] = round(float(r[k]), 2)
        emit(
            rows,
            fmt,
            columns=ACCOUNT_COLUMNS,
        )
        return
    if not rows:
        err.print("no account matches these filters")
        return
    mins = _band_mins(hs)
    table = [
        {
            "account": r["account_id"],
            "name": r["name"] or "",
            "segment": r["segment"] or "",
            "score": score_text(r["score"], mins),
            "band": r["band"] or UNSCORED,
            "7d": trend_arrow(r["trend_7d"]),
            "30d": trend_arrow(r["trend_30d"]),
            "ARR": _num(r["arr"]),
            "renewal": r["renewal_date"] or "",
            "owner": r["owner"] or "",
            "confidence": r["confidence"] or "",
        }
        for r in rows
    ]
    emit(table, fmt, title=f"Accounts as of {rows[0]['as_of']}")


@scorecard_app.command("check")
def scorecard_check(
    ctx: typer.Context,
    file: Annotated[Path, typer.Argument(help="Scorecard YAML to validate.")],
    db: DbOption = None,
    fmt: FormatOption = OutputFormat.table,
) -> None:
    """Validate a scorecard (and its metrics, when a store exists) and summarise it.

    csv is one row per group; json the whole summary (bands, groups, segments).

    Example: healthscore scorecard check my-scorecard.yaml
    """
    from healthscore.scoring import load_scorecard
    from healthscore.scoring.run import catalog, custom_metrics

    card = load_scorecard(file)
    custom = custom_metrics(card)  # custom metric errors need no store to be found
    checked = "metric names not checked (no store)"
    segment_warning: str | None = None
    hs = current_app(ctx, db=db)
    if hs.db_path.exists():
        try:
            cat = catalog(hs.store, hs.engine, custom)
        except HealthscoreError as exc:
            checked = f"metric names not checked ({exc})"
        else:
            card.check_metrics(cat)
            checked = f"all metrics found in the catalogue of {hs.db_path}"
            segment_warning = _segment_warning(card, hs.store)
    total = sum(g.weight for g in card.groups)
    if fmt is not OutputFormat.table:
        groups = [
            {
                "group": g.name,
                "weight": g.weight,
                "share": round(g.weight / total, 4),
                "measures": ", ".join(_measure_summary(m) for m in g.measures),
            }
            for g in card.groups
        ]
        if fmt is OutputFormat.csv:
            emit(groups, fmt)
            return
        emit_json(
            {
                "file": str(file),
                "name": card.name,
                "version": card.version,
                "stored_version": card.stored_version,
                "metrics_checked": checked,
                "segment_warning": segment_warning,
                "bands": [{"name": b.name, "min": b.min} for b in card.bands],
                "min_coverage": card.min_coverage,
                "groups": groups,
                "segments": {
                    seg: {
                        "weights": dict(ov.weights),
                        "measure_weights": dict(ov.measure_weights),
                        "groups": [g.name for g in ov.groups],
                    }
                    for seg, ov in card.segments.items()
                },
            }
        )
        return
    out.print(
        f"[green]ok[/] {file}: {card.name} version {card.version} "
        f"(stored as {card.stored_version}); {checked}",
        highlight=False,
    )
    bands = "  ".join(f"{b.name} ≥ {b.min:g}" for b in card.bands)
    out.print(f"bands: {bands}; min coverage {card.min_coverage:.0%}", highlight=False)
    rows = [
        {
            "group": g.name,
            "weight": f"{g.weight:g}",
            "share": f"{g.weight / total:.0%}",
            "measures": ", ".join(_measure_summary(m) for m in g.measures),
        }
        for g in card.groups
    ]
    emit(rows, OutputFormat.table)
    for seg, ov in card.segments.items():
        parts = [f"{k} {v:g}" for k, v in ov.weights.items()]
        parts += [f"{k} {v:g}" for k, v in ov.measure_weights.items()]
        parts += [f"replaces group {g.name}" for g in ov.groups]
        out.print(f"segment {seg}: {', '.join(parts) or 'no changes'}", highlight=False)
    if segment_warning:
        err.print("[yellow]warning:[/] ", end="", highlight=False)
        err.print(segment_warning, markup=False, highlight=False)


def _segment_warning(card: Any, store: Any) -> str | None:
    """Overrides for segments the store does not have never apply: say so, and list the
    segments it has (matched ignoring case, so `SMB` meets `smb:`)."""
    from healthscore.store.queries.accounts import known_segments

    if not card.segments:
        return None
    known = known_segments(store)
    missing = card.unmatched_segments(known)
    if not missing:
        return None
    have = ", ".join(known) if known else "none (no account has a segment)"
    return (
        f"segment override(s) {', '.join(missing)} match no segment in the store, so they "
        f"never apply; the store's segments: {have}"
    )


def _measure_summary(m: Any) -> str:
    age = f", decays to 0 at {m.max_age_days:g}d" if m.max_age_days else ""
    return f"{m.label} (weight {m.weight:g}, {m.normalize.method}{age})"


@scorecard_app.command("preview")
def scorecard_preview(
    ctx: typer.Context,
    file: Annotated[Path, typer.Argument(help="Candidate scorecard YAML.")],
    since: Annotated[
        dt.date | None,
        date_option("--since", help="Only replay snapshots on or after this date."),
    ] = None,
    limit: Annotated[int, typer.Option("--limit", min=1, help="Band moves to list.")] = 20,
    db: DbOption = None,
    fmt: FormatOption = OutputFormat.table,
) -> None:
    """Replay a candidate scorecard over stored history; show what would change (writes nothing).

    csv is one row per band move; json the whole comparison.

    Example: healthscore scorecard preview my-scorecard.yaml --since 2026-06-01
    """
    from healthscore.scoring import load_scorecard
    from healthscore.scoring import preview_scorecard as preview

    card = load_scorecard(file)
    hs = current_app(ctx, db=db)
    p = preview(hs.store, card, since, hs.engine)
    if fmt is OutputFormat.json:
        emit_json(p.as_dict())
        return
    if fmt is OutputFormat.csv:
        emit(
            p.band_moves,
            fmt,
            columns=[
                "account_id",
                "band_now",
                "band_candidate",
                "score_now",
                "score_candidate",
                "change",
            ],
        )
        return
    out.print(
        f"candidate {p.candidate_version} vs stored {', '.join(p.current_versions)} over "
        f"{len(p.dates)} snapshot date(s) ({p.dates[0]} to {p.latest}); nothing was written.",
        highlight=False,
    )
    out.print(
        f"on {p.latest}: {len(p.band_moves)} of {p.accounts_compared} accounts would change band"
        + (
            f" ({'; '.join(f'{k}: {v}' for k, v in p.moves_by_band.items())})"
            if p.moves_by_band
            else ""
        )
        + f"; mean absolute score change over all snapshots {p.mean_abs_change:.1f} points",
        highlight=False,
    )
    out.print(
        f"over {p.snapshots_compared} past account-snapshots: {p.red_band} flags "
        f"+{p.red_added} / −{p.red_removed}, "
        f"{p.green_band} flags +{p.green_added} / −{p.green_removed}",
        highlight=False,
    )
    if p.band_moves:
        emit(p.band_moves[:limit], OutputFormat.table, title=f"Band moves on {p.latest}")


@scorecard_app.command("template")
def scorecard_template(
    ctx: typer.Context,
    output: Annotated[
        Path, typer.Option("--output", "-o", help="Where to write the scorecard YAML; - = stdout.")
    ],
    force: Annotated[bool, typer.Option("--force", help="Overwrite an existing file.")] = False,
    db: DbOption = None,
) -> None:
    """Write a usage-only scorecard over this store's event types (e.g. for ChurnSim stores).

    Example: healthscore scorecard template --output usage.yaml
    """
    from healthscore.scoring import usage_template

    refuse_overwrite(output, force)
    text = usage_template(current_app(ctx, db=db).store)
    write_text(output, text)
    if output != STDOUT:
        err.print(
            f"wrote {output}; check it with `healthscore scorecard check {output}` and score "
            f"with `healthscore score --scorecard {output}`",
            highlight=False,
        )
