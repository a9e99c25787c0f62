"""The whole demo as one operation: prepare the store, build the portfolio, score its history.

`healthscore demo` only calls `prepare_demo_store` and `build_and_score` and formats what
they return; the web app's "try the demo" and the tests call the same functions.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from healthscore.demo.actions import raise_demo_ctas
from healthscore.demo.build import build_demo, store_is_empty
from healthscore.demo.voice import analyse_demo_texts
from healthscore.errors import NotEnoughData, StoreError
from healthscore.scoring.run import ScoreRun, backfill
from healthscore.store import Store, open_store
from healthscore.store.queries import example_account

__all__ = ["DemoRun", "DemoStoreNotEmpty", "build_and_score", "prepare_demo_store"]

Step = Callable[[str], None]
Progress = Callable[[int, int], None]


class DemoStoreNotEmpty(StoreError):
    """The demo's target store already holds data (and replacing it was not asked for)."""

    def __init__(self, path: Path):
        super().__init__(f"{path} already holds data; build the demo into another store")
        self.path = path


@dataclass
class DemoRun:
    """What a demo build wrote: the store summary, the scored history, an account to explain."""

    summary: dict[str, Any]
    scored: ScoreRun | None
    example_account: str | None
    warnings: list[str] = field(default_factory=list)
    # What later stages made of the portfolio; each a summary with printable "lines".
    voice: dict[str, Any] | None = None
    actions: dict[str, Any] | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "summary": self.summary,
            "scored": None if self.scored is None else self.scored.as_dict(),
            "example_account": self.example_account,
            "warnings": list(self.warnings),
            "voice": self.voice,
            "actions": self.actions,
        }


def prepare_demo_store(path: Path, *, replace: bool = False) -> bool:
    """Make `path` ready for a demo build; True when an existing store was deleted.

    A missing file or an empty store is used as is.  A store holding data raises
    `DemoStoreNotEmpty` unless `replace`; the file is only deleted after it opened as a
    healthscore store, so an unrelated file at that path can never be wiped.
    """
    if not path.exists():
        return False
    with open_store(path) as existing:
        empty = store_is_empty(existing)
    if empty:
        return False
    if not replace:
        raise DemoStoreNotEmpty(path)
    for p in (path, path.with_name(path.name + ".wal")):
        p.unlink(missing_ok=True)
    return True


def build_and_score(
    store: Store,
    *,
    seed: int = 7,
    n_accounts: int = 500,
    months: int = 18,
    weeks: int = 26,
    scorecard: Any = None,
    engine: Any = None,
    on_step: Step | None = None,
    progress: Progress | None = None,
    actions: bool = True,
) -> DemoRun:
    """Build the demo portfolio into the empty `store`, then score a weekly history of
    `weeks` weeks ending on its last day (with `scorecard`, default the shipped one).

    `actions=False` stops after scoring: the calls-to-action (a replayed team's weeks and the
    last day's rules, the slowest stage) are then the caller's to raise, e.g. with
    `raise_demo_ctas` while the web app already serves the scored portfolio.

    The history makes `accounts` trends, `explain` changes and `scorecard preview` work on
    the first try; `example_account` is one worth explaining (the lowest-scored red one).
    """
    summary = build_demo(store, seed=seed, n_accounts=n_accounts, months=months, on_step=on_step)
    last = summary.get("last_date")
    scored: ScoreRun | None = None
    warnings: list[str] = []
    voice = analyse_demo_texts(store)
    raised = None
    if last is not None:
        first = last - dt.timedelta(days=weeks * 7)
        try:
            scored = backfill(store, first, last, 7, scorecard, engine, progress=progress)
        except NotEnoughData as exc:  # a tiny portfolio may have nothing active to score
            warnings.append(f"the demo history was not scored: {exc}")
        if scored is not None and actions:
            raised = raise_demo_ctas(store, last)
    return DemoRun(summary, scored, example_account(store), warnings, voice, raised)
