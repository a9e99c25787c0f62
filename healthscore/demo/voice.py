"""The demo's texts read: sentiment, themes and intent of its comments, tickets and notes.

Owned by the voice-of-the-customer work; `build_and_score` calls it after the portfolio is
built and before the history is scored, so text metrics count in the scores.
"""

from __future__ import annotations

import time
from typing import Any

from healthscore.store import Store
from healthscore.store.queries.span import data_range
from healthscore.store.queries.texts import intent_flags
from healthscore.text.batch import analyse_store


def analyse_demo_texts(store: Store) -> dict[str, Any] | None:
    """Analyse every text the demo wrote; a summary with printable `lines`, or None."""
    started = time.perf_counter()
    res = analyse_store(store)
    seconds = time.perf_counter() - started
    if res.texts == 0:
        return None
    known = sum(n for label, n in res.labels.items() if label != "unknown") or 1
    share = {k: res.labels.get(k, 0) / known for k in ("negative", "neutral", "positive")}
    span = data_range(store)
    flagged = intent_flags(store, span.last) if span is not None else None
    cancel = competitor = 0
    if flagged is not None and not flagged.empty:
        cancel = int(flagged[flagged["kind"] == "cancellation"]["account_id"].nunique())
        competitor = int(flagged[flagged["kind"] == "competitor"]["account_id"].nunique())
    lines = [
        f"Read {res.texts:,} texts (survey comments, tickets, CSM notes) in {seconds:.1f} s: "
        f"{share['negative']:.0%} negative, {share['neutral']:.0%} neutral, "
        f"{share['positive']:.0%} positive.",
        f"{cancel} accounts flagged with cancellation intent in the last 90 days"
        f" ({competitor} evaluating a competitor); see `healthscore feedback`.",
    ]
    return {
        "texts": res.texts,
        "analysed": res.analysed,
        "labels": res.labels,
        "cancellation_accounts": cancel,
        "competitor_accounts": competitor,
        "seconds": round(seconds, 2),
        "method": res.method,
        "lines": lines,
    }
