"""The span of data a store holds: its first and its newest day of recorded signals."""

from __future__ import annotations

import datetime as dt
from typing import NamedTuple

import ibis

from healthscore.store.queries._backend import Source, table
from healthscore.store.schema import KINDS

__all__ = ["NEVER_PAID_STATUSES", "OBSERVED", "DataRange", "data_range"]

# Tables whose time column records something that happened, by that column.  Milestones
# are left out: their due dates lie in the future, and "the newest data" must not.
OBSERVED: dict[str, str] = {
    t.name: t.time_column for t in KINDS.values() if t.time_column and t.name != "milestones"
}


# Subscription statuses of rows that never ran (Stripe's `incomplete`, Chargebee's `future`):
# a scheduled row's start is not something that happened, so it does not move the data end.
NEVER_PAID_STATUSES = ("incomplete", "incomplete_expired", "future")

# Times before this are placeholders (`epoch` = 1970), not recorded signals; the importer
# refuses them, but a store may hold rows stored before it did.
EARLIEST = dt.date(1990, 1, 1)
# ... and so are times more than this far after today (`infinity`, year 9999).
HORIZON = dt.timedelta(days=366)


class DataRange(NamedTuple):
    """First and last day with a recorded signal."""

    first: dt.date
    last: dt.date


def data_range(
    source: Source, as_of: dt.date | None = None, *, today: dt.date | None = None
) -> DataRange | None:
    """First and newest day of any recorded signal (the newest capped at `as_of` when given);
    None when the store holds no signal at all.

    This is *the* definition of "the newest data": scoring's default date, its data-lag
    warning and the outcomes' data end all read it.  Times outside the plausible range
    (before 1990, or more than a year after `today`) are not signals: one such row, stored
    before the importer refused them, must not move every score's date.
    """
    lo_day = ibis.date(EARLIEST)
    hi_day = ibis.date((today or dt.date.today()) + HORIZON)
    parts = []
    for name, col in OBSERVED.items():
        t = table(source, name)
        if name == "subscriptions" and "status" in t.columns:
            t = t.filter(t.status.isnull() | ~t.status.lower().isin(NEVER_PAID_STATUSES))
        day = t.select(d=t[col].cast("date"))
        day = day.filter(day.d.between(lo_day, hi_day))
        parts.append(day.aggregate(lo=day.d.min(), hi=day.d.max()))
    both = ibis.union(*parts)
    row = both.aggregate(lo=both.lo.min(), hi=both.hi.max()).to_pyarrow().to_pylist()[0]
    if row["lo"] is None:
        return None
    last = row["hi"] if as_of is None else min(row["hi"], as_of)
    return DataRange(row["lo"], last)
