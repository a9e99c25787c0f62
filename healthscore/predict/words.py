"""Risk drivers in words for CS managers: "Active users per seat, last 28 days fell from
43 % to 12 %" rather than a metric id and a log-odds contribution.

A driver is a metric group of the logistic model; it is named by its lead metric's label
from the metric catalogue and told by that metric's value on the date against its value
`lookback_days` earlier (when the account was observed then).
"""

from __future__ import annotations

import math
from collections.abc import Mapping

import numpy as np
import pandas as pd

__all__ = ["describe_change", "driver_sentences", "format_value"]

_PERCENT_UNITS = {"share", "ratio"}


def format_value(value: float, unit: str) -> str:
    """A metric value as a CS manager reads it: shares as percentages, days, money."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "no data"
    v = float(value)
    if unit in _PERCENT_UNITS:
        return f"{v * 100:.0f} %"
    if unit == "%":
        return f"{v:+.0f} %"
    if unit == "currency":
        return f"{v:,.0f}"
    if unit == "flag":
        return "yes" if v >= 0.5 else "no"
    if unit == "days":
        return f"{v:.0f} day" + ("" if round(v) == 1 else "s")
    text = f"{v:,.1f}".removesuffix(".0") if abs(v) < 100 else f"{v:,.0f}"
    return f"{text} {unit}".rstrip() if unit else text


def describe_change(label: str, unit: str, now: float, before: float | None) -> str:
    """'<label> fell from X to Y', 'rose from X to Y', 'is Y (unchanged)' or 'is Y'."""
    cur = format_value(now, unit)
    if before is None or (isinstance(before, float) and math.isnan(before)):
        return f"{label} is {cur}"
    if isinstance(now, float) and math.isnan(now):
        return f"{label} has no data (was {format_value(before, unit)})"
    old = format_value(before, unit)
    if old == cur:
        return f"{label} is {cur} (unchanged)"
    verb = "fell" if now < before else "rose"
    return f"{label} {verb} from {old} to {cur}"


def driver_sentences(
    contributions: pd.DataFrame,
    groups: Mapping[str, list[str]],
    now: pd.DataFrame,
    before: pd.DataFrame | None,
    labels: Mapping[str, tuple[str, str]],
    k: int = 3,
) -> list[str]:
    """Per row of `contributions` (the accounts of `now`, in order): its `k` strongest
    risk-raising drivers in words, joined by '; '.

    `groups` maps a model column (a metric, ``group:<lead metric>`` or
    ``missing:<metric>``) to its member metrics; `labels` maps
    a metric to (label, unit); `before` holds the same accounts' metrics `lookback_days`
    earlier, indexed by account_id (None or a missing account: no comparison).
    """
    vals = contributions.to_numpy()
    cols = list(contributions.columns)
    ids = now["account_id"].astype(str).to_numpy()
    out = []
    for i, row in enumerate(vals):
        parts = []
        for j in np.argsort(-row)[:k]:
            if not row[j] > 0:
                continue
            members = groups.get(cols[j], [cols[j]])
            missing = cols[j].startswith("missing:")
            lead = cols[j].removeprefix("group:").removeprefix("missing:")
            label, unit = labels.get(lead, (lead.replace("_", " "), ""))
            if missing:
                parts.append(f"{label}: no data")
                continue
            cur = float(now.iloc[i][lead]) if lead in now.columns else float("nan")
            prev = None
            if before is not None and lead in before.columns and ids[i] in before.index:
                prev = float(before.loc[ids[i], lead])
            text = describe_change(label, unit, cur, prev)
            if len(members) > 1:
                text += f" (with {len(members) - 1} related)"
            parts.append(text)
        out.append("; ".join(parts))
    return out
