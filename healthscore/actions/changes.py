"""Change detection: sudden drops and spikes, sustained declines and rises, and level shifts
of each account's key metrics and score, judged against the account's own history.

The history is weekly: each point is a trailing window (28 or 90 days) computed as of a
week's end, so weekday patterns cancel out before detection starts.  Noise is handled with
robust statistics: a point is compared with the median of the account's earlier points, in
units of their median absolute deviation (a robust z-score), so one odd week cannot make
the baseline.  Level shifts are screened for all accounts at once (the best single split of
each series, as a binary segmentation with an L2 cost would choose it), then confirmed and
dated by `ruptures` (PELT, L2 cost) on the candidates only.

Positive changes count too: an adoption jump, NPS rising, first value reached.
"""

from __future__ import annotations

import datetime as dt
import json
import warnings
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

__all__ = ["KEY_METRICS", "DetectionSettings", "describe_change", "detect_changes"]

# The metrics watched by default (they exist in every store with events; others are skipped
# when absent), and the score itself.
KEY_METRICS = (
    "score",
    "usage_active_days_28d",
    "usage_events_28d",
    "usage_active_users_28d",
    "usage_logins_per_week_28d",
    "adoption_breadth_90d",
    "support_tickets_28d",
    "voice_nps_latest",
)

CHANGE_KINDS = ("drop", "spike", "decline", "rise", "shift", "first_value")


def _nanmedian(values: np.ndarray, **kw: object) -> np.ndarray:
    """np.nanmedian where a row without any value is NaN, quietly: an account with no
    history has no baseline, which is an answer, not a warning."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        return np.nanmedian(values, **kw)  # type: ignore[call-overload, no-any-return]


def _nanmean(values: np.ndarray, **kw: object) -> np.ndarray:
    """np.nanmean, quiet on rows without any value (see `_nanmedian`)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        return np.nanmean(values, **kw)  # type: ignore[call-overload, no-any-return]


@dataclass(frozen=True)
class DetectionSettings:
    """Thresholds of detection; the defaults suit weekly points of 28/90-day windows."""

    z: float = 3.5  # robust z of the newest point to count as a drop or spike
    min_relative: float = 0.3  # and at least this relative change against the baseline
    sustained_points: int = 4  # weeks of steady decline (or rise)
    shift_z: float = 3.0  # mean difference of a level shift, in robust deviations
    shift_recent_points: int = 6  # a level shift must start within this many recent points
    min_history: int = 6  # points needed before the newest one


def _robust_scale(base: np.ndarray, med: np.ndarray) -> np.ndarray:
    """MAD x 1.4826 per row, floored so that a flat history does not make every wiggle huge."""
    mad = _nanmedian(np.abs(base - med[:, None]), axis=1) * 1.4826
    floor = np.maximum(0.1 * np.abs(med), 0.5)
    return np.fmax(mad, floor)


def _relative(after: np.ndarray, before: np.ndarray) -> np.ndarray:
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(
            np.abs(before) > 1e-9, (after - before) / np.abs(before), np.sign(after - before)
        )


def _series(
    history: pd.DataFrame,
    metric: str,
    grid: tuple[np.ndarray, np.ndarray, list[str], list[dt.date]],
) -> tuple[np.ndarray, list[str], list[dt.date]]:
    """(accounts x dates values, accounts, dates) of one metric, placed by integer codes;
    accounts and dates without any value are left out (as a pivot table leaves them)."""
    acc, day, accounts, dates = grid
    values = np.full((len(accounts), len(dates)), np.nan)
    col = pd.to_numeric(history[metric], errors="coerce").to_numpy(dtype=float)
    values[acc, day] = col
    has = ~np.isnan(values)
    rows, cols = has.any(axis=1), has.any(axis=0)
    kept = [a for a, keep in zip(accounts, rows, strict=True) if keep]
    return values[rows][:, cols], kept, [d for d, keep in zip(dates, cols, strict=True) if keep]


