"""Reads the portfolio page adds to `accounts.portfolio`: bands a week before, and the
score history of the whole portfolio (for the totals' change since last week)."""

from __future__ import annotations

import datetime as dt

import ibis

from healthscore.store.queries._backend import Source, table

__all__ = ["band_counts_by_date", "bands_on"]


def bands_on(source: Source, as_of: dt.date) -> dict[str, str | None]:
    """account_id -> band of the snapshot of `as_of` (None: unscored that day)."""
    s = table(source, "score_snapshots")
    got = s.filter(s.as_of == ibis.date(as_of)).select("account_id", "band").to_pyarrow()
    return dict(
        zip(got.column("account_id").to_pylist(), got.column("band").to_pylist(), strict=True)
    )


def band_counts_by_date(source: Source, since: dt.date | None = None) -> list[dict[str, object]]:
    """(as_of, band, accounts) for every stored snapshot date (>= since), oldest first."""
    s = table(source, "score_snapshots")
    if since is not None:
        s = s.filter(s.as_of >= ibis.date(since))
    agg = s.group_by(["as_of", "band"]).aggregate(accounts=s.count()).order_by(["as_of", "band"])
    return agg.to_pyarrow().to_pylist()  # type: ignore[no-any-return]
