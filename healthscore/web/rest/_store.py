"""The store of one REST request: the web app's per-request access, retried on one race.

DuckDB can refuse a connect while another thread of this process closes the file's last
connection ("Unique file handle conflict"); a moment later the connect succeeds.  Every
REST route and the import worker open the store through `rest_store`/`open_rest_store`,
which retry exactly that error (briefly) and nothing else.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager

from fastapi import Request

from healthscore.config import Settings
from healthscore.errors import StoreError
from healthscore.store import Store
from healthscore.web.store_access import open_request_store

__all__ = ["open_rest_store", "rest_store"]

_RACE = "Unique file handle conflict"
_TRIES = 40


@contextmanager
def open_rest_store(settings: Settings) -> Iterator[Store]:
    delay = 0.005
    for attempt in range(_TRIES):
        try:
            cm = open_request_store(settings)
            store = cm.__enter__()
        except StoreError as exc:
            if _RACE not in str(exc) or attempt == _TRIES - 1:
                raise
            time.sleep(delay)
            delay = min(delay * 2, 0.1)
            continue
        try:
            yield store
        except BaseException as exc:
            if not cm.__exit__(type(exc), exc, exc.__traceback__):
                raise
        else:
            cm.__exit__(None, None, None)
        return


def rest_store(request: Request) -> Iterator[Store]:
    """FastAPI dependency: the store for this request, closed when the request is done."""
    with open_rest_store(request.app.state.hs.settings) as store:
        yield store
