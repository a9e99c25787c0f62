"""Activity: when each account was last seen, as of given dates."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

import ibis
import pandas as pd

from healthscore.store.queries._backend import Source, frame, table

__all__ = ["days_since_activity"]


def days_since_activity(
    source: Source, dates: Iterable[dt.date], column: str = "days_since_activity"
) -> pd.DataFrame:
    """as_of, account_id, `column`: days from the account's last event on or before each
    date (else its first subscription start, for accounts with no event yet) to that date.

    One row per date and account having an event or a subscription started by then,
    ordered by date and account."""
    days = sorted({pd.Timestamp(d).date() for d in dates})
    d = ibis.memtable(pd.DataFrame({"as_of": days}), schema={"as_of": "date"})
    e = table(source, "events")
    end = d.as_of.cast("timestamp") + ibis.interval(days=1)
    last = (
        d.join(e, e.event_time < end)
        .group_by([d.as_of, e.account_id])
        .aggregate(last_day=e.event_time.cast("date").max())
    )
    s = table(source, "subscriptions")
    first = (
        d.join(s, s.start_date <= d.as_of)
        .group_by([d.as_of, s.account_id])
        .aggregate(first_day=s.start_date.min())
    )
    both = last.outer_join(first, [last.as_of == first.as_of, last.account_id == first.account_id])
    as_of = ibis.coalesce(both.as_of, both.as_of_right)
    seen = ibis.coalesce(both.last_day, both.first_day)
    out = frame(
        both.select(
            as_of=as_of,
            account_id=ibis.coalesce(both.account_id, both.account_id_right).cast("string"),
            **{column: as_of.delta(seen, unit="day").cast("float64")},
        )
    )
    out["as_of"] = pd.to_datetime(out["as_of"]).dt.date
    return out.sort_values(["as_of", "account_id"], kind="stable").reset_index(drop=True)
