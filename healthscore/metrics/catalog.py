"""The metric catalogue: every metric's name, group, meaning, unit and direction.

`compute_metrics` returns exactly these columns (in this order), so a scorecard can be
validated against the catalogue before anything is computed.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from healthscore.metrics._context import Context

__all__ = ["CURRENT_STATE", "DEFAULT_WINDOWS", "GROUPS", "MetricInfo", "build_catalog"]

DEFAULT_WINDOWS = (7, 28, 90)
GROUPS = (
    "usage",
    "adoption",
    "support",
    "voice",
    "relationship",
    "goals",
    "financial",
    "advocacy",
    "custom",
)
Direction = Literal["higher_is_better", "lower_is_better"] | None
HI: Direction = "higher_is_better"
LO: Direction = "lower_is_better"


@dataclass(frozen=True)
class MetricInfo:
    name: str
    group: str
    description: str
    direction: Direction
    unit: str


# Metrics read from fields that hold only their current state (no history): right for
# today's score, a peek into the future for any past as_of (an account that later churned
# has no renewal date any more).  Models never train on them.
CURRENT_STATE = frozenset({"financial_days_to_renewal"})


def _usage(windows: Sequence[int], ctx: Context) -> list[MetricInfo]:
    out = []
    for w in windows:
        out += [
            MetricInfo(
                f"usage_active_days_{w}d",
                "usage",
                f"Days with at least one event in the last {w} days.",
                HI,
                "days",
            ),
            MetricInfo(
                f"usage_active_days_change_{w}d",
                "usage",
                f"Change of active days vs the previous {w} days.",
                HI,
                "%",
            ),
            MetricInfo(
                f"usage_events_{w}d", "usage", f"Usage events in the last {w} days.", HI, "events"
            ),
            MetricInfo(
                f"usage_events_change_{w}d",
                "usage",
                f"Change of usage events vs the previous {w} days.",
                HI,
                "%",
            ),
            MetricInfo(
                f"usage_active_users_{w}d",
                "usage",
                f"Distinct users with an event in the last {w} days.",
                HI,
                "users",
            ),
            MetricInfo(
                f"usage_active_users_per_seat_{w}d",
                "usage",
                f"Active users ({w}d) divided by seats purchased.",
                HI,
                "ratio",
            ),
            MetricInfo(
                f"usage_events_per_active_user_{w}d",
                "usage",
                f"Events per active user in the last {w} days.",
                HI,
                "events/user",
            ),
            MetricInfo(
                f"usage_logins_per_week_{w}d",
                "usage",
                f"Login events per week over the last {w} days.",
                HI,
                "logins/week",
            ),
        ]
    out += [
        MetricInfo(
            "usage_weeks_active_share_12w",
            "usage",
            "Share of the last 12 whole weeks (since the account started) with any activity.",
            HI,
            "share",
        ),
        MetricInfo(
            "usage_consistency_12w",
            "usage",
            "1 - CV of weekly event counts over the last 12 whole weeks since the start, scaled to 0..1 (1 = perfectly even).",
            HI,
            "share",
        ),
        MetricInfo(
            "usage_days_since_last_activity",
            "usage",
            "Days since the last usage event (NaN if none ever).",
            LO,
            "days",
        ),
    ]
    for raw, s in ctx.event_types:
        for w in windows:
            out += [
                MetricInfo(
                    f"events_{s}_{w}d",
                    "usage",
                    f"'{raw}' events in the last {w} days.",
                    HI,
                    "events",
                ),
                MetricInfo(
                    f"events_{s}_per_active_day_{w}d",
                    "usage",
                    f"'{raw}' events per active day in the last {w} days.",
                    HI,
                    "events/day",
                ),
                MetricInfo(
                    f"events_{s}_change_{w}d",
                    "usage",
                    f"Change of '{raw}' events vs the previous {w} days.",
                    HI,
                    "%",
                ),
            ]
    return out


def _fixed() -> list[MetricInfo]:
    return [
        MetricInfo(
            "adoption_features_used_90d",
            "adoption",
            "Distinct catalogue features used in the last 90 days.",
            HI,
            "features",
        ),
        MetricInfo(
            "adoption_breadth_90d",
            "adoption",
            "Share of the feature catalogue used in the last 90 days.",
            HI,
            "share",
        ),
        MetricInfo(
            "adoption_high_impact_share_90d",
            "adoption",
            "Share of 90-day events on high-impact features (depth).",
            HI,
            "share",
        ),
        MetricInfo(
            "adoption_high_impact_used_90d",
            "adoption",
            "Share of high-impact features used in the last 90 days.",
            HI,
            "share",
        ),
        MetricInfo(
            "adoption_ttfv_days",
            "adoption",
            "Days from account start to the first 'first value' event; while not reached, days elapsed so far. Unknown (empty) for accounts that started before the store's usage history.",
            LO,
            "days",
        ),
        MetricInfo(
            "adoption_ttfv_reached",
            "adoption",
            "1 if a first-value event happened on or before as_of, else 0.",
            HI,
            "flag",
        ),
        MetricInfo(
            "support_tickets_28d", "support", "Tickets opened in the last 28 days.", LO, "tickets"
        ),
        MetricInfo(
            "support_tickets_90d", "support", "Tickets opened in the last 90 days.", LO, "tickets"
        ),
        MetricInfo(
            "support_tickets_per_active_user_90d",
            "support",
            "Tickets (90d) per active user (90d).",
            LO,
            "tickets/user",
        ),
        MetricInfo(
            "support_open_tickets",
            "support",
            "Tickets opened by as_of and not resolved by as_of.",
            LO,
            "tickets",
        ),
        MetricInfo(
            "support_median_first_response_hours_90d",
            "support",
            "Median hours to first response, tickets opened in 90d and answered by as_of.",
            LO,
            "hours",
        ),
        MetricInfo(
            "support_median_resolution_hours_90d",
            "support",
            "Median hours to resolution of tickets resolved in the last 90 days.",
            LO,
            "hours",
        ),
        MetricInfo(
            "support_high_priority_90d",
            "support",
            "High or urgent tickets opened in the last 90 days.",
            LO,
            "tickets",
        ),
        MetricInfo(
            "support_escalated_90d",
            "support",
            "Escalations in the last 90 days (at `escalated_at`; a ticket flagged "
            "`escalated` without that time counts if it was opened in the window).",
            LO,
            "tickets",
        ),
        MetricInfo(
            "support_csat_avg_90d",
            "support",
            "Average ticket CSAT (1-5) of tickets resolved in the last 90 days.",
            HI,
            "score",
        ),
        MetricInfo(
            "support_self_service_rate_90d",
            "support",
            "Help-article views / (views + tickets) over 90 days.",
            HI,
            "share",
        ),
        MetricInfo(
            "voice_nps_latest", "voice", "Latest NPS answer (0-10) on or before as_of.", HI, "score"
        ),
        MetricInfo(
            "voice_nps_change", "voice", "Latest NPS answer minus the previous one.", HI, "points"
        ),
        MetricInfo(
            "voice_csat_avg_180d",
            "voice",
            "Average CSAT survey score (1-5) over 180 days.",
            HI,
            "score",
        ),
        MetricInfo(
            "voice_survey_response_rate_365d",
            "voice",
            "Surveys answered / surveys sent in the last 365 days.",
            HI,
            "share",
        ),
        MetricInfo(
            "relationship_days_since_last_touch",
            "relationship",
            "Days since the last CSM interaction.",
            LO,
            "days",
        ),
        MetricInfo(
            "relationship_touches_per_month_90d",
            "relationship",
            "CSM interactions per 30 days over the last 90 days.",
            HI,
            "touches/month",
        ),
        MetricInfo(
            "relationship_email_open_rate_90d",
            "relationship",
            "E-mails opened / sent over 90 days.",
            HI,
            "share",
        ),
        MetricInfo(
            "relationship_email_click_rate_90d",
            "relationship",
            "E-mails clicked / sent over 90 days.",
            HI,
            "share",
        ),
        MetricInfo(
            "relationship_events_attended_180d",
            "relationship",
            "Events and webinars attended in the last 180 days.",
            HI,
            "events",
        ),
        MetricInfo(
            "goals_milestones_done_share",
            "goals",
            "Milestones completed by as_of / milestones due or completed by as_of.",
            HI,
            "share",
        ),
        MetricInfo(
            "goals_milestones_overdue",
            "goals",
            "Milestones past due and not completed at as_of.",
            LO,
            "milestones",
        ),
        MetricInfo(
            "financial_mrr", "financial", "MRR of subscriptions active on as_of.", HI, "currency"
        ),
        MetricInfo(
            "financial_mrr_change_28d", "financial", "Change of MRR vs 28 days earlier.", HI, "%"
        ),
        MetricInfo(
            "financial_mrr_change_90d", "financial", "Change of MRR vs 90 days earlier.", HI, "%"
        ),
        MetricInfo(
            "financial_days_late_max_90d",
            "financial",
            "Max days late of invoices due in the last 90 days (unpaid: days so far).",
            LO,
            "days",
        ),
        MetricInfo(
            "financial_days_late_avg_90d",
            "financial",
            "Average days late of invoices due in the last 90 days.",
            LO,
            "days",
        ),
        MetricInfo(
            "financial_days_late_max_180d",
            "financial",
            "Max days late of invoices due in the last 180 days.",
            LO,
            "days",
        ),
        MetricInfo(
            "financial_days_late_avg_180d",
            "financial",
            "Average days late of invoices due in the last 180 days.",
            LO,
            "days",
        ),
        MetricInfo(
            "financial_unpaid_overdue_invoices",
            "financial",
            "Invoices past due and unpaid at as_of.",
            LO,
            "invoices",
        ),
        MetricInfo(
            "financial_failed_payments_90d",
            "financial",
            "Failed payment attempts on invoices issued in the last 90 days.",
            LO,
            "attempts",
        ),
        MetricInfo(
            "financial_tenure_days", "financial", "Days since the account started.", HI, "days"
        ),
        MetricInfo(
            "financial_days_to_renewal",
            "financial",
            "Days from as_of to the account's current renewal date (current state: not used "
            "to train or backtest models).",
            None,
            "days",
        ),
        MetricInfo(
            "advocacy_referrals",
            "advocacy",
            "Referrals made, ever (on or before as_of).",
            HI,
            "referrals",
        ),
        MetricInfo(
            "advocacy_referrals_365d",
            "advocacy",
            "Referrals made in the last 365 days.",
            HI,
            "referrals",
        ),
        MetricInfo("advocacy_reviews", "advocacy", "Reviews written, ever.", HI, "reviews"),
        MetricInfo(
            "advocacy_reviews_365d",
            "advocacy",
            "Reviews written in the last 365 days.",
            HI,
            "reviews",
        ),
    ]


def _dynamic(ctx: Context) -> list[MetricInfo]:
    out = []
    for raw, s in ctx.categories:
        out.append(
            MetricInfo(
                f"support_share_{s}_90d",
                "support",
                f"Share of 90-day tickets in category '{raw}'.",
                None,
                "share",
            )
        )
    for raw, s in ctx.measures:
        out += [
            MetricInfo(
                f"judgement_{s}", "relationship", f"Latest CSM judgement '{raw}'.", HI, "value"
            ),
            MetricInfo(
                f"judgement_{s}_age_days",
                "relationship",
                f"Days since the latest '{raw}' judgement.",
                LO,
                "days",
            ),
        ]
    return out


def build_catalog(
    ctx: Context, windows: Sequence[int], custom: Sequence[object] = ()
) -> list[MetricInfo]:
    """The full, ordered catalogue for this store shape, windows and custom metrics."""
    out = _usage(windows, ctx) + _fixed() + _dynamic(ctx)
    for c in custom:
        out.append(c.info())  # type: ignore[attr-defined]
    order = {g: i for i, g in enumerate(GROUPS)}
    return sorted(out, key=lambda m: order[m.group])  # stable: keeps order within a group
