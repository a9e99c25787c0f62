"""The demo's calls-to-action: the rules run over the scored portfolio.

Owned by the actions work; `build_and_score` calls it after the history is scored.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from healthscore.store import Store


def raise_demo_ctas(store: Store, as_of: dt.date) -> dict[str, Any] | None:
    """Run the built-in rules as of `as_of`; a summary with printable `lines`, or None."""
    return None
