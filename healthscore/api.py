"""The public Python API: score a store, explain an account, list the portfolio.

Each function takes a store (an open `Store`, a path, or None for $HEALTHSCORE_DB /
./healthscore.duckdb) and mirrors one CLI command, so notebooks and scripts get the same
results as `healthscore score | explain | accounts` without shelling out.
See docs/python-api.md.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pandas as pd

from healthscore.config import load_settings
from healthscore.scoring import (
    Explanation,
    Preview,
    Scorecard,
    ScoreRun,
    load_scorecard,
)
from healthscore.scoring.accounts import ACCOUNT_COLUMNS
from healthscore.store import Store, open_store

__all__ = ["accounts", "explain", "load_scorecard", "preview", "score"]

StoreLike = Store | str | Path | None
ScorecardLike = Scorecard | str | Path | None


@contextmanager
def _opened(db: StoreLike, *, create: bool = False) -> Iterator[Store]:
    """Use an open Store as is (caller keeps it); open and close a path ourselves."""
    if isinstance(db, Store):
        yield db
        return
    path = load_settings(os.environ, db=Path(db) if db is not None else None).db
    with open_store(path, create=create) as s:
        yield s


def _card(scorecard: ScorecardLike) -> Scorecard:
    if isinstance(scorecard, Scorecard):
        return scorecard
    if scorecard is None:
        scorecard = load_settings(os.environ).scorecard
    return load_scorecard(scorecard)


def _day(value: dt.date | str | None) -> dt.date | None:
    if value is None or isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(value)


def score(
    db: StoreLike = None,
    as_of: dt.date | str | None = None,
    *,
    scorecard: ScorecardLike = None,
    backfill: tuple[dt.date | str, dt.date | str] | None = None,
    every_days: int = 7,
    engine: Any = None,
) -> ScoreRun:
    """Score and store one date (default: last day with data) or a backfill range.

    >>> run = score("healthscore.duckdb", backfill=("2026-01-01", "2026-06-30"))
    >>> run.bands
    {'red': 9, 'yellow': 21, 'green': 40}
    """
    from healthscore.scoring import backfill as run_backfill
    from healthscore.scoring import score as run_score

    card = _card(scorecard)
    with _opened(db) as s:
        if backfill is not None:
            if as_of is not None:
                raise ValueError("give either as_of or backfill, not both")
            start, end = _day(backfill[0]), _day(backfill[1])
            assert start is not None and end is not None
            return run_backfill(s, start, end, every_days, card, engine)
        return run_score(s, _day(as_of), card, engine)


def explain(
    account_id: str, as_of: dt.date | str | None = None, *, db: StoreLike = None
) -> Explanation:
    """Why `account_id` scores what it does (stored snapshot on or before as_of).

    `Explanation.groups` lists each group with its measures (raw value with unit,
    normalised value, weight, contribution); `.changes` ranks what moved since the
    previous snapshot; `.as_dict()` is JSON-ready.
    """
    from healthscore.scoring import explain as run_explain

    with _opened(db) as s:
        return run_explain(s, account_id, _day(as_of))


def accounts(
    db: StoreLike = None,
    *,
    as_of: dt.date | str | None = None,
    band: str | None = None,
    segment: str | None = None,
    owner: str | None = None,
    sort: str = "score",
    desc: bool = False,
    limit: int | None = None,
) -> pd.DataFrame:
    """The portfolio as a DataFrame: score, band, 7/30-day trend, ARR, renewal, owner.

    Filters and sort keys are those of `healthscore accounts`; unscored accounts sort last.
    """
    from healthscore.scoring import list_accounts

    with _opened(db) as s:
        rows = list_accounts(
            s,
            _day(as_of),
            band=band,
            segment=segment,
            owner=owner,
            sort=sort,
            desc=desc,
            limit=limit,
        )
    cols = list(ACCOUNT_COLUMNS)
    return pd.DataFrame(rows, columns=cols)


def preview(
    scorecard: ScorecardLike,
    *,
    db: StoreLike = None,
    since: dt.date | str | None = None,
    engine: Any = None,
) -> Preview:
    """What a candidate scorecard would change over stored history; writes nothing."""
    from healthscore.scoring import preview as run_preview

    card = _card(scorecard)
    with _opened(db) as s:
        return run_preview(s, card, _day(since), engine)
