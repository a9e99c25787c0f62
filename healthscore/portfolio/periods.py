"""Calendar periods (months, quarters) and what is known about each of them.

A period is half-open: it starts on its first day and ends *before* `end`, the first day
of the next period.  An account "at the period's end" is an account active on `end`.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from enum import StrEnum

from healthscore.errors import NotEnoughData

__all__ = [
    "Known",
    "Period",
    "PeriodKind",
    "add_months",
    "period_of",
    "periods_between",
]


class PeriodKind(StrEnum):
    month = "month"
    quarter = "quarter"

    @property
    def months(self) -> int:
        return 1 if self is PeriodKind.month else 3


def add_months(day: dt.date, months: int) -> dt.date:
    """The first day of the month `months` after `day`'s month (`day` must be a 1st)."""
    n = day.year * 12 + day.month - 1 + months
    return dt.date(n // 12, n % 12 + 1, 1)


@dataclass(frozen=True, order=True)
class Period:
    """One calendar month or quarter: ``[start, end)``."""

    start: dt.date
    end: dt.date
    kind: PeriodKind

    @property
    def label(self) -> str:
        if self.kind is PeriodKind.month:
            return f"{self.start:%Y-%m}"
        return f"{self.start.year}-Q{(self.start.month - 1) // 3 + 1}"

    @property
    def last_day(self) -> dt.date:
        return self.end - dt.timedelta(days=1)

    def shifted(self, periods: int) -> Period:
        """The period `periods` periods later (earlier when negative)."""
        step = self.kind.months * periods
        return Period(add_months(self.start, step), add_months(self.end, step), self.kind)

    @property
    def per_year(self) -> int:
        """How many such periods make a year (12 months, 4 quarters)."""
        return 12 // self.kind.months


def period_of(day: dt.date, kind: PeriodKind) -> Period:
    """The month or quarter holding `day`."""
    month = day.month if kind is PeriodKind.month else 3 * ((day.month - 1) // 3) + 1
    start = dt.date(day.year, month, 1)
    return Period(start, add_months(start, kind.months), kind)


def periods_between(lo: dt.date, hi: dt.date, kind: PeriodKind) -> list[Period]:
    """Every period from the one holding `lo` to the one holding `hi`, oldest first."""
    if hi < lo:
        raise ValueError(f"the range ends ({hi}) before it starts ({lo})")
    out = [period_of(lo, kind)]
    while out[-1].end <= hi:
        out.append(out[-1].shifted(1))
    return out


@dataclass(frozen=True)
class Known:
    """What the store knows: its first and newest day of data, and the day up to which
    churn is final (docs/outcomes.md: ``min(data end, billing end) - grace``)."""

    data_start: dt.date
    data_end: dt.date
    churn_known_until: dt.date

    def status(self, period: Period) -> str:
        """'final' when churn is known to the period's end; else 'provisional'."""
        return "final" if period.end <= self.churn_known_until else "provisional"

    def check(self, periods: list[Period]) -> list[Period]:
        """The periods this store can say anything about.

        Periods that start after the newest data are dropped; when none is left the
        request is refused with `NotEnoughData`, naming the span of the data.
        """
        kept = [p for p in periods if p.start <= self.data_end and p.end > self.data_start]
        if not kept:
            raise NotEnoughData(
                f"no data in the periods asked for: the store holds data from "
                f"{self.data_start} to {self.data_end} (churn final up to "
                f"{self.churn_known_until})"
            )
        return kept
