"""Accounts: listing, lookup by id or name, the values their columns carry."""

from __future__ import annotations

from healthscore.store.queries._backend import Source, table

__all__ = ["example_account"]


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
