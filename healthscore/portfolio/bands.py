"""The score across the portfolio: the share of accounts, and of ARR, in each band.

Read from the newest stored snapshot within the period (on or before its last day).
ARR is 12 x the account's subscription MRR that day, else the account's stored ARR.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd

from healthscore.portfolio._figures import Figures

__all__ = ["band_figures", "snapshot_in"]


def snapshot_in(dates: list[dt.date], start: dt.date, last_day: dt.date) -> dt.date | None:
    """The newest of `dates` in ``[start, last_day]`` (None when there is none)."""
    inside = [d for d in dates if start <= d <= last_day]
    return max(inside) if inside else None


def band_figures(
    snap: pd.DataFrame,
    arr: pd.Series,
    bands: list[str],
    snapshot: dt.date | None,
) -> Figures:
    """band_<b>_share and band_<b>_arr_share for every band `b`, and score_snapshot.

    `snap` holds the snapshot's account_id and band for the accounts of the group; `arr`
    maps account_id to ARR.
    """
    f = Figures()
    f.put("score_snapshot", snapshot, "no score snapshot in the period")
    scored = snap[snap["band"].notna()] if len(snap) else snap
    n = len(scored)
    weights = scored["account_id"].map(arr).fillna(0.0) if n else pd.Series(dtype=float)
    total = float(weights.sum())
    for b in bands:
        if snapshot is None:
            why = "no score snapshot in the period"
            f.put(f"band_{b}_share", None, why)
            f.put(f"band_{b}_arr_share", None, why)
            continue
        hit = (scored["band"] == b).to_numpy(dtype=bool)
        f.put(f"band_{b}_share", float(hit.sum()) / n if n else None, "no scored account")
        f.put(
            f"band_{b}_arr_share",
            float(weights[hit].sum()) / total if total else None,
            "the scored accounts carry no ARR" if n else "no scored account",
        )
    return f
