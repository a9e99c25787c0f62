"""Values computed once per key, shared between threads: the first caller computes, callers
wanting the same key wait for it, and callers wanting another key do not wait at all.

The web server's caches (ten clients opening a page after a score run would otherwise do
the same expensive read ten times at once) and an explanation's shared store reads both
keep their values this way; each says which old values to let go.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Generic, TypeVar

__all__ = ["SingleFlight"]

K = TypeVar("K")
V = TypeVar("V")


class SingleFlight(Generic[K, V]):
    """A dict of computed values with one computation per key at a time.

    `evict(values, key)` runs under the lock just before a new value is stored under
    `key`; it removes, in place, whatever should not be kept beside it."""

    def __init__(self, evict: Callable[[dict[K, V], K], None] | None = None) -> None:
        self._evict = evict
        self._values: dict[K, V] = {}
        self._lock = threading.Lock()
        self._flights: dict[K, threading.Lock] = {}

    def get(self, key: K, compute: Callable[[], V]) -> V:
        with self._lock:
            if key in self._values:
                return self._values[key]
            flight = self._flights.setdefault(key, threading.Lock())
        with flight:
            with self._lock:
                if key in self._values:
                    return self._values[key]
            try:
                value = compute()
            finally:
                with self._lock:
                    self._flights.pop(key, None)
            with self._lock:
                if self._evict is not None:
                    self._evict(self._values, key)
                self._values[key] = value
        return value

    def clear(self) -> None:
        with self._lock:
            self._values.clear()
