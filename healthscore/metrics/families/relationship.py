"""Relationship: CSM touches, CSM judgements and their age, e-mail and event engagement."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import ibis
import pandas as pd

from healthscore.metrics._columns import Columns
from healthscore.metrics._context import Context
from healthscore.metrics._family import Family
from healthscore.metrics._helpers import day_n, div, merge_all, num
from healthscore.metrics._plan import Plan
from healthscore.metrics._run import Run
from healthscore.metrics.catalog import HI, LO, MetricInfo, entries

__all__ = ["FAMILY"]

_m = entries("relationship")


def catalog(ctx: Context, windows: Sequence[int]) -> list[MetricInfo]:
    out = [
        _m("relationship_days_since_last_touch", "Days since last CSM touch", "days", LO,
           "Days since the last CSM interaction."),
        _m("relationship_touches_per_month_90d", "CSM touches per month, last 90 days",
           "touches/month", HI, "CSM interactions per 30 days over the last 90 days."),
        _m("relationship_email_open_rate_90d", "E-mail open rate, last 90 days", "share", HI,
           "E-mails opened / sent over 90 days."),
        _m("relationship_email_click_rate_90d", "E-mail click rate, last 90 days", "share", HI,
           "E-mails clicked / sent over 90 days."),
        _m("relationship_events_attended_180d", "Events attended, last 180 days", "events", HI,
           "Events and webinars attended in the last 180 days."),
    ]  # fmt: skip
    for raw, s in ctx.measures:
        out += [
            _m(f"judgement_{s}", f"CSM judgement '{raw}'", "value", HI,
               f"Latest CSM judgement '{raw}'."),
            _m(f"judgement_{s}_age_days", f"Days since CSM judgement '{raw}'", "days", LO,
               f"Days since the latest '{raw}' judgement."),
        ]  # fmt: skip
    return out


def query(run: Run) -> pd.DataFrame | None:
    parts = []
    if run.ctx.has("interactions"):
        i = run.by_date(run.table("interactions"), "occurred_at")
        agg = i.group_by(["as_of", "account_id"]).agg(
            last_touch=i.occurred_at.max(), touches90=i.count(where=i.occurred_at >= i.s90)
        )
        df = run.fetch(agg)
        df["touch_n"] = day_n(df.pop("last_touch"))
        df["relationship_touches_per_month_90d"] = df.pop("touches90") / 3.0
        parts.append(df)
    if run.ctx.has("judgements"):
        j = run.by_date(run.table("judgements"), "recorded_at")
        rank = ibis.row_number().over(
            group_by=[j.as_of, j.account_id, j.measure],
            order_by=[j.recorded_at.desc(), j.judgement_id.desc()],
        )
        j = j.mutate(rk=rank).filter(lambda r: r.rk == 0)
        aggs: dict[str, Any] = {}
        for raw, s in run.ctx.measures:
            aggs[f"judgement_{s}"] = j.value.max(where=j.measure == raw)
            aggs[f"jt_{s}"] = j.recorded_at.max(where=j.measure == raw)
        parts.append(run.fetch(j.group_by(["as_of", "account_id"]).agg(**aggs)))
    if run.ctx.has("engagement"):
        e = run.by_date(run.table("engagement"), "occurred_at")
        in90 = e.occurred_at >= e.s90
        agg = e.group_by(["as_of", "account_id"]).agg(
            sent=e.count(where=in90 & (e.kind == "email_sent")),
            opened=e.count(where=in90 & (e.kind == "email_opened")),
            clicked=e.count(where=in90 & (e.kind == "email_clicked")),
            relationship_events_attended_180d=e.count(
                where=(e.occurred_at >= e.s180)
                & e.kind.isin(["event_attended", "webinar_attended"])
            ),
        )
        df = run.fetch(agg)
        df["relationship_email_open_rate_90d"] = div(df.pop("opened"), df["sent"])
        df["relationship_email_click_rate_90d"] = div(df.pop("clicked"), df.pop("sent"))
        parts.append(df)
    return merge_all(parts)


def derive(f: Columns, ctx: Context, plan: Plan) -> None:
    n = f["as_of_n"]
    if "touch_n" in f:
        f["relationship_days_since_last_touch"] = n - f["touch_n"]
        f["relationship_touches_per_month_90d"] = num(f["relationship_touches_per_month_90d"], 0.0)
    for _, s in ctx.measures:
        f[f"judgement_{s}_age_days"] = n - day_n(f[f"jt_{s}"])


FAMILY = Family("relationship", catalog, query, derive)
