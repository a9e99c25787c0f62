"""What the portfolio page shows, computed once per version of the store.

The rows come from `healthscore.scoring.list_accounts` (the same listing as `healthscore
accounts`); this module adds the band a week before, open CTAs, totals by band, the score
distribution and the movers with why they moved (`explain_account`'s changes).  The
whole model is cached on the store's stamp (`StampedCache`), so filtering, sorting and
paging 20,000 accounts is a pass over a list in memory.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, field
from typing import Any

from healthscore.errors import HealthscoreError, NotEnoughData
from healthscore.scoring import Scorecard, explain_account, list_accounts
from healthscore.scoring.accounts import previous_date
from healthscore.store import Store
from healthscore.store.queries import known_owners, known_segments
from healthscore.store.queries.portfolio_view import bands_on
from healthscore.store.queries.scores import snapshot_dates
from healthscore.web.account_data import shared_reads
from healthscore.web.ctas_data import open_cta_counts
from healthscore.web.store_access import StampedCache, store_stamp

__all__ = [
    "PAGE_SIZE",
    "SORTS",
    "Filters",
    "PortfolioData",
    "filter_rows",
    "movers",
    "portfolio_data",
]

PAGE_SIZE = 50
SORTS = {
    "score": "score",
    "arr": "arr",
    "trend": "trend_7d",
    "renewal": "renewal_date",
    "name": "name",
    "ctas": "open_ctas",
}
RENEWAL_WINDOWS = (30, 60, 90, 180, 365)
MOVERS = 8

_cache: StampedCache[PortfolioData] = StampedCache(size=8)


@dataclass
class PortfolioData:
    as_of: dt.date
    week_before: dt.date | None
    rows: list[dict[str, Any]]
    bands: list[str]  # worst to best, as the scorecard lists them
    segments: list[str]
    owners: list[str]
    totals: list[dict[str, Any]]
    distribution: dict[str, Any]
    movers: list[dict[str, Any]]
    has_ctas: bool = False
    notes: list[str] = field(default_factory=list)


@dataclass
class Filters:
    q: str = ""
    segment: str = ""
    owner: str = ""
    band: str = ""
    renewal: int | None = None
    changed: bool = False
    sort: str = "score"
    desc: bool = False
    page: int = 1

    def query(self, **override: Any) -> str:
        """The query string of these filters (with some changed), for links."""
        from urllib.parse import urlencode

        d = {**self.__dict__, **override}
        pairs = {
            k: ("1" if v is True else v)
            for k, v in d.items()
            if v not in ("", None, False) and not (k == "page" and v == 1)
        }
        if pairs.get("sort") == "score":
            pairs.pop("sort")
        return urlencode(pairs)


def _band_order(card: Scorecard, stored: set[str]) -> list[str]:
    names = [b.name for b in card.bands]
    return names + sorted(b for b in stored if b not in names)


def portfolio_data(store: Store, card: Scorecard) -> PortfolioData:
    """The page's model for the newest snapshot (cached until the store changes)."""
    stamp = store_stamp(store.path)
    return _cache.get(stamp, card.stored_version, lambda: _build(store, card))


def _build(store: Store, card: Scorecard) -> PortfolioData:
    dates = snapshot_dates(store)
    if not dates:
        raise NotEnoughData(
            "no scores stored yet; score the store (healthscore score) and reload this page"
        )
    rows = list_accounts(store)
    day = dates[-1]
    week = previous_date(dates, day, 7)
    before = bands_on(store, week) if week is not None else {}
    ctas = open_cta_counts(store)
    for r in rows:
        prev = before.get(r["account_id"])
        r["prev_band"] = prev
        r["band_changed"] = week is not None and prev != r["band"] and r["account_id"] in before
        r["open_ctas"] = ctas.get(r["account_id"], 0) if ctas is not None else None
        r["_search"] = f"{r['name'] or ''} {r['account_id']}".casefold()
    bands = _band_order(card, {r["band"] for r in rows if r["band"]})
    return PortfolioData(
        as_of=day,
        week_before=week,
        rows=rows,
        bands=bands,
        segments=known_segments(store),
        owners=known_owners(store),
        totals=_totals(rows, bands, week is not None),
        distribution=_distribution(rows, bands, card),
        movers=[],
        has_ctas=ctas is not None,
    )


