"""Who is asking, and may they: FastAPI dependencies every page route declares.

`require(action)` is the one guard: it loads the signed-in user (its session still valid),
checks `healthscore.auth.allowed(role, action)`, and on an unsafe method (POST, …) the CSRF
token.  The dependency carries its action as ``.action``, so the authorisation matrix
test reads each route's action from the route itself.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from fastapi import Depends, Request

from healthscore.auth import User, allowed, get_user
from healthscore.auth.users import session_epoch
from healthscore.errors import HealthscoreError
from healthscore.store import Store
from healthscore.web.security import Signer
from healthscore.web.store_access import get_store

__all__ = [
    "CSRF_FIELD",
    "CSRF_HEADER",
    "BadCsrf",
    "Forbidden",
    "LoginRequired",
    "NotFound",
    "check_csrf",
    "optional_user",
    "require",
    "signer_of",
]

CSRF_FIELD = "csrf_token"
CSRF_HEADER = "x-csrf-token"
_SAFE = {"GET", "HEAD", "OPTIONS"}


class LoginRequired(Exception):
    """No valid session: the visitor is sent to the sign-in page."""


class Forbidden(HealthscoreError):
    """Signed in, but the role (or account ownership) does not allow this."""


class NotFound(HealthscoreError):
    """The page names something that does not exist (an account id, a CTA)."""


class BadCsrf(HealthscoreError):
    """A form came without a valid CSRF token (an old page, or another site's form)."""


def signer_of(request: Request) -> Signer:
    return request.app.state.signer  # type: ignore[no-any-return]


def optional_user(request: Request, store: Store) -> User | None:
    """The signed-in user, or None (no cookie, bad signature, disabled, sessions ended)."""
    cached = getattr(request.state, "user", None)
    if cached is not None:
        return cached  # type: ignore[no-any-return]
    session = signer_of(request).session(request)
    if session is None:
        return None
    user = get_user(store, session.username)
    if user is None or user.disabled or session_epoch(store, user.username) != session.epoch:
        return None
    request.state.user = user
    return user


async def check_csrf(request: Request) -> None:
    """Raise `BadCsrf` unless the request carries this visitor's token."""
    token = request.headers.get(CSRF_HEADER)
    if not token:
        form = await request.form()
        value = form.get(CSRF_FIELD)
        token = value if isinstance(value, str) else None
    if not signer_of(request).csrf_ok(request, token):
        raise BadCsrf(
            "this form has expired or did not come from this site; reload the page and "
            "submit it again"
        )


def require(action: str) -> Callable[..., Awaitable[User]]:
    """A dependency: the signed-in user, allowed to do `action` (else 403 / sign-in)."""
    allowed("admin", action)  # an unknown action fails here, at import time

    async def dependency(request: Request, store: Store = Depends(get_store)) -> User:
        user = optional_user(request, store)
        if user is None:
            raise LoginRequired()
        if not allowed(user.role, action):
            raise Forbidden(f"your role ({user.role}) may not {_what(action)}; ask an admin")
        if request.method not in _SAFE:
            await check_csrf(request)
        return user

    dependency.action = action  # type: ignore[attr-defined]
    dependency.__name__ = f"require_{action}"
    return dependency


def _what(action: str) -> str:
    from healthscore.auth.roles import ACTIONS

    return ACTIONS.get(action, action)


def route_action(dependant: Any) -> str | None:
    """The action a route's `require` dependency checks (None: a public route)."""
    for dep in dependant.dependencies:
        action = getattr(dep.call, "action", None)
        if action is not None:
            return str(action)
        found = route_action(dep)
        if found is not None:
            return found
    return None
