"""`healthscore daily` (the one job a scheduler runs) and `healthscore notify ...`."""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer

from healthscore.cli._app import app
from healthscore.cli._common import (
    DbOption,
    FormatOption,
    OutputFormat,
    current_app,
    date_option,
    emit,
    emit_json,
    err,
    out,
)
from healthscore.errors import HealthscoreError

notify_app = typer.Typer(
    help="Notifications: digests and critical-CTA alerts by e-mail and webhooks.",
    no_args_is_help=True,
)
app.add_typer(notify_app, name="notify")


class DailyFormat(StrEnum):
    text = "text"
    json = "json"


def _setting(ctx: typer.Context, hs: Any, name: str) -> Any:
    """A setting of this run; the root App's when the derived one lost it (App.replace
    rebuilds settings from a few fields only)."""
    value = getattr(hs.settings, name, None)
    root = ctx.find_root().obj
    if value is None and root is not None and hasattr(root, "settings"):
        value = getattr(root.settings, name, None)
    return value


def _channels(ctx: typer.Context, hs: Any, *, required: bool = True) -> Any:
    from healthscore.notify import load_channels

    path = _setting(ctx, hs, "notifications")
    if path is None:
        if not required:
            return None
        raise HealthscoreError(
            "no notification channel file; set HEALTHSCORE_NOTIFICATIONS to a YAML file "
            "naming the SMTP relay, webhooks and recipients (see docs/notifications.md)"
        )
    return load_channels(Path(path))


def _clock(hs: Any, as_of: dt.date | None) -> Any:
    """The job's 'now': the real time, or noon UTC of --as-of when replaying a day."""
    from healthscore.notify import utc_now

    if as_of is None and hs.today() == utc_now().date():
        return utc_now
    day = as_of or hs.today()
    return lambda: dt.datetime.combine(day, dt.time(12, 0))


@app.command("daily")
def daily_cmd(
    ctx: typer.Context,
    as_of: Annotated[
        dt.date | None,
        date_option("--as-of", help="Score and alert as of this day (default: the newest data)."),
    ] = None,
    watch: Annotated[
        Path | None,
        typer.Option(
            "--watch",
            help="Import the data files in this folder first (named by kind: accounts.csv, "
            "events-2026-11.jsonl.gz, ...); files seen before add nothing.",
        ),
    ] = None,
    dry_run: Annotated[
        bool,
        typer.Option("--dry-run", help="Say what each stage would do; write and send nothing."),
    ] = False,
    fmt: Annotated[
        DailyFormat, typer.Option("--format", "-f", help="text (one line per stage) or json.")
    ] = DailyFormat.text,
    db: DbOption = None,
) -> None:
    """Run the day's work in order: import the watched folder (optional), score, run the
    rules (calls-to-action), queue the digests and deliver notifications.

    Safe to run from cron as often as you like: a re-run on the same day adds no CTA, no
    second digest and resends nothing.  Exit codes: 0 done; 3 done, but some deliveries
    gave up; 4 done, but some rules failed; 10 import, 11 scoring, 12 rules, 13
    notifications failed (nothing after that stage ran); 1 could not start.  See
    docs/notifications.md.

    Example: healthscore daily --watch /srv/exports
    """
    from healthscore.jobs import DailyFailed, run_daily

    hs = current_app(ctx, db=db)
    day = as_of or hs.today()
    try:
        report = run_daily(
            hs.store,
            day=day,
            as_of=as_of,
            scorecard=hs.scorecard,
            engine=hs.engine,
            load_channels=lambda: _channels(ctx, hs, required=False),
            rules=_setting(ctx, hs, "rules"),
            watch=watch,
            dry_run=dry_run,
            now=_clock(hs, as_of),
        )
    except DailyFailed as exc:
        _print_daily(exc.report, fmt)
        raise
    _print_daily(report, fmt)
    if report.exit_code:
        raise typer.Exit(report.exit_code)


def _print_daily(report: Any, fmt: DailyFormat) -> None:
    if fmt is DailyFormat.json:
        emit_json(report.as_dict())
        return
    head = f"daily {report.day}" + (" (dry run)" if report.dry_run else "")
    out.print(head, markup=False, highlight=False)
    for line in report.lines():
        out.print(f"  {line}", markup=False, highlight=False)


@notify_app.command("send")
def send_cmd(ctx: typer.Context, db: DbOption = None) -> None:
    """Deliver what is due now: new critical-CTA alerts, queued digests, and retries whose
    time has come.  Every attempt is recorded (see `notify status`).

    Example: healthscore notify send
    """
    from healthscore.notify import deliver

    hs = current_app(ctx, db=db)
    report = deliver(hs.store, _channels(ctx, hs))
    out.print(
        f"{report.sent} delivered, {report.retrying} to retry, {report.dead} gave up "
        f"({report.routed} new outbox rows routed)",
        markup=False,
        highlight=False,
    )
    for failure in report.failures:
        err.print(f"failed: {failure}", markup=False, highlight=False)
    if report.dead:
        raise typer.Exit(3)