def _arr(r: dict[str, Any]) -> float:
    v = r.get("arr")
    return 0.0 if v is None or (isinstance(v, float) and math.isnan(v)) else float(v)


def _totals(rows: list[dict[str, Any]], bands: list[str], has_prev: bool) -> list[dict[str, Any]]:
    """ARR and accounts per band now and a week before (today's ARR of the accounts that
    were in the band then: ARR history is not stored)."""
    out = []
    total_arr = sum(_arr(r) for r in rows) or 1.0
    for b in [*bands, None]:
        now = [r for r in rows if r["band"] == b]
        then = [r for r in rows if r["prev_band"] == b] if has_prev else []
        if b is None and not now:
            continue
        arr_now = sum(_arr(r) for r in now)
        arr_then = sum(_arr(r) for r in then)
        out.append(
            {
                "band": b or "unscored",
                "accounts": len(now),
                "arr": arr_now,
                "share": arr_now / total_arr,
                "change_arr": (arr_now - arr_then) if has_prev else None,
                "change_accounts": (len(now) - len(then)) if has_prev else None,
            }
        )
    return out


def _distribution(rows: list[dict[str, Any]], bands: list[str], card: Scorecard) -> dict[str, Any]:
    """Accounts per 5-point score bin, split by band (for a stacked bar chart)."""
    labels = [f"{lo}–{lo + 5}" for lo in range(0, 100, 5)]
    counts = {b: [0] * 20 for b in bands}
    for r in rows:
        s, b = r["score"], r["band"]
        if s is None or b not in counts:
            continue
        counts[b][min(int(s // 5), 19)] += 1
    return {
        "labels": labels,
        "series": [{"band": b, "counts": counts[b]} for b in bands],
        "thresholds": [{"band": b.name, "min": b.min} for b in card.bands],
    }


_movers_cache: StampedCache[list[dict[str, Any]]] = StampedCache(size=8)


def movers(store: Store, data: PortfolioData) -> list[dict[str, Any]]:
    """The accounts whose score moved most in the week, each with why (its explanation's
    biggest changes); cached per store version, and loaded by the page after it shows."""
    return _movers_cache.get(store_stamp(store.path), data.as_of, lambda: _movers(store, data.rows))


def _movers(store: Store, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    moved = [r for r in rows if r["trend_7d"] is not None]
    moved.sort(key=lambda r: (-abs(r["trend_7d"]), r["account_id"]))
    out = []
    shared = shared_reads(store)
    for r in moved[:MOVERS]:
        try:
            exp = explain_account(store, r["account_id"], shared=shared)
            why = [c.text for c in exp.changes[:2]]
        except HealthscoreError:
            why = []
        out.append({**r, "why": why})
    return out


def filter_rows(data: PortfolioData, f: Filters) -> tuple[list[dict[str, Any]], int]:
    """The rows matching `f`, sorted, and how many matched (before paging)."""
    rows = data.rows
    if f.q:
        q = f.q.casefold()
        rows = [r for r in rows if q in r["_search"]]
    if f.segment:
        rows = [r for r in rows if (r["segment"] or "").casefold() == f.segment.casefold()]
    if f.owner:
        rows = [r for r in rows if (r["owner"] or "") == f.owner]
    if f.band:
        want = None if f.band == "unscored" else f.band
        rows = [r for r in rows if r["band"] == want]
    if f.renewal:
        until = data.as_of + dt.timedelta(days=f.renewal)
        rows = [
            r
            for r in rows
            if r["renewal_date"] is not None and data.as_of <= r["renewal_date"] <= until
        ]
    if f.changed:
        rows = [r for r in rows if r["band_changed"]]
    key = SORTS.get(f.sort, "score")
    present = [r for r in rows if r.get(key) is not None]
    missing = [r for r in rows if r.get(key) is None]
    present.sort(key=lambda r: (r[key], r["account_id"]), reverse=f.desc)
    ordered = present + missing
    start = (max(f.page, 1) - 1) * PAGE_SIZE
    return ordered[start : start + PAGE_SIZE], len(ordered)
