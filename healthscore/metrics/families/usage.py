"""Usage: events, active days and users per window, logins, regularity, per-type counts.

Its scans of events also give adoption its per-type inputs (see adoption.add_type) and the
rows the first event of accounts with no start date.  Three grouped scans; windows and dates
resolved in numpy.

Why this shape: at 100 M events the engine's cost is the number of groups it hashes, not
the number of metrics.  So the engine only groups events by (account, segment), by
(account, type, segment) and by (account, user), and returns one row per group.  Every
window of every as-of date is a union of whole segments (see _plan), so each count is a
difference of running sums over a dense accounts x segments array: no join of segments to
dates and no window-function sort, whatever the number of as-of dates.

Distinct active days and distinct active users are bitmaps OR-ed by the engine (BIT_OR,
the same on DuckDB, PostgreSQL and Spark) instead of COUNT(DISTINCT ...), which would
need one hash-table entry per (account, day) or per (account, user, segment).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from typing import Any

import ibis
import numpy as np
import pandas as pd
import pyarrow as pa

from healthscore.metrics._columns import Columns, Dense
from healthscore.metrics._context import Context
from healthscore.metrics._family import Family
from healthscore.metrics._helpers import div, num, pct_change
from healthscore.metrics._plan import (
    BREADTH_DAYS,
    CONSISTENCY_WEEKS,
    DAY_BITS,
    Plan,
    day_number,
    midnight,
)
from healthscore.metrics._run import Run
from healthscore.metrics.catalog import HI, LO, MetricInfo, entries
from healthscore.metrics.families.adoption import TypeTotals

__all__ = ["FAMILY", "scan"]

_m = entries("usage")


def catalog(ctx: Context, windows: Sequence[int]) -> list[MetricInfo]:
    out = []
    for w in windows:
        out += [
            _m(f"usage_active_days_{w}d", f"Active days, last {w} days", "days", HI,
               f"Days with at least one event in the last {w} days."),
            _m(f"usage_active_days_change_{w}d", f"Active days, change vs previous {w} days",
               "%", HI, f"Change of active days vs the previous {w} days."),
            _m(f"usage_events_{w}d", f"Events, last {w} days", "events", HI,
               f"Usage events in the last {w} days."),
            _m(f"usage_events_change_{w}d", f"Events, change vs previous {w} days", "%", HI,
               f"Change of usage events vs the previous {w} days."),
            _m(f"usage_active_users_{w}d", f"Active users, last {w} days", "users", HI,
               f"Distinct users with an event in the last {w} days."),
            _m(f"usage_active_users_per_seat_{w}d", f"Active users per seat, last {w} days",
               "ratio", HI, f"Active users ({w}d) divided by seats purchased."),
            _m(f"usage_events_per_active_user_{w}d", f"Events per active user, last {w} days",
               "events/user", HI, f"Events per active user in the last {w} days."),
            _m(f"usage_logins_per_week_{w}d", f"Logins per week, last {w} days", "logins/week",
               HI, f"Login events per week over the last {w} days."),
        ]  # fmt: skip
    out += [
        _m("usage_weeks_active_share_12w", "Active weeks, share of the last 12", "share", HI,
           "Share of the last 12 whole weeks (since the account started) with any activity."),
        _m("usage_consistency_12w", "Usage consistency, last 12 weeks", "share", HI,
           "1 - CV of weekly event counts over the last 12 whole weeks since the start, "
           "scaled to 0..1 (1 = perfectly even)."),
        _m("usage_days_since_last_activity", "Days since last activity", "days", LO,
           "Days since the last usage event (NaN if none ever)."),
    ]  # fmt: skip
    for raw, s in ctx.event_types:
        for w in windows:
            out += [
                _m(f"events_{s}_{w}d", f"{raw} events, last {w} days", "events", HI,
                   f"'{raw}' events in the last {w} days."),
                _m(f"events_{s}_per_active_day_{w}d", f"{raw} events per active day, last {w} days",
                   "events/day", HI, f"'{raw}' events per active day in the last {w} days."),
                _m(f"events_{s}_change_{w}d", f"{raw} events, change vs previous {w} days", "%",
                   HI, f"Change of '{raw}' events vs the previous {w} days."),
            ]  # fmt: skip
    return out


@ibis.udf.agg.builtin
def bit_or(x: int) -> int:  # type: ignore[empty-body]
    """BIT_OR(x): built into DuckDB, PostgreSQL and Spark under this name."""


def _bit(position: Any) -> Any:
    """1 << position as BIGINT (PostgreSQL has no INTEGER << BIGINT operator)."""
    return ibis.literal(1).cast("int64") << position.cast("int32")


_ZERO = ibis.literal(0).cast("int64")
# Up to this many segments, per-type counts come from one row per (account, type) with a
# filtered count per segment bound; beyond it, from one row per (account, type, segment).
WIDE_SEGMENTS = 8


class _Codes:
    """Strings -> dense integer codes (-1 for values not in a fixed set).  Long results are
    decoded batch by batch through each batch's Arrow dictionary: no Python object per row."""

    def __init__(self, values: Sequence[str] | None = None):
        self.index = pd.Index(list(values or []), dtype=object)
        self.grow = values is None

    @property
    def n(self) -> int:
        return len(self.index)

    def encode(self, column: pa.Array) -> np.ndarray:
        enc = column.dictionary_encode()
        words = pd.Index(enc.dictionary.to_numpy(zero_copy_only=False), dtype=object)
        lookup = self.index.get_indexer(words)
        new = lookup < 0
        if self.grow and new.any():
            lookup[new] = self.n + np.arange(int(new.sum()))
            self.index = self.index.append(words[new])
        return lookup.astype(np.int32)[enc.indices.to_numpy(zero_copy_only=False)]


