"""`healthscore vacuum`: give back the space failed or replaced writes left in the store."""

from __future__ import annotations

import typer

from healthscore.cli._app import app
from healthscore.cli._common import DbOption, current_app, err


def _mb(n: int) -> str:
    return f"{n / 1e6:,.1f} MB"


@app.command("vacuum")
def vacuum_cmd(ctx: typer.Context, db: DbOption = None) -> None:
    """Compact the store file: reclaim the space that rejected or rolled-back imports and
    replaced rows left in it (DuckDB reuses that space but never shrinks its file).

    The store is copied into a fresh file beside it and swapped in, so this needs free
    space about the size of the data, and no other process may use the store meanwhile.

    Example: healthscore vacuum --db acme.duckdb
    """
    hs = current_app(ctx, db=db)
    before, after = hs.store.vacuum()
    err.print(
        f"store {hs.db_path}: {_mb(before)} -> {_mb(after)} ({_mb(max(0, before - after))} "
        "reclaimed)",
        highlight=False,
    )
