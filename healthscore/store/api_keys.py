"""Writes and reads of API keys (table ``api_keys``); the rules live in healthscore.auth.keys."""

from __future__ import annotations

import datetime as dt
from typing import Any

from healthscore.store.db import Store

__all__ = ["find_key_by_hash", "get_key", "insert_key", "list_keys", "revoke_key"]

_COLUMNS = ("key_id", "name", "prefix", "scopes", "created_at", "created_by", "revoked_at")


def insert_key(
    store: Store,
    *,
    key_id: str,
    name: str,
    prefix: str,
    token_sha256: str,
    scopes: str,
    created_at: dt.datetime,
    created_by: str | None,
) -> None:
    store.con.execute(
        "INSERT INTO api_keys (key_id, name, prefix, token_sha256, scopes, created_at, "
        "created_by) VALUES (?, ?, ?, ?, ?, ?, ?)",
        [key_id, name, prefix, token_sha256, scopes, created_at, created_by],
    )


def _row(values: tuple[Any, ...]) -> dict[str, Any]:
    return dict(zip(_COLUMNS, values, strict=True))


def list_keys(store: Store, *, include_revoked: bool = True) -> list[dict[str, Any]]:
    where = "" if include_revoked else "WHERE revoked_at IS NULL"
    cols = ", ".join(_COLUMNS)
    rows = store.con.execute(
        f"SELECT {cols} FROM api_keys {where} ORDER BY created_at, key_id"
    ).fetchall()
    return [_row(r) for r in rows]


def get_key(store: Store, key_id: str) -> dict[str, Any] | None:
    cols = ", ".join(_COLUMNS)
    row = store.con.execute(f"SELECT {cols} FROM api_keys WHERE key_id = ?", [key_id]).fetchone()
    return _row(row) if row else None


def find_key_by_hash(store: Store, token_sha256: str) -> dict[str, Any] | None:
    """The key whose token hashes to `token_sha256` (revoked ones included: the caller says why)."""
    cols = ", ".join(_COLUMNS)
    row = store.con.execute(
        f"SELECT {cols}, token_sha256 FROM api_keys WHERE token_sha256 = ?", [token_sha256]
    ).fetchone()
    if row is None:
        return None
    out = _row(row[:-1])
    out["token_sha256"] = row[-1]
    return out


def revoke_key(store: Store, key_id: str, at: dt.datetime) -> bool:
    """Mark a key revoked; False when no such key (a second revoke keeps the first time)."""
    row = store.con.execute(
        "UPDATE api_keys SET revoked_at = coalesce(revoked_at, ?) WHERE key_id = ? RETURNING key_id",
        [at, key_id],
    ).fetchone()
    return row is not None
