"""Engagement: product adoption, self-service and time to first value.

* Adoption rate: per account active at the period's end, the share of the feature
  catalogue it used in the period; the portfolio figure is the mean over those accounts
  (an account with no event counts as 0).  Likewise for the high-impact features.
  Logins and help articles are not features: they are left out of the catalogue.
* Self-service rate: help-article views / (help-article views + tickets opened), both in
  the period; a view is a problem the customer solved alone, a ticket one they did not.
* Time to first value: for the accounts that started in the period, the median days from
  start to the first event of a first-value feature (as known at the newest data), and the
  share that got there within their segment's target.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass

import pandas as pd

from healthscore.portfolio._figures import Figures, ratio
from healthscore.portfolio.periods import Period

__all__ = [
    "DEFAULT_TTFV_TARGET_DAYS",
    "Catalogue",
    "adoption_figures",
    "self_service_figures",
    "ttfv_figures",
]

DEFAULT_TTFV_TARGET_DAYS = 30
_NOT_FEATURES = {"login", "help"}


@dataclass(frozen=True)
class Catalogue:
    """The features adoption is measured over, and the special event types."""

    features: tuple[str, ...]
    high_impact: tuple[str, ...]
    help_types: tuple[str, ...]
    first_value: tuple[str, ...]

    @classmethod
    def from_rows(cls, features: pd.DataFrame, event_types: list[str]) -> Catalogue:
        """From the features table; without one, every event type is a feature (help
        types are recognised by name, as the metric library does)."""
        rows = features.to_dict("records") if len(features) else []
        cat = {str(r["feature"]): (r.get("category") or None) for r in rows}
        helps = {f for f, c in cat.items() if c == "help"} | {
            t for t in event_types if "help" in t.lower() or "article" in t.lower()
        }
        logins = {f for f, c in cat.items() if c == "login"} | {
            t for t in event_types if t.lower() == "login"
        }
        names = sorted(cat) if cat else sorted(event_types)
        return cls(
            features=tuple(f for f in names if f not in helps | logins),
            high_impact=tuple(sorted(f for f, c in cat.items() if c == "high_impact")),
            help_types=tuple(sorted(helps)),
            first_value=tuple(sorted(str(r["feature"]) for r in rows if r.get("first_value"))),
        )


def adoption_figures(
    use: pd.DataFrame, catalogue: Catalogue, active: set[str], has_events: bool
) -> Figures:
    """adoption_rate and adoption_high_impact_rate of one period: `use` holds the period's
    (account_id, event_type, n) rows, `active` the accounts active at its end."""
    f = Figures()
    f.put("adoption_accounts", len(active))
    if not has_events:
        for k in ("adoption_rate", "adoption_high_impact_rate"):
            f.put(k, None, "the store holds no product events")
        return f
    used = use[use["account_id"].isin(active) & (use["n"] > 0)]
    for key, feats, label in (
        ("adoption_rate", catalogue.features, "feature catalogue is empty"),
        ("adoption_high_impact_rate", catalogue.high_impact, "no feature is marked high_impact"),
    ):
        if not feats:
            f.put(key, None, f"the {label}" if key == "adoption_rate" else label)
            continue
        if not active:
            f.put(key, None, "no account active at the period's end")
            continue
        per = used[used["event_type"].isin(feats)].groupby("account_id")["event_type"].nunique()
        f.put(key, float(per.reindex(sorted(active), fill_value=0).mean()) / len(feats))
    return f


def self_service_figures(
    use: pd.DataFrame, tickets_opened: int, catalogue: Catalogue, has_events: bool
) -> Figures:
    """self_service_rate of one period from its help-article views and tickets opened."""
    f = Figures()
    if not has_events or not catalogue.help_types:
        f.put("help_views", None, "no help-article events (features of category 'help')")
        f.put("self_service_rate", None, "no help-article events (features of category 'help')")
        f.put("tickets_opened", tickets_opened)
        return f
    views = int(use.loc[use["event_type"].isin(catalogue.help_types), "n"].sum())
    f.put("help_views", views)
    f.put("tickets_opened", tickets_opened)
    rate, why = ratio(views, views + tickets_opened, "no help-article view and no ticket")
    f.put("self_service_rate", rate, why)
    return f


def ttfv_figures(
    starts: pd.DataFrame,
    first_values: pd.DataFrame,
    period: Period,
    *,
    data_end: dt.date,
    events_start: dt.date | None,
    targets: Mapping[str, int] | int = DEFAULT_TTFV_TARGET_DAYS,
) -> Figures:
    """ttfv_median_days and ttfv_within_target of the accounts that started in `period`.

    `starts` holds account_id, segment and start (date); `first_values` account_id and
    first_at.  Accounts that started before the usage history are left out (their first
    value cannot be seen); an account not there yet whose target day is after the newest
    data is undecided and left out of the share.
    """
    f = Figures()
    st = pd.to_datetime(starts["start"])
    s = starts[(st >= pd.Timestamp(period.start)) & (st < pd.Timestamp(period.end))]
    if events_start is not None:
        s = s[pd.to_datetime(s["start"]) >= pd.Timestamp(events_start)]
    f.put("ttfv_cohort", len(s))
    if events_start is None or not len(s):
        why = (
            "the store holds no product events"
            if events_start is None
            else ("no account started in the period")
        )
        f.put("ttfv_median_days", None, why)
        f.put("ttfv_within_target", None, why)
        return f
    fv = first_values.set_index("account_id")["first_at"]
    first = pd.to_datetime(s["account_id"].map(fv))
    days = (first.dt.normalize() - pd.to_datetime(s["start"])).dt.days.clip(lower=0)
    days = days.where(first.dt.normalize() <= pd.Timestamp(data_end))
    reached = days.dropna()
    f.put(
        "ttfv_median_days",
        float(reached.median()) if len(reached) else None,
        "no account of the cohort has reached first value yet",
    )
    target = (
        s["segment"]
        .map(
            lambda seg: (
                targets.get(seg, DEFAULT_TTFV_TARGET_DAYS)
                if isinstance(targets, Mapping)
                else targets
            )
        )
        .astype(float)
    )
    within = days.notna() & (days <= target)
    decided = within | (
        pd.to_datetime(s["start"]) + pd.to_timedelta(target, unit="D") <= pd.Timestamp(data_end)
    )
    share, undecided = ratio(
        int(within.sum()), int(decided.sum()), "no account of the cohort is past its target yet"
    )
    f.put("ttfv_within_target", share, undecided)
    return f
