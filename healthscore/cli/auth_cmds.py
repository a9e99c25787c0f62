"""`healthscore users add|list|disable|enable|reset-password|set-role`: who may sign in to
the web app, with which role.  Every change is written to the audit log."""

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

users_app = typer.Typer(
    help="Web app users: add, list, disable, enable, reset passwords, set roles.",
    no_args_is_help=True,
)
app.add_typer(users_app, name="users")

_ACTOR = "cli"


@users_app.command("add")
def users_add(
    ctx: typer.Context,
    username: Annotated[
        str, typer.Argument(help="Sign-in name (lowercase letters, digits, . _ - @).")
    ],
    role: Annotated[str, typer.Option("--role", help="admin, csm, viewer or product.")] = "viewer",
    name: Annotated[
        str | None,
        typer.Option(
            "--name", help="Display name; for a CSM, as the accounts' owner field spells it."
        ),
    ] = None,
    email: Annotated[str | None, typer.Option("--email", help="E-mail address.")] = None,
    password: Annotated[
        str | None,
        typer.Option(
            "--password", help="Password (8+ characters); default: a random one, printed once."
        ),
    ] = None,
    db: DbOption = None,
) -> None:
    """Add a user; prints the password once when it was generated.

    A CSM may edit the accounts whose owner is its username, display name or e-mail.

    Example: healthscore users add maya --role csm --name "Maya Okafor"
    """
    from healthscore.auth import add_user, generate_password

    hs = current_app(ctx, db=db)
    secret = password or generate_password()
    user = add_user(hs.store, username, secret, role, email=email, display_name=name, actor=_ACTOR)
    out.print(f"added {user.username} ({user.role})", highlight=False, markup=False)
    if password is None:
        out.print(f"password: {secret}", highlight=False, markup=False)
        err.print("the password is shown only now; keep it somewhere safe", highlight=False)


@users_app.command("list")
def users_list(
    ctx: typer.Context, db: DbOption = None, fmt: FormatOption = OutputFormat.table
) -> None:
    """List every user with its role and whether it is disabled.

    Example: healthscore users list --format csv
    """
    from healthscore.auth import list_users

    hs = current_app(ctx, db=db)
    rows = [u.as_dict() for u in list_users(hs.store)]
    emit(rows, fmt, columns=["username", "display_name", "role", "email", "disabled"])


@users_app.command("disable")
def users_disable(
    ctx: typer.Context,
    username: Annotated[str, typer.Argument(help="The user.")],
    db: DbOption = None,
) -> None:
    """Disable a user: it cannot sign in, and its open sessions end now.

    Example: healthscore users disable tom
    """
    from healthscore.auth import disable_user

    user = disable_user(current_app(ctx, db=db).store, username, actor=_ACTOR)
    out.print(f"disabled {user.username}", highlight=False, markup=False)


@users_app.command("enable")
def users_enable(
    ctx: typer.Context,
    username: Annotated[str, typer.Argument(help="The user.")],
    db: DbOption = None,
) -> None:
    """Let a disabled user sign in again.

    Example: healthscore users enable tom
    """
    from healthscore.auth import enable_user

    user = enable_user(current_app(ctx, db=db).store, username, actor=_ACTOR)
    out.print(f"enabled {user.username}", highlight=False, markup=False)


@users_app.command("reset-password")
def users_reset_password(
    ctx: typer.Context,
    username: Annotated[str, typer.Argument(help="The user.")],
    password: Annotated[
        str | None, typer.Option("--password", help="The new password; default: a random one.")
    ] = None,
    db: DbOption = None,
) -> None:
    """Set a new password (printed once when generated); the user's sessions end.

    Example: healthscore users reset-password maya
    """
    from healthscore.auth import reset_password

    new = reset_password(current_app(ctx, db=db).store, username, password, actor=_ACTOR)
    out.print(f"reset the password of {username.strip().lower()}", highlight=False, markup=False)
    if password is None:
        out.print(f"password: {new}", highlight=False, markup=False)


@users_app.command("set-role")
def users_set_role(
    ctx: typer.Context,
    username: Annotated[str, typer.Argument(help="The user.")],
    role: Annotated[str, typer.Argument(help="admin, csm, viewer or product.")],
    db: DbOption = None,
) -> None:
    """Change a user's role; its sessions end so the new role applies at once.

    Example: healthscore users set-role tom csm
    """
    from healthscore.auth import set_role

    user = set_role(current_app(ctx, db=db).store, username, role, actor=_ACTOR)
    out.print(f"{user.username} is now {user.role}", highlight=False, markup=False)