@notify_app.command("digest")
def digest_cmd(
    ctx: typer.Context,
    as_of: Annotated[
        dt.date | None,
        date_option(
            "--as-of", help="The digest's day (default: today); scores of that day or before."
        ),
    ] = None,
    preview: Annotated[
        bool, typer.Option("--preview", help="Print each owner's digest; queue and send nothing.")
    ] = False,
    db: DbOption = None,
) -> None:
    """Queue this period's digest for every owner with news (new, overdue and deferred
    CTAs, band changes, renewals coming up) and deliver it.  At most one per owner per
    period: a second run the same day queues nothing.

    Example: healthscore notify digest --preview
    """
    from healthscore.notify import build_digests, deliver
    from healthscore.notify.digest import digest_contents
    from healthscore.notify.render import digest_text
    from healthscore.store.queries.scores import snapshot_dates

    hs = current_app(ctx, db=db)
    channels = _channels(ctx, hs)
    day = as_of or hs.today()
    dates = [d for d in snapshot_dates(hs.store) if d <= day]
    scored = dates[-1] if dates else day
    if preview:
        contents, _ = digest_contents(hs.store, scored, day, channels)
        for owner in sorted(contents):
            if any(contents[owner].values()):
                body = {
                    "owner": owner or "(no owner)",
                    "period": day.isoformat(),
                    **contents[owner],
                }
                out.print(digest_text(body), markup=False, highlight=False)
        return
    now = _clock(hs, as_of)
    report = build_digests(hs.store, channels, as_of=scored, day=day, now=now())
    sent = deliver(hs.store, channels, now=now)
    out.print(
        f"{len(report.queued)} digests queued for {report.period}"
        + (f", {len(report.already)} already sent" if report.already else "")
        + f"; {sent.sent} delivered, {sent.retrying} to retry, {sent.dead} gave up",
        markup=False,
        highlight=False,
    )
    if report.no_recipient:
        err.print(
            f"no recipient for: {', '.join(report.no_recipient)} (add them, or a `default`, "
            "under recipients:)",
            markup=False,
            highlight=False,
        )


@notify_app.command("status")
def status_cmd(
    ctx: typer.Context,
    fmt: FormatOption = OutputFormat.table,
    limit: Annotated[int, typer.Option("--limit", min=1, help="Newest deliveries to list.")] = 20,
    db: DbOption = None,
) -> None:
    """The outbox and its deliveries: counts per channel and state, and the newest
    deliveries with their attempts and last error.

    Example: healthscore notify status --format json
    """
    from healthscore.store.queries.outbox import delivery_counts, outbox_counts, recent_deliveries

    hs = current_app(ctx, db=db)
    rows = recent_deliveries(hs.store, limit)
    if fmt is OutputFormat.json:
        emit_json(
            {
                "outbox": outbox_counts(hs.store),
                "deliveries": delivery_counts(hs.store),
                "recent": rows,
            }
        )
        return
    counts = outbox_counts(hs.store)
    err.print(
        "outbox: " + (", ".join(f"{n} {s}" for s, n in sorted(counts.items())) or "empty"),
        markup=False,
        highlight=False,
    )
    emit(
        rows,
        fmt,
        title="Newest deliveries",
        columns=[
            "outbox_id",
            "topic",
            "channel",
            "target",
            "status",
            "attempts",
            "next_attempt_at",
            "sent_at",
            "last_error",
        ],
    )


@notify_app.command("test")
def test_cmd(
    ctx: typer.Context,
    to: Annotated[
        str | None, typer.Option("--to", help="Send the test e-mail to this address only.")
    ] = None,
    db: DbOption = None,
) -> None:
    """Send one test message through every channel of the channel file, now, and say
    which worked.  Nothing is stored.

    Example: healthscore notify test --to me@example.com
    """
    from healthscore.notify import send_test, utc_now

    hs = current_app(ctx, db=db)
    results = send_test(_channels(ctx, hs), utc_now(), to)
    if not results:
        raise HealthscoreError(
            "the channel file names no smtp relay with recipients and no webhook"
        )
    for r in results:
        state = "ok" if r["ok"] else f"FAILED: {r['error']}"
        out.print(f"{r['channel']:<8} {r['target']}: {state}", markup=False, highlight=False)
    if not all(r["ok"] for r in results):
        raise typer.Exit(3)


@notify_app.command("secret")
def secret_cmd() -> None:
    """Print a new Standard Webhooks signing secret (whsec_...) for a webhook's `secret`.

    Example: healthscore notify secret > /etc/healthscore/crm-hook.secret
    """
    from healthscore.notify import new_secret

    out.print(new_secret(), markup=False, highlight=False)
