"""Risk drivers in words for CS managers: "Active users per seat, last 28 days fell from
43 % to 12 %" rather than a metric id and a log-odds contribution.

A driver is a metric group of the logistic model; it is named by its lead metric's label
from the metric catalogue and told by that metric's value on the date against its value
`lookback_days` earlier (when the account was observed then).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from healthscore.scoring.display import floored

__all__ = [
    "MANAGER_COLUMNS",
    "band_notes",
    "consistent_scores",
    "describe_change",
    "driver_sentences",
    "for_managers",
    "format_value",
    "score_text",
]

_PERCENT_UNITS = {"share", "ratio"}
# Units that say nothing a reader needs next to the number.
_BARE_UNITS = {"score", "value", "index"}


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
    if unit in _BARE_UNITS:  # "-0.6", "2", not "-0.6 score", "2 value"
        return text
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


def score_text(score: float | None, band_mins: Sequence[float] | None = None) -> str:
    """A health score as displayed: floored, never rounded up into the next band.

    Rounding 59.83 gives "60" next to the band red (red = below 60). Flooring to the digits
    shown keeps the displayed number inside its band: whole numbers when every band
    threshold is a whole number (or none is known), one decimal otherwise.
    """
    if score is None or (isinstance(score, float) and math.isnan(score)):
        return "—"
    digits = 0 if all(float(m).is_integer() for m in band_mins or ()) else 1
    return floored(score, digits)


def consistent_scores(
    scores: pd.Series, bands: pd.Series, band_mins: Mapping[str, float]
) -> pd.Series:
    """`scores` (already rounded to one decimal) floored back into their `bands`.

    A score of 59.96 in red (below 60) rounds to 60.0, the first value of yellow; the
    highest one-decimal value inside red is 59.9.  `band_mins` maps band -> its min; the
    next band's min is the upper bound."""
    order = sorted(band_mins.items(), key=lambda kv: kv[1])
    upper = {name: order[i + 1][1] for i, (name, _) in enumerate(order[:-1])}
    top = bands.map(upper).astype(float)
    s = scores.astype(float)
    over = s.notna() & top.notna() & (s >= top)
    return s.where(~over, np.floor(top * 10 - 1e-6) / 10)


def band_notes(
    frame: pd.DataFrame,
    model_scores: Sequence[float],
    base_rate: float,
    bands: Sequence[tuple[str, float]],
) -> list[str]:
    """Why an account's band and its churn probability may tell different stories.

    The band comes from the scorecard where it scores the account; the probability from
    the churn model.  Where the band the model alone would give differs, say so, with the
    risk against the portfolio's average, instead of leaving the contradiction unexplained.
    `model_scores` are the model's own health scores of the rows (`api.model_health`).
    """
    from healthscore.predict.scorecard_bridge import band_of

    out = []
    rank = {name: i for i, (name, _) in enumerate(bands)}
    for r, own in zip(frame.itertuples(index=False), model_scores, strict=True):
        p = getattr(r, "churn_probability", float("nan"))
        source = getattr(r, "score_source", "")
        if p is None or (isinstance(p, float) and math.isnan(p)) or source != "scorecard":
            out.append("")
            continue
        implied = band_of(float(own), list(bands))
        if implied == r.band:
            out.append("")
            continue
        times = p / max(base_rate, 1e-9)
        worse = rank.get(implied, 0) < rank.get(str(r.band), 0)
        out.append(
            f"band {r.band} from the scorecard (score {score_text(r.health_score)}); the churn "
            f"model puts it at {times:.1f}x the average risk, which alone would be "
            f"{implied}" + (": check its drivers" if worse else "")
        )
    return out


# predict's columns for people, in order; the model's own columns follow.
MANAGER_COLUMNS = [
    "account_id",
    "name",
    "segment",
    "arr",
    "owner",
    "band",
    "health_score",
    "churn_probability",
    "band_note",
    "risk_in_words",
]


def for_managers(
    frame: pd.DataFrame,
    accounts: pd.DataFrame,
    bands: Sequence[tuple[str, float]],
    base_rate: float | None = None,
    model_scores: Sequence[float] | None = None,
) -> pd.DataFrame:
    """predict's frame with who each account is (name, segment, ARR, owner) and a note
    where band and churn probability disagree, people's columns first.

    `accounts` holds account_id, name, segment, owner, arr; ARR is 12 x the MRR billed on
    the date where the subscriptions give one, else the accounts' own ARR.  Notes need
    the training base rate and the model's own scores of the rows."""
    acc = accounts.assign(account_id=accounts["account_id"].astype(str)).set_index("account_id")
    ids = frame["account_id"].astype(str)
    out = frame.copy()
    for col in ("name", "segment", "owner"):
        out[col] = ids.map(acc[col]) if col in acc else None
    billed = 12 * out["mrr"].astype(float) if "mrr" in out else pd.Series(np.nan, out.index)
    own = ids.map(acc["arr"]).astype(float) if "arr" in acc else np.nan
    out["arr"] = billed.where(billed > 0, own).round(2)
    mins = {name: lo for name, lo in bands}
    if {"health_score", "band"} <= set(out.columns):
        out["health_score"] = consistent_scores(out["health_score"], out["band"], mins)
    if base_rate and model_scores is not None:
        out["band_note"] = band_notes(out, model_scores, base_rate, bands)
    else:
        out["band_note"] = ""
    rest = [c for c in out.columns if c not in MANAGER_COLUMNS]
    return out[[c for c in MANAGER_COLUMNS if c in out.columns] + rest]
