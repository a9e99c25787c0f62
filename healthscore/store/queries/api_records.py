"""Reads the REST API makes: one account's rows of a kind, its full record, its score history."""

from __future__ import annotations

import datetime as dt
from typing import Any

import ibis

from healthscore.store.queries._backend import Source, rows, table
from healthscore.store.schema import kind

__all__ = ["account_record", "account_rows", "contact_exists", "score_history"]


def account_record(source: Source, account_id: str) -> dict[str, Any] | None:
    """Every stored column of one account (None when the accounts table lacks it)."""
    a = table(source, "accounts")
    got = rows(a.filter(a.account_id == account_id).limit(1))
    return got[0] if got else None


def account_rows(
    source: Source, kind_name: str, account_id: str, *, limit: int = 100, offset: int = 0
) -> tuple[list[dict[str, Any]], int]:
    """One account's rows of `kind_name`, newest first (by the kind's time column), and the
    total count."""
    spec = kind(kind_name)
    t = table(source, spec.name)
    mine = t.filter(t.account_id == account_id)
    total = int(mine.count().to_pyarrow().as_py())
    order = [t[spec.key[0]].asc()]
    if spec.time_column:
        order.insert(0, t[spec.time_column].desc(nulls_first=False))
    return rows(mine.order_by(order).limit(limit, offset=offset)), total


def score_history(
    source: Source,
    account_id: str,
    since: dt.date | None = None,
    until: dt.date | None = None,
) -> list[dict[str, Any]]:
    """One account's stored snapshots, oldest first."""
    s = table(source, "score_snapshots")
    cond = s.account_id == account_id
    if since is not None:
        cond &= s.as_of >= ibis.date(since)
    if until is not None:
        cond &= s.as_of <= ibis.date(until)
    return rows(
        s.filter(cond)
        .select("as_of", "score", "band", "confidence", "coverage", "scorecard_version")
        .order_by("as_of")
    )


def contact_exists(source: Source, contact_id: str) -> bool:
    c = table(source, "contacts")
    return bool(c.filter(c.contact_id == contact_id).count().to_pyarrow().as_py())
