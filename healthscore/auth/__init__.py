"""Users, roles and the audit log: who may do what, and a record of every change.

`roles` holds the one permission table (`allowed`, `may_edit_account`); `users` adds,
authenticates and changes users (argon2 hashes); `audit` writes and lists the audit log.
API keys are in `healthscore.auth.keys`.
"""

from healthscore.auth.audit import AuditEntry, list_audit, record
from healthscore.auth.roles import ACTIONS, PERMISSIONS, Role, allowed, may_edit_account
from healthscore.auth.users import (
    AuthError,
    InvalidUser,
    UnknownUser,
    User,
    UserExists,
    add_user,
    authenticate,
    disable_user,
    enable_user,
    generate_password,
    get_user,
    list_users,
    reset_password,
    set_role,
)

__all__ = [
    "ACTIONS",
    "PERMISSIONS",
    "AuditEntry",
    "AuthError",
    "InvalidUser",
    "Role",
    "UnknownUser",
    "User",
    "UserExists",
    "add_user",
    "allowed",
    "authenticate",
    "disable_user",
    "enable_user",
    "generate_password",
    "get_user",
    "list_audit",
    "list_users",
    "may_edit_account",
    "record",
    "reset_password",
    "set_role",
]
