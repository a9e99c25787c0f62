"""Running the web app: first-start users, and uvicorn.

`ensure_admin` creates an admin with a random password when a store has no user yet (the
password is returned once, to be printed); `demo_users` makes the demo's admin, CSM and
viewer; `serve` runs uvicorn on the app until interrupted.  The store is not held while
serving: each request opens it (see `healthscore.web.store_access`).
"""

from __future__ import annotations

from dataclasses import dataclass

from healthscore.app import App
from healthscore.auth import Role, add_user, generate_password, get_user, list_users, reset_password
from healthscore.store.queries.web_lookups import account_owner
from healthscore.web.store_access import open_request_store

__all__ = ["Login", "demo_users", "ensure_admin", "serve"]


@dataclass(frozen=True)
class Login:
    username: str
    password: str
    role: Role
    display_name: str


def ensure_admin(hs: App) -> Login | None:
    """An admin with a random password when the store has no user at all; else None."""
    with open_request_store(hs.settings) as store:
        if list_users(store):
            return None
        password = generate_password()
        user = add_user(store, "admin", password, Role.admin, display_name="Administrator")
    return Login(user.username, password, user.role, user.display_name)


def demo_users(hs: App, example_account: str | None) -> list[Login]:
    """The demo's logins (new passwords each time): an admin, the CSM who owns the example
    account (so it can edit it), and a viewer."""
    with open_request_store(hs.settings) as store:
        owner = account_owner(store, example_account) if example_account else None
        wanted = [
            ("admin", Role.admin, "Demo Admin"),
            ("csm", Role.csm, owner or "Demo CSM"),
            ("viewer", Role.viewer, "Demo Viewer"),
        ]
        out = []
        for name, role, display in wanted:
            password = generate_password()
            if get_user(store, name) is None:
                add_user(store, name, password, role, display_name=display, actor="demo")
            else:
                reset_password(store, name, password, actor="demo")
            out.append(Login(name, password, role, display))
    return out


def serve(hs: App, host: str = "127.0.0.1", port: int = 8000) -> None:
    """Serve the web app with uvicorn (behind a TLS proxy: it trusts X-Forwarded-* from
    the proxy's address, FORWARDED_ALLOW_IPS, default 127.0.0.1)."""
    import uvicorn

    from healthscore.web.app import create_app

    uvicorn.run(create_app(hs), host=host, port=port, proxy_headers=True, log_level="info")
