"""Write the demo portfolio into a store and summarise what was written."""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from datetime import date
from typing import Any

import pandas as pd

from healthscore.demo.generator import DEFAULT_END, generate
from healthscore.errors import StoreError
from healthscore.store.db import Store
from healthscore.store.queries.summary import portfolio_summary
from healthscore.store.schema import KINDS

__all__ = ["build_demo", "store_is_empty", "summarize_store"]

Step = Callable[[str], None]


def store_is_empty(store: Store) -> bool:
    """True when no signal table holds a row (a store made by `init` counts as empty)."""
    return all(store.count(k) == 0 for k in KINDS)


def build_demo(
    store: Store,
    seed: int = 7,
    n_accounts: int = 500,
    months: int = 18,
    end_date: date = DEFAULT_END,
    *,
    on_step: Step | None = None,
) -> dict[str, Any]:
    """Generate the portfolio and load it into an empty `store` in one transaction.

    Refuses a store that already holds signals: mixing demo rows into real data would
    make every score and backtest meaningless.  Returns `summarize_store` plus timings.
    """
    step = on_step or (lambda _msg: None)
    if not store_is_empty(store):
        raise StoreError(
            f"{store.path} already holds data; build the demo into a new store, or replace this one"
        )
    t0 = time.perf_counter()
    step(f"generating {n_accounts} accounts over {months} months (seed {seed})")
    frames = generate(seed=seed, n_accounts=n_accounts, months=months, end_date=end_date)
    t1 = time.perf_counter()
    step(f"writing {sum(len(f) for f in frames.values()):,} rows into {store.path}")
    _write_frames(store, frames)
    t2 = time.perf_counter()
    summary = summarize_store(store)
    summary.update(
        seed=seed,
        months=months,
        generate_seconds=round(t1 - t0, 2),
        load_seconds=round(t2 - t1, 2),
    )
    return summary


def _write_frames(store: Store, frames: Mapping[str, pd.DataFrame]) -> None:
    """Bulk-load through the ingest package's trusted loader (one transaction, recorded)."""
    from healthscore.ingest import load_frames

    load_frames(store, frames)


def summarize_store(store: Store) -> dict[str, Any]:
    """Headline numbers of what the store holds (what `healthscore demo` prints).

    Read back from the store rather than the frames, so the summary shows what landed.
    """
    return portfolio_summary(store)
