"""The usage family: three grouped scans of events; windows and dates resolved in numpy.

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
from typing import TYPE_CHECKING, Any

import ibis
import numpy as np
import pandas as pd

from healthscore.metrics._plan import BREADTH_DAYS, CONSISTENCY_WEEKS, DAY_BITS, Plan

if TYPE_CHECKING:
    from healthscore.metrics.compute import _Run

__all__ = ["usage_family"]


@ibis.udf.agg.builtin
def bit_or(x: int) -> int:  # type: ignore[empty-body]
    """BIT_OR(x): built into DuckDB, PostgreSQL and Spark under this name."""


def _bit(position: Any) -> Any:
    """1 << position as BIGINT (PostgreSQL has no INTEGER << BIGINT operator)."""
    return ibis.literal(1).cast("int64") << position.cast("int32")


_ZERO = ibis.literal(0).cast("int64")


def _day_n(ts: pd.Series) -> np.ndarray:
    """Day numbers (days since 1970, floored) of fetched timestamps; NaN where missing."""
    t = pd.to_datetime(ts)
    days = (t.dt.normalize() - pd.Timestamp("1970-01-01")).dt.days
    return days.astype("float64").to_numpy()


class _Accounts:
    """Dense integer codes for the accounts that have events (the union of every scan)."""

    def __init__(self, ids: pd.Series):
        cats = ids.astype("category")
        self.index = pd.Index(cats.cat.categories.astype(str))
        self.n = len(self.index)

    def codes(self, ids: pd.Series) -> np.ndarray:
        cats = ids.astype("category")
        lookup = self.index.get_indexer(cats.cat.categories.astype(str))
        return lookup[cats.cat.codes.to_numpy()]


def _dense(
    acc: np.ndarray, seg: np.ndarray, values: np.ndarray, n_acc: int, n_seg: int, fill: float
) -> np.ndarray:
    """accounts x segments array of `values` (one row per (account, segment) group)."""
    out = np.full((n_acc, n_seg), fill, dtype="float64")
    out[acc, seg] = values
    return out


def usage_family(run: _Run) -> pd.DataFrame | None:
    """One row per (as_of, account with events): usage, per-type and adoption inputs."""
    if not run.ctx.has("events"):
        return None
    plan = run.plan
    ev = run.table("events")
    ev = ev.filter(ev.event_time < plan.end)
    per_seg = _scan_segments(run, ev)
    accounts = _Accounts(per_seg["account_id"])
    out: dict[str, np.ndarray] = {}
    _segments_to_windows(plan, per_seg, accounts, out)
    del per_seg
    _types_to_windows(run, ev, accounts, out)
    _users_to_windows(run, ev, accounts, out)
    n, d = accounts.n, len(plan.dates)
    frame = pd.DataFrame(
        {
            "as_of": np.repeat(np.array(plan.dates, dtype=object), n),
            "account_id": np.tile(accounts.index.to_numpy(dtype=object), d),
        }
    )
    cols = pd.DataFrame({k: v.reshape(-1) for k, v in out.items()}, index=frame.index)
    return pd.concat([frame, cols], axis=1)


# -- (account, fine segment): events, active days, first and last activity, weekly bins ------


def _scan_segments(run: _Run, ev: Any) -> pd.DataFrame:
    plan, ctx = run.plan, run.ctx
    b = ev.mutate(seg=plan.segment_expr(ev.event_time))
    day = (b.event_time.epoch_seconds() // 86400).cast("int64")
    # Segment 0 (before every window) never needs its days; a segment is at most DAY_BITS
    # days long, so day % DAY_BITS tells its days apart.
    bit = ibis.ifelse(b.seg > 0, _bit(day % DAY_BITS), _ZERO)
    aggs: dict[str, Any] = {
        "n": b.count(),
        "bits": bit_or(bit),
        "first_t": b.event_time.min(),
        "last_t": b.event_time.max(),
    }
    if ctx.first_value:
        fv = ibis.ifelse(
            b.event_type.isin(list(ctx.first_value)), b.event_time, ibis.null("timestamp")
        )
        aggs["fv_t"] = fv.min()
    return run.fetch_compact(b.group_by(["account_id", "seg"]).agg(**aggs))


def _segments_to_windows(
    plan: Plan, df: pd.DataFrame, accounts: _Accounts, out: dict[str, np.ndarray]
) -> None:
    n_acc, n_seg = accounts.n, len(plan.bounds)
    acc = accounts.codes(df["account_id"])
    seg = df["seg"].to_numpy().astype("int64")
    idx = {b: i for i, b in enumerate(plan.bounds)}
    ends = [idx[d + dt.timedelta(days=1)] for d in plan.dates]

    def at(days_back: int) -> list[int]:
        return [idx[d + dt.timedelta(days=1 - days_back)] for d in plan.dates]

    def windows(values: np.ndarray) -> tuple[np.ndarray, Any]:
        run_sum = np.cumsum(_dense(acc, seg, values, n_acc, n_seg, 0.0), axis=1)
        return run_sum, lambda hi, lo: (run_sum[:, hi] - run_sum[:, lo]).T

    n = df["n"].to_numpy().astype("float64")
    days = np.bitwise_count(df["bits"].to_numpy().astype("int64")).astype("float64")
    _, events = windows(n)
    _, active = windows(days)
    for w in plan.windows:
        out[f"usage_events_{w}d"] = events(ends, at(w))
        out[f"prev_events_{w}d"] = events(at(w), at(2 * w))
        out[f"usage_active_days_{w}d"] = active(ends, at(w))
        out[f"prev_days_{w}d"] = active(at(w), at(2 * w))
    for k in range(CONSISTENCY_WEEKS):
        out[f"wk{k}"] = events(at(7 * k), at(7 * (k + 1)))

    def running(col: str, accumulate: Any) -> np.ndarray:
        grid = accumulate(_dense(acc, seg, _day_n(df[col]), n_acc, n_seg, np.nan), axis=1)
        return grid[:, ends].T

    out["first_n"] = running("first_t", np.fmin.accumulate)
    out["last_n"] = running("last_t", np.fmax.accumulate)
    if "fv_t" in df:
        out["first_value_n"] = running("fv_t", np.fmin.accumulate)


# -- (account, type, coarse segment): per-type window counts, adoption ----------------------


def _types_to_windows(run: _Run, ev: Any, accounts: _Accounts, out: dict[str, np.ndarray]) -> None:
    plan, ctx = run.plan, run.ctx
    # Only segments >= 1 are ever inside a window: older events are not read here.
    a = ev.filter(ev.event_time >= ibis.timestamp(_midnight(plan.coarse[0])))
    a = a.mutate(seg=plan.segment_expr(a.event_time, coarse=True))
    df = run.fetch_compact(a.group_by(["account_id", "event_type", "seg"]).agg(n=a.count()))
    n_acc, n_seg, n_dates = accounts.n, len(plan.coarse), len(plan.dates)
    idx = {b: i for i, b in enumerate(plan.coarse)}

    def at(days_back: int) -> list[int]:
        return [idx[d + dt.timedelta(days=1 - days_back)] for d in plan.dates]

    ends = at(0)
    acc = accounts.codes(df["account_id"])
    seg = df["seg"].to_numpy().astype("int64")
    n = df["n"].to_numpy().astype("float64")
    types = df["event_type"].astype("category")
    codes = types.cat.codes.to_numpy()
    by_raw = {str(raw): i for i, raw in enumerate(types.cat.categories)}

    zeros = np.zeros((n_dates, n_acc))
    totals = {
        k: zeros.copy()
        for k in ("adoption_features_used_90d", "hi_n_90", "hi_used_90", "help_n_90", "all_n_90")
    }
    logins = {w: zeros.copy() for w in plan.windows}
    catalogue, high = set(ctx.catalogue), set(ctx.high_impact)
    helps, login_types = set(ctx.help_types), set(ctx.login_types)
    for raw, slug in ctx.event_types:
        code = by_raw.get(raw)
        if code is None:
            run_sum = np.zeros((n_acc, n_seg))
        else:
            rows = codes == code
            grid = _dense(acc[rows], seg[rows], n[rows], n_acc, n_seg, 0.0)
            run_sum = np.cumsum(grid, axis=1)
            del grid

        def count(hi: list[int], lo: list[int], run_sum: np.ndarray = run_sum) -> np.ndarray:
            return (run_sum[:, hi] - run_sum[:, lo]).T

        for w in plan.windows:
            cur = count(ends, at(w))
            out[f"events_{slug}_{w}d"] = cur
            out[f"prev_{slug}_{w}d"] = count(at(w), at(2 * w))
            if raw in login_types:
                logins[w] += cur
        recent = count(ends, at(BREADTH_DAYS))
        used = (recent > 0).astype("float64")
        totals["all_n_90"] += recent
        if raw in catalogue:
            totals["adoption_features_used_90d"] += used
        if raw in high:
            totals["hi_n_90"] += recent
            totals["hi_used_90"] += used
        if raw in helps:
            totals["help_n_90"] += recent
    out.update(totals)
    for w in plan.windows:
        out[f"login_{w}d"] = logins[w]


# -- (account, user): distinct active users per window -----------------------------------------


def _users_to_windows(run: _Run, ev: Any, accounts: _Accounts, out: dict[str, np.ndarray]) -> None:
    plan = run.plan
    ws = plan.windows
    idx = {b: i for i, b in enumerate(plan.coarse)}
    # Only the last max(window) days before the earliest as_of can hold an active user.
    since = plan.dates[0] + dt.timedelta(days=1 - max(ws))
    first = idx[since] + 1  # first coarse segment read
    n_bits = len(plan.coarse) - first
    blocks = -(-n_bits // DAY_BITS)
    u = ev.filter(ev.user_id.notnull() & (ev.event_time >= ibis.timestamp(_midnight(since))))
    rel = plan.segment_expr(u.event_time, coarse=True) - first
    aggs = {}
    for k in range(blocks):
        inside = (rel >= k * DAY_BITS) & (rel < (k + 1) * DAY_BITS)
        aggs[f"u{k}"] = bit_or(ibis.ifelse(inside, _bit(rel - k * DAY_BITS), _ZERO))
    grouped = u.group_by(["account_id", "user_id"]).agg(**aggs)
    df = run.fetch_compact(grouped.select("account_id", *aggs))
    acc = accounts.codes(df["account_id"]) if len(df) else np.zeros(0, dtype="int64")
    bits = [df[f"u{k}"].to_numpy().astype("int64") for k in range(blocks)]
    for w in ws:
        counts = np.zeros((len(plan.dates), accounts.n))
        for i, d in enumerate(plan.dates):
            e = d + dt.timedelta(days=1)
            lo, hi = idx[e - dt.timedelta(days=w)] + 1 - first, idx[e] - first  # inclusive
            active = np.zeros(len(df), dtype=bool)
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


def _midnight(d: dt.date) -> dt.datetime:
    return dt.datetime(d.year, d.month, d.day)
