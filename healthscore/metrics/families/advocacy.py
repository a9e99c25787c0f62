"""Advocacy: referrals made and reviews written, ever and in the last year."""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from healthscore.metrics._columns import Columns
from healthscore.metrics._context import Context
from healthscore.metrics._family import Family
from healthscore.metrics._helpers import num
from healthscore.metrics._plan import Plan
from healthscore.metrics._run import Run
from healthscore.metrics.catalog import HI, MetricInfo, entries

__all__ = ["FAMILY"]

_m = entries("advocacy")
_COUNTS = (
    "advocacy_referrals",
    "advocacy_referrals_365d",
    "advocacy_reviews",
    "advocacy_reviews_365d",
)


def catalog(ctx: Context, windows: Sequence[int]) -> list[MetricInfo]:
    return [
        _m("advocacy_referrals", "Referrals, ever", "referrals", HI,
           "Referrals made, ever (on or before as_of)."),
        _m("advocacy_referrals_365d", "Referrals, last 365 days", "referrals", HI,
           "Referrals made in the last 365 days."),
        _m("advocacy_reviews", "Reviews, ever", "reviews", HI, "Reviews written, ever."),
        _m("advocacy_reviews_365d", "Reviews, last 365 days", "reviews", HI,
           "Reviews written in the last 365 days."),
    ]  # fmt: skip


def query(run: Run) -> pd.DataFrame | None:
    if not run.ctx.has("advocacy"):
        return None
    a = run.by_date(run.table("advocacy"), "occurred_at")
    recent = a.occurred_at >= a.s365
    agg = a.group_by(["as_of", "account_id"]).agg(
        advocacy_referrals=a.count(where=a.kind == "referral"),
        advocacy_referrals_365d=a.count(where=(a.kind == "referral") & recent),
        advocacy_reviews=a.count(where=a.kind == "review"),
        advocacy_reviews_365d=a.count(where=(a.kind == "review") & recent),
    )
    return run.fetch(agg)


def derive(f: Columns, ctx: Context, plan: Plan) -> None:
    if ctx.has("advocacy"):
        for c in _COUNTS:
            f[c] = num(f[c], 0.0)


FAMILY = Family("advocacy", catalog, query, derive)
