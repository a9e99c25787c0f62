"""`healthscore serve`: the web app (and REST API) on a store."""

from __future__ import annotations

from typing import Annotated

import typer

from healthscore.cli._app import app
from healthscore.cli._common import DbOption, current_app, err, out


@app.command("serve")
def serve_cmd(
    ctx: typer.Context,
    host: Annotated[str, typer.Option("--host", help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[
        int, typer.Option("--port", min=1, max=65535, help="Port to listen on.")
    ] = 8000,
    db: DbOption = None,
) -> None:
    """Serve the web app and the REST API on a store, until Ctrl-C.

    On the first start (no user yet) an admin is created and its password printed once.
    The store stays usable from the CLI while the server runs. Behind a reverse proxy with
    TLS, see docs/web.md.

    Example: healthscore serve --host 0.0.0.0 --port 8080
    """
    from healthscore.web.server import ensure_admin, serve

    hs = current_app(ctx, db=db)
    login = ensure_admin(hs)
    if login is not None:
        out.print(
            f"created the first user: {login.username} / {login.password} (shown only now; "
            "add more with `healthscore users add`)",
            highlight=False,
            markup=False,
        )
    shown = "localhost" if host in ("127.0.0.1", "0.0.0.0") else host
    err.print(
        f"serving {hs.db_path} on http://{shown}:{port}  (Ctrl-C stops)",
        highlight=False,
        markup=False,
    )
    serve(hs, host=host, port=port)
