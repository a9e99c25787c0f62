"""Product events: which event types the store holds, and how often each occurs."""

from __future__ import annotations

from healthscore.store.queries._backend import Source, table

__all__ = ["event_type_counts"]


def event_type_counts(source: Source) -> list[tuple[str, int]]:
    """(event_type, number of events) for every event type, most frequent first (ties by name)."""
    e = table(source, "events")
    counts = e.group_by("event_type").aggregate(n=e.count()).to_pyarrow()
    pairs = zip(counts.column(0).to_pylist(), counts.column(1).to_pylist(), strict=True)
    # Ordered here: a server's text collation need not be DuckDB's byte order.
    return sorted(((str(t), int(n)) for t, n in pairs), key=lambda p: (-p[1], p[0]))