def _columns(
    run: Run, expr: Any, codes: dict[str, _Codes], days: Sequence[str] = ()
) -> dict[str, np.ndarray]:
    """Stream `expr`'s rows into compact numpy columns: the strings named in `codes` become
    integer codes, the timestamps named in `days` day numbers (NaN where NULL)."""
    schema = expr.schema().to_pyarrow()
    parts: dict[str, list[np.ndarray]] = {name: [] for name in schema.names}
    for batch in run.batches(expr):
        for name in schema.names:
            col = batch.column(name)
            if name in codes:
                parts[name].append(codes[name].encode(col))
            elif name in days:
                t = col.to_numpy(zero_copy_only=False)
                day = t.astype("datetime64[D]").astype("int64").astype("float64")
                day[np.isnat(t)] = np.nan
                parts[name].append(day)
            else:
                parts[name].append(col.to_numpy(zero_copy_only=False))
        del batch

    def empty(name: str) -> np.ndarray:
        if name in codes:
            return np.zeros(0, dtype=np.int32)
        if name in days:
            return np.zeros(0)
        return np.zeros(0, dtype=schema.field(name).type.to_pandas_dtype())

    return {k: np.concatenate(v) if v else empty(k) for k, v in parts.items()}


def _dense(
    acc: np.ndarray, seg: np.ndarray, values: np.ndarray, n_acc: int, n_seg: int, fill: float
) -> np.ndarray:
    """accounts x segments array of `values` (one row per (account, segment) group)."""
    out = np.full((n_acc, n_seg), fill, dtype="float64")
    out[acc, seg] = values
    return out


def scan(run: Run) -> Dense | None:
    """dates x accounts-with-events arrays: usage, per-type and adoption inputs."""
    if not run.ctx.has("events"):
        return None
    plan = run.plan
    ev = run.table("events")
    ev = ev.filter(ev.event_time < plan.end)
    accounts = _Codes()
    out: dict[str, np.ndarray] = {}
    _segments_to_windows(run, ev, accounts, out)
    _types_to_windows(run, ev, accounts, out)
    _users_to_windows(run, ev, accounts, out)
    return Dense(accounts.index, out)