def _grid(history: pd.DataFrame) -> tuple[np.ndarray, np.ndarray, list[str], list[dt.date]]:
    """Row codes of every (account, date) of the history: one factorisation for all metrics."""
    acc, accounts = pd.factorize(history["account_id"].astype(str), sort=True)
    day, dates = pd.factorize(history["as_of"], sort=True)
    return acc, day, [str(a) for a in accounts], [pd.Timestamp(d).date() for d in dates]


def detect_changes(
    history: pd.DataFrame,
    as_of: dt.date,
    metrics: Sequence[str] = KEY_METRICS,
    settings: DetectionSettings | None = None,
) -> pd.DataFrame:
    """Detections as of `as_of` from a weekly `history` frame (as_of, account_id, metrics...).

    One row per (account, metric, kind) with the columns of the `changes` table:
    detected_on, account_id, metric, kind, direction (up/down), before_value, after_value,
    size (relative change, or the absolute change from zero), z, started, evidence (JSON
    list of [date, value] of the points judged).
    """
    cfg = settings or DetectionSettings()
    wanted = [m for m in dict.fromkeys([*metrics, "adoption_ttfv_reached"]) if m in history]
    hist = history[["as_of", "account_id", *wanted]].copy()  # not the other 130 metrics
    hist["as_of"] = pd.to_datetime(hist["as_of"]).dt.date
    hist = hist[hist["as_of"] <= as_of]
    hist = hist.drop_duplicates(["account_id", "as_of"])
    grid = _grid(hist)
    found: list[pd.DataFrame] = []
    for metric in metrics:
        if metric not in hist.columns:
            continue
        values, accounts, dates = _series(hist, metric, grid)
        if not accounts or len(dates) < cfg.min_history + 1 or dates[-1] != as_of:
            continue
        with warnings.catch_warnings():
            # Accounts with no history of a metric give all-NaN rows; they are masked out.
            warnings.simplefilter("ignore", RuntimeWarning)
            found += _point_changes(values, accounts, dates, metric, cfg)
            found += _sustained(values, accounts, dates, metric, cfg)
            found += _shifts(values, accounts, dates, metric, cfg)
    if "adoption_ttfv_reached" in hist.columns:
        found += _first_value(hist, as_of)
    if not found:
        return pd.DataFrame(columns=_COLUMNS)
    out = pd.concat([f for f in found if not f.empty], ignore_index=True) if found else None
    if out is None or out.empty:
        return pd.DataFrame(columns=_COLUMNS)
    out.insert(0, "detected_on", as_of)
    return out[_COLUMNS].reset_index(drop=True)


_COLUMNS = [
    "detected_on",
    "account_id",
    "metric",
    "kind",
    "direction",
    "before_value",
    "after_value",
    "size",
    "z",
    "started",
    "evidence",
]


def _evidence(values: np.ndarray, dates: list[dt.date], rows: np.ndarray) -> list[str]:
    out = []
    for r in rows:
        pts = [
            [d.isoformat(), None if np.isnan(v) else round(float(v), 3)]
            for d, v in zip(dates, values[r], strict=True)
        ]
        out.append(json.dumps(pts))
    return out


def _frame(
    metric: str,
    kind: str,
    rows: np.ndarray,
    accounts: list[str],
    values: np.ndarray,
    dates: list[dt.date],
    before: np.ndarray,
    after: np.ndarray,
    z: np.ndarray,
    started: list[dt.date],
) -> pd.DataFrame:
    size = _relative(after, before)
    return pd.DataFrame(
        {
            "account_id": [accounts[r] for r in rows],
            "metric": metric,
            "kind": kind,
            "direction": np.where(after >= before, "up", "down"),
            "before_value": np.round(before, 4),
            "after_value": np.round(after, 4),
            "size": np.round(size, 4),
            "z": np.round(z, 2),
            "started": started,
            "evidence": _evidence(values, dates, rows),
        }
    )


