"""Roles and the one permission table every adapter (web pages, REST API, CLI) checks.

A role is granted actions; `allowed(role, action)` is the only test.  Editing an account's
CTAs, notes, judgements and plans needs ``edit_own_account`` *and* `may_edit_account`: a
CSM edits the accounts it owns, an admin edits all.  The authorisation matrix tests read
`PERMISSIONS`, so a change here is a change of the tests' expectations too.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Protocol

__all__ = ["ACTIONS", "PERMISSIONS", "Role", "allowed", "may_edit_account"]


class Role(StrEnum):
    admin = "admin"  # everything
    csm = "csm"  # reads everything; edits its own accounts
    viewer = "viewer"  # reads the portfolio, accounts, scorecard and validation
    product = "product"  # the product feedback and validation pages


# action -> what it allows
ACTIONS: dict[str, str] = {
    "read": "see the portfolio, accounts, their scores, timelines and CTAs",
    "edit_own_account": "add notes, judgements, milestones and plans; work CTAs on accounts "
    "one owns (an admin: on any account)",
    "close_cta": "close, snooze or assign a CTA on an account one may edit",
    "preview_scorecard": "replay a changed scorecard over history (writes nothing)",
    "edit_scorecard": "save a new scorecard version",
    "read_validation": "see the backtest report and insights",
    "read_feedback": "see the product feedback report and customer quotes",
    "admin": "manage users, API keys and imports; read the audit log",
}

PERMISSIONS: dict[Role, frozenset[str]] = {
    Role.admin: frozenset(ACTIONS),
    Role.csm: frozenset(
        {
            "read",
            "edit_own_account",
            "close_cta",
            "preview_scorecard",
            "read_validation",
            "read_feedback",
        }
    ),
    Role.viewer: frozenset({"read", "preview_scorecard", "read_validation", "read_feedback"}),
    Role.product: frozenset({"read_validation", "read_feedback"}),
}


class _HasIdentity(Protocol):
    @property
    def username(self) -> str: ...
    @property
    def display_name(self) -> str: ...
    @property
    def email(self) -> str | None: ...
    @property
    def role(self) -> Role | str: ...


def allowed(role: Role | str, action: str) -> bool:
    """Whether `role` may do `action` (a key of `ACTIONS`); an unknown action raises."""
    if action not in ACTIONS:
        raise KeyError(f"unknown action {action!r}; known: {', '.join(ACTIONS)}")
    try:
        r = Role(role)
    except ValueError:
        return False
    return action in PERMISSIONS[r]


def may_edit_account(user: _HasIdentity, account_owner: str | None) -> bool:
    """Whether `user` may change an account owned by `account_owner` (its owner_csm).

    An admin may edit every account; a CSM those whose owner is its username, display name
    or email (compared without case); nobody else any.
    """
    try:
        role: Role | None = Role(user.role)
    except ValueError:
        role = None
    if role is Role.admin:
        return True
    if role is not Role.csm or not account_owner:
        return False
    owner = account_owner.strip().casefold()
    names = {user.username, user.display_name, user.email or ""}
    return owner in {n.strip().casefold() for n in names if n}
