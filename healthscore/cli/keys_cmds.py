"""`healthscore keys create|list|revoke`: API keys for the REST API and tracking calls."""

from __future__ import annotations

from typing import Annotated

import typer

from healthscore.cli._app import app
from healthscore.cli._common import (
    DbOption,
    FormatOption,
    OutputFormat,
    current_app,
    emit,
    err,
    out,
)

keys_app = typer.Typer(
    help="API keys for the REST API and the tracking endpoints (scopes: read, write, ingest, admin).",
    no_args_is_help=True,
)
app.add_typer(keys_app, name="keys")

_COLUMNS = ("key_id", "name", "prefix", "scopes", "created_at", "revoked_at")


@keys_app.command("create")
def create_cmd(
    ctx: typer.Context,
    name: Annotated[
        str, typer.Option("--name", help="Who or what uses the key, e.g. segment, crm-sync.")
    ],
    scope: Annotated[
        str,
        typer.Option(
            "--scope",
            help="Comma-separated scopes: read (GET), write (notes, judgements, surveys, "
            "contacts, CTAs), ingest (tracking calls, batch imports), admin (everything).",
        ),
    ] = "read",
    db: DbOption = None,
) -> None:
    """Create an API key and print its token once; only its hash is stored.

    Send it as `Authorization: Bearer <token>` to /api/v1, or as the Segment write key
    (HTTP Basic user name) to /v1/track, /v1/identify, /v1/group and /v1/batch.

    Example: healthscore keys create --name segment --scope ingest
    """
    from healthscore.auth.keys import create_key

    hs = current_app(ctx, db=db)
    new = create_key(hs.store, name, scope, created_by="cli")
    err.print(
        f"created API key {new.key.key_id} ({new.key.name}; scopes "
        f"{', '.join(sorted(new.key.scopes))}). The token is shown only now; keep it safe:",
        highlight=False,
        markup=False,
    )
    out.print(new.token, highlight=False, markup=False, soft_wrap=True)


@keys_app.command("list")
def list_cmd(
    ctx: typer.Context,
    revoked: Annotated[
        bool, typer.Option("--revoked/--active-only", help="Include revoked keys.")
    ] = True,
    fmt: FormatOption = OutputFormat.table,
    db: DbOption = None,
) -> None:
    """List API keys: id, name, public prefix, scopes, when created and revoked (never the secret).

    Example: healthscore keys list --format json
    """
    from healthscore.auth.keys import list_keys

    hs = current_app(ctx, db=db)
    rows = []
    for k in list_keys(hs.store, include_revoked=revoked):
        d = k.as_dict()
        d["scopes"] = ",".join(d["scopes"])
        rows.append({c: d[c] for c in _COLUMNS})
    emit(rows, fmt, title="API keys", columns=_COLUMNS)


@keys_app.command("revoke")
def revoke_cmd(
    ctx: typer.Context,
    key_id: Annotated[str, typer.Argument(help="The key's id (from `healthscore keys list`).")],
    db: DbOption = None,
) -> None:
    """Revoke an API key: its next request is refused with 401.

    Example: healthscore keys revoke 3f9a0c12
    """
    from healthscore.auth.keys import revoke_key

    hs = current_app(ctx, db=db)
    key = revoke_key(hs.store, key_id)
    err.print(f"revoked API key {key.key_id} ({key.name})", highlight=False, markup=False)