def _point_changes(
    values: np.ndarray,
    accounts: list[str],
    dates: list[dt.date],
    metric: str,
    cfg: DetectionSettings,
) -> list[pd.DataFrame]:
    base = values[:, :-1]
    last = values[:, -1]
    ok = (np.sum(~np.isnan(base), axis=1) >= cfg.min_history) & ~np.isnan(last)
    with np.errstate(all="ignore"):
        med = _nanmedian(np.where(ok[:, None], base, 0.0), axis=1)
        z = (last - med) / _robust_scale(np.where(ok[:, None], base, 0.0), med)
    rel = _relative(last, med)
    out = []
    for kind, hit in (
        ("drop", ok & (z <= -cfg.z) & (rel <= -cfg.min_relative)),
        ("spike", ok & (z >= cfg.z) & (rel >= cfg.min_relative)),
    ):
        rows = np.flatnonzero(hit)
        if len(rows):
            out.append(
                _frame(
                    metric,
                    kind,
                    rows,
                    accounts,
                    values,
                    dates,
                    med[rows],
                    last[rows],
                    z[rows],
                    [dates[-1]] * len(rows),
                )
            )
    return out


def _sustained(
    values: np.ndarray,
    accounts: list[str],
    dates: list[dt.date],
    metric: str,
    cfg: DetectionSettings,
) -> list[pd.DataFrame]:
    k = cfg.sustained_points
    if values.shape[1] < k + 1:
        return []
    tail = values[:, -(k + 1) :]
    steps = np.diff(tail, axis=1)
    ok = ~np.isnan(tail).any(axis=1)
    start, end = tail[:, 0], tail[:, -1]
    rel = _relative(end, start)
    scale = _robust_scale(values[:, :-1], _nanmedian(values[:, :-1], axis=1))
    z = (end - start) / scale
    out = []
    for kind, hit in (
        (
            "decline",
            ok
            & (steps <= 0).all(axis=1)
            & (steps < 0).sum(axis=1).__ge__(k - 1)
            & (rel <= -cfg.min_relative),
        ),
        (
            "rise",
            ok
            & (steps >= 0).all(axis=1)
            & (steps > 0).sum(axis=1).__ge__(k - 1)
            & (rel >= cfg.min_relative),
        ),
    ):
        rows = np.flatnonzero(hit)
        if len(rows):
            out.append(
                _frame(
                    metric,
                    kind,
                    rows,
                    accounts,
                    values,
                    dates,
                    start[rows],
                    end[rows],
                    z[rows],
                    [dates[-(k + 1)]] * len(rows),
                )
            )
    return out


def _best_split(values: np.ndarray, min_size: int) -> tuple[np.ndarray, np.ndarray]:
    """Per row, the split index maximising the L2 cost reduction, and that reduction."""
    x = np.where(np.isnan(values), _nanmean(values, axis=1, keepdims=True), values)
    n = x.shape[1]
    csum = np.cumsum(x, axis=1)
    total = csum[:, -1:]
    best = np.zeros(len(x), dtype=int)
    gain = np.full(len(x), -np.inf)
    for t in range(min_size, n - min_size + 1):
        m1 = csum[:, t - 1] / t
        m2 = (total[:, 0] - csum[:, t - 1]) / (n - t)
        g = t * (n - t) / n * (m1 - m2) ** 2
        better = g > gain
        gain = np.where(better, g, gain)
        best = np.where(better, t, best)
    return best, gain


