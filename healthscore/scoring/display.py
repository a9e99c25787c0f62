"""A score as people read it: floored to the digits shown, never rounded into the next band.

Rounding 59.96 gives "60" beside the band red (red = below 60); flooring keeps the number
shown inside its band.  The CLI, the web pages, notifications and CTA evidence all show
scores through this.
"""

from __future__ import annotations

import math

__all__ = ["floored"]


def floored(score: float, digits: int) -> str:
    """`score` floored (not rounded) to `digits` decimals, as text: 59.96 gives "59.9"."""
    scale = 10**digits
    # A float's noise (59.99999999) must not drop a whole point; 1e-9 absorbs it.
    return f"{math.floor(float(score) * scale + 1e-9) / scale:.{digits}f}"
