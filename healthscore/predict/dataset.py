"""Observation panels: features as of every observation date, labels, survival targets.

One panel row = (as_of, account_id) for an account active on `as_of`.  Features come from
`build_features` (one call for all dates; each row only sees data on or before its date).
Labels come from an `Outcomes` object, which itself may be derived as of a cut-off, so a
training set built "as of C" only holds outcomes knowable on C.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from healthscore.predict.features import build_features, feature_columns
from healthscore.predict.outcomes import Outcomes, label_observations

__all__ = ["Panel", "build_panel", "observation_dates", "resolved_mask", "survival_targets"]


def observation_dates(
    start: dt.date, end: dt.date, step_days: int = 7, warmup_days: int = 28
) -> list[dt.date]:
    """Dates every `step_days`, anchored at `end`, no earlier than start + warmup."""
    first = start + dt.timedelta(days=warmup_days)
    out, d = [], end
    while d >= first:
        out.append(d)
        d -= dt.timedelta(days=step_days)
    return sorted(out)


@dataclass
class Panel:
    """Active accounts at each observation date with their features."""

    frame: pd.DataFrame  # as_of, account_id, <features> (sorted by as_of, account_id)
    features: list[str]
    source: str  # where the features came from


def build_panel(store: Any, outcomes: Outcomes, dates: list[dt.date]) -> Panel:
    """Features for the accounts active (per subscriptions) at each date."""
    feats, source = build_features(store, dates)
    active = outcomes.active_at(dates)
    if outcomes.subscriptions.empty:  # no subscription data: everyone present counts
        active = feats[["as_of", "account_id"]]
    # Sorted before the merge (two columns), not after it (every feature): a left merge
    # keeps the left rows' order.
    active = active.sort_values(["as_of", "account_id"], kind="stable")
    frame = active.merge(feats, on=["as_of", "account_id"], how="left")
    return Panel(frame.reset_index(drop=True), feature_columns(frame), source)


def resolved_mask(frame: pd.DataFrame, outcomes: Outcomes, horizon_days: int) -> np.ndarray:
    """Rows whose whole outcome window (as_of, as_of + horizon] is known in `outcomes`."""
    last = pd.Timestamp(outcomes.known_until - dt.timedelta(days=horizon_days))
    return (pd.to_datetime(frame["as_of"]) <= last).to_numpy()


def labels(
    frame: pd.DataFrame, outcomes: Outcomes, horizon_days: int, kind: str = "churn"
) -> np.ndarray:
    """1 = an outcome of `kind` within the horizon after as_of."""
    return label_observations(outcomes, frame, horizon_days, kind)


def next_churn(frame: pd.DataFrame, outcomes: Outcomes) -> pd.Series:
    """Date of the account's first known churn after each as_of (NaT if none)."""
    ch = outcomes.of("churn")[["account_id", "date"]].rename(columns={"date": "churn_date"})
    if ch.empty:
        return pd.Series(pd.NaT, index=frame.index, dtype="datetime64[ns]")
    left = (
        frame[["as_of", "account_id"]]
        .assign(_i=np.arange(len(frame)), _t=pd.to_datetime(frame["as_of"]) + pd.Timedelta(days=1))
        .sort_values("_t")
    )
    right = ch.assign(_t=pd.to_datetime(ch["churn_date"])).sort_values("_t")
    m = pd.merge_asof(
        left,
        right[["account_id", "_t", "churn_date"]],
        on="_t",
        by="account_id",
        direction="forward",
    )
    return pd.Series(
        pd.to_datetime(m.sort_values("_i")["churn_date"]).to_numpy(), index=frame.index
    )


def survival_targets(frame: pd.DataFrame, outcomes: Outcomes) -> tuple[np.ndarray, np.ndarray]:
    """(days until churn or censoring at the known-until date, churned flag) per row."""
    nxt = next_churn(frame, outcomes)
    as_of = pd.to_datetime(frame["as_of"])
    censor = pd.Timestamp(outcomes.known_until)
    event = nxt.notna().to_numpy()
    end = nxt.where(nxt.notna(), censor)
    days = (pd.to_datetime(end) - as_of).dt.days.to_numpy().astype(float)
    return days, event.astype(int)