def _shifts(
    values: np.ndarray,
    accounts: list[str],
    dates: list[dt.date],
    metric: str,
    cfg: DetectionSettings,
) -> list[pd.DataFrame]:
    import ruptures

    n = values.shape[1]
    ok = np.sum(~np.isnan(values), axis=1) >= n - 1
    split, _ = _best_split(values, 2)
    filled = np.where(np.isnan(values), _nanmean(values, axis=1, keepdims=True), values)
    csum = np.cumsum(filled, axis=1)
    rows_ = np.arange(len(values))
    left = csum[rows_, np.maximum(split - 1, 0)]
    means_before = np.where(ok & (split > 0), left / np.maximum(split, 1), np.nan)
    means_after = np.where(
        ok & (split < n), (csum[:, -1] - left) / np.maximum(n - split, 1), np.nan
    )
    with np.errstate(all="ignore"):
        med = _nanmedian(values, axis=1)
        scale = _robust_scale(values, med)
        z = (means_after - means_before) / scale
    rel = _relative(means_after, means_before)
    cand = np.flatnonzero(
        ok
        & (np.abs(z) >= cfg.shift_z)
        & (np.abs(rel) >= cfg.min_relative)
        & (split >= n - cfg.shift_recent_points)
    )
    rows, started, before, after, zs = [], [], [], [], []
    for i in cand:
        x = values[i]
        x = np.where(np.isnan(x), _nanmean(x), x)
        pen = 2 * max(float(np.var(x)), 1e-9) * np.log(n)
        bkps = ruptures.Pelt(model="l2", min_size=2, jump=1).fit(x.reshape(-1, 1)).predict(pen=pen)
        inner = [b for b in bkps if b < n]
        if not inner:
            continue
        b = inner[-1]
        if b < n - cfg.shift_recent_points:
            continue
        rows.append(i)
        started.append(dates[b])
        before.append(float(np.mean(x[:b])))
        after.append(float(np.mean(x[b:])))
        zs.append(float((np.mean(x[b:]) - np.mean(x[:b])) / scale[i]))
    if not rows:
        return []
    r = np.array(rows)
    return [
        _frame(
            metric,
            "shift",
            r,
            accounts,
            values,
            dates,
            np.array(before),
            np.array(after),
            np.array(zs),
            started,
        )
    ]


def _first_value(hist: pd.DataFrame, as_of: dt.date) -> list[pd.DataFrame]:
    """First value reached since the previous point: a positive change of its own."""
    days = sorted(hist["as_of"].unique())
    if len(days) < 2:
        return []
    now = hist[hist["as_of"] == days[-1]].set_index("account_id")["adoption_ttfv_reached"]
    prev = hist[hist["as_of"] == days[-2]].set_index("account_id")["adoption_ttfv_reached"]
    both = pd.concat([prev.rename("prev"), now.rename("now")], axis=1).dropna()
    hit = both[(both["prev"] < 1) & (both["now"] >= 1)]
    if hit.empty:
        return []
    return [
        pd.DataFrame(
            {
                "account_id": hit.index.astype(str),
                "metric": "adoption_ttfv_reached",
                "kind": "first_value",
                "direction": "up",
                "before_value": 0.0,
                "after_value": 1.0,
                "size": 1.0,
                "z": np.nan,
                "started": days[-1],
                "evidence": json.dumps([[days[-2].isoformat(), 0], [days[-1].isoformat(), 1]]),
            }
        )
    ]


_KIND_WORDS = {
    "drop": "dropped",
    "spike": "jumped",
    "decline": "declined steadily",
    "rise": "rose steadily",
    "shift": "shifted",
}


def describe_change(row: dict[str, object], label: str | None = None) -> str:
    """A detection in words: 'Active days (28d) dropped from 18 to 6 (-67 %) since 2026-10-24'."""
    name = label or str(row["metric"])
    started = row["started"]
    if started is not None and not isinstance(started, str):
        started = pd.Timestamp(started).date()  # type: ignore[arg-type]
    if row["kind"] == "first_value":
        return f"first value reached by {started}"
    before, after = float(row["before_value"]), float(row["after_value"])  # type: ignore[arg-type]
    size = float(row["size"])  # type: ignore[arg-type]
    verb = _KIND_WORDS.get(str(row["kind"]), str(row["kind"]))
    if row["kind"] == "shift":
        verb = "shifted up" if after > before else "shifted down"
    pct = f" ({size * 100:+.0f} %)" if abs(before) > 1e-9 else ""
    return f"{name} {verb} from {before:.3g} to {after:.3g}{pct} since {started}"
