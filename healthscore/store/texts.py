"""Writes of text analysis: results replace earlier ones for the same texts, atomically.

The rows come from `healthscore.text.batch`; a text that is gone from its source table
loses its analysis in the same transaction, so the table never describes deleted text.
"""

from __future__ import annotations

import pandas as pd

from healthscore.store.db import Store

__all__ = ["TEXT_ANALYSIS_COLUMNS", "clear_text_analysis", "write_text_analysis"]

TEXT_ANALYSIS_COLUMNS = (
    "source", "text_id", "detail", "account_id", "occurred_at", "label", "score", "reason",
    "themes", "features", "cancellation_intent", "competitor_intent", "language", "evidence",
    "text_hash", "method", "analysed_at", "negative_features",
)  # fmt: skip


def write_text_analysis(store: Store, rows: pd.DataFrame, gone: pd.DataFrame | None = None) -> int:
    """Replace the analysis of `rows`' texts by `rows`, and drop that of the `gone` keys
    (frames with source and text_id), in one transaction; the number of rows written."""
    missing = [c for c in TEXT_ANALYSIS_COLUMNS if c not in rows.columns]
    if missing:
        raise ValueError(f"text analysis rows lack columns {missing}")
    data = rows[list(TEXT_ANALYSIS_COLUMNS)]
    with store.transaction() as con:
        for name, keys in (("_hs_text_new", data), ("_hs_text_gone", gone)):
            if keys is None or keys.empty:
                continue
            con.register(name, keys[["source", "text_id"]])
            try:
                con.execute(
                    "DELETE FROM text_analysis t USING "
                    f"{name} k WHERE t.source = k.source AND t.text_id = k.text_id"
                )
            finally:
                con.unregister(name)
        if not data.empty:
            con.register("_hs_text_rows", data)
            try:
                cols = ", ".join(TEXT_ANALYSIS_COLUMNS)
                con.execute(f"INSERT INTO text_analysis ({cols}) SELECT {cols} FROM _hs_text_rows")
            finally:
                con.unregister("_hs_text_rows")
    return len(data)


def clear_text_analysis(store: Store) -> None:
    """Forget every analysis (the next batch run recomputes all)."""
    with store.transaction() as con:
        con.execute("DELETE FROM text_analysis")
