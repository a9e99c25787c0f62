"""Retention: logo churn, new and reactivated accounts, MRR movements, GRR and NRR.

Everything is read off the subscription book at two days per period: the eve of the
period (the previous period's last day: what the period *opens* with) and its last day
(what it *closes* with).  A period's closing book is the next period's opening book, so
the MRR bridge chains from period to period:

    closing MRR = opening MRR - churned - contraction + expansion + new + reactivated

Activity follows docs/outcomes.md: rows of an account that overlap or follow each other
within the grace gap form one spell, and the account is active on every day of a spell.
A spell whose end plus the grace lies after the billing data's "today" is right-censored:
its account counts as still active, so a provisional period only shows churn already known.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping

import numpy as np
import pandas as pd

from healthscore.portfolio._figures import Figures, ratio
from healthscore.portfolio.periods import Period, add_months

__all__ = ["Book", "retention_figures", "ttm_retention"]

_OPEN = np.datetime64("2200-01-01", "D")
_EPS = 1e-9


def _day(d: dt.date) -> np.datetime64:
    return np.datetime64(d, "D")


class Book:
    """The subscription book: who is active, and at what MRR, on any day.

    Parameters
    ----------
    subs
        Subscription rows: account_id, start_date, end_date (exclusive; a far date when
        open), mrr.
    grace_days
        Gap between rows that still counts as one spell (a late renewal, not a churn).
    billing_end
        The billing data's "today" (latest subscription start): later spell ends are
        right-censored.
    """

    def __init__(self, subs: pd.DataFrame, grace_days: int, billing_end: dt.date) -> None:
        s = subs.copy()
        s["account_id"] = s["account_id"].astype(str)
        s["start"] = pd.to_datetime(s["start_date"]).to_numpy().astype("datetime64[D]")
        s["end"] = pd.to_datetime(s["end_date"]).to_numpy().astype("datetime64[D]")
        s["mrr"] = pd.to_numeric(s["mrr"], errors="coerce").fillna(0.0).astype(float)
        s = s[s["end"] > s["start"]].sort_values(["account_id", "start", "end"], kind="stable")
        s = s.reset_index(drop=True)
        grace = np.timedelta64(int(grace_days), "D")
        # The latest end seen before each row of its account (vectorised: a Python lambda
        # per account took seconds at 20,000 accounts).
        running_end = s.groupby("account_id")["end"].cummax()
        prev_end = running_end.groupby(s["account_id"]).shift(1)
        new_spell = prev_end.isna() | (s["start"] > prev_end + grace)
        s["spell"] = new_spell.astype(int).cumsum()
        spells = s.groupby("spell").agg(
            account_id=("account_id", "first"), start=("start", "min"), end=("end", "max")
        )
        censored = spells["end"].to_numpy() + grace > _day(billing_end)
        spells["end"] = np.where(censored, _OPEN, spells["end"].to_numpy())
        self._rows = s
        self._spells = spells.reset_index()
        self._r_acc = s["account_id"].to_numpy()
        self._r_start = s["start"].to_numpy()
        self._r_end = s["end"].to_numpy()
        self._r_mrr = s["mrr"].to_numpy()
        self._r_spell = s["spell"].to_numpy()
        self._s_acc = self._spells["account_id"].to_numpy()
        self._s_start = self._spells["start"].to_numpy()
        self._s_end = self._spells["end"].to_numpy()
        self._cache: dict[dt.date, pd.Series] = {}

    @property
    def empty(self) -> bool:
        return len(self._rows) == 0

    @property
    def first_day(self) -> dt.date | None:
        """The first day any subscription is active (None for an empty book)."""
        return None if self.empty else pd.Timestamp(self._r_start.min()).date()

    def mrr_on(self, day: dt.date) -> pd.Series:
        """account_id -> MRR on `day` for every account active that day (0.0 when its
        rows carry no MRR).  Inside a spell's gap, the MRR the spell resumes with."""
        if day in self._cache:
            return self._cache[day]
        t = _day(day)
        in_spell = (self._s_start <= t) & (t < self._s_end)
        spell_ids = self._spells["spell"].to_numpy()[in_spell]
        covered = (self._r_start <= t) & (t < self._r_end)
        level = pd.Series(self._r_mrr[covered]).groupby(self._r_spell[covered]).sum()
        gaps = np.setdiff1d(spell_ids, level.index.to_numpy())
        if len(gaps):
            level = pd.concat([level, self._gap_levels(gaps, t)])
        acc = pd.Series(self._s_acc, index=self._spells["spell"].to_numpy())
        out = level.groupby(acc.reindex(level.index).to_numpy()).sum()
        self._cache[day] = out
        return out

    def _gap_levels(self, spells: np.ndarray, t: np.datetime64) -> pd.Series:
        """The MRR of spells on a day no row covers: that of the next row (a late
        renewal), else that of the last row (a censored end)."""
        got = {}
        for sp in spells:
            m = self._r_spell == sp
            starts, ends, mrr = self._r_start[m], self._r_end[m], self._r_mrr[m]
            later = starts > t
            probe = starts[later].min() if later.any() else ends.max() - np.timedelta64(1, "D")
            got[sp] = float(mrr[(starts <= probe) & (probe < ends)].sum())
        return pd.Series(got, dtype=float)

    def had_spell_before(self, day: dt.date) -> set[str]:
        """Accounts with a spell that ended on or before `day`."""
        return set(self._s_acc[self._s_end <= _day(day)].tolist())


