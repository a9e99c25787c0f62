"""Accounts: the portfolio listing, lookup by id or name, the values their columns carry."""

from __future__ import annotations

import datetime as dt
from typing import Any

import ibis

from healthscore.errors import HealthscoreError
from healthscore.store.queries._backend import Source, param_rows, rows, table

__all__ = [
    "PORTFOLIO_COLUMNS",
    "account_exists",
    "account_profile",
    "account_segments",
    "example_account",
    "find_account",
    "known_owners",
    "known_segments",
    "portfolio",
]

# The columns `portfolio` returns, in order.
PORTFOLIO_COLUMNS = (
    "account_id",
    "name",
    "segment",
    "owner",
    "arr",
    "renewal_date",
    "score",
    "band",
    "confidence",
    "coverage",
    "trend_7d",
    "trend_30d",
)


def example_account(source: Source) -> str | None:
    """An account worth explaining: the lowest-scored red one of the newest snapshot holding
    a red account, else the biggest by MRR; None for a store without accounts."""
    s = table(source, "score_snapshots")
    red = (
        s.filter(s.band == "red")
        .order_by([s.as_of.desc(), s.score.asc(), s.account_id.asc()])
        .select("account_id")
        .limit(1)
        .to_pyarrow()
    )
    if red.num_rows:
        return str(red.column(0)[0].as_py())
    a = table(source, "accounts")
    biggest = (
        a.order_by([a.mrr.desc(nulls_first=False), a.account_id.asc()])
        .select("account_id")
        .limit(1)
        .to_pyarrow()
    )
    return str(biggest.column(0)[0].as_py()) if biggest.num_rows else None


def account_segments(source: Source) -> dict[str, str | None]:
    """account_id -> segment (None where the account has none) for every account."""
    a = table(source, "accounts")
    got = a.select("account_id", "segment").to_pyarrow()
    return dict(zip(got.column(0).to_pylist(), got.column(1).to_pylist(), strict=True))


def account_exists(source: Source, account_id: str) -> bool:
    """Whether the accounts table holds `account_id`."""
    got = param_rows(
        source,
        "SELECT count(*) AS n FROM accounts WHERE account_id = $account",
        {"account": account_id},
    )
    return bool(got and got[0]["n"])


def find_account(source: Source, key: str) -> str | None:
    """The id of the account `key` names: an account id, else an account name (compared
    without regard to case); None when nothing matches.

    Raises HealthscoreError when `key` is not an id and several accounts carry it as name.
    """
    if account_exists(source, key):
        return key
    hits = param_rows(
        source,
        "SELECT account_id FROM accounts WHERE lower(name) = lower($key)",
        {"key": key},
    )
    ids = sorted(str(r["account_id"]) for r in hits)
    if len(ids) > 1:
        raise HealthscoreError(
            f"{len(ids)} accounts are named {key!r} ({', '.join(ids)}); name one by its id"
        )
    return ids[0] if ids else None


def account_profile(source: Source, account_id: str) -> dict[str, Any]:
    """name, segment, owner, arr (ARR, else 12 x MRR) and renewal_date of one account;
    all None for an account the accounts table lacks."""
    got = param_rows(
        source,
        "SELECT name, segment, owner_csm AS owner, coalesce(arr, 12 * mrr) AS arr, "
        "renewal_date FROM accounts WHERE account_id = $account LIMIT 1",
        {"account": account_id},
    )
    return got[0] if got else dict.fromkeys(("name", "segment", "owner", "arr", "renewal_date"))


def _distinct(source: Source, name: str, column: str) -> list[str]:
    t = table(source, name)
    got = t.filter(t[column].notnull()).select(column).distinct().to_pyarrow()
    return sorted(str(v) for v in got.column(0).to_pylist())


def known_segments(source: Source) -> list[str]:
    """The segments the accounts carry, sorted."""
    return _distinct(source, "accounts", "segment")


def known_owners(source: Source) -> list[str]:
    """The account owners (CSMs) the accounts carry, sorted."""
    return _distinct(source, "accounts", "owner_csm")


def portfolio(
    source: Source,
    as_of: dt.date,
    *,
    week_before: dt.date | None = None,
    month_before: dt.date | None = None,
    band: str | None = None,
    unscored: bool = False,
    segment: str | None = None,
    owner: str | None = None,
) -> list[dict[str, Any]]:
    """The accounts of the snapshot of `as_of`, one dict per account (PORTFOLIO_COLUMNS).

    arr is the account's ARR, else 12 x its MRR, else 12 x the MRR of its subscriptions
    active that day (stores such as ChurnSim carry revenue only there).  trend_7d and
    trend_30d are the score minus the score of the snapshots `week_before` and
    `month_before` (None without one).  Filters: `band` (any case), `unscored` (accounts
    without a score), `segment` (any case), `owner` (a part of the owner's name, any case).
    Unordered: callers sort.
    """
    day = ibis.date(as_of)
    s = table(source, "score_snapshots")
    s = s.filter(s.as_of == day)
    if unscored:
        s = s.filter(s.band.isnull())
    elif band:
        s = s.filter(s.band.lower() == ibis.literal(band).lower())
    a = table(source, "accounts").select(
        "account_id", "name", "segment", "owner_csm", "arr", "renewal_date", acct_mrr="mrr"
    )
    subs = table(source, "subscriptions")
    subs = (
        subs.filter((subs.start_date <= day) & (subs.end_date.isnull() | (subs.end_date > day)))
        .group_by("account_id")
        .aggregate(sub_mrr=subs.mrr.sum())
    )
    j = s.left_join(a, "account_id").select(s, *(a[c] for c in a.columns if c != "account_id"))
    j = j.left_join(subs, "account_id").select(j, subs.sub_mrr)
    if segment:
        j = j.filter(j.segment.lower() == ibis.literal(segment).lower())
    if owner:
        j = j.filter(j.owner_csm.lower().like(ibis.literal(f"%{owner}%").lower()))
    trends: dict[str, Any] = {}
    for col, other in (("trend_7d", week_before), ("trend_30d", month_before)):
        if other is None:
            trends[col] = ibis.null().cast("float64")
            continue
        p = table(source, "score_snapshots")
        p = p.filter(p.as_of == ibis.date(other)).select("account_id", **{f"{col}_prev": p.score})
        j = j.left_join(p, "account_id").select(j, p[f"{col}_prev"])
    for col in ("trend_7d", "trend_30d"):
        if col not in trends:
            trends[col] = j.score - j[f"{col}_prev"]
    # Rounded as a float: PostgreSQL rounds to two places only as NUMERIC.
    arr = ibis.coalesce(j.arr, 12 * j.acct_mrr, 12 * j.sub_mrr).cast("float64").round(2)
    out = j.select(
        "account_id",
        "name",
        "segment",
        owner=j.owner_csm,
        arr=arr.cast("float64"),
        renewal_date=j.renewal_date,
        score=j.score,
        band=j.band,
        confidence=j.confidence,
        coverage=j.coverage,
        **trends,
    )
    return rows(out)
