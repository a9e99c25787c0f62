"""`healthscore demo`: build the synthetic portfolio into a fresh store and show what it holds."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table as RichTable

from healthscore.app import App
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
from healthscore.config import load_settings
from healthscore.demo import DemoRun, DemoStoreNotEmpty, build_and_score, prepare_demo_store
from healthscore.errors import HealthscoreError, StoreError

WEEKS = 26


@app.command("demo")
def demo_cmd(
    ctx: typer.Context,
    db: DbOption = None,
    seed: Annotated[
        int, typer.Option(help="Random seed: the same seed builds the same company.")
    ] = 7,
    accounts: Annotated[int, typer.Option(min=1, help="Number of accounts.")] = 500,
    months: Annotated[int, typer.Option(min=1, max=120, help="Months of history.")] = 18,
    no_serve: Annotated[
        bool, typer.Option("--no-serve", help="Only build the store, then exit.")
    ] = False,
    port: Annotated[
        int, typer.Option("--port", min=1, max=65535, help="Port the web app serves on.")
    ] = 8000,
    force: Annotated[
        bool, typer.Option("--force", help="Replace an existing store that already holds data.")
    ] = False,
    fmt: FormatOption = OutputFormat.table,
) -> None:
    """Build a realistic synthetic SaaS portfolio (accounts, usage, tickets, surveys, churn).

    Then score 26 weeks of weekly snapshots and serve the web app on it, with demo logins
    printed (--no-serve: stop after the build). While it serves, the calls-to-action (a
    simulated team's 14 weeks, then the rules on the last day) are raised in the background
    and appear on the CTA pages when done. csv is the per-segment table; json holds the
    summary, the scoring run, the calls-to-action and an account worth explaining.

    Example: healthscore demo --accounts 200 --months 12 --seed 3 --db demo.duckdb
    """
    hs = current_app(ctx, db=db)
    try:
        replaced = prepare_demo_store(hs.db_path, replace=force)
    except DemoStoreNotEmpty as exc:
        raise StoreError(f"{exc}: pick another --db path, or add --force to replace it") from None
    if replaced:
        err.print(f"replaced the existing store {hs.db_path}")
    store = hs.open_store(create=True)
    # Served in the terminal's format: the browser comes first, the CTAs follow behind it.
    later = not no_serve and fmt is OutputFormat.table
    with progress() as bar:  # one live display: Rich allows no second one at a time
        task = bar.add_task("building the demo portfolio…", total=None)

        def tick(done: int, total: int) -> None:
            label = f"scoring {WEEKS} weekly snapshots"
            bar.update(task, description=label, completed=done, total=total)

        run = build_and_score(
            store,
            seed=seed,
            n_accounts=accounts,
            months=months,
            weeks=WEEKS,
            scorecard=hs.scorecard,
            engine=hs.engine,
            on_step=lambda msg: bar.update(task, description=msg),
            progress=tick,
            actions=not later,
        )
    for w in run.warnings:
        err.print(f"[bold yellow]warning:[/] {w}", highlight=False)
    if fmt is OutputFormat.json:
        emit_json(run.as_dict())
    elif fmt is OutputFormat.csv:
        emit(_segment_rows(run.summary), fmt)
    else:
        _print_summary(run.summary, out)
        for stage in (run.voice, run.actions):
            for line in (stage or {}).get("lines", []):
                out.print(line, highlight=False, markup=False)
        # The store the commands find without --db: the settings' own, not this run's option.
        _print_next_steps(run, out, default_db=load_settings().db, db=hs.db_path)
    if not no_serve:
        _serve_demo(hs, run, port, raise_ctas=later)


def _raise_in_background(hs: App, run: DemoRun) -> threading.Thread | None:
    """Raise the demo's calls-to-action on the store in a thread of this process, which
    shares the server's database; prints their summary when done."""
    from healthscore.demo import raise_demo_ctas
    from healthscore.web.store_access import open_request_store

    last = run.summary.get("last_date")
    if run.scored is None or last is None:
        return None

    def work() -> None:
        try:
            with open_request_store(hs.settings) as store:
                raised = raise_demo_ctas(store, last)
        except HealthscoreError as exc:
            err.print(f"calls-to-action were not raised: {exc}", highlight=False, markup=False)
            return
        for line in (raised or {}).get("lines", []):
            out.print(line, highlight=False, markup=False)
        done = (
            "The calls-to-action are on the CTA pages now."
            if raised
            else "No call-to-action fired."
        )
        out.print(done, highlight=False)

    thread = threading.Thread(target=work, name="demo-ctas", daemon=True)
    thread.start()
    return thread


def _serve_demo(hs: App, run: DemoRun, port: int, *, raise_ctas: bool = False) -> None:
    """Serve the demo store with fresh demo logins (printed on stderr, so a json or csv
    summary on stdout stays one document); `raise_ctas` raises the calls-to-action behind
    the server."""
    from healthscore.web.server import demo_users, serve

    hs.close()  # the server opens the store per request; the CLI keeps working on it
    logins = demo_users(hs, run.example_account)
    err.print(f"\nOpen http://localhost:{port} and sign in as:", style="bold", highlight=False)
    for login in logins:
        err.print(
            f"  {login.role:<7} {login.username} / {login.password}  ({login.display_name})",
            highlight=False,
            markup=False,
        )
    if run.example_account:
        err.print(
            f"The csm login owns {run.example_account}'s portfolio: it can add notes there.",
            highlight=False,
            markup=False,
        )
    if raise_ctas and _raise_in_background(hs, run) is not None:
        err.print(
            "Raising the calls-to-action behind the server (a simulated team's 14 weeks, "
            "then today's rules; a minute or two): other commands on this store wait "
            "until it is done.",
            highlight=False,
        )
    err.print("Ctrl-C stops the server; the store stays for the commands above.", highlight=False)
    serve(hs, port=port)


def _print_next_steps(run: DemoRun, console: Console, *, default_db: Path, db: Path) -> None:
    if run.scored is not None:
        r = run.scored
        bands = ", ".join(f"{b} {n}" for b, n in r.bands.items())
        console.print(
            f"Scored {len(r.dates)} weekly snapshots {r.dates[0]} → {r.dates[-1]} "
            f"with scorecard {r.scorecard_version}; on {r.dates[-1]}: {bands}.",
            highlight=False,
        )
    # Only spell out --db when the commands would not find this store by default.
    flag = "" if default_db.resolve() == db.resolve() else f" --db {db}"
    console.print("\nNext steps:", style="bold")
    for line in (
        f"healthscore accounts --band red --sort arr --desc{flag}",
        f"healthscore explain {run.example_account or 'ACCOUNT_ID'}{flag}",
        f"healthscore backtest --html backtest.html{flag}",
        f"healthscore insights{flag}",
        f"healthscore kpis --format html --output kpis.html{flag}",
        f"healthscore status{flag}",
    ):
        console.print(f"  {line}", highlight=False)


def _segment_rows(s: dict[str, Any]) -> list[dict[str, Any]]:
    rows = [
        {
            "segment": seg,
            "accounts": v["accounts"],
            "active": v["accounts"] - v["churned"],
            "churned": v["churned"],
            "mrr": round(float(v["mrr"]), 2),
        }
        for seg, v in s["by_segment"].items()
    ]
    rows.append(
        {
            "segment": "total",
            "accounts": s["accounts"],
            "active": s["active"],
            "churned": s["churned"],
            "mrr": round(float(s["mrr"]), 2),
        }
    )
    return rows


def _print_summary(s: dict[str, Any], console: Console) -> None:
    t = RichTable(title=f"Demo portfolio {s['first_date']} → {s['last_date']}")
    t.add_column("segment")
    t.add_column("accounts", justify="right")
    t.add_column("active", justify="right")
    t.add_column("churned", justify="right")
    t.add_column("MRR now", justify="right")
    for seg, v in s["by_segment"].items():
        t.add_row(
            seg,
            str(v["accounts"]),
            str(v["accounts"] - v["churned"]),
            str(v["churned"]),
            f"{v['mrr']:,.0f}",
        )
    t.add_row("total", str(s["accounts"]), str(s["active"]), str(s["churned"]), f"{s['mrr']:,.0f}")
    console.print(t)
    r = s["rows"]
    rows = RichTable(title="Signals written")
    rows.add_column("kind")
    rows.add_column("rows", justify="right")
    for k, n in r.items():
        rows.add_row(k, f"{n:,}")
    console.print(rows)
    console.print(
        f"{s['tickets']:,} tickets ({s['open_tickets']} open), "
        f"{s['survey_responses']:,} survey responses, {s['events']:,} usage events.",
        highlight=False,
    )