def _segment_at(plan: Plan, bounds: Sequence[dt.date]) -> Callable[[int], list[int]]:
    """at(k): per as_of, the index of the segment that ends k days before its end (the
    bound -> index map is built once per scan, not per window and type)."""
    idx = {b: i for i, b in enumerate(bounds)}

    def at(days_back: int) -> list[int]:
        return [idx[d + dt.timedelta(days=1 - days_back)] for d in plan.dates]

    return at


# -- (account, fine segment): events, active days, first and last activity, weekly bins ------


def _segments_to_windows(run: Run, ev: Any, accounts: _Codes, out: dict[str, np.ndarray]) -> None:
    plan, ctx = run.plan, run.ctx
    horizon = midnight(plan.bounds[0])
    times = ("first_t", "last_t", "fv_t")

    def first_value(t: Any) -> dict[str, Any]:
        if not ctx.first_value:
            return {}
        fv = ibis.ifelse(
            t.event_type.isin(list(ctx.first_value)), t.event_time, ibis.null("timestamp")
        )
        return {"fv_t": fv.min()}

    # Segments >= 1 (inside some window): counts, day bitmaps, first-value events.
    b = ev.filter(ev.event_time >= horizon)
    b = b.mutate(seg=plan.segment_expr(b.event_time))
    # A segment is at most DAY_BITS days long, so day % DAY_BITS tells its days apart.
    day = b.event_time.date().epoch_days()
    expr = b.group_by(["account_id", "seg"]).agg(
        n=b.count(), bits=bit_or(_bit(day % DAY_BITS)), **first_value(b)
    )
    cols = _columns(run, expr, {"account_id": accounts}, days=("fv_t",))
    # A segment's first and last active days are read off its bitmap: no MIN/MAX needed.
    seg_start = np.array([day_number(d) for d in plan.bounds], dtype="int64")
    cols["first_t"], cols["last_t"] = _first_last_day(
        cols["bits"].astype("int64"), seg_start[cols["seg"].astype("int64") - 1]
    )
    # Segment 0, everything older, only ever feeds first and last activity: one row per
    # account, not per segment, and no bitmap over the bulk of a long history.
    old = ev.filter(ev.event_time < horizon)
    spans = old.group_by("account_id").agg(
        first_t=old.event_time.min(), last_t=old.event_time.max(), **first_value(old)
    )
    old_cols = _columns(run, spans, {"account_id": accounts}, days=times)
    zeros = np.zeros(len(old_cols["account_id"]), dtype="int64")
    cols["seg"] = np.concatenate([cols["seg"].astype("int64"), zeros])
    cols["n"] = np.concatenate([cols["n"].astype("float64"), zeros.astype("float64")])
    cols["bits"] = np.concatenate([cols["bits"].astype("int64"), zeros])
    for name in ("account_id", *times):
        if name in cols:
            cols[name] = np.concatenate([cols[name], old_cols[name]])
    n_acc, n_seg = accounts.n, len(plan.bounds)
    acc, seg = cols["account_id"], cols["seg"].astype("int64")

    def dense(values: np.ndarray, fill: float) -> np.ndarray:
        return _dense(acc, seg, values, n_acc, n_seg, fill)

    at = _segment_at(plan, plan.bounds)

    ends = at(0)
    events = np.cumsum(dense(cols["n"].astype("float64"), 0.0), axis=1)
    days = np.bitwise_count(cols["bits"].astype("int64")).astype("float64")
    active = np.cumsum(dense(days, 0.0), axis=1)

    def window(run_sum: np.ndarray, hi: list[int], lo: list[int]) -> np.ndarray:
        return (run_sum[:, hi] - run_sum[:, lo]).T

    for w in plan.windows:
        out[f"usage_events_{w}d"] = window(events, ends, at(w))
        out[f"prev_events_{w}d"] = window(events, at(w), at(2 * w))
        out[f"usage_active_days_{w}d"] = window(active, ends, at(w))
        out[f"prev_days_{w}d"] = window(active, at(w), at(2 * w))
    for k in range(CONSISTENCY_WEEKS):
        out[f"wk{k}"] = window(events, at(7 * k), at(7 * (k + 1)))
    del events, active
    # First and last activity up to each as_of: running min / max over segments.
    out["first_n"] = np.fmin.accumulate(dense(cols["first_t"], np.nan), axis=1)[:, ends].T
    out["last_n"] = np.fmax.accumulate(dense(cols["last_t"], np.nan), axis=1)[:, ends].T
    if "fv_t" in cols:
        fv_grid = np.fmin.accumulate(dense(cols["fv_t"], np.nan), axis=1)
        out["first_value_n"] = fv_grid[:, ends].T


