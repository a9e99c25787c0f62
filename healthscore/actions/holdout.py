"""The hold-out: a random, reproducible share of each rule's firings is recorded but never
shown, so `alerts effectiveness` can compare worked CTAs with comparable ones nobody worked.

The draw is a hash of (rule, account, day the CTA opened), not a random generator: a re-run
of the same day draws the same, and no state has to be kept to make it so.
"""

from __future__ import annotations

import datetime as dt
import hashlib

__all__ = ["draw", "held_back"]


def draw(rule: str, account_id: str, opened_on: dt.date) -> float:
    """A uniform number in [0, 1) fixed by the rule, the account and the day."""
    digest = hashlib.sha256(f"{rule}|{account_id}|{opened_on.isoformat()}".encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64


def held_back(rule: str, account_id: str, opened_on: dt.date, share: float) -> bool:
    """True for about `share` of firings (0 = never: must-do plays are never held back)."""
    return share > 0 and draw(rule, account_id, opened_on) < share
