"""The portfolio view: latest score per account with band, trends, ARR, renewal and owner."""

from __future__ import annotations

import datetime as dt
import math
from typing import Any, Literal

from healthscore.errors import HealthscoreError, NotEnoughData
from healthscore.store import Store
from healthscore.store.queries import accounts as account_queries
from healthscore.store.queries import scores as score_queries

__all__ = ["ACCOUNT_COLUMNS", "SORT_KEYS", "list_accounts", "previous_date", "trend_arrow"]

# The columns of one portfolio row, in display order (CLI csv/json and the Python API).
ACCOUNT_COLUMNS = (
    "as_of",
    "account_id",
    "name",
    "segment",
    "owner",
    "arr",
    "renewal_date",
    "score",
    "band",
    "trend_7d",
    "trend_30d",
    "confidence",
    "coverage",
)

SORT_KEYS = ("score", "arr", "trend", "renewal", "name")
# The band shown, and accepted by --band, for accounts with too little data to score.
UNSCORED = "unscored"
SortKey = Literal["score", "arr", "trend", "renewal", "name"]


def previous_date(dates: list[dt.date], as_of: dt.date, days: int) -> dt.date | None:
    """The snapshot closest to `days` before as_of, within half that gap (at least 2 days).

    Backfills need not land exactly 7 or 30 days apart (the last date of a range is kept),
    but a much older or newer snapshot would make a '7-day' trend silently mean something
    else, so none is used then.
    """
    target = as_of - dt.timedelta(days=days)
    slack = max(days // 2, 2)
    cands = [d for d in dates if d < as_of and abs((d - target).days) <= slack]
    return min(cands, key=lambda d: (abs((d - target).days), -d.toordinal())) if cands else None


def _check_known(what: str, value: str, known: list[str], *extra: str) -> None:
    """A filter value nothing stored carries is a typo, not an empty portfolio: say so."""
    choices = [*known, *extra]
    if value.lower() not in {c.lower() for c in choices}:
        listed = ", ".join(choices) if choices else "none stored"
        raise HealthscoreError(f"no {what} {value!r} in the store; use one of: {listed}")


def trend_arrow(delta: float | None, flat: float = 1.0) -> str:
    """↑ / ↓ / → with the points, e.g. '↑ 5'; '' when there is no earlier snapshot."""
    if delta is None or (isinstance(delta, float) and math.isnan(delta)):
        return ""
    if delta >= flat:
        return f"↑ {delta:.0f}"
    if delta <= -flat:
        return f"↓ {abs(delta):.0f}"
    return f"→ {abs(delta):.0f}"


def list_accounts(
    store: Store,
    as_of: dt.date | None = None,
    *,
    band: str | None = None,
    segment: str | None = None,
    owner: str | None = None,
    sort: SortKey | str = "score",
    desc: bool = False,
    limit: int | None = None,
) -> list[dict[str, Any]]:
    """Accounts scored on `as_of` (default: latest snapshot), filtered and sorted.

    Unscored accounts (too little data) are listed with score None and sort last.
    """
    if sort not in SORT_KEYS:
        raise HealthscoreError(f"cannot sort by {sort!r}; use one of: {', '.join(SORT_KEYS)}")
    dates = score_queries.snapshot_dates(store)
    if not dates:
        raise NotEnoughData("no scores stored yet; run `healthscore score` first")
    day = as_of if as_of is not None else dates[-1]
    if day not in dates:
        older = [d for d in dates if d <= day]
        if not older:
            raise NotEnoughData(
                f"no scores stored on or before {day}; the first snapshot is {dates[0]}"
            )
        day = older[-1]
    if band:
        _check_known("band", band, score_queries.known_bands(store), UNSCORED)
    if segment:
        _check_known("segment", segment, account_queries.known_segments(store))
    unscored = band is not None and band.lower() == UNSCORED
    rows = account_queries.portfolio(
        store,
        day,
        week_before=previous_date(dates, day, 7),
        month_before=previous_date(dates, day, 30),
        band=None if unscored else band,
        unscored=unscored,
        segment=segment,
        owner=owner,
    )
    out = []
    for d in rows:
        for k in ("score", "arr", "coverage", "trend_7d", "trend_30d"):
            if d[k] is not None and isinstance(d[k], float) and math.isnan(d[k]):
                d[k] = None
        d["as_of"] = day
        out.append(d)

    key = {
        "score": "score",
        "arr": "arr",
        "trend": "trend_7d",
        "renewal": "renewal_date",
        "name": "name",
    }[sort]
    present = [d for d in out if d[key] is not None]
    missing = [d for d in out if d[key] is None]
    present.sort(key=lambda d: (d[key], d["account_id"]), reverse=desc)
    missing.sort(key=lambda d: d["account_id"])
    out = present + missing  # no data sorts last in both directions
    return out[:limit] if limit is not None else out
