"""Time plan for a metric run: the as-of dates, their windows, and the event *segments*.

Why segments: a backfill over many as-of dates must not scan events once per date.  Every
window boundary of every as-of date (D+1-w for each window w, previous windows, weekly bins)
cuts the timeline into segments; events are aggregated per (account, segment) in ONE scan,
and each (as-of, window) is then a union of whole segments: a difference of running sums
over segments (see families/usage), whatever the number of as-of dates.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import ibis
import pyarrow as pa

__all__ = [
    "BREADTH_DAYS",
    "CONSISTENCY_WEEKS",
    "DAY_BITS",
    "EPOCH",
    "Plan",
    "day_number",
    "make_plan",
    "midnight",
]

EPOCH = dt.date(1970, 1, 1)
CONSISTENCY_WEEKS = 12
BREADTH_DAYS = 90
# No segment after the first is longer than this: its active days then fit one BIGINT bitmap
# (bit = day number mod DAY_BITS), OR-ed by the engine instead of a COUNT(DISTINCT day).
DAY_BITS = 62
# Fixed lookbacks used by the non-event families (support, voice, relationship, ...).
FIXED_LOOKBACKS = (28, 90, 180, 365)


def day_number(d: dt.date) -> int:
    """Days since 1970-01-01: the engines compare integers, never dialect date arithmetic."""
    return (d - EPOCH).days


def _ts(d: dt.date) -> dt.datetime:
    return dt.datetime(d.year, d.month, d.day)


def midnight(d: dt.date) -> Any:
    """Ibis timestamp literal of `d` at 00:00: the form every bound is compared in."""
    return ibis.timestamp(_ts(d))


@dataclass(frozen=True)
class Plan:
    dates: tuple[dt.date, ...]
    windows: tuple[int, ...]
    # Sorted exclusive segment ends; segment i covers [bounds[i-1], bounds[i]), segment 0 is
    # everything before bounds[0].  bounds[-1] = max(as_of) + 1 day.
    bounds: tuple[dt.date, ...] = field(default=())
    extra_lookbacks: tuple[int, ...] = ()
    # Window edges only (no weekly bins): fewer, wider segments for the per-type and per-user
    # aggregates, which never need weekly detail.  Also ends at max(as_of) + 1 day.
    coarse: tuple[dt.date, ...] = field(default=())

    @property
    def end(self) -> dt.datetime:
        """Nothing at or after this instant is ever read (no peeking)."""
        return _ts(self.bounds[-1])

    @property
    def lookbacks(self) -> tuple[int, ...]:
        return tuple(sorted({*self.windows, *FIXED_LOOKBACKS, *self.extra_lookbacks}))

    def segment_expr(self, t: Any, *, coarse: bool = False) -> Any:
        """Ibis expression: the segment index of timestamp `t` (a balanced CASE tree)."""
        bounds = [midnight(b) for b in (self.coarse if coarse else self.bounds)]

        def tree(lo: int, hi: int) -> Any:
            if lo == hi:
                return ibis.literal(lo, type="int64")
            mid = (lo + hi + 1) // 2  # segment >= mid  <=>  t >= bounds[mid-1]
            return ibis.ifelse(t >= bounds[mid - 1], tree(mid, hi), tree(lo, mid - 1))

        return tree(0, len(bounds) - 1)

    def dates_table(self) -> pa.Table:
        """One row per as_of: its day number, end instant and each lookback's start instant."""
        cols: dict[str, pa.Array] = {
            "as_of": pa.array(list(self.dates), type=pa.date32()),
            "as_of_n": pa.array([day_number(d) for d in self.dates], type=pa.int64()),
            "end_ts": pa.array(
                [_ts(d + dt.timedelta(days=1)) for d in self.dates], type=pa.timestamp("us")
            ),
        }
        for w in self.lookbacks:
            cols[f"s{w}"] = pa.array(
                [_ts(d + dt.timedelta(days=1 - w)) for d in self.dates], type=pa.timestamp("us")
            )
            cols[f"d{w}"] = pa.array(
                [d + dt.timedelta(days=1 - w) for d in self.dates], type=pa.date32()
            )
        return pa.table(cols)


def make_plan(
    dates: Sequence[dt.date], windows: Sequence[int], extra_lookbacks: Sequence[int] = ()
) -> Plan:
    """Segment bounds for all dates: every window edge, previous-window edge and weekly bin."""
    ds = tuple(sorted({_as_date(d) for d in dates}))
    ws = tuple(sorted({int(w) for w in windows}))
    offsets = {0, BREADTH_DAYS, *ws, *(2 * w for w in ws)}
    offsets |= {7 * k for k in range(CONSISTENCY_WEEKS + 1)}
    coarse_offsets = {0, BREADTH_DAYS, *ws, *(2 * w for w in ws)}
    bounds = _split_long(sorted({d + dt.timedelta(days=1 - o) for d in ds for o in offsets}))
    coarse = {d + dt.timedelta(days=1 - o) for d in ds for o in coarse_offsets}
    return Plan(ds, ws, tuple(bounds), tuple(sorted(set(extra_lookbacks))), tuple(sorted(coarse)))


def _split_long(bounds: list[dt.date]) -> list[dt.date]:
    """Cut every gap between consecutive bounds longer than DAY_BITS days evenly."""
    out = bounds[:1]
    for b in bounds[1:]:
        start = out[-1]
        gap = (b - start).days
        parts = -(-gap // DAY_BITS)
        out.extend([start + dt.timedelta(days=gap * k // parts) for k in range(1, parts)])
        out.append(b)
    return out


def _as_date(d: Any) -> dt.date:
    if isinstance(d, dt.datetime):
        return d.date()
    if isinstance(d, dt.date):
        return d
    return dt.date.fromisoformat(str(d))
