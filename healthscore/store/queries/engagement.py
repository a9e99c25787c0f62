"""Engagement per account: the latest NPS answer, advocacy taken, CSM interactions, and when
each account first used a feature that marks first value."""

from __future__ import annotations

import pandas as pd

from healthscore.store.queries._backend import Source, frame, table

__all__ = [
    "account_starts",
    "advocacy_counts",
    "first_value_times",
    "interaction_counts",
    "latest_nps",
]


def account_starts(source: Source) -> pd.DataFrame:
    """account_id, segment and persona ('(none)' when missing), start_date (the account's
    start, else its first subscription's), for every account."""
    a = table(source, "accounts")
    s = table(source, "subscriptions")
    first = s.group_by("account_id").aggregate(first_sub=s.start_date.min())
    j = a.left_join(first, a.account_id == first.account_id)
    return frame(
        j.select(
            account_id=j.account_id.cast("string"),
            segment=j.segment.fill_null("(none)"),
            persona=j.persona.fill_null("(none)"),
            start_date=j.start_date.fill_null(j.first_sub),
        )
    )


def first_value_times(source: Source) -> pd.DataFrame:
    """account_id, first_value_at: the first event of a feature flagged first_value."""
    e = table(source, "events")
    f = table(source, "features")
    flagged = f.filter(f.first_value).select(feature=f.feature).distinct()
    j = e.join(flagged, e.event_type == flagged.feature)
    return frame(
        j.group_by(account_id=j.account_id.cast("string")).aggregate(
            first_value_at=j.event_time.min()
        )
    )


def latest_nps(source: Source) -> pd.DataFrame:
    """account_id, nps: the score of each account's most recent NPS answer."""
    v = table(source, "surveys")
    v = v.filter((v.survey_type == "nps") & v.score.notnull())
    return frame(
        v.group_by(account_id=v.account_id.cast("string")).aggregate(
            nps=v.score.argmax(v.responded_at)
        )
    )


def advocacy_counts(source: Source) -> pd.DataFrame:
    """account_id, n (advocacy actions), referrals, for accounts with any advocacy."""
    a = table(source, "advocacy")
    return frame(
        a.group_by(account_id=a.account_id.cast("string")).aggregate(
            n=a.count(), referrals=a.count(where=a.kind == "referral")
        )
    )


def interaction_counts(source: Source) -> pd.DataFrame:
    """account_id, n: CSM interactions logged per account (accounts with any)."""
    i = table(source, "interactions")
    return frame(i.group_by(account_id=i.account_id.cast("string")).aggregate(n=i.count()))