def _movements(
    opening: pd.Series, closing: pd.Series, earlier: set[str], members: set[str] | None
) -> Figures:
    if members is not None:
        opening = opening[opening.index.isin(members)]
        closing = closing[closing.index.isin(members)]
    f = Figures()
    o_ids, c_ids = set(opening.index), set(closing.index)
    churned = o_ids - c_ids
    stayed = sorted(o_ids & c_ids)
    arrived = c_ids - o_ids
    reactivated = arrived & earlier
    new = arrived - reactivated
    delta = closing.reindex(stayed) - opening.reindex(stayed)
    rel = delta / opening.reindex(stayed).where(opening.reindex(stayed) > 0)
    f.put("accounts_start", len(o_ids))
    f.put("accounts_end", len(c_ids))
    f.put("churned", len(churned))
    f.put("new", len(new))
    f.put("reactivated", len(reactivated))
    rate, why = ratio(len(churned), len(o_ids), "no account active at the period's start")
    f.put("churn_rate", rate, why)
    mrr_start = float(opening.sum())
    churned_mrr = float(opening.reindex(sorted(churned)).sum())
    contraction = float(-delta[delta < -_EPS].sum())
    expansion = float(delta[delta > _EPS].sum())
    f.put("mrr_start", mrr_start)
    f.put("mrr_churned", churned_mrr)
    f.put("mrr_contraction", contraction)
    f.put("mrr_expansion", expansion)
    f.put("mrr_new", float(closing.reindex(sorted(new)).sum()))
    f.put("mrr_reactivated", float(closing.reindex(sorted(reactivated)).sum()))
    f.put("mrr_end", float(closing.sum()))
    f.put("expanded", int((rel > _EPS).sum()))
    f.put("contracted", int((rel < -_EPS).sum()))
    no_mrr = (
        "no account active at the period's start"
        if not o_ids
        else "the accounts active at the period's start carry no MRR"
    )
    grr, why = ratio(mrr_start - churned_mrr - contraction, mrr_start, no_mrr)
    nrr, _ = ratio(mrr_start - churned_mrr - contraction + expansion, mrr_start, no_mrr)
    f.put("grr", grr, why)
    f.put("nrr", nrr, why)
    return f


def retention_figures(book: Book, period: Period, members: set[str] | None = None) -> Figures:
    """Logo churn, new and reactivated accounts and the MRR bridge of `period`, for the
    accounts in `members` (all when None)."""
    eve = period.start - dt.timedelta(days=1)
    return _movements(
        book.mrr_on(eve), book.mrr_on(period.last_day), book.had_spell_before(eve), members
    )


def ttm_retention(
    book: Book,
    period: Period,
    members: set[str] | None = None,
    history_start: dt.date | None = None,
) -> Figures:
    """GRR and NRR over the twelve months ending with `period`: the MRR the accounts
    active a year before the period's end keep (GRR) and have (NRR) at its end."""
    close = period.last_day
    eve = add_months(period.end, -12) - dt.timedelta(days=1)
    f = Figures()
    if history_start is not None and eve < history_start:
        reason = f"subscription history starts {history_start}, less than twelve months before"
        f.put("grr_ttm", None, reason)
        f.put("nrr_ttm", None, reason)
        return f
    m = _movements(book.mrr_on(eve), book.mrr_on(close), set(), members)
    f.put("grr_ttm", m.values["grr"], m.missing.get("grr"))
    f.put("nrr_ttm", m.values["nrr"], m.missing.get("nrr"))
    return f


def group_members(groups: Mapping[str, str], key: str) -> set[str]:
    """The accounts whose group is `key`."""
    return {a for a, g in groups.items() if g == key}
