"""Adoption: breadth and depth of feature use, time to first value.

Its inputs come from the usage family's scans of events: per event type, the 90-day counts
are summed here (`TypeTotals`) while the usage scan walks the types, and the first
first-value event comes with the usage arrays.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from healthscore.metrics._columns import Columns
from healthscore.metrics._context import Context
from healthscore.metrics._family import Family
from healthscore.metrics._helpers import div, num
from healthscore.metrics._plan import Plan
from healthscore.metrics.catalog import HI, LO, MetricInfo, entries

__all__ = ["FAMILY", "TypeTotals"]

_m = entries("adoption")


def catalog(ctx: Context, windows: Sequence[int]) -> list[MetricInfo]:
    return [
        _m("adoption_features_used_90d", "Features used, last 90 days", "features", HI,
           "Distinct catalogue features used in the last 90 days."),
        _m("adoption_breadth_90d", "Feature breadth, last 90 days", "share", HI,
           "Share of the feature catalogue used in the last 90 days."),
        _m("adoption_high_impact_share_90d", "High-impact share of events, last 90 days",
           "share", HI, "Share of 90-day events on high-impact features (depth)."),
        _m("adoption_high_impact_used_90d", "High-impact features used, last 90 days",
           "share", HI, "Share of high-impact features used in the last 90 days."),
        _m("adoption_ttfv_days", "Time to first value", "days", LO,
           "Days from account start to the first 'first value' event; while not reached, "
           "days elapsed so far. Unknown (empty) for accounts that started before the "
           "store's usage history."),
        _m("adoption_ttfv_reached", "First value reached", "flag", HI,
           "1 if a first-value event happened on or before as_of, else 0."),
    ]  # fmt: skip


class TypeTotals:
    """Dates x accounts sums over event types of their last-90-day counts: all events
    (all_n_90), catalogue features used (adoption_features_used_90d), high-impact events
    and features used (hi_n_90, hi_used_90), and help-article views (help_n_90, which
    support's self-service rate reads)."""

    def __init__(self, ctx: Context, zeros: np.ndarray):
        self.values = {
            k: zeros.copy()
            for k in (
                "adoption_features_used_90d",
                "hi_n_90",
                "hi_used_90",
                "help_n_90",
                "all_n_90",
            )
        }
        self._catalogue, self._high = set(ctx.catalogue), set(ctx.high_impact)
        self._helps = set(ctx.help_types)

    def add_type(self, raw: str, recent: np.ndarray) -> None:
        """Add event type `raw`'s dates x accounts counts of the last 90 days."""
        v = self.values
        used = (recent > 0).astype("float64")
        v["all_n_90"] += recent
        if raw in self._catalogue:
            v["adoption_features_used_90d"] += used
        if raw in self._high:
            v["hi_n_90"] += recent
            v["hi_used_90"] += used
        if raw in self._helps:
            v["help_n_90"] += recent


def derive(f: Columns, ctx: Context, plan: Plan) -> None:
    if not ctx.has("events"):
        return
    n = f["as_of_n"]
    used = num(f["adoption_features_used_90d"], 0.0)
    f["adoption_features_used_90d"] = used
    if ctx.catalogue:
        f["adoption_breadth_90d"] = used / len(ctx.catalogue)
    if ctx.high_impact:
        f["adoption_high_impact_share_90d"] = div(num(f["hi_n_90"], 0.0), num(f["all_n_90"], 0.0))
        f["adoption_high_impact_used_90d"] = num(f["hi_used_90"], 0.0) / len(ctx.high_impact)
    if ctx.first_value:
        fv = f["first_value_n"]
        reached = fv.notna()
        # Accounts that started before the usage history cannot show when they first
        # reached value: unknown (NaN), not "very slow".
        known = f["start_n"] >= (ctx.events_start_n if ctx.events_start_n is not None else -1e18)
        f["adoption_ttfv_reached"] = reached.astype("float64").where(known)
        f["adoption_ttfv_days"] = (
            (fv - f["start_n"]).clip(lower=0).where(reached, n - f["start_n"]).where(known)
        )


FAMILY = Family("adoption", catalog, derive=derive)
