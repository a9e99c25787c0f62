"""API-key authentication as a dependency: `require_scope(scope)` on every REST route.

A key arrives as ``Authorization: Bearer <token>``, or as HTTP Basic with the token as
user name and an empty password (how Segment's libraries send a write key).  The
dependency carries its scope as ``.scope``, so the authorisation matrix test reads each
route's scope from the route itself.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable

from fastapi import Depends, Request
from fastapi.security import HTTPBasic, HTTPBearer

from healthscore.auth.keys import ApiKey, Scope, verify_key
from healthscore.store import Store
from healthscore.web.rest._store import rest_store as get_store
from healthscore.web.rest.problems import ApiProblem

__all__ = ["credentials", "require_scope", "route_scope"]

_CHALLENGE = {"WWW-Authenticate": 'Bearer realm="healthscore", Basic realm="healthscore"'}


def credentials(request: Request) -> str | None:
    """The token the request carries (Bearer, or Basic user name), None when there is none."""
    header = request.headers.get("authorization", "")
    scheme, _, value = header.partition(" ")
    scheme = scheme.lower()
    if scheme == "bearer" and value.strip():
        return value.strip()
    if scheme == "basic" and value.strip():
        try:
            decoded = base64.b64decode(value.strip(), validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError):
            raise ApiProblem(
                401,
                "Not authenticated",
                "the Basic credentials are not valid base64 of '<key>:'; send the key as the "
                "user name with an empty password",
                headers=_CHALLENGE,
            ) from None
        user = decoded.partition(":")[0]
        return user or None
    return None


def authenticate(store: Store, token: str | None) -> ApiKey:
    if token is None:
        raise ApiProblem(
            401,
            "Not authenticated",
            "this route needs an API key: send 'Authorization: Bearer <key>' (create one with "
            "`healthscore keys create`)",
            headers=_CHALLENGE,
        )
    return verify_key(store, token)


def check_scope(key: ApiKey, scope: Scope) -> ApiKey:
    if not key.allows(scope):
        granted = ", ".join(sorted(key.scopes)) or "none"
        raise ApiProblem(
            403,
            "Not allowed",
            f"API key {key.key_id} ({key.name}) has the scopes {granted}; this route needs "
            f"'{scope.value}': create a key with that scope",
        )
    return key


# Declared so /openapi.json names both ways of sending a key (and the docs page offers an
# "Authorize" form); `credentials` reads the header itself.
BEARER = HTTPBearer(auto_error=False, description="An API key: `Authorization: Bearer hsk_…`.")
BASIC = HTTPBasic(
    auto_error=False,
    description="An API key as the user name, empty password (Segment's write-key style).",
)


def require_scope(scope: Scope) -> Callable[..., ApiKey]:
    """A dependency: the request's API key, which must hold `scope` (admin holds all)."""

    def dependency(
        request: Request,
        store: Store = Depends(get_store),
        _bearer: object = Depends(BEARER),
        _basic: object = Depends(BASIC),
    ) -> ApiKey:
        key = check_scope(authenticate(store, credentials(request)), scope)
        request.state.api_key = key
        return key

    dependency.scope = scope  # type: ignore[attr-defined]
    dependency.__name__ = f"require_{scope.value}"
    return dependency


def route_scope(dependant: object) -> Scope | None:
    """The scope a route's `require_scope` dependency checks (None: a public route)."""
    for dep in getattr(dependant, "dependencies", []):
        scope = getattr(dep.call, "scope", None)
        if scope is not None:
            return scope  # type: ignore[no-any-return]
        found = route_scope(dep)
        if found is not None:
            return found
    return None


ReadKey = Depends(require_scope(Scope.read))
WriteKey = Depends(require_scope(Scope.write))
IngestKey = Depends(require_scope(Scope.ingest))
AdminKey = Depends(require_scope(Scope.admin))
