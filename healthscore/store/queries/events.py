"""Product events: which event types the store holds, and how often each occurs."""

from __future__ import annotations

import ibis

from healthscore.store.queries._backend import Source, table

__all__ = ["event_type_counts"]


def event_type_counts(source: Source) -> list[tuple[str, int]]:
    """(event_type, number of events) for every event type, most frequent first (ties by name)."""
    e = table(source, "events")
    counts = (
        e.group_by("event_type")
        .aggregate(n=e.count())
        .order_by([ibis.desc("n"), "event_type"])
        .to_pyarrow()
    )
    return [
        (str(t), int(n))
        for t, n in zip(counts.column(0).to_pylist(), counts.column(1).to_pylist(), strict=True)
    ]
