"""The metric table under construction: one float column per metric, rows placed by code.

Why not merge DataFrames: a backfill's table is dates x accounts x ~250 columns, and each
pandas merge of a wide frame copies all of it.  Here every row is an (account, date) pair
with integer codes; a family's result is scattered into place by those codes, column by
column, and the output is allocated once.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

__all__ = ["Columns", "Dense"]

KEY = ["as_of", "account_id"]


@dataclass
class Dense:
    """Per-date x per-account arrays (shape dates x accounts) from the usage scans."""

    accounts: pd.Index
    values: dict[str, np.ndarray]


def take(values: np.ndarray, pos: np.ndarray) -> np.ndarray:
    """values[pos] as float64, NaN where pos < 0 (no row)."""
    out = np.full(len(pos), np.nan)
    if len(values):
        hit = pos >= 0
        out[hit] = np.asarray(values, dtype="float64")[pos[hit]]
    return out


class Columns:
    """Rows = (as_of, account) pairs, coded by (account index, date index)."""

    def __init__(
        self,
        accounts: pd.Index,
        dates: Sequence[dt.date],
        acc: np.ndarray,
        day: np.ndarray,
    ):
        self.accounts, self.dates = accounts, list(dates)
        self.acc, self.day = acc, day
        self.cols: dict[str, pd.Series] = {}
        self.index = pd.RangeIndex(len(acc))
        # (account, date) -> row, for scattering results in.
        self._row = np.full(len(accounts) * len(self.dates), -1, dtype=np.int64)
        self._row[acc.astype(np.int64) * len(self.dates) + day] = np.arange(len(acc))

    def __len__(self) -> int:
        return len(self.acc)

    def __contains__(self, name: object) -> bool:
        return name in self.cols or name in KEY

    def __getitem__(self, name: str) -> pd.Series:
        if name == "as_of":
            return pd.Series(np.array(self.dates, dtype=object)[self.day], index=self.index)
        if name == "account_id":
            return pd.Series(self.accounts.to_numpy(dtype=object)[self.acc], index=self.index)
        return self.cols[name]

    def __setitem__(self, name: str, values: object) -> None:
        if isinstance(values, pd.Series):
            self.cols[name] = values
        else:
            self.cols[name] = pd.Series(np.asarray(values), index=self.index)

    @property
    def columns(self) -> list[str]:
        return [*KEY, *self.cols]

    def keys_frame(self, *extra: str) -> pd.DataFrame:
        return pd.DataFrame({k: self[k] for k in [*KEY, *extra]})

    def positions(self, part: pd.DataFrame) -> np.ndarray:
        """For each row here, the row of `part` (keyed by as_of, account_id) or -1."""
        acc = self.accounts.get_indexer(part["account_id"].astype(str))
        as_of = part["as_of"]
        if as_of.dtype != object:
            as_of = pd.to_datetime(as_of).dt.date
        day = pd.Index(self.dates, dtype=object).get_indexer(as_of)
        ok = (acc >= 0) & (day >= 0)
        rows = self._row[acc[ok].astype(np.int64) * len(self.dates) + day[ok]]
        found = rows >= 0
        pos = np.full(len(self), -1, dtype=np.int64)
        pos[rows[found]] = np.flatnonzero(ok)[found]
        return pos

    def attach(self, part: pd.DataFrame | None) -> None:
        """Add every column of a family's (as_of, account_id, ...) result; NaN where absent."""
        if part is None:
            return
        pos = self.positions(part)
        for c in part.columns:
            if c not in KEY:
                # reindex keeps the column's type (timestamps stay timestamps), NaN/NaT at -1.
                col = part[c].reset_index(drop=True).reindex(pos)
                col.index = self.index
                self.cols[c] = col

    def dense_positions(self, dense: Dense) -> np.ndarray:
        """For each row here, its flat index in a Dense result's (dates x accounts) arrays."""
        code = dense.accounts.get_indexer(self.accounts)[self.acc]
        return np.where(code >= 0, self.day.astype(np.int64) * len(dense.accounts) + code, -1)

    def attach_dense(self, dense: Dense | None, skip: Iterable[str] = ()) -> None:
        """Add a Dense result's arrays, freeing each once placed."""
        if dense is None:
            return
        pos = self.dense_positions(dense)
        for name in list(dense.values):
            values = dense.values.pop(name)
            if name not in skip:
                self[name] = take(values.reshape(-1), pos)
            del values

    def output(self, names: Sequence[str]) -> pd.DataFrame:
        """as_of, account_id, then `names` (NaN where never computed), sorted by key; the
        float block is allocated once and filled column by column."""
        rank = np.empty(len(self.accounts), dtype=np.int64)
        rank[self.accounts.argsort()] = np.arange(len(self.accounts))
        order = np.lexsort((rank[self.acc], self.day))
        block = np.empty((len(self), len(names)), dtype="float64", order="F")
        for j, c in enumerate(names):
            col = self.cols.pop(c, None)
            block[:, j] = np.nan if col is None else col.astype("float64").to_numpy()[order]
            del col
        self.cols.clear()
        out = pd.DataFrame(block, columns=list(names), copy=False)
        out.insert(0, "account_id", self.accounts.to_numpy(dtype=object)[self.acc[order]])
        out.insert(0, "as_of", np.array(self.dates, dtype=object)[self.day[order]])
        return out
