"""Outcomes derived from subscriptions: churn, renewal, expansion and contraction.

See docs/outcomes.md for the definitions.  Everything here respects an optional `as_of`:
only subscription rows that started on or before it are used and the "data end" is capped
at it, so the outcomes are exactly those that were knowable on that day.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from healthscore.errors import NotEnoughData
from healthscore.store.queries import outcomes as _inputs
from healthscore.store.queries import span as _span

__all__ = [
    "OUTCOME_KINDS",
    "Outcomes",
    "data_range",
    "derive_outcomes",
    "label_observations",
    "outcome_table",
]

OUTCOME_KINDS = ("churn", "renewal", "expansion", "contraction")
_OPEN_END = _inputs.OPEN_END  # open-ended rows; inside pandas' datetime range


def data_range(source: Any, as_of: dt.date | None = None) -> tuple[dt.date, dt.date]:
    """(first, last) day with observed data; `last` is the "data end" (capped at `as_of`).

    The store's one definition of the newest data (`healthscore.store.queries.span.data_range`),
    with an error instead of None for a store without data."""
    rng = _span.data_range(source, as_of)
    if rng is None:
        raise NotEnoughData("the store holds no events or subscriptions; import data first")
    return rng.first, rng.last


@dataclass
class Outcomes:
    """Outcome events plus what is needed to label observations."""

    events: pd.DataFrame  # account_id, outcome, date, mrr_before, mrr_after
    subscriptions: pd.DataFrame  # account_id, start_date, end_date (open = 2200-01-01), mrr
    data_start: dt.date
    data_end: dt.date
    grace_days: int
    billing_end: dt.date  # the billing export's "today" (docs/outcomes.md), capped at as_of
    activity_start: dt.date | None = None  # first product event (None = no events)
    billing_reason: str = ""  # why billing_end is that day, in words

    @property
    def observation_start(self) -> dt.date:
        """Where observation dates may begin: the later of data start and first activity."""
        return max(self.data_start, self.activity_start or self.data_start)

    @property
    def known_until(self) -> dt.date:
        """Churn dates up to this day are final (a renewal would already be visible)."""
        return min(self.data_end, self.billing_end) - dt.timedelta(days=self.grace_days)

    def of(self, kind: str) -> pd.DataFrame:
        return self.events[self.events["outcome"] == kind].reset_index(drop=True)

    def active_at(self, dates: list[dt.date]) -> pd.DataFrame:
        """(as_of, account_id) of accounts with a subscription row active on each date.

        A row ending after the billing end may have been renewed unseen: on days after the
        billing end it counts as running (a ChurnSim history writes renewals up to its
        newest one, while its events run a month on; every monthly term ending in that
        month would otherwise drop its account from predict's last day)."""
        d = pd.DataFrame({"as_of": pd.to_datetime(pd.Series(dates)).dt.date})
        subs = self.subscriptions
        censored = pd.to_datetime(subs["end_date"]) > pd.Timestamp(self.billing_end)
        if censored.any():
            subs = subs.assign(end_date=subs["end_date"].where(~censored, _OPEN_END))
        return _active(subs, d)


def _active(subs: pd.DataFrame, d: pd.DataFrame) -> pd.DataFrame:
    """(as_of, account_id) pairs, distinct and sorted, where a subscription row is active."""
    starts = pd.to_datetime(subs["start_date"]).to_numpy()
    ends = pd.to_datetime(subs["end_date"]).to_numpy()
    ids = subs["account_id"].to_numpy()
    parts = []
    for day in sorted(set(d["as_of"])):
        t = np.datetime64(pd.Timestamp(day))
        hit = np.unique(ids[(starts <= t) & (t < ends)])
        parts.append(pd.DataFrame({"as_of": day, "account_id": hit}))
    if not parts:
        return pd.DataFrame({"as_of": [], "account_id": []}).astype(object)
    out = pd.concat(parts, ignore_index=True)
    return out.sort_values(["as_of", "account_id"], kind="stable").reset_index(drop=True)


def derive_outcomes(
    source: Any,
    *,
    grace_days: int = 7,
    mrr_tolerance: float = 0.01,
    as_of: dt.date | None = None,
    billing_date: dt.date | None = None,
) -> Outcomes:
    """Churn, renewal, expansion and contraction events from the subscriptions table.

    `source` is a Store or an Ibis backend.  Churn is only reported when its date plus the
    grace gap lies on or before the billing export's "today" (later ends are
    right-censored).  That day is `billing_date` when given, else the day a billing
    snapshot was imported, else the data end; never the newest subscription start
    (docs/outcomes.md).
    """
    data_start, data_end = data_range(source, as_of)
    if billing_date is not None:
        today = _inputs.BillingToday(billing_date, f"the billing date given, {billing_date}")
    else:
        today = _inputs.billing_today(source, data_end)
    if today.day is not None and today.day > data_end:
        # A snapshot describes its export day even when no other signal reaches it.
        data_end = today.day if as_of is None else min(today.day, as_of)
    billing_end = min(today.day or data_end, data_end)
    subs = _inputs.subscription_rows(source, data_end)
    subs["start_date"] = pd.to_datetime(subs["start_date"]).dt.date
    subs["end_date"] = pd.to_datetime(subs["end_date"]).dt.date
    events = _inputs.subscription_changes(
        source,
        until=data_end,
        grace_days=int(grace_days),
        billing_end=billing_end,
        tolerance=float(mrr_tolerance),
    )
    activity_start = _inputs.first_event_day(source)
    return Outcomes(
        events,
        subs,
        data_start,
        data_end,
        int(grace_days),
        billing_end,
        activity_start,
        today.reason,
    )


def label_observations(
    outcomes: Outcomes,
    obs: pd.DataFrame,
    horizon_days: int,
    kind: str = "churn",
) -> np.ndarray:
    """1 where the account has an outcome of `kind` in (as_of, as_of + horizon]."""
    ev = outcomes.of(kind)[["account_id", "date"]]
    o = obs[["as_of", "account_id"]].reset_index(drop=True)
    o = o.assign(_i=np.arange(len(o)), as_of=pd.to_datetime(o["as_of"]))
    pairs = o.merge(ev.assign(date=pd.to_datetime(ev["date"])), on="account_id")
    horizon = pd.Timedelta(days=int(horizon_days))
    hit = pairs["_i"][
        (pairs["date"] > pairs["as_of"]) & (pairs["date"] <= pairs["as_of"] + horizon)
    ]
    y = np.zeros(len(o), dtype=int)
    y[np.unique(hit.to_numpy(dtype=int))] = 1
    return y


def _level(subs: pd.DataFrame, day: dt.date) -> float:
    """The account's MRR on `day`: the sum over its paid periods active then."""
    on = (subs["start_date"] <= day) & (day < subs["end_date"])
    return float(subs.loc[on, "mrr"].sum())


def outcome_table(outcomes: Outcomes, account_id: str | None = None) -> pd.DataFrame:
    """Every churn, renewal, expansion and contraction found (of one account, or all), with
    its date and the account's MRR before and after: what a user checks against their
    billing history.  Ordered by account, date and kind.

    MRR before is the level on the day before the change, MRR after the level on its day
    (0 after a churn), both summed over the account's paid periods (docs/outcomes.md).
    """
    ev = outcomes.events
    subs = outcomes.subscriptions
    if account_id is not None:
        ev = ev[ev["account_id"].astype(str) == str(account_id)]
        subs = subs[subs["account_id"].astype(str) == str(account_id)]
    by_account = {str(a): g for a, g in subs.groupby("account_id")}
    rows = []
    for r in ev.itertuples(index=False):
        day = pd.Timestamp(r.date).date()
        own = by_account.get(str(r.account_id), subs.iloc[0:0])
        before = _level(own, day - dt.timedelta(days=1))
        after = 0.0 if r.outcome == "churn" else _level(own, day)
        if r.outcome in ("expansion", "contraction") and pd.notna(r.mrr_before):
            before, after = float(r.mrr_before), float(r.mrr_after)
        rows.append(
            {
                "account_id": str(r.account_id),
                "outcome": str(r.outcome),
                "date": day,
                "mrr_before": round(before, 2),
                "mrr_after": round(after, 2),
            }
        )
    out = pd.DataFrame(rows, columns=["account_id", "outcome", "date", "mrr_before", "mrr_after"])
    kind = {k: i for i, k in enumerate(OUTCOME_KINDS)}
    return (
        out.assign(_k=out["outcome"].map(kind))
        .sort_values(["account_id", "date", "_k"], kind="stable")
        .drop(columns="_k")
        .reset_index(drop=True)
    )
