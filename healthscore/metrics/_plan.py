"""Time plan for a metric run: the as-of dates, their windows, and the event *segments*.

Why segments: a backfill over many as-of dates must not scan events once per date.  Every
window boundary of every as-of date (D+1-w for each window w, previous windows, weekly bins)
cuts the timeline into segments; events are aggregated per (account, segment) in ONE scan,
and each (as-of, window) is then a union of whole segments, joined through a small map.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import pyarrow as pa

__all__ = ["CONSISTENCY_WEEKS", "EPOCH", "Plan", "day_number", "make_plan"]

EPOCH = dt.date(1970, 1, 1)
CONSISTENCY_WEEKS = 12
BREADTH_DAYS = 90
# Fixed lookbacks used by the non-event families (support, voice, relationship, ...).
FIXED_LOOKBACKS = (28, 90, 180, 365)


def day_number(d: dt.date) -> int:
    """Days since 1970-01-01: the engines compare integers, never dialect date arithmetic."""
    return (d - EPOCH).days


def _ts(d: dt.date) -> dt.datetime:
    return dt.datetime(d.year, d.month, d.day)


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
        import ibis

        bounds = [ibis.timestamp(_ts(b)) for b in (self.coarse if coarse else self.bounds)]

        def tree(lo: int, hi: int) -> Any:
            if lo == hi:
                return ibis.literal(lo, type="int64")
            mid = (lo + hi + 1) // 2  # segment >= mid  <=>  t >= bounds[mid-1]
            return ibis.ifelse(t >= bounds[mid - 1], tree(mid, hi), tree(lo, mid - 1))

        return tree(0, len(bounds) - 1)

    def segment_map(self, *, coarse: bool = False) -> pa.Table:
        """One row per (as_of, segment) that lies on or before as_of, with window flags."""
        rows: dict[str, list[Any]] = {"as_of": [], "seg": [], "wk": []}
        for w in self.windows:
            rows[f"w{w}"] = []
            rows[f"p{w}"] = []
        rows[f"w{BREADTH_DAYS}b"] = []
        for d in self.dates:
            e = d + dt.timedelta(days=1)
            all_bounds = self.coarse if coarse else self.bounds
            for i, end in enumerate(all_bounds):
                if end > e:
                    break
                start = all_bounds[i - 1] if i > 0 else None
                rows["as_of"].append(d)
                rows["seg"].append(i)
                for w in self.windows:
                    ws = e - dt.timedelta(days=w)
                    ps = e - dt.timedelta(days=2 * w)
                    rows[f"w{w}"].append(int(start is not None and start >= ws))
                    rows[f"p{w}"].append(int(start is not None and start >= ps and end <= ws))
                bs = e - dt.timedelta(days=BREADTH_DAYS)
                rows[f"w{BREADTH_DAYS}b"].append(int(start is not None and start >= bs))
                wk = -1
                if start is not None:
                    for k in range(CONSISTENCY_WEEKS):
                        if start >= e - dt.timedelta(days=7 * (k + 1)) and end <= e - dt.timedelta(
                            days=7 * k
                        ):
                            wk = k
                            break
                rows["wk"].append(wk)
        schema = {"as_of": pa.date32(), "seg": pa.int64(), "wk": pa.int64()}
        return pa.table({k: pa.array(v, type=schema.get(k, pa.int64())) for k, v in rows.items()})

    def prefix_lookup(self) -> pa.Table:
        """Coarse-segment prefix lookups: one row per (as_of, boundary segment x).

        With C(x) = events in coarse segments <= x (a running sum per account and type), a
        window's count is C(its last segment) - C(the segment before its first one).  Each
        row carries, per output column, the coefficient (+1/-1) of C(x) in that count, so
        every window of every as_of comes from a handful of C values, never from joining each
        segment to each date.  `end` marks x = the as_of's last segment.
        """
        idx = {b: i for i, b in enumerate(self.coarse)}
        cols = [f"{p}{w}" for w in self.windows for p in ("c", "q")] + ["c90b"]
        acc: dict[tuple[dt.date, int], dict[str, int]] = {}
        for d in self.dates:
            e = d + dt.timedelta(days=1)

            def add(x_date: dt.date, col: str, coef: int, d: dt.date = d) -> None:
                row = acc.setdefault((d, idx[x_date]), dict.fromkeys([*cols, "end"], 0))
                row[col] += coef

            add(e, "end", 1)
            for w in self.windows:
                ws, ps = e - dt.timedelta(days=w), e - dt.timedelta(days=2 * w)
                add(e, f"c{w}", 1)
                add(ws, f"c{w}", -1)
                add(ws, f"q{w}", 1)
                add(ps, f"q{w}", -1)
            add(e, "c90b", 1)
            add(e - dt.timedelta(days=BREADTH_DAYS), "c90b", -1)
        keys = sorted(acc)
        out: dict[str, pa.Array] = {
            "as_of": pa.array([k[0] for k in keys], type=pa.date32()),
            "x": pa.array([k[1] for k in keys], type=pa.int64()),
        }
        for c in [*cols, "end"]:
            out[c] = pa.array([acc[k][c] for k in keys], type=pa.int64())
        return pa.table(out)

    def window_starts(self) -> pa.Table:
        """One row per as_of: its last coarse segment `x` and, per window w, the first coarse
        segment `a{w}` inside the window (a user is active in the window iff their last
        segment at or before x is >= a{w})."""
        idx = {b: i for i, b in enumerate(self.coarse)}
        out: dict[str, list[Any]] = {"as_of": [], "x": []}
        for w in self.windows:
            out[f"a{w}"] = []
        for d in self.dates:
            e = d + dt.timedelta(days=1)
            out["as_of"].append(d)
            out["x"].append(idx[e])
            for w in self.windows:
                out[f"a{w}"].append(idx[e - dt.timedelta(days=w)] + 1)
        schema = {"as_of": pa.date32()}
        return pa.table({k: pa.array(v, type=schema.get(k, pa.int64())) for k, v in out.items()})

    def spans(self, lookup: pa.Table) -> pa.Table:
        """`lookup` (rows keyed by a boundary segment `x`) re-keyed by (seg, nxt): one row per
        lookup row and per pair seg <= x < nxt of a segment and the next non-empty one (nxt
        = len(coarse) when there is none).  A row of segment seg whose next segment is nxt
        then finds every boundary it is the last segment before with an EQUI-join on
        (seg, nxt): the engines stream it through a small hash table instead of running a
        range join over the big side."""
        n_seg = len(self.coarse)
        xs = lookup.column("x").to_pylist()
        cols = {k: lookup.column(k).to_pylist() for k in lookup.column_names if k != "x"}
        out: dict[str, list[Any]] = {"seg": [], "nxt": [], **{k: [] for k in cols}}
        for seg in range(n_seg):
            for nxt in range(seg + 1, n_seg + 1):
                for i, x in enumerate(xs):
                    if seg <= x < nxt:
                        out["seg"].append(seg)
                        out["nxt"].append(nxt)
                        for k, v in cols.items():
                            v_out = out[k]
                            v_out.append(v[i])
        types = {k: lookup.schema.field(k).type for k in cols}
        return pa.table({k: pa.array(v, type=types.get(k, pa.int64())) for k, v in out.items()})

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
    bounds = {d + dt.timedelta(days=1 - o) for d in ds for o in offsets}
    coarse = {d + dt.timedelta(days=1 - o) for d in ds for o in coarse_offsets}
    return Plan(
        ds, ws, tuple(sorted(bounds)), tuple(sorted(set(extra_lookbacks))), tuple(sorted(coarse))
    )


def _as_date(d: Any) -> dt.date:
    if isinstance(d, dt.datetime):
        return d.date()
    if isinstance(d, dt.date):
        return d
    return dt.date.fromisoformat(str(d))
