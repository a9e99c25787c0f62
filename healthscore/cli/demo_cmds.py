"""`healthscore demo`: build the synthetic portfolio into a fresh store and show what it holds."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table as RichTable

from healthscore.cli._app import app
from healthscore.cli._common import DbOption, err, out, progress, settings
from healthscore.demo import build_demo, store_is_empty, summarize_store
from healthscore.errors import StoreError
from healthscore.store import Store, open_store


@app.command("demo")
def demo_cmd(
    db: DbOption = None,
    seed: Annotated[
        int, typer.Option(help="Random seed: the same seed builds the same company.")
    ] = 7,
    accounts: Annotated[int, typer.Option(min=1, help="Number of accounts.")] = 500,
    months: Annotated[int, typer.Option(min=1, max=120, help="Months of history.")] = 18,
    no_serve: Annotated[
        bool, typer.Option("--no-serve", help="Only build the store, then exit.")
    ] = False,
    force: Annotated[
        bool, typer.Option("--force", help="Replace an existing store that already holds data.")
    ] = False,
) -> None:
    """Build a realistic synthetic SaaS portfolio (accounts, usage, tickets, surveys, churn).

    Example: healthscore demo --accounts 200 --months 12 --seed 3 --db demo.duckdb
    """
    path = settings(db).db
    _prepare_path(path, force)
    with open_store(path, create=True) as store:
        with err.status("building the demo portfolio…") as status:
            build_demo(
                store,
                seed=seed,
                n_accounts=accounts,
                months=months,
                on_step=lambda msg: status.update(msg),
            )
        _after_build(store, out)
    if not no_serve:
        err.print(
            "The dashboard arrives with the web app; for now explore with the commands above."
        )


def _prepare_path(path: Path, force: bool) -> None:
    """Refuse to mix demo rows into a store with data; with --force, start from a new file.

    The existing file is only deleted after it opened as a healthscore store, so --force
    can never wipe an unrelated file that happens to sit at that path.
    """
    if not path.exists():
        return
    with open_store(path) as existing:
        empty = store_is_empty(existing)
    if empty:
        return
    if not force:
        raise StoreError(
            f"{path} already holds data; pick another --db path or add --force to replace it"
        )
    for p in (path, path.with_name(path.name + ".wal")):
        p.unlink(missing_ok=True)
    err.print(f"replaced the existing store {path}")


def _after_build(store: Store, console: Console) -> None:
    """What follows a build: the summary, a scored 6-month weekly history, and next steps."""
    from healthscore.scoring import backfill

    s = summarize_store(store)
    _print_summary(s, console)
    last = s["last_date"]
    if last is not None:
        first = last - dt.timedelta(days=26 * 7)
        with progress() as bar:
            task = bar.add_task("scoring 26 weekly snapshots", total=None)
            run = backfill(
                store,
                first,
                last,
                every_days=7,
                progress=lambda done, total: bar.update(task, completed=done, total=total),
            )
        bands = ", ".join(f"{b} {n}" for b, n in run.bands.items())
        console.print(
            f"Scored {len(run.dates)} weekly snapshots {run.dates[0]} → {run.dates[-1]} "
            f"with scorecard {run.scorecard_version}; on {run.dates[-1]}: {bands}.",
            highlight=False,
        )
    # Only spell out --db when the commands would not find this store by default.
    default = settings(None).db
    db = "" if default.resolve() == store.path.resolve() else f" --db {store.path}"
    example = (
        store.con.execute(
            "SELECT account_id FROM score_snapshots WHERE band = 'red' "
            "ORDER BY as_of DESC, score LIMIT 1"
        ).fetchone()
        or store.con.execute(
            "SELECT account_id FROM accounts ORDER BY mrr DESC NULLS LAST, account_id LIMIT 1"
        ).fetchone()
    )
    console.print("\nNext steps:", style="bold")
    for line in (
        f"healthscore accounts --band red --sort arr --desc{db}",
        f"healthscore explain {example[0] if example else 'ACCOUNT_ID'}{db}",
        f"healthscore backtest --html backtest.html{db}",
        f"healthscore insights{db}",
        f"healthscore status{db}",
    ):
        console.print(f"  {line}", highlight=False)


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
