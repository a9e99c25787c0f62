"""Support: tickets opened, open, answered, resolved, escalated; CSAT; categories."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import ibis
import pandas as pd

from healthscore.metrics._columns import Columns
from healthscore.metrics._context import Context
from healthscore.metrics._family import Family
from healthscore.metrics._helpers import div, median, num
from healthscore.metrics._plan import Plan
from healthscore.metrics._run import Run
from healthscore.metrics.catalog import HI, LO, MetricInfo, entries

__all__ = ["FAMILY"]

_m = entries("support")
# Counts that are 0, not unknown, for an account with no ticket in the window.
_COUNTS = (
    "support_tickets_28d",
    "support_tickets_90d",
    "support_open_tickets",
    "support_high_priority_90d",
    "support_escalated_90d",
)


def catalog(ctx: Context, windows: Sequence[int]) -> list[MetricInfo]:
    out = [
        _m("support_tickets_28d", "Tickets, last 28 days", "tickets", LO,
           "Tickets opened in the last 28 days."),
        _m("support_tickets_90d", "Tickets, last 90 days", "tickets", LO,
           "Tickets opened in the last 90 days."),
        _m("support_tickets_per_active_user_90d", "Tickets per active user, last 90 days",
           "tickets/user", LO, "Tickets (90d) per active user (90d)."),
        _m("support_open_tickets", "Open tickets", "tickets", LO,
           "Tickets opened by as_of and not resolved by as_of."),
        _m("support_median_first_response_hours_90d", "Median first response, last 90 days",
           "hours", LO,
           "Median hours to first response, tickets opened in 90d and answered by as_of."),
        _m("support_median_resolution_hours_90d", "Median resolution time, last 90 days",
           "hours", LO, "Median hours to resolution of tickets resolved in the last 90 days."),
        _m("support_high_priority_90d", "High-priority tickets, last 90 days", "tickets", LO,
           "High or urgent tickets opened in the last 90 days."),
        _m("support_escalated_90d", "Escalations, last 90 days", "tickets", LO,
           "Escalations in the last 90 days (at `escalated_at`; a ticket flagged "
           "`escalated` without that time counts if it was opened in the window)."),
        _m("support_csat_avg_90d", "Ticket CSAT, last 90 days", "score", HI,
           "Average ticket CSAT (1-5) of tickets resolved in the last 90 days."),
        _m("support_self_service_rate_90d", "Self-service rate, last 90 days", "share", HI,
           "Help-article views / (views + tickets) over 90 days."),
    ]  # fmt: skip
    for raw, s in ctx.categories:
        out.append(
            _m(f"support_share_{s}_90d", f"Share of '{raw}' tickets, last 90 days", "share",
               None, f"Share of 90-day tickets in category '{raw}'.")
        )  # fmt: skip
    return out


def query(run: Run) -> pd.DataFrame | None:
    if not run.ctx.has("tickets"):
        return None
    t = run.by_date(run.table("tickets"), "opened_at")
    in28 = t.opened_at >= t.s28
    in90 = t.opened_at >= t.s90
    answered = t.first_response_at.notnull() & (t.first_response_at < t.end_ts)
    resolved = t.resolved_at.notnull() & (t.resolved_at < t.end_ts)
    resolved90 = resolved & (t.resolved_at >= t.s90)
    # Escalations in the window by their own time; a flag without one counts from the
    # opening (the ticket's current state is all such a source tells).
    escalated90 = in90 & (t.escalated == True)  # noqa: E712
    if "escalated_at" in t.columns:  # absent from tables copied to an engine before it
        escalated90 = ibis.ifelse(
            t.escalated_at.isnull(),
            escalated90,
            (t.escalated_at >= t.s90) & (t.escalated_at < t.end_ts),
        )
    hours_first = (t.first_response_at.epoch_seconds() - t.opened_at.epoch_seconds()) / 3600.0
    hours_res = (t.resolved_at.epoch_seconds() - t.opened_at.epoch_seconds()) / 3600.0
    aggs: dict[str, Any] = {
        "support_tickets_28d": t.count(where=in28),
        "support_tickets_90d": t.count(where=in90),
        "support_open_tickets": t.count(where=~resolved),
        "support_median_first_response_hours_90d": median(hours_first, in90 & answered),
        "support_median_resolution_hours_90d": median(hours_res, resolved90),
        "support_high_priority_90d": t.count(where=in90 & t.priority.isin(["high", "urgent"])),
        "support_escalated_90d": t.count(where=escalated90),
        "support_csat_avg_90d": t.csat.mean(where=resolved90),
    }
    for raw, s in run.ctx.categories:
        aggs[f"cat_{s}"] = t.count(where=in90 & (t.category == raw))
    df = run.fetch(t.group_by(["as_of", "account_id"]).agg(**aggs))
    for _, s in run.ctx.categories:
        df[f"support_share_{s}_90d"] = div(df.pop(f"cat_{s}"), df["support_tickets_90d"])
    return df


def derive(f: Columns, ctx: Context, plan: Plan) -> None:
    if "support_tickets_90d" not in f:
        return
    for c in _COUNTS:
        f[c] = num(f[c], 0.0)
    if "usage_active_users_90d" in f:
        f["support_tickets_per_active_user_90d"] = div(
            f["support_tickets_90d"], f["usage_active_users_90d"]
        )
    if ctx.has("events") and ctx.help_types:
        # help_n_90: help-article views in the last 90 days, from the usage scans.
        views = num(f["help_n_90"], 0.0)
        f["support_self_service_rate_90d"] = div(views, views + f["support_tickets_90d"])


FAMILY = Family("support", catalog, query, derive)
