"""Analyse every text in a store: survey comments, tickets, CSM notes, judgement notes.

Incremental: a text whose analysis has the current method version and the same text hash
is skipped, so a second run is cheap and a new method version re-scores everything.  Texts
gone from their tables lose their analysis.  Bad texts become `unknown` with a reason and
never stop the run.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import pandas as pd

from healthscore.store import Store
from healthscore.store.queries.texts import analysis_keys, feature_catalog_rows, text_rows
from healthscore.store.texts import write_text_analysis
from healthscore.text.analyzer import TextAnalysis, analyze, method_version
from healthscore.text.features import FeatureCatalog

__all__ = ["BatchResult", "analyse_store", "store_catalog", "text_hash"]

# Where a text comes from, as analyze() understands it.
_SOURCE_KIND = {"tickets": "ticket", "interactions": "note", "judgements": "note"}


@dataclass(frozen=True)
class BatchResult:
    """What a run did: texts seen, analysed (new or changed), kept, removed, by label."""

    texts: int
    analysed: int
    unchanged: int
    removed: int
    labels: dict[str, int]
    cancellation: int
    competitor: int
    unknown_reasons: dict[str, int]
    method: str


def text_hash(text: str) -> str:
    return hashlib.blake2b(text.encode("utf-8", "replace"), digest_size=8).hexdigest()


def store_catalog(store: Store) -> FeatureCatalog:
    """The store's feature catalogue, compiled for matching (empty when it has none)."""
    return FeatureCatalog.from_records(feature_catalog_rows(store))


def _kind(source: str, detail: object) -> str | None:
    if source == "surveys":
        return str(detail) if isinstance(detail, str) else "survey"
    return _SOURCE_KIND.get(source)


def analyse_store(
    store: Store,
    *,
    full: bool = False,
    competitors: Sequence[str] = (),
    progress: Callable[[int, int], None] | None = None,
    now: dt.datetime | None = None,
) -> BatchResult:
    """Analyse the store's new and changed texts (all of them with `full`) and write them."""
    method = method_version()
    texts = text_rows(store)
    texts["text_hash"] = [text_hash(t) for t in texts["text"]]
    known = analysis_keys(store)
    merged = texts.merge(
        known.rename(columns={"text_hash": "old_hash"}), on=["source", "text_id"], how="left"
    )
    fresh = (merged["method"] == method) & (merged["old_hash"] == merged["text_hash"])
    todo = merged if full else merged[~fresh]
    keys = set(zip(texts["source"], texts["text_id"], strict=True))
    mask = [k not in keys for k in zip(known["source"], known["text_id"], strict=True)]
    gone = known.loc[pd.Series(mask, index=known.index, dtype=bool)]
    catalog = store_catalog(store)
    stamp = pd.Timestamp(now or dt.datetime.now(dt.UTC).replace(tzinfo=None))
    records = []
    total = len(todo)
    # Many texts repeat word for word ("OK.", "Thanks!", a help desk's macros): each
    # distinct (text, kind) is read once.
    seen: dict[tuple[str, str | None], TextAnalysis] = {}
    for i, row in enumerate(todo.itertuples(index=False)):
        kind = _kind(row.source, row.detail)
        a = seen.get((row.text, kind))
        if a is None:
            a = analyze(row.text, features=catalog, source=kind, competitors=competitors)
            seen[(row.text, kind)] = a
        records.append(
            {
                "source": row.source,
                "text_id": row.text_id,
                "detail": row.detail,
                "account_id": row.account_id,
                "occurred_at": row.occurred_at,
                "label": a.sentiment,
                "score": a.score,
                "reason": a.reason,
                "themes": ",".join(a.themes),
                "features": ",".join(a.features),
                "cancellation_intent": a.cancellation_intent,
                "competitor_intent": a.competitor_intent,
                "language": a.language,
                "evidence": a.evidence,
                "text_hash": row.text_hash,
                "method": a.method,
                "analysed_at": stamp,
                "negative_features": ",".join(a.negative_features),
            }
        )
        if progress is not None and (i + 1) % 500 == 0:
            progress(i + 1, total)
    out = pd.DataFrame.from_records(
        records,
        columns=[
            "source", "text_id", "detail", "account_id", "occurred_at", "label", "score",
            "reason", "themes", "features", "cancellation_intent", "competitor_intent",
            "language", "evidence", "text_hash", "method", "analysed_at", "negative_features",
        ],
    )  # fmt: skip
    if not out.empty:
        out["occurred_at"] = pd.to_datetime(out["occurred_at"])
        out["score"] = out["score"].astype("float64")
    write_text_analysis(store, out, gone[["source", "text_id"]])
    unknown = out[out["label"] == "unknown"]["reason"].fillna("unknown")
    return BatchResult(
        texts=len(texts),
        analysed=len(out),
        unchanged=len(texts) - len(out),
        removed=len(gone),
        labels={k: int(v) for k, v in out["label"].value_counts().items()},
        cancellation=int(out["cancellation_intent"].sum()) if not out.empty else 0,
        competitor=int(out["competitor_intent"].sum()) if not out.empty else 0,
        unknown_reasons={
            k: int(v)
            for k, v in unknown.str.split(" \\(|;", regex=True).str[0].value_counts().items()
        },
        method=method,
    )
