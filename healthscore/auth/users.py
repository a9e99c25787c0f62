"""Users: who may sign in, with which role.  Passwords are argon2id hashes (argon2-cffi).

Every change is written together with its audit row.  A disabled user, or one whose
password was reset, loses every session at once (the session epoch rises).
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from healthscore.auth.audit import record
from healthscore.auth.roles import Role
from healthscore.errors import HealthscoreError
from healthscore.store import Store
from healthscore.store.queries.users import count_users, read_user, read_users
from healthscore.store.users import insert_user, update_user

__all__ = [
    "MIN_PASSWORD",
    "AuthError",
    "InvalidUser",
    "UnknownUser",
    "User",
    "UserExists",
    "add_user",
    "authenticate",
    "count_users",
    "disable_user",
    "enable_user",
    "generate_password",
    "get_user",
    "list_users",
    "reset_password",
    "session_epoch",
    "set_role",
]

MIN_PASSWORD = 8
_USERNAME = re.compile(r"^[a-z0-9][a-z0-9._@-]{1,63}$")
_hasher = PasswordHasher()
# Verified against when the user does not exist, so a wrong name costs as long as a wrong
# password and the timing does not tell which names exist.
_DUMMY_HASH = _hasher.hash("not a password of anyone")


class AuthError(HealthscoreError):
    """A user cannot be added, found or changed as asked."""


class UserExists(AuthError):
    pass


class UnknownUser(AuthError):
    pass


class InvalidUser(AuthError):
    """A username, role or password that cannot be used."""


@dataclass(frozen=True)
class User:
    username: str
    display_name: str
    role: Role
    disabled: bool = False
    email: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "username": self.username,
            "display_name": self.display_name,
            "role": str(self.role),
            "disabled": self.disabled,
            "email": self.email,
        }


def _user(row: dict[str, Any]) -> User:
    return User(
        username=row["username"],
        display_name=row["display_name"],
        role=Role(row["role"]),
        disabled=bool(row["disabled"]),
        email=row["email"],
    )


def _role(role: Role | str) -> Role:
    try:
        return Role(str(role).lower())
    except ValueError:
        raise InvalidUser(
            f"unknown role {role!r}; use one of: {', '.join(r.value for r in Role)}"
        ) from None


def _check_password(password: str) -> None:
    if len(password) < MIN_PASSWORD:
        raise InvalidUser(
            f"the password is {len(password)} characters long; use at least {MIN_PASSWORD}"
        )


def generate_password() -> str:
    """A random password of 16 URL-safe characters (about 96 bits)."""
    return secrets.token_urlsafe(12)


def add_user(
    store: Store,
    username: str,
    password: str,
    role: Role | str,
    *,
    email: str | None = None,
    display_name: str | None = None,
    actor: str = "system",
) -> User:
    """Create a user; the name must be free, the role known, the password long enough."""
    name = username.strip().lower()
    if not _USERNAME.match(name):
        raise InvalidUser(
            f"username {username!r} cannot be used; use 2-64 lowercase letters, digits and "
            "'.', '_', '-', '@', starting with a letter or digit"
        )
    r = _role(role)
    _check_password(password)
    if read_user(store, name) is not None:
        raise UserExists(f"user {name!r} already exists; pick another name or reset its password")
    user = User(name, (display_name or name).strip() or name, r, False, email or None)
    with store.transaction() as con:
        insert_user(
            con,
            username=user.username,
            display_name=user.display_name,
            role=str(user.role),
            email=user.email,
            password_hash=_hasher.hash(password),
        )
        record(
            con,
            actor=actor,
            action="create",
            entity="user",
            entity_id=name,
            before=None,
            after=user.as_dict(),
        )
    return user


def get_user(store: Store, username: str) -> User | None:
    """The user called `username` (any case), or None."""
    row = read_user(store, username.strip().lower())
    return None if row is None else _user(row)


def session_epoch(store: Store, username: str) -> int | None:
    """The user's session epoch (None: no such user); sessions carry it to stay valid."""
    row = read_user(store, username.strip().lower())
    return None if row is None else int(row["session_epoch"])


def list_users(store: Store) -> list[User]:
    """Every user, by name."""
    return [_user(r) for r in read_users(store)]


def authenticate(store: Store, username: str, password: str) -> User | None:
    """The user when the name and password match and it is not disabled; else None."""
    row = read_user(store, username.strip().lower())
    try:
        if row is None:
            _hasher.verify(_DUMMY_HASH, password)
            return None
        _hasher.verify(row["password_hash"], password)
    except (VerificationError, InvalidHashError):
        return None
    if row["disabled"]:
        return None
    if _hasher.check_needs_rehash(row["password_hash"]):
        with store.transaction() as con:
            update_user(con, row["username"], password_hash=_hasher.hash(password))
    return _user(row)


def _existing(store: Store, username: str) -> User:
    user = get_user(store, username)
    if user is None:
        raise UnknownUser(f"no user {username!r}; list the users to see who exists")
    return user


def disable_user(store: Store, username: str, *, actor: str = "system") -> User:
    """Disable a user: it can no longer sign in, and its sessions end now."""
    before = _existing(store, username)
    with store.transaction() as con:
        update_user(con, before.username, disabled=True, end_sessions=True)
        after = User(before.username, before.display_name, before.role, True, before.email)
        record(
            con,
            actor=actor,
            action="disable",
            entity="user",
            entity_id=before.username,
            before=before.as_dict(),
            after=after.as_dict(),
        )
    return after


def enable_user(store: Store, username: str, *, actor: str = "system") -> User:
    """Let a disabled user sign in again."""
    before = _existing(store, username)
    with store.transaction() as con:
        update_user(con, before.username, disabled=False)
        after = User(before.username, before.display_name, before.role, False, before.email)
        record(
            con,
            actor=actor,
            action="enable",
            entity="user",
            entity_id=before.username,
            before=before.as_dict(),
            after=after.as_dict(),
        )
    return after


def set_role(store: Store, username: str, role: Role | str, *, actor: str = "system") -> User:
    """Change a user's role (its sessions end, so the new role applies at once)."""
    before = _existing(store, username)
    r = _role(role)
    with store.transaction() as con:
        update_user(con, before.username, role=str(r), end_sessions=True)
        after = User(before.username, before.display_name, r, before.disabled, before.email)
        record(
            con,
            actor=actor,
            action="set_role",
            entity="user",
            entity_id=before.username,
            before=before.as_dict(),
            after=after.as_dict(),
        )
    return after


def reset_password(
    store: Store, username: str, password: str | None = None, *, actor: str = "system"
) -> str:
    """Set a new password (a random one when None) and end the user's sessions; return it."""
    user = _existing(store, username)
    new = password if password is not None else generate_password()
    _check_password(new)
    with store.transaction() as con:
        update_user(con, user.username, password_hash=_hasher.hash(new), end_sessions=True)
        record(
            con,
            actor=actor,
            action="reset_password",
            entity="user",
            entity_id=user.username,
            before=None,
            after=None,
        )
    return new
