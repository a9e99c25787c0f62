"""The store, held only for the length of one request.

DuckDB lets one process at a time hold a store file.  A web server that kept it open would
lock out the daily CLI work on the same store (imports, scoring, cron jobs), so every
request opens the store, uses it and closes it; a CLI command that holds the file makes a
request wait (up to ``settings.lock_timeout`` seconds), and a request that holds it makes
the CLI wait the same way (`healthscore.store.open_store` retries with backoff).

Inside the server, requests running at the same time share one DuckDB database: DuckDB's
Python module caches the open database per file, so a second ``connect`` in the same
process is a new connection to it, and the file is released when the last one closes.

`StoreStamp` says whether the store changed since a value was cached: the file's and its
write-ahead log's size and modification time.  Any write (ours or another process's)
changes one of them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Generic, TypeVar

from fastapi import Request

from healthscore.app import App
from healthscore.config import Settings
from healthscore.singleflight import SingleFlight
from healthscore.store import Store, open_store

__all__ = [
    "StampedCache",
    "StoreStamp",
    "get_store",
    "open_request_store",
    "request_app",
    "store_stamp",
]

T = TypeVar("T")


@contextmanager
def open_request_store(settings: Settings) -> Iterator[Store]:
    """Open the settings' store (never creating it), yield it, close it."""
    store = open_store(
        settings.db,
        create=False,
        lock_timeout=settings.lock_timeout,
        memory_limit=settings.memory_limit,
    )
    try:
        yield store
    finally:
        store.close()


def hs_of(request: Request) -> App:
    """The application object the server was created with."""
    return request.app.state.hs  # type: ignore[no-any-return]


def get_store(request: Request) -> Iterator[Store]:
    """FastAPI dependency: the store for this request, closed when the request is done."""
    with open_request_store(hs_of(request).settings) as store:
        yield store


def request_app(hs: App, store: Store) -> App:
    """An App for library calls during one request: the server's settings, scorecard and
    clock around the request's store (the App leaves that store to the request)."""
    return App(hs.settings, clock=hs.today, store=store, scorecard=hs.scorecard)


@dataclass(frozen=True)
class StoreStamp:
    """What changes whenever the store file changes (size and mtime of it and its WAL)."""

    db: tuple[int, int]
    wal: tuple[int, int]


def _stat(path: Path) -> tuple[int, int]:
    try:
        st = path.stat()
    except FileNotFoundError:
        return (0, 0)
    return (st.st_size, st.st_mtime_ns)


def store_stamp(path: Path) -> StoreStamp:
    """The current stamp of the store at `path`."""
    return StoreStamp(_stat(path), _stat(path.with_name(path.name + ".wal")))


class StampedCache(Generic[T]):
    """Values computed from the store, kept while the store's stamp is unchanged.

    Keyed on (stamp, key): a write anywhere in the store (a new score run, an import, a
    note) makes every entry stale at once.  Bounded: the oldest entries go first.  One
    computation per key at a time: requests that arrive while a value is being computed
    wait for it instead of computing it again side by side (ten clients opening a page
    after a score run would otherwise do the same expensive read ten times at once).
    """

    def __init__(self, size: int = 64) -> None:
        self._size = size
        self._flight: SingleFlight[tuple[StoreStamp, Any], T] = SingleFlight(self._evict)

    def _evict(self, data: dict[tuple[StoreStamp, Any], T], key: tuple[StoreStamp, Any]) -> None:
        for old in [d for d in data if d[0] != key[0]]:
            del data[old]  # another stamp: stale
        while len(data) >= self._size:
            data.pop(next(iter(data)))  # the oldest first

    def get(self, stamp: StoreStamp, key: Any, compute: Callable[[], T]) -> T:
        return self._flight.get((stamp, key), compute)

    def clear(self) -> None:
        self._flight.clear()