def _first_last_day(bits: np.ndarray, start: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """First and last day numbers set in day bitmaps (bit = day % DAY_BITS) of segments
    starting on day `start` and at most DAY_BITS days long (NaN for an empty bitmap)."""
    u = bits.astype("uint64")
    r = (start % DAY_BITS).astype("uint64")
    mask = np.uint64((1 << DAY_BITS) - 1)
    # Rotate so that bit k is day start + k.
    rot = ((u >> r) | (u << (np.uint64(DAY_BITS) - r))) & mask
    lowest = np.bitwise_count((rot & (~rot + np.uint64(1))) - np.uint64(1)).astype("int64")
    smear = rot.copy()
    for k in (1, 2, 4, 8, 16, 32):
        smear |= smear >> np.uint64(k)
    highest = np.bitwise_count(smear).astype("int64") - 1
    empty = rot == 0
    first = np.where(empty, np.nan, start + lowest)
    last = np.where(empty, np.nan, start + highest)
    return first.astype("float64"), last.astype("float64")


# -- (account, type, coarse segment): per-type window counts, adoption ----------------------


def _types_to_windows(run: Run, ev: Any, accounts: _Codes, out: dict[str, np.ndarray]) -> None:
    plan, ctx = run.plan, run.ctx
    # Only segments >= 1 are ever inside a window: older events are not read here.
    a = ev.filter(ev.event_time >= midnight(plan.coarse[0]))
    types = _Codes([raw for raw, _ in ctx.event_types])
    if len(plan.coarse) - 1 <= WIDE_SEGMENTS:
        cols = _type_counts_wide(run, a, accounts, types)
    else:
        a = a.mutate(seg=plan.segment_expr(a.event_time, coarse=True))
        expr = a.group_by(["account_id", "event_type", "seg"]).agg(n=a.count())
        cols = _columns(run, expr, {"account_id": accounts, "event_type": types})
    n_acc, n_seg, n_dates = accounts.n, len(plan.coarse), len(plan.dates)

    at = _segment_at(plan, plan.coarse)

    ends = at(0)
    # One contiguous slice of rows per type.
    order = np.argsort(cols["event_type"], kind="stable")
    acc, seg = cols.pop("account_id")[order], cols.pop("seg")[order].astype("int64")
    n, tcode = cols.pop("n")[order].astype("float64"), cols.pop("event_type")[order]
    del order
    cuts = np.searchsorted(tcode, np.arange(types.n + 1))

    zeros = np.zeros((n_dates, n_acc))
    totals = TypeTotals(ctx, zeros)
    logins = {w: zeros.copy() for w in plan.windows}
    login_types = set(ctx.login_types)
    for code, (raw, slug) in enumerate(ctx.event_types):
        rows = slice(cuts[code], cuts[code + 1])
        run_sum = np.cumsum(_dense(acc[rows], seg[rows], n[rows], n_acc, n_seg, 0.0), axis=1)

        def count(hi: list[int], lo: list[int], run_sum: np.ndarray = run_sum) -> np.ndarray:
            return (run_sum[:, hi] - run_sum[:, lo]).T

        for w in plan.windows:
            cur = count(ends, at(w))
            out[f"events_{slug}_{w}d"] = cur
            out[f"prev_{slug}_{w}d"] = count(at(w), at(2 * w))
            if raw in login_types:
                logins[w] += cur
        totals.add_type(raw, count(ends, at(BREADTH_DAYS)))
    out.update(totals.values)
    for w in plan.windows:
        out[f"login_{w}d"] = logins[w]


def _type_counts_wide(run: Run, a: Any, accounts: _Codes, types: _Codes) -> dict[str, np.ndarray]:
    """(account, type, segment) counts from one row per (account, type).

    Why: with few segments (a snapshot or a handful of dates), counting events at or after
    each bound as filtered aggregates of an (account, type) grouping hashes 1.2M groups
    instead of 6.7M at 100k accounts, and costs about half.  Segment s holds the events
    at or after bound s-1 minus those at or after bound s."""
    bounds = run.plan.coarse
    after = {
        f"c{k}": a.count(where=a.event_time >= midnight(bounds[k]))
        for k in range(1, len(bounds) - 1)
    }
    expr = a.group_by(["account_id", "event_type"]).agg(c0=a.count(), **after)
    wide = _columns(run, expr, {"account_id": accounts, "event_type": types})
    n_seg = len(bounds) - 1  # segments 1 .. len(bounds) - 1
    at_or_after = [wide[f"c{k}"].astype("int64") for k in range(n_seg)]
    at_or_after.append(np.zeros_like(at_or_after[0]))
    counts = np.column_stack([at_or_after[k] - at_or_after[k + 1] for k in range(n_seg)])
    rows, segs = np.nonzero(counts)
    return {
        "account_id": wide["account_id"][rows],
        "event_type": wide["event_type"][rows],
        "seg": segs.astype("int64") + 1,
        "n": counts[rows, segs],
    }


# -- (account, user): distinct active users per window -----------------------------------------


def _users_to_windows(run: Run, ev: Any, accounts: _Codes, out: dict[str, np.ndarray]) -> None:
    plan = run.plan
    ws = plan.windows
    idx = {b: i for i, b in enumerate(plan.coarse)}
    # Only the last max(window) days before the earliest as_of can hold an active user.
    since = plan.dates[0] + dt.timedelta(days=1 - max(ws))
    first = idx[since] + 1  # first coarse segment read
    n_bits = len(plan.coarse) - first
    blocks = -(-n_bits // DAY_BITS)
    u = ev.filter(ev.user_id.notnull() & (ev.event_time >= midnight(since)))
    rel = plan.segment_expr(u.event_time, coarse=True) - first
    aggs = {}
    for k in range(blocks):
        inside = (rel >= k * DAY_BITS) & (rel < (k + 1) * DAY_BITS)
        aggs[f"u{k}"] = bit_or(ibis.ifelse(inside, _bit(rel - k * DAY_BITS), _ZERO))
    grouped = u.group_by(["account_id", "user_id"]).agg(**aggs)
    cols = _columns(run, grouped.select("account_id", *aggs), {"account_id": accounts})
    acc = cols["account_id"]
    bits = [cols[f"u{k}"].astype("int64") for k in range(blocks)]
    for w in ws:
        counts = np.zeros((len(plan.dates), accounts.n))
        for i, d in enumerate(plan.dates):
            e = d + dt.timedelta(days=1)
            lo, hi = idx[e - dt.timedelta(days=w)] + 1 - first, idx[e] - first  # inclusive
            active = np.zeros(len(acc), dtype=bool)
            for k in range(blocks):
                mask = _mask(lo - k * DAY_BITS, hi - k * DAY_BITS)
                if mask:
                    active |= (bits[k] & mask) != 0
            counts[i] = np.bincount(acc[active], minlength=accounts.n)
        out[f"usage_active_users_{w}d"] = counts


def _mask(lo: int, hi: int) -> int:
    """Bits lo..hi (inclusive) of a DAY_BITS-bit block, clipped to the block."""
    lo, hi = max(lo, 0), min(hi, DAY_BITS - 1)
    if lo > hi:
        return 0
    return ((1 << (hi + 1)) - 1) ^ ((1 << lo) - 1)


# -- derived columns ----------------------------------------------------------------------


def derive(f: Columns, ctx: Context, plan: Plan) -> None:
    if not ctx.has("events"):
        return
    for w in plan.windows:
        for col in (
            f"usage_events_{w}d",
            f"prev_events_{w}d",
            f"usage_active_days_{w}d",
            f"prev_days_{w}d",
            f"usage_active_users_{w}d",
            f"login_{w}d",
        ):
            f[col] = num(f[col], 0.0)
        ev, days, users = (
            f[f"usage_events_{w}d"],
            f[f"usage_active_days_{w}d"],
            f[f"usage_active_users_{w}d"],
        )
        f[f"usage_events_change_{w}d"] = pct_change(ev, f[f"prev_events_{w}d"])
        f[f"usage_active_days_change_{w}d"] = pct_change(days, f[f"prev_days_{w}d"])
        # Seats as of the date (subscriptions active then) before the account's current
        # seats_purchased: a past date must not see a later expansion or contraction.
        # Accounts with no subscription rows at all fall back to that current value.
        held = num(f["seats"])
        seats = held.where(held > 0)
        seats = seats.where(f["has_subs"].astype(bool), num(f["seats_purchased"]))
        f[f"usage_active_users_per_seat_{w}d"] = div(users, seats)
        f[f"usage_events_per_active_user_{w}d"] = div(ev, users)
        if ctx.login_types:
            f[f"usage_logins_per_week_{w}d"] = f[f"login_{w}d"] / (w / 7.0)
        for _, s in ctx.event_types:
            cur = num(f[f"events_{s}_{w}d"], 0.0)
            f[f"events_{s}_{w}d"] = cur
            f[f"events_{s}_per_active_day_{w}d"] = div(cur, days)
            prev = num(f[f"prev_{s}_{w}d"], 0.0)
            f[f"events_{s}_change_{w}d"] = pct_change(cur, prev)
    share, consistency = _weekly_regularity(f)
    f["usage_weeks_active_share_12w"] = share
    f["usage_consistency_12w"] = consistency
    f["usage_days_since_last_activity"] = f["as_of_n"] - f["last_n"]


def _weekly_regularity(f: Columns) -> tuple[np.ndarray, np.ndarray]:
    """Share of active weeks and 1 - CV / sqrt(k - 1) of weekly event counts, over the k of
    the last 12 whole weeks the account existed for: a week before its start is not a week
    of inactivity (a new account is not irregular).  NaN with no such week (share) or fewer
    than two (consistency)."""
    weeks = np.column_stack([num(f[f"wk{k}"], 0.0).to_numpy() for k in range(CONSISTENCY_WEEKS)])
    first_day = f["as_of_n"].to_numpy()[:, None] + 1 - 7 * (np.arange(CONSISTENCY_WEEKS) + 1)
    existed = first_day >= f["start_n"].to_numpy()[:, None]
    k = existed.sum(axis=1).astype("float64")
    k_or_nan = np.where(k > 0, k, np.nan)
    share = ((weeks > 0) & existed).sum(axis=1) / k_or_nan
    mean = np.where(existed, weeks, 0.0).sum(axis=1) / k_or_nan
    var = np.where(existed, (weeks - mean[:, None]) ** 2, 0.0).sum(axis=1) / k_or_nan
    cv = np.sqrt(var) / np.where(mean > 0, mean, np.nan)
    consistency = 1.0 - cv / np.sqrt(np.where(k >= 2, k - 1, np.nan))
    return share, consistency


FAMILY = Family("usage", catalog, derive=derive)
