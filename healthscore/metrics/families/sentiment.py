"""Sentiment of what customers write: average and trend, negative share, recency, intent.

Reads `text_analysis` (written by `healthscore text run` / the demo; see docs/text.md), one
row per analysed survey comment, ticket, CSM note or judgement note, dated by the text's
own time, so a text dated after as_of never counts.  Texts labelled unknown (empty,
non-English, unreadable) carry no score and are left out.  A store without text analysis
gets NaN for every metric here.
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from healthscore.metrics._columns import Columns
from healthscore.metrics._context import Context
from healthscore.metrics._family import Family
from healthscore.metrics._helpers import day_n, div, num
from healthscore.metrics._plan import Plan
from healthscore.metrics._run import Run
from healthscore.metrics.catalog import HI, LO, MetricInfo, entries

__all__ = ["FAMILY", "INTENT_DAYS"]

_m = entries("sentiment")
# How long a cancellation-intent text keeps the flag raised; a newer one restarts it.
# `sentiment_days_since_cancellation_intent` lets a scorecard or rule use any other span.
INTENT_DAYS = 90
TABLE = "text_analysis"


def catalog(ctx: Context, windows: Sequence[int]) -> list[MetricInfo]:
    return [
        _m("sentiment_avg_90d", "Text sentiment, last 90 days", "score", HI,
           "Average sentiment score (-1 to 1) of the account's analysed texts (survey "
           "comments, tickets, CSM notes) in the last 90 days."),
        _m("sentiment_change_90d", "Text sentiment change, last 90 days", "points", HI,
           "Average text sentiment of the last 90 days minus that of the 90 days before."),
        _m("sentiment_negative_share_90d", "Share of negative texts, last 90 days", "share",
           LO, "Texts labelled negative / texts with a sentiment, last 90 days."),
        _m("sentiment_texts_90d", "Texts, last 90 days", "texts", None,
           "Analysed texts with a sentiment in the last 90 days."),
        _m("sentiment_days_since_negative", "Days since a negative text", "days", HI,
           "Days from the newest negative text on or before as_of to as_of."),
        _m("sentiment_cancellation_intent", "Cancellation intent", "flag", LO,
           f"1 when a text in the last {INTENT_DAYS} days showed cancellation intent (a "
           "newer one restarts the span), else 0."),
        _m("sentiment_days_since_cancellation_intent", "Days since cancellation intent",
           "days", HI, "Days from the newest text showing cancellation intent to as_of."),
    ]  # fmt: skip


def query(run: Run) -> pd.DataFrame | None:
    if TABLE not in run.backend.list_tables():
        return None
    t = run.table(TABLE)
    t = t.filter((t.label != "unknown") & t.occurred_at.notnull())
    a = run.by_date(t, "occurred_at")
    in90 = a.occurred_at >= a.s90
    before = (a.occurred_at >= a.s180) & (a.occurred_at < a.s90)
    df = run.fetch(
        a.group_by(["as_of", "account_id"]).agg(
            sentiment_avg_90d=a.score.mean(where=in90),
            prev_avg=a.score.mean(where=before),
            sentiment_texts_90d=a.count(where=in90),
            negative_n=a.count(where=in90 & (a.label == "negative")),
            last_negative=a.occurred_at.max(where=a.label == "negative"),
            last_intent=a.occurred_at.max(where=a.cancellation_intent),
        )
    )
    as_of_n = day_n(df["as_of"])
    df["sentiment_change_90d"] = num(df["sentiment_avg_90d"]) - num(df.pop("prev_avg"))
    df["sentiment_negative_share_90d"] = div(
        num(df.pop("negative_n")), num(df["sentiment_texts_90d"])
    )
    df["sentiment_days_since_negative"] = as_of_n - day_n(df.pop("last_negative"))
    since = as_of_n - day_n(df.pop("last_intent"))
    df["sentiment_days_since_cancellation_intent"] = since
    df["sentiment_cancellation_intent"] = (since < INTENT_DAYS).astype("float64")
    df["sentiment_avg_90d"] = num(df["sentiment_avg_90d"])
    df["sentiment_texts_90d"] = num(df["sentiment_texts_90d"])
    return df


def derive(f: Columns, ctx: Context, plan: Plan) -> None:
    # An account without texts has no sentiment, but certainly no texts and no intent.
    if "sentiment_texts_90d" not in f:
        return
    f["sentiment_texts_90d"] = num(f["sentiment_texts_90d"], 0.0)
    f["sentiment_cancellation_intent"] = num(f["sentiment_cancellation_intent"], 0.0)


FAMILY = Family("sentiment", catalog, query, derive)
