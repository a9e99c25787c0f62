"""Writes of detected changes: a run date's detections replace that date's rows."""

from __future__ import annotations

import datetime as dt

import pandas as pd

from healthscore.store.db import Store

__all__ = ["CHANGE_COLUMNS", "replace_changes"]

CHANGE_COLUMNS = (
    "detected_on",
    "account_id",
    "metric",
    "kind",
    "direction",
    "before_value",
    "after_value",
    "size",
    "z",
    "started",
    "evidence",
)


def replace_changes(store: Store, detected_on: dt.date, found: pd.DataFrame) -> None:
    """Replace the detections of `detected_on` by `found` (CHANGE_COLUMNS), atomically, so
    running detection twice for one date leaves one set of rows."""
    with store.transaction() as con:
        con.execute("DELETE FROM changes WHERE detected_on = ?", [detected_on])
        if found.empty:
            return
        con.register("_hs_changes", found[list(CHANGE_COLUMNS)])
        try:
            cols = ", ".join(CHANGE_COLUMNS)
            con.execute(f"INSERT INTO changes ({cols}) SELECT {cols} FROM _hs_changes")
        finally:
            con.unregister("_hs_changes")
