"""Normalisation: raw metric values -> 0-100 where 100 is always best.

Vectorised over pandas Series so a backfill of many dates is one pass, and NaN (no data)
stays NaN: a missing input is re-weighted away later, never scored as zero.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from healthscore.scoring.model import Linear, Percentile, Thresholds, ZScore

__all__ = [
    "decay_factor",
    "normalize",
    "normalize_linear",
    "normalize_percentile",
    "normalize_thresholds",
    "normalize_zscore",
]


def normalize_thresholds(values: pd.Series, points: list[tuple[float, float]]) -> pd.Series:
    """Piecewise-linear through the points; flat beyond the ends (points carry the direction)."""
    xs = np.array([p[0] for p in points], dtype=float)
    ys = np.array([p[1] for p in points], dtype=float)
    v = values.to_numpy(dtype=float)
    out = np.interp(v, xs, ys)
    out[np.isnan(v)] = np.nan
    return pd.Series(out, index=values.index)


def normalize_linear(values: pd.Series, lo: float, hi: float, higher_is_better: bool) -> pd.Series:
    """lo -> 0 and hi -> 100 (reversed when lower is better), clamped."""
    v = values.astype(float)
    s = ((v - lo) / (hi - lo) * 100.0).clip(0.0, 100.0)
    return s if higher_is_better else 100.0 - s


def normalize_percentile(values: pd.Series, by: pd.Series, higher_is_better: bool) -> pd.Series:
    """Mid-rank percentile within each `by` group (segment x date); a lone value scores 50.

    Mid-ranks make ties fair: five accounts on 0 logins all get the same score.
    """
    v = values.astype(float)
    sign = 1.0 if higher_is_better else -1.0
    key = by.fillna("")
    ranks = (v * sign).groupby(key).rank(method="average")
    n = v.notna().groupby(key).transform("sum").astype(float)
    pct = (ranks - 0.5) / n * 100.0
    return pct.where(v.notna())


def normalize_zscore(values: pd.Series, by: pd.Series, higher_is_better: bool) -> pd.Series:
    """Standard score within each `by` group through the normal CDF (z=0 -> 50, z=1 -> 84.1).

    With no spread (one account, or all equal) every value sits at the middle: 50.
    """
    v = values.astype(float)
    key = by.fillna("")
    g = v.groupby(key)
    mean = g.transform("mean")
    std = g.transform(lambda s: s.std(ddof=0))
    z = (v - mean) / std.where(std > 0)
    z = z.where(~(std.fillna(0) == 0), 0.0).where(v.notna())
    if not higher_is_better:
        z = -z
    cdf = z.map(lambda x: 0.5 * (1.0 + math.erf(x / math.sqrt(2.0))) if pd.notna(x) else np.nan)
    return (cdf * 100.0).astype(float)


def normalize(
    values: pd.Series,
    spec: Thresholds | Linear | Percentile | ZScore,
    higher_is_better: bool,
    by: pd.Series | None = None,
) -> pd.Series:
    """Dispatch on the scorecard's normalisation method."""
    if isinstance(spec, Thresholds):
        return normalize_thresholds(values, spec.points)
    if isinstance(spec, Linear):
        return normalize_linear(values, spec.lo, spec.hi, higher_is_better)
    group = by if by is not None else pd.Series("", index=values.index)
    if isinstance(spec, Percentile):
        return normalize_percentile(values, group, higher_is_better)
    return normalize_zscore(values, group, higher_is_better)


def decay_factor(age_days: pd.Series, max_age_days: float, kind: str) -> pd.Series:
    """Weight multiplier for a CSM-entered input of a given age: 1 when fresh, 0 at max age.

    linear: 1 - age/max.  exponential: halves every max/4 days (1/16 at max), then 0, so an
    old judgement fades quickly but a recent one keeps almost all of its weight.
    Unknown age (NaN) keeps full weight: the value itself carries the missing-ness.
    """
    a = age_days.astype(float).clip(lower=0.0)
    f = np.power(0.5, a / (max_age_days / 4.0)) if kind == "exponential" else 1.0 - a / max_age_days
    f = f.where(a < max_age_days, 0.0)
    return f.where(a.notna(), 1.0).clip(0.0, 1.0)
