"""Small writers for test input files (CSV, gzip, JSON Lines, Parquet) and sample rows."""

from __future__ import annotations

import csv
import gzip
import json
from pathlib import Path

import pandas as pd

from healthscore.store.schema import Column, Table

SAMPLE = {
    "DOUBLE": "1.5",
    "INTEGER": "3",
    "BIGINT": "3",
    "BOOLEAN": "true",
    "DATE": "2024-01-02",
    "TIMESTAMP": "2024-01-02T03:04:05Z",
}


def sample_value(table: Table, col: Column, i: int) -> str:
    """A valid text value for `col` in row i (keys unique per row, accounts a1/a2)."""
    if col.name == "account_id":
        return f"a{i}"
    if col.choices:
        return col.choices[i % len(col.choices)]
    if col.type in SAMPLE:
        return SAMPLE[col.type]
    if col.name == "properties":
        return json.dumps({"colour": "red"})
    return f"{col.name}-{i}" if col.name in table.key or col.name.endswith("_id") else f"text {i}"


def sample_rows(table: Table, n: int = 2) -> list[dict[str, str]]:
    cols = [c for c in table.columns if c.name != "event_key"]
    return [{c.name: sample_value(table, c, i) for c in cols} for i in range(1, n + 1)]


def write_csv(path: Path, rows: list[dict[str, object]], header: list[str] | None = None) -> Path:
    header = header or list(rows[0])
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "wt", newline="", encoding="utf-8") as fh:  # type: ignore[operator]
        w = csv.writer(fh)
        w.writerow(header)
        for r in rows:
            w.writerow(["" if r.get(h) is None else r.get(h) for h in header])
    return path


def write_jsonl(path: Path, rows: list[dict[str, object]]) -> Path:
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "wt", encoding="utf-8") as fh:  # type: ignore[operator]
        for r in rows:
            fh.write(json.dumps(r) + "\n")
    return path


def write_parquet(path: Path, rows: list[dict[str, object]]) -> Path:
    pd.DataFrame(rows).to_parquet(path, index=False)
    return path


def write(path: Path, rows: list[dict[str, object]]) -> Path:
    name = path.name
    if ".csv" in name:
        return write_csv(path, rows)
    if ".jsonl" in name or ".ndjson" in name:
        return write_jsonl(path, rows)
    return write_parquet(path, rows)
