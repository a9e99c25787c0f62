"""Headline numbers of a store: rows per table, accounts by segment, the event span."""

from __future__ import annotations

from typing import Any

import ibis

from healthscore.store.queries._backend import Source, rows, table
from healthscore.store.schema import KINDS

__all__ = ["portfolio_summary", "row_count", "row_counts"]


def row_count(source: Source, name: str) -> int:
    """Rows held by table `name`."""
    return int(table(source, name).count().to_pyarrow().as_py())


def row_counts(source: Source) -> dict[str, int]:
    """Rows held by each signal table, in the schema's order."""
    return {name: row_count(source, name) for name in KINDS}


def portfolio_summary(source: Source) -> dict[str, Any]:
    """What the store holds, in the terms `healthscore demo` reports.

    accounts, active (with an open subscription), churned (without one), by_segment
    (segment -> accounts, churned, mrr; 'unknown' for accounts without a segment), mrr,
    first_date and last_date (days of the first and last event; None without events),
    rows (per table), events, tickets, open_tickets (open or pending) and
    survey_responses (surveys answered).
    """
    counts = row_counts(source)
    a = table(source, "accounts")
    s = table(source, "subscriptions")
    open_subs = s.filter(s.end_date.isnull()).select(open_id=s.account_id).distinct()
    j = a.left_join(open_subs, a.account_id == open_subs.open_id)
    j = j.mutate(segment=j.segment.fill_null("unknown"))
    seg = j.group_by("segment").aggregate(
        n=j.count(),
        churned=ibis.ifelse(j.open_id.isnull(), 1, 0).sum(),
        mrr=ibis.coalesce(j.mrr.sum(), 0),
    )
    by_segment = {
        r["segment"]: {
            "accounts": int(r["n"]),
            "churned": int(r["churned"] or 0),
            "mrr": round(float(r["mrr"]), 2),
        }
        for r in sorted(rows(seg), key=lambda r: str(r["segment"]))
    }
    e = table(source, "events")
    span = rows(e.aggregate(first=e.event_time.min(), last=e.event_time.max()))[0]
    t = table(source, "tickets")
    open_tickets = t.filter(t.status.isin(["open", "pending"])).count().to_pyarrow().as_py()
    v = table(source, "surveys")
    responses = v.filter(v.responded_at.notnull()).count().to_pyarrow().as_py()
    churned = sum(x["churned"] for x in by_segment.values())
    return {
        "accounts": counts["accounts"],
        "active": counts["accounts"] - churned,
        "churned": churned,
        "by_segment": by_segment,
        "mrr": round(sum(x["mrr"] for x in by_segment.values()), 2),
        "first_date": span["first"].date() if span["first"] else None,
        "last_date": span["last"].date() if span["last"] else None,
        "rows": counts,
        "events": counts["events"],
        "tickets": counts["tickets"],
        "open_tickets": int(open_tickets),
        "survey_responses": int(responses),
    }
