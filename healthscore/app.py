"""The application object: what every adapter (CLI, Python API, web, workers) runs with.

`App` is built once from the settings and holds the store, the scorecard in force, the
engine metrics run on and the clock.  Nothing is opened or connected when it is built:
the store opens on first use (or explicitly with `open_store`), the engine connects on
first use, and `close()` (or leaving a ``with App(...)`` block) closes what was opened.

>>> with App.from_env(db="acme.duckdb") as app:
...     app.store.count("accounts")
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from pathlib import Path
from types import TracebackType
from typing import Any

from healthscore.config import Settings, load_settings
from healthscore.scoring.model import Scorecard, load_scorecard
from healthscore.store import Store, open_store

__all__ = ["App", "Clock", "system_today"]

Clock = Callable[[], dt.date]


def system_today() -> dt.date:
    """Today as the later of the local and the UTC date (stored times are UTC)."""
    return max(dt.date.today(), dt.datetime.now(dt.UTC).date())


class App:
    """Settings, store, scorecard, engine and clock, shared by every adapter.

    Parameters
    ----------
    settings
        Validated settings (`healthscore.config.load_settings`); default: the process
        environment's.
    clock
        Returns today's date; tests pass a fixed one (``clock=lambda: date(2026, 10, 31)``).
    store
        An already open store to use instead of opening ``settings.db``; the caller keeps
        it (the App does not close a store it did not open).
    scorecard
        A scorecard to use instead of loading ``settings.scorecard``.
    """

    def __init__(
        self,
        settings: Settings | None = None,
        *,
        clock: Clock | None = None,
        store: Store | None = None,
        scorecard: Scorecard | None = None,
    ) -> None:
        self.settings = settings if settings is not None else load_settings()
        self._clock: Clock = clock or system_today
        self._store = store
        self._owns_store = store is None
        self._scorecard = scorecard
        self._engine: Any = None
        # Told once while the store is held by another process (the CLI prints it).
        self.on_wait: Callable[[str], None] | None = None

    @classmethod
    def from_env(
        cls,
        env: Mapping[str, str] | None = None,
        *,
        clock: Clock | None = None,
        **overrides: object,
    ) -> App:
        """An App from HEALTHSCORE_* variables (`env`, default the process's) and overrides.

        Overrides are setting names (``db=``, ``engine=``, ``scorecard=``, ``memory_limit=``);
        None values are ignored.  Invalid settings raise `InvalidSettings` here, before
        anything is opened.
        """
        return cls(load_settings(env, **overrides), clock=clock)

    def replace(self, **overrides: object) -> App:
        """A new App with some settings overridden (None = keep), sharing the clock.

        ``scorecard`` may also be a `Scorecard` object, used as is.  The new App reuses
        this one's open store when the store path is unchanged (and then leaves closing it
        to this one); otherwise it opens its own.
        """
        card = overrides.pop("scorecard", None)
        if isinstance(card, Scorecard):
            given_card: Scorecard | None = card
        else:
            given_card = None
            overrides["scorecard"] = card
        given = {k: v for k, v in overrides.items() if v is not None}
        if not given and given_card is None:
            return self
        settings = (
            load_settings({}, **{**_as_overrides(self.settings), **given})
            if given
            else self.settings
        )
        keep_store = settings.db == self.settings.db and self._store is not None
        keep_card = given_card is None and settings.scorecard == self.settings.scorecard
        return type(self)(
            settings,
            clock=self._clock,
            store=self._store if keep_store else None,
            scorecard=given_card or (self._scorecard if keep_card else None),
        )

    # -- the clock -------------------------------------------------------------------------

    def today(self) -> dt.date:
        """Today's date, from the App's clock."""
        return self._clock()

    # -- the store -------------------------------------------------------------------------

    @property
    def db_path(self) -> Path:
        return self.settings.db

    def open_store(self, *, create: bool = False) -> Store:
        """Open the store now (creating the file when `create`); later calls reuse it."""
        if self._store is None:
            self._store = open_store(
                self.settings.db,
                create=create,
                memory_limit=self.settings.memory_limit,
                lock_timeout=self.settings.lock_timeout,
                on_wait=self.on_wait,
            )
            self._owns_store = True
        return self._store

    @property
    def store(self) -> Store:
        """The store, opened on first use; a missing file is a `StoreError` (never created)."""
        return self.open_store(create=False)

    @property
    def store_is_open(self) -> bool:
        return self._store is not None

    # -- the scorecard ---------------------------------------------------------------------

    @property
    def scorecard(self) -> Scorecard:
        """The scorecard in force: ``settings.scorecard``, else the shipped default."""
        if self._scorecard is None:
            self._scorecard = load_scorecard(self.settings.scorecard)
        return self._scorecard

    # -- the engine ------------------------------------------------------------------------

    @property
    def engine_url(self) -> str | None:
        """The validated engine URL (None: metrics run on the store itself)."""
        return self.settings.engine_url

    @property
    def engine(self) -> Any:
        """The Ibis backend metrics run on, connected on first use; None = the store itself.

        Core functions take None to mean the store, so passing ``app.engine`` along is
        always right.
        """
        if self.engine_url is None:
            return None
        if self._engine is None:
            from healthscore.store.engines import connect_engine

            self._engine = connect_engine(self.engine_url, self.store)
        return self._engine

    # -- lifetime --------------------------------------------------------------------------

    def close(self) -> None:
        """Close the store if this App opened it, and disconnect the engine it connected."""
        if self._engine is not None:
            engine, self._engine = self._engine, None
            # Spark's session is shared by the process (one per JVM); stopping it here would
            # break a later App, so only connection-backed engines are disconnected.
            if getattr(engine, "name", None) != "pyspark":
                engine.disconnect()
        if self._store is not None and self._owns_store:
            self._store.close()
            self._store = None

    def __enter__(self) -> App:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"App({self.settings!r}, store_open={self.store_is_open})"


def _as_overrides(settings: Settings) -> dict[str, object]:
    """A Settings' values as `load_settings` overrides (secrets unwrapped, None dropped)."""
    values: dict[str, object] = {
        name: getattr(settings, name) for name in type(settings).model_fields
    }
    values["engine"] = settings.engine.get_secret_value()
    return {k: v for k, v in values.items() if v is not None}
