"""API keys: created (the token shown once), stored hashed, listed, revoked, verified with scopes.

A token looks like ``hsk_<key id>_<secret>``: the key id is public (it names the key in
listings and the audit log), the secret is 32 random bytes from `secrets`.  Only the
SHA-256 of the whole token is stored.  A slow password hash (argon2) exists to make
guessing *low-entropy* secrets expensive; a 256-bit random secret cannot be guessed at any
speed, so a fast hash loses nothing and lets every request (thousands of tracking calls a
second) be verified in microseconds.  A stolen store file still yields no usable token.

Scopes: ``read`` (GET the resources), ``write`` (notes, judgements, surveys, contacts,
CTAs), ``ingest`` (tracking calls and batch imports), ``admin`` (everything, incl. keys).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from healthscore.errors import HealthscoreError
from healthscore.store import Store
from healthscore.store import api_keys as key_rows

__all__ = [
    "ApiKey",
    "InvalidKey",
    "KeyNotFound",
    "NewKey",
    "Scope",
    "create_key",
    "get_key",
    "hash_token",
    "list_keys",
    "parse_scopes",
    "revoke_key",
    "verify_key",
]

TOKEN_PREFIX = "hsk_"


class Scope(StrEnum):
    read = "read"
    write = "write"
    ingest = "ingest"
    admin = "admin"


class InvalidKey(HealthscoreError):
    """A token that is malformed, unknown or revoked (the message says which)."""


class KeyNotFound(HealthscoreError):
    """No API key with the given id."""


@dataclass(frozen=True)
class ApiKey:
    key_id: str
    name: str
    prefix: str
    scopes: frozenset[Scope]
    created_at: dt.datetime
    created_by: str | None
    revoked_at: dt.datetime | None

    @property
    def active(self) -> bool:
        return self.revoked_at is None

    def allows(self, scope: Scope) -> bool:
        """`admin` implies every scope; otherwise the scope must be granted."""
        return Scope.admin in self.scopes or scope in self.scopes

    def as_dict(self) -> dict[str, Any]:
        return {
            "key_id": self.key_id,
            "name": self.name,
            "prefix": self.prefix,
            "scopes": sorted(s.value for s in self.scopes),
            "created_at": self.created_at.isoformat(),
            "created_by": self.created_by,
            "revoked_at": self.revoked_at.isoformat() if self.revoked_at else None,
            "active": self.active,
        }


@dataclass(frozen=True)
class NewKey:
    """A key just created: `token` is the only time the secret exists outside the caller."""

    key: ApiKey
    token: str


def parse_scopes(value: str | Iterable[str]) -> frozenset[Scope]:
    """``"read,ingest"`` (or a list) to scopes; an unknown name fails with the known ones."""
    names = value.split(",") if isinstance(value, str) else list(value)
    out: set[Scope] = set()
    for raw in names:
        name = raw.strip().lower()
        if not name:
            continue
        try:
            out.add(Scope(name))
        except ValueError:
            known = ", ".join(s.value for s in Scope)
            raise HealthscoreError(
                f"unknown API key scope {raw.strip()!r}; use one of: {known}"
            ) from None
    if not out:
        raise HealthscoreError("an API key needs at least one scope: read, write, ingest or admin")
    return frozenset(out)


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def _key(row: dict[str, Any]) -> ApiKey:
    return ApiKey(
        key_id=row["key_id"],
        name=row["name"],
        prefix=row["prefix"],
        scopes=frozenset(Scope(s) for s in row["scopes"].split(",") if s),
        created_at=row["created_at"],
        created_by=row["created_by"],
        revoked_at=row["revoked_at"],
    )


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None, microsecond=0)


def create_key(
    store: Store,
    name: str,
    scopes: str | Iterable[str],
    *,
    created_by: str | None = None,
) -> NewKey:
    """Create a key; the returned token is shown once and never stored."""
    name = name.strip()
    if not name:
        raise HealthscoreError("an API key needs a name that says who uses it, e.g. 'segment'")
    granted = parse_scopes(scopes)
    key_id = secrets.token_hex(4)
    token = f"{TOKEN_PREFIX}{key_id}_{secrets.token_urlsafe(32)}"
    prefix = token[: len(TOKEN_PREFIX) + len(key_id)]
    key_rows.insert_key(
        store,
        key_id=key_id,
        name=name,
        prefix=prefix,
        token_sha256=hash_token(token),
        scopes=",".join(sorted(s.value for s in granted)),
        created_at=_now(),
        created_by=created_by,
    )
    row = key_rows.get_key(store, key_id)
    assert row is not None
    return NewKey(_key(row), token)


def list_keys(store: Store, *, include_revoked: bool = True) -> list[ApiKey]:
    return [_key(r) for r in key_rows.list_keys(store, include_revoked=include_revoked)]


def get_key(store: Store, key_id: str) -> ApiKey:
    row = key_rows.get_key(store, key_id)
    if row is None:
        raise KeyNotFound(f"no API key {key_id!r}; the key list shows the ids")
    return _key(row)


def revoke_key(store: Store, key_id: str) -> ApiKey:
    """Revoke a key at once: its next request is refused. Revoking twice is harmless."""
    if not key_rows.revoke_key(store, key_id, _now()):
        raise KeyNotFound(f"no API key {key_id!r}; the key list shows the ids")
    return get_key(store, key_id)


def verify_key(store: Store, token: str) -> ApiKey:
    """The active key a token belongs to; `InvalidKey` says what is wrong with it."""
    token = token.strip()
    if not token.startswith(TOKEN_PREFIX) or token.count("_") < 2:
        raise InvalidKey(
            "the API key is malformed: healthscore keys look like hsk_<id>_<secret>; "
            "create one with `healthscore keys create`"
        )
    row = key_rows.find_key_by_hash(store, hash_token(token))
    # The lookup is by the hash, so no secret-dependent comparison happens in Python.
    if row is None:
        raise InvalidKey("the API key is not known to this store; check it or create a new one")
    key = _key(row)
    if not key.active:
        raise InvalidKey(
            f"the API key {key.key_id} was revoked on {key.revoked_at}; use another key"
        )
    return key
