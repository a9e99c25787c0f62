"""Long computations (backtest, insights, predictions) off the request, on a copy.

A backtest reads the whole store for a minute or more; holding the store that long would
lock out the CLI.  So a job takes a snapshot: it opens the store for a moment, checkpoints
it (the write-ahead log folded into the file), copies the file, and releases it; then a
worker thread computes on the copy and the copy is deleted.  The result is kept with the
stamp of the store it was computed from, so a page can show it and say whether the data
has changed since.  One job of a kind runs at a time.
"""

from __future__ import annotations

import datetime as dt
import shutil
import tempfile
import threading
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from healthscore.config import Settings
from healthscore.errors import HealthscoreError
from healthscore.store import Store, open_store
from healthscore.web.store_access import StoreStamp, open_request_store, store_stamp

__all__ = ["Job", "Jobs"]


@dataclass
class Job:
    name: str
    status: str = "idle"  # idle, running, done, failed
    started: dt.datetime | None = None
    finished: dt.datetime | None = None
    stamp: StoreStamp | None = None
    result: Any = None
    error: str | None = None

    def fresh(self, path: Path) -> bool:
        """Whether the result was computed from the store as it is now."""
        return self.stamp is not None and self.stamp == store_stamp(path)


def _snapshot(settings: Settings, into: Path) -> StoreStamp:
    with open_request_store(settings) as store:
        stamp = store_stamp(store.path)
        # Through DuckDB, not a file copy: closing a copy's descriptor of the store file
        # would drop the write lock of every connection this server holds on it.
        store.copy_to(into)
    return stamp


class Jobs:
    """The background jobs of one server, by name."""

    def __init__(self, settings: Settings) -> None:
        self._settings = settings
        self._jobs: dict[str, Job] = {}
        self._lock = threading.Lock()

    def get(self, name: str) -> Job:
        with self._lock:
            return self._jobs.setdefault(name, Job(name))

    def start(self, name: str, compute: Callable[[Store], Any], *, wait: bool = False) -> Job:
        """Start `compute(snapshot_store)` unless a job of that name is running."""
        with self._lock:
            job = self._jobs.setdefault(name, Job(name))
            if job.status == "running":
                return job
            job.status, job.error = "running", None
            job.started, job.finished = dt.datetime.now(dt.UTC), None
        thread = threading.Thread(target=self._run, args=(job, compute), daemon=True)
        thread.start()
        if wait:
            thread.join()
        return job

    def _run(self, job: Job, compute: Callable[[Store], Any]) -> None:
        tmp = Path(tempfile.mkdtemp(prefix="healthscore-job-"))
        try:
            copy = tmp / "snapshot.duckdb"
            stamp = _snapshot(self._settings, copy)
            with open_store(copy, create=False, memory_limit=self._settings.memory_limit) as s:
                result = compute(s)
            with self._lock:
                job.result, job.stamp, job.status = result, stamp, "done"
        except HealthscoreError as exc:
            with self._lock:
                job.status, job.error = "failed", str(exc)
        except Exception as exc:  # a bug: kept for the page, with its trace in the log
            traceback.print_exc()
            with self._lock:
                job.status, job.error = "failed", f"{type(exc).__name__}: {exc}"
        finally:
            with self._lock:
                job.finished = dt.datetime.now(dt.UTC)
            shutil.rmtree(tmp, ignore_errors=True)
