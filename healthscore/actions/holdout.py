"""The hold-out: a random, reproducible share of each rule's firings is recorded but never
shown, so `alerts effectiveness` can compare worked CTAs with comparable ones nobody worked.

The draw is a hash of the account and the calendar quarter the CTA opened in, not a random
generator: a re-run draws the same, and no state has to be kept to make it so.  Drawing
per account and quarter (rather than per firing) keeps the comparison clean: an account
held back by one rule is held back by every rule with at least the same share that
quarter, so it is not worked through another rule's CTA meanwhile.  Each rule still holds
back its own share of firings; rules with no hold-out (must-do plays) show every CTA.
"""

from __future__ import annotations

import datetime as dt
import hashlib

__all__ = ["draw", "held_back"]


def draw(salt: str, account_id: str, day: dt.date) -> float:
    """A uniform number in [0, 1) fixed by a salt, the account and the day."""
    digest = hashlib.sha256(f"{salt}|{account_id}|{day.isoformat()}".encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64


def _quarter(day: dt.date) -> dt.date:
    return dt.date(day.year, 3 * ((day.month - 1) // 3) + 1, 1)


def held_back(rule: str, account_id: str, opened_on: dt.date, share: float) -> bool:
    """True for about `share` of firings (0 = never: must-do plays are never held back).

    `rule` is accepted for the record; the draw is the account's for the quarter."""
    return share > 0 and draw("holdout", account_id, _quarter(opened_on)) < share
