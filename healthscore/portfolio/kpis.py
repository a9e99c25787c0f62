"""The portfolio KPIs of every period and group, with their trends: `portfolio_kpis`.

Each figure of a period is computed from what the store held about that period (the
subscription book on its eve and its last day, the answers, tickets and events dated
inside it); see docs/kpis.md for every definition.  A period whose churn is not yet final
(its last day is after the day churn is known to) is marked provisional.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

import pandas as pd

from healthscore.errors import HealthscoreError, NotEnoughData
from healthscore.portfolio._figures import Figures
from healthscore.portfolio.bands import band_figures, snapshot_in
from healthscore.portfolio.cltv import cltv_figures
from healthscore.portfolio.engagement import (
    DEFAULT_TTFV_TARGET_DAYS,
    Catalogue,
    adoption_figures,
    self_service_figures,
    ttfv_figures,
)
from healthscore.portfolio.periods import Known, Period, PeriodKind, period_of, periods_between
from healthscore.portfolio.retention import Book, retention_figures, ttm_retention
from healthscore.portfolio.satisfaction import csat_figures, nps_figures
from healthscore.portfolio.trends import compare, wilson
from healthscore.store.queries import engagement as _engagement
from healthscore.store.queries import kpis as q
from healthscore.store.queries import outcomes as _subs
from healthscore.store.queries import scores as _scores
from healthscore.store.queries import span as _span
from healthscore.store.queries._backend import Source

__all__ = ["ALL", "GroupBy", "InvalidKpiOption", "KpiReport", "UnknownSegment", "portfolio_kpis"]

ALL = "all"
NONE_GROUP = "(none)"
COVERED, NOT_COVERED = "covered", "not covered"
DEFAULT_CADENCE_DAYS = 30
DEFAULT_PERIODS = {PeriodKind.month: 12, PeriodKind.quarter: 8}
_BAND_ORDER = ("green", "yellow", "red")


class GroupBy(StrEnum):
    segment = "segment"
    plan = "plan"
    owner = "owner"
    coverage = "coverage"  # per period: a CSM interaction in the cadence before it or not


class UnknownSegment(HealthscoreError):
    """A segment no account carries."""


class InvalidKpiOption(HealthscoreError, ValueError):
    """A parameter of `portfolio_kpis` outside what it allows."""


def _invalid(name: str, allowed: str, got: object) -> InvalidKpiOption:
    return InvalidKpiOption(
        f"The {name!r} parameter of portfolio_kpis must be {allowed}. Got {got!r} instead."
    )


def _choice(enum: type[StrEnum], name: str, value: object) -> Any:
    try:
        return enum(str(value))
    except ValueError:
        raise _invalid(name, "one of " + ", ".join(e.value for e in enum), value) from None


@dataclass
class KpiReport:
    """The KPI rows (one per period and group, oldest period first, 'all' first) and
    what bounds them."""

    period: PeriodKind
    by: GroupBy | None
    segment: str | None
    known: Known
    rows: list[dict[str, Any]]
    bands: list[str]
    notes: list[str] = field(default_factory=list)
    cadence_days: int | None = None  # the coverage cadence, when split by coverage

    def as_dict(self) -> dict[str, Any]:
        return {
            "period": self.period.value,
            "by": None if self.by is None else self.by.value,
            "segment": self.segment,
            "cadence_days": self.cadence_days,
            "data_start": self.known.data_start,
            "data_end": self.known.data_end,
            "churn_known_until": self.known.churn_known_until,
            "bands": self.bands,
            "notes": self.notes,
            "rows": self.rows,
        }


def _known(source: Source, subs: pd.DataFrame, grace_days: int) -> Known:
    rng = _span.data_range(source)
    if rng is None:
        raise NotEnoughData("the store holds no data yet; import some first")
    starts = pd.to_datetime(subs["start_date"]) if len(subs) else pd.Series(dtype="M8[ns]")
    billing_end = min(starts.max().date(), rng.last) if len(starts) else rng.last
    until = min(rng.last, billing_end) - dt.timedelta(days=grace_days)
    return Known(rng.first, rng.last, until)


def _asked(
    known: Known, kind: PeriodKind, start: dt.date | None, end: dt.date | None
) -> tuple[list[Period], list[str]]:
    notes: list[str] = []
    hi = end or known.data_end
    if start is None:
        lo = period_of(min(hi, known.data_end), kind).shifted(1 - DEFAULT_PERIODS[kind]).start
        lo = max(lo, known.data_start)
    else:
        lo = start
    if start is not None and start > known.data_end:
        raise NotEnoughData(
            f"the period asked for starts on {start}, after the newest data ({known.data_end})"
        )
    asked = periods_between(lo, hi, kind)
    kept = known.check(asked)
    if len(kept) < len(asked) and kept[-1] != asked[-1]:
        notes.append(
            f"periods after {kept[-1].label} are left out: the newest data is {known.data_end}"
        )
    return kept, notes


def _by_period(df: pd.DataFrame, column: str, periods: list[Period]) -> dict[Period, pd.DataFrame]:
    t = pd.to_datetime(df[column]) if len(df) else pd.Series(dtype="M8[ns]")
    return {
        p: df[(t >= pd.Timestamp(p.start)) & (t < pd.Timestamp(p.end))] if len(df) else df
        for p in periods
    }


@dataclass
class _Inputs:
    """What the figures of every period are computed from, read once."""

    known: Known
    book: Book
    catalogue: Catalogue
    use_of: dict[Period, pd.DataFrame]
    surveys_of: dict[Period, pd.DataFrame]
    rated_of: dict[Period, pd.DataFrame]
    opened_of: dict[Period, pd.DataFrame]
    starts: pd.DataFrame
    first_values: pd.DataFrame
    events_start: dt.date | None
    ttfv_targets: Mapping[str, int] | int
    snaps: pd.DataFrame
    snap_of: dict[Period, dt.date | None]
    bands: list[str]
    account_arr: pd.Series


def _only(frame: pd.DataFrame, members: set[str] | None) -> pd.DataFrame:
    return frame if members is None else frame[frame["account_id"].isin(members)]


def _figures_of(inp: _Inputs, p: Period, members: set[str] | None, *, full: bool) -> Figures:
    """The figures of period `p` for `members` (None: every account); `full` adds those
    only shown, never compared (trailing-year retention, bands)."""
    f = Figures()
    book, known = inp.book, inp.known
    if book.empty:
        for k in ("churn_rate", "grr", "nrr"):
            f.put(k, None, "the store holds no subscriptions")
        active = {
            a
            for a, s in zip(inp.starts["account_id"], inp.starts["start"], strict=True)
            if pd.Timestamp(s) <= pd.Timestamp(p.last_day)
        }
    else:
        f.update(retention_figures(book, p, members))
        active = set(book.mrr_on(min(p.last_day, known.data_end)).index)
    if members is not None:
        active &= members
    has_events = inp.events_start is not None
    use = _only(inp.use_of[p], members)
    f.update(adoption_figures(use, inp.catalogue, active, has_events))
    opened = len(_only(inp.opened_of[p], members))
    f.update(self_service_figures(use, opened, inp.catalogue, has_events))
    surveys = _only(inp.surveys_of[p], members)
    f.update(nps_figures(surveys, p))
    f.update(csat_figures(surveys, _only(inp.rated_of[p], members), p))
    f.update(
        ttfv_figures(
            _only(inp.starts, members),
            inp.first_values,
            p,
            data_end=known.data_end,
            events_start=inp.events_start,
            targets=inp.ttfv_targets,
        )
    )
    if not full:
        return f
    if not book.empty:
        f.update(ttm_retention(book, p, members, book.first_day))
    snap = inp.snap_of.get(p)
    sn = inp.snaps[inp.snaps["as_of"] == snap] if snap is not None else inp.snaps.iloc[0:0]
    arr = inp.account_arr
    if snap is not None and not book.empty:
        arr = (12 * book.mrr_on(snap)).combine_first(inp.account_arr)
    f.update(band_figures(_only(sn, members), arr, inp.bands, snap))
    return f


Members = Callable[[Period], "set[str] | None"]  # a group's accounts in a period; None: all


def _fixed(members: set[str] | None) -> Members:
    return lambda _p: members


def _coverage(
    days: pd.DataFrame, cadence_days: int, scope: set[str], within: set[str] | None
) -> dict[str, Members]:
    """The covered and not covered accounts of each period: covered when a CSM interaction
    is logged in the `cadence_days` before the period's first day (an account of `scope`,
    the accounts of the selection, restricted to `within` when given)."""
    t = pd.to_datetime(days["day"]) if len(days) else pd.Series(dtype="M8[ns]")
    ids = days["account_id"].to_numpy()
    accounts = scope if within is None else scope & within
    gap = pd.Timedelta(days=cadence_days)

    def covered(p: Period) -> set[str]:
        start = pd.Timestamp(p.start)
        hit = ((t >= start - gap) & (t < start)).to_numpy()
        return set(ids[hit].tolist()) & accounts

    return {COVERED: covered, NOT_COVERED: lambda p: accounts - covered(p)}


def _add_cltv(
    figures: dict[tuple[Period, str], Figures],
    book: Book,
    every: list[Period],
    groups: Mapping[str, Members],
    kind: PeriodKind,
    gross_margin: float | None,
) -> None:
    """CLTV of every period computed, the wanted ones and those they are compared with
    (the previous period, a year earlier), each over its own trailing twelve months.

    The trailing year of the earliest periods reaches before them: the retention figures
    of those months are computed here, only for the pooled churn rate."""
    per_year = every[0].per_year
    first_day = book.first_day
    assert first_day is not None  # the book is not empty
    reach = periods_between(every[0].shifted(1 - per_year).start, every[0].start, kind)[:-1]
    older = {
        (t, g): retention_figures(book, t, members(t))
        for t in reach
        if t.end > first_day  # before the first subscription nobody is at risk
        for g, members in groups.items()
    }
    empty = Figures()
    for g in groups:
        for p in every:
            trailing = [
                figures.get((t, g)) or older.get((t, g)) or empty
                for t in periods_between(p.shifted(1 - per_year).start, p.start, kind)
            ]
            figures[(p, g)].update(cltv_figures(trailing, kind.months, gross_margin=gross_margin))


def portfolio_kpis(
    source: Source,
    *,
    period: PeriodKind | str = PeriodKind.month,
    start: dt.date | None = None,
    end: dt.date | None = None,
    segment: str | None = None,
    by: GroupBy | str | None = None,
    grace_days: int = 7,
    gross_margin: float | None = None,
    ttfv_targets: Mapping[str, int] | int = DEFAULT_TTFV_TARGET_DAYS,
    cadence_days: int = DEFAULT_CADENCE_DAYS,
) -> KpiReport:
    """The portfolio KPIs per `period` (month or quarter) from `start` to `end`.

    Parameters
    ----------
    source
        A Store or an Ibis backend holding the store's tables.
    start, end
        Days inside the first and last period wanted; default: the twelve months (eight
        quarters) up to the newest data.  Periods after the newest data are left out (a
        note says so); a `start` after it raises `NotEnoughData`.
    segment
        Only the accounts of this segment (any case); unknown segments raise
        `UnknownSegment`, naming the known ones.
    by
        Also a row per segment, plan or owner (account attributes as stored today), or per
        CSM coverage: ``"coverage"`` splits each period's accounts into those touched
        (a CSM interaction logged in the `cadence_days` before the period's first day) and
        the others.  That split is observational: CSMs choose whom they touch, so a
        difference between the groups is not the effect of coverage.
    grace_days
        A gap between subscription rows up to this long is a late renewal, not a churn
        (docs/outcomes.md); churn is final up to the data's end minus this.
    gross_margin
        Fraction of revenue kept after the cost of serving it, for CLTV (default 1).
    ttfv_targets
        Days to first value a new account should take: one number, or per segment.
    cadence_days
        How recent a CSM interaction must be for an account to count as covered.
    """
    kind: PeriodKind = _choice(PeriodKind, "period", period)
    group_by: GroupBy | None = None if by is None else _choice(GroupBy, "by", by)
    if gross_margin is not None and not 0 < gross_margin <= 1:
        raise _invalid("gross_margin", "a fraction in the range (0, 1]", gross_margin)
    if isinstance(cadence_days, bool) or not isinstance(cadence_days, int) or cadence_days < 1:
        raise _invalid("cadence_days", "a whole number of days, at least 1", cadence_days)
    subs = _subs.subscription_rows(source, dt.date(2199, 12, 31))
    known = _known(source, subs, grace_days)
    subs = subs[pd.to_datetime(subs["start_date"]).dt.date <= known.data_end]
    wanted, notes = _asked(known, kind, start, end)
    per_year = wanted[0].per_year
    first = wanted[0].shifted(-per_year)
    every = periods_between(first.start, wanted[-1].start, kind)
    lo, hi = every[0].start, every[-1].end

    attrs = q.account_attributes(source)
    if segment is not None:
        segs = sorted({str(s) for s in attrs["segment"].dropna()})
        if segment.lower() not in {s.lower() for s in segs}:
            raise UnknownSegment(
                f"no account is in segment {segment!r}; the segments are: "
                + (", ".join(segs) if segs else "(none: accounts carry no segment)")
            )
        attrs = attrs[attrs["segment"].str.lower() == segment.lower()]
    ids = set(attrs["account_id"])
    scope: set[str] | None = ids if segment is not None else None
    groups: dict[str, Members] = {ALL: _fixed(scope)}
    if group_by is GroupBy.coverage:
        # From the cadence before the first month any trailing-year CLTV pools.
        since = every[0].shifted(1 - per_year).start - dt.timedelta(days=cadence_days)
        touched = q.interaction_days(source, since, hi)
        groups |= _coverage(touched, cadence_days, ids, scope)
        notes.append(
            f"coverage: an account is covered in a period when a CSM interaction was logged "
            f"in the {cadence_days} days before the period's first day. The split is "
            f"observational, not causal: CSMs choose whom they touch (often the accounts at "
            f"risk, or the largest), so a difference between the groups is not the effect "
            f"of coverage"
        )
        if not len(touched):
            notes.append("the store holds no CSM interactions then: no account is covered")
    elif group_by is not None:
        col = attrs[group_by.value].fillna(NONE_GROUP).astype(str)
        for g in sorted(set(col)):
            groups[g] = _fixed(set(attrs.loc[col == g, "account_id"]))

    billing_end = known.churn_known_until + dt.timedelta(days=grace_days)
    book = Book(subs, grace_days, billing_end)
    surveys = q.survey_rows(source, lo, hi)
    tickets = q.ticket_rows(source, lo, hi)
    use = q.feature_use(source, lo, hi, kind.value)
    events_start = _subs.first_event_day(source)
    catalogue = Catalogue.from_rows(
        q.feature_rows(source), sorted(set(use["event_type"])) if len(use) else []
    )
    first_values = _engagement.first_value_times(source).rename(
        columns={"first_value_at": "first_at"}
    )
    sub_starts = (
        subs.assign(start=pd.to_datetime(subs["start_date"]).dt.date)
        .groupby("account_id")["start"]
        .min()
    )
    starts = attrs[["account_id", "segment"]].assign(
        start=[
            s if pd.notna(s) else sub_starts.get(a)
            for a, s in zip(
                attrs["account_id"], pd.to_datetime(attrs["start_date"]).dt.date, strict=True
            )
        ]
    )
    starts = starts[starts["start"].notna()]
    starts["start"] = pd.to_datetime(starts["start"])
    snap_dates = _scores.snapshot_dates(source)
    snap_of = {p: snapshot_in(snap_dates, p.start, p.last_day) for p in wanted}
    snaps = q.band_rows(source, [d for d in snap_of.values() if d is not None])
    snaps["as_of"] = pd.to_datetime(snaps["as_of"]).dt.date
    stored = set(snaps["band"].dropna()) if len(snaps) else set()
    bands = [b for b in _BAND_ORDER if b in stored] + sorted(stored - set(_BAND_ORDER))
    account_arr = attrs.set_index("account_id")["arr"]

    use_of = {p: use[pd.to_datetime(use["period_start"]).dt.date == p.start] for p in every}
    opened_of = _by_period(tickets, "opened_at", every)
    # Each figure filters by its own date; these cuts only keep the frames small.
    sent_of = _by_period(surveys, "sent_at", every)
    answered_of = _by_period(surveys, "responded_at", every)
    surveys_of = {
        p: surveys.loc[sorted(set(sent_of[p].index) | set(answered_of[p].index))] for p in every
    }
    rated_at = tickets["resolved_at"].where(tickets["resolved_at"].notna(), tickets["opened_at"])
    rated_of = _by_period(tickets.assign(_rated=rated_at), "_rated", every)
    inputs = _Inputs(
        known=known,
        book=book,
        catalogue=catalogue,
        use_of=use_of,
        surveys_of=surveys_of,
        rated_of=rated_of,
        opened_of=opened_of,
        starts=starts,
        first_values=first_values,
        events_start=events_start,
        ttfv_targets=ttfv_targets,
        snaps=snaps,
        snap_of=snap_of,
        bands=bands,
        account_arr=account_arr,
    )
    figures = {
        (p, g): _figures_of(inputs, p, members(p), full=p in wanted)
        for g, members in groups.items()
        for p in every
    }
    if not book.empty:
        _add_cltv(figures, book, every, groups, kind, gross_margin)
    history = book.first_day
    rows: list[dict[str, Any]] = []
    for p in wanted:
        for g in groups:
            f = figures[(p, g)]
            before: dict[str, Figures | None] = {}
            for label, back in (("prev", 1), ("year", per_year)):
                earlier = p.shifted(-back)
                inside = earlier.end > known.data_start and (
                    history is None or earlier.end > history
                )
                before[label] = figures.get((earlier, g)) if inside else None
            f.update(compare(f, before))
            interval = (
                wilson(f.values["churned"], f.values["accounts_start"])
                if "churned" in f.values
                else None
            )
            f.put("churn_rate_lo", None if interval is None else interval[0], "no churn rate")
            f.put("churn_rate_hi", None if interval is None else interval[1], "no churn rate")
            status = known.status(p)
            if status == "provisional":
                # A change built on churn that is not final yet is no signal either way.
                for key in [k for k in f.values if k.endswith("_flag")]:
                    f.put(key, None, f"provisional: churn is known to {known.churn_known_until}")
            rows.append(
                {
                    "period": p.label,
                    "period_start": p.start,
                    "period_end": p.last_day,
                    "group": g,
                    "status": status,
                    "churn_known_until": known.churn_known_until,
                    **f.values,
                    "no_data": dict(f.missing),
                }
            )
    if any(r["status"] == "provisional" for r in rows):
        notes.append(
            f"provisional periods end after {known.churn_known_until}, the day churn is "
            f"known to: their churn and MRR figures may still change"
        )
    return KpiReport(
        kind,
        group_by,
        segment,
        known,
        rows,
        bands,
        notes,
        cadence_days=cadence_days if group_by is GroupBy.coverage else None,
    )
