"""Calls-to-action as the pages need them, from `healthscore.actions` when it is there.

Until the actions feature exists in this installation, every function says so by
returning None, and the pages show a clear "no calls-to-action yet" state.
"""

from __future__ import annotations

import importlib
from types import ModuleType
from typing import Any

from healthscore.store import Store

__all__ = ["account_ctas", "actions_module", "open_cta_counts"]


def actions_module() -> ModuleType | None:
    """`healthscore.actions` when it offers the CTA API the pages use, else None."""
    try:
        mod = importlib.import_module("healthscore.actions")
    except ModuleNotFoundError as exc:
        if exc.name and exc.name.startswith("healthscore.actions"):
            return None
        raise
    return mod if hasattr(mod, "list_ctas") else None


def open_cta_counts(store: Store) -> dict[str, int] | None:
    """account_id -> open CTAs, or None when there are no calls-to-action in this install."""
    mod = actions_module()
    if mod is None:
        return None
    counts: dict[str, int] = {}
    for cta in mod.list_ctas(store):
        row: Any = cta.as_dict() if hasattr(cta, "as_dict") else cta
        if row.get("status") != "closed":
            counts[row["account_id"]] = counts.get(row["account_id"], 0) + 1
    return counts


def account_ctas(store: Store, account_id: str) -> list[dict[str, Any]] | None:
    """The account's open CTAs (with their playbook steps), or None without the feature."""
    mod = actions_module()
    if mod is None:
        return None
    out = []
    for cta in mod.list_ctas(store, account_id=account_id):
        row: Any = cta.as_dict() if hasattr(cta, "as_dict") else dict(cta)
        if row.get("status") != "closed":
            out.append(row)
    return out
