"""Source files as DuckDB relations: format detection, headers, line numbers, encodings.

The rows themselves are never read in Python: DuckDB's streaming readers do that inside
the database.  Python only peeks at a CSV header (to name missing columns before any row
is read) and, when DuckDB reports bad bytes, scans for the offending line.
"""

from __future__ import annotations

import csv
import gzip
import io
import re
from dataclasses import dataclass
from pathlib import Path

import duckdb

from healthscore.errors import ImportRejected
from healthscore.ingest._sql import qi, ql

__all__ = ["FORMATS", "Source", "detect_format", "open_source", "translate_read_error"]

FORMATS = ("csv", "jsonl", "parquet")

_SUFFIXES = {
    ".csv": "csv",
    ".tsv": "csv",
    ".txt": "csv",
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".json": "jsonl",
    ".parquet": "parquet",
    ".pq": "parquet",
}


@dataclass(frozen=True)
class Source:
    """One input file: its label in messages, its format and its columns (name -> type)."""

    path: Path
    label: str
    fmt: str
    columns: dict[str, str]
    # SELECT yielding `_line` (line / row number as a person counts it) and the columns.
    select: str
    # "line" for text files, "row" for Parquet (which has no lines).
    unit: str
    # The same rows with `_line` NULL: numbering rows serialises DuckDB's parallel readers.
    fast: str = ""

    def __post_init__(self) -> None:
        if not self.fast:
            object.__setattr__(self, "fast", self.select)


def detect_format(path: Path, override: str | None = None) -> str:
    """csv, jsonl or parquet from the file name (".csv.gz" counts as CSV), unless overridden."""
    if override:
        if override not in FORMATS:
            raise ImportRejected(
                f"unknown format {override!r}; expected one of: {', '.join(FORMATS)}"
            )
        return override
    suffixes = [s.lower() for s in path.suffixes]
    if suffixes and suffixes[-1] in (".gz", ".gzip"):
        suffixes = suffixes[:-1]
    if suffixes and suffixes[-1] in _SUFFIXES:
        return _SUFFIXES[suffixes[-1]]
    raise ImportRejected(
        f"{path.name}: cannot tell the format from the file name; name it .csv, .csv.gz, "
        ".jsonl, .ndjson, .jsonl.gz or .parquet, or give the format (csv, jsonl or parquet) explicitly"
    )


def _is_gzip(path: Path) -> bool:
    with path.open("rb") as fh:
        return fh.read(2) == b"\x1f\x8b"


def _open_bytes(path: Path) -> io.BufferedIOBase:
    return gzip.open(path, "rb") if _is_gzip(path) else path.open("rb")  # type: ignore[return-value]


def _csv_header(path: Path, label: str) -> tuple[list[str], str]:
    """The header's column names and the delimiter, read from the first line only."""
    with _open_bytes(path) as fh:
        first = fh.readline(1 << 20)
    if not first.strip():
        raise ImportRejected(f"{label} is empty: expected a header line with column names")
    try:
        text = first.decode("utf-8-sig").rstrip("\r\n")
    except UnicodeDecodeError as exc:
        raise ImportRejected(
            f"{label} line 1: not valid UTF-8 (byte 0x{first[exc.start]:02x}); "
            "save the file as UTF-8 and import it again"
        ) from None
    try:
        delim = csv.Sniffer().sniff(text, delimiters=",;\t|").delimiter
    except csv.Error:
        delim = ","
    names = next(csv.reader([text], delimiter=delim))
    return [n.strip() for n in names], delim


def find_bad_utf8(path: Path) -> tuple[int, int, int] | None:
    """(line, column, byte) of the first byte sequence that is not UTF-8, streaming the file."""
    with _open_bytes(path) as fh:
        for lineno, raw in enumerate(fh, start=1):
            try:
                raw.decode("utf-8")
            except UnicodeDecodeError as exc:
                return lineno, exc.start + 1, raw[exc.start]
    return None


def find_bad_json_line(path: Path) -> tuple[int, str] | None:
    """(line, reason) of the first non-empty line that is not a JSON object, streaming."""
    import json

    with _open_bytes(path) as fh:
        for lineno, raw in enumerate(fh, start=1):
            if not raw.strip():
                continue
            try:
                obj = json.loads(raw)
            except ValueError as exc:
                return lineno, str(exc).split(":", 1)[0]
            if not isinstance(obj, dict):
                return lineno, "not an object"
    return None


def open_source(
    con: duckdb.DuckDBPyConnection, path: Path, fmt: str, label: str | None = None
) -> Source:
    """Describe a file without reading its rows (beyond the header or Parquet footer)."""
    label = label or path.name
    if not path.exists():
        raise ImportRejected(f"{label}: no such file")
    if path.stat().st_size == 0:
        raise ImportRejected(f"{label} is empty")
    p = ql(str(path))
    if fmt == "csv":
        names, delim = _csv_header(path, label)
        if len(set(names)) != len(names):
            dup = sorted({n for n in names if names.count(n) > 1})
            raise ImportRejected(f"{label} line 1: column(s) {', '.join(dup)} appear twice")
        if clash := _case_clash(names):
            raise ImportRejected(
                f'{label} line 1: columns "{clash[0]}" and "{clash[1]}" differ only in case; '
                "rename one (column names are matched without regard to case)"
            )
        cols = "{" + ", ".join(f"{ql(n)}: 'VARCHAR'" for n in names) + "}"
        reader = (
            f"read_csv({p}, auto_detect=false, header=true, delim={ql(delim)}, quote='\"', "
            f"escape='\"', columns={cols}, strict_mode=true, encoding='utf-8')"
        )
        # Header is line 1, so record n is line n + 1 (DuckDB keeps insertion order).
        select = f"SELECT row_number() OVER () + 1 AS _line, * FROM {reader}"
        fast = f"SELECT CAST(NULL AS BIGINT) AS _line, * FROM {reader}"
        return Source(path, label, fmt, dict.fromkeys(names, "VARCHAR"), select, "line", fast)
    if fmt == "jsonl":
        objs = f"read_json_objects({p}, format='newline_delimited')"
        try:
            first_seen = con.execute(
                f"SELECT k, min(n) FROM (SELECT unnest(json_keys(json)) AS k, "
                f"row_number() OVER () AS n FROM {objs}) GROUP BY k ORDER BY min(n), k"
            ).fetchall()
        except duckdb.Error as exc:
            raise translate_read_error(exc, path, label, fmt) from None
        keys = [str(r[0]) for r in first_seen]
        if not keys:
            raise ImportRejected(f"{label} is empty: expected one JSON object per line")
        if clash := _case_clash(keys):
            # Keys come in order of first appearance: the second of the pair is the later one.
            line = dict(first_seen)[clash[1]]
            raise ImportRejected(
                f'{label} line {line}: keys "{clash[0]}" and "{clash[1]}" differ only in case; '
                "rename one so each field has one spelling (names are matched without regard "
                "to case, so one value would be lost)"
            )
        fields = ", ".join(f"json ->> {ql('$.' + _json_key(k))} AS {qi(k)}" for k in keys)
        select = f"SELECT row_number() OVER () AS _line, {fields} FROM {objs}"
        fast = f"SELECT CAST(NULL AS BIGINT) AS _line, {fields} FROM {objs}"
        return Source(path, label, fmt, dict.fromkeys(keys, "VARCHAR"), select, "line", fast)
    if fmt == "parquet":
        reader = f"read_parquet({p}, file_row_number=true)"
        try:
            desc = con.execute(f"DESCRIBE SELECT * FROM read_parquet({p})").fetchall()
        except duckdb.Error as exc:
            raise ImportRejected(
                f"{label}: not a readable Parquet file ({_first_line(exc)})"
            ) from None
        types = {str(r[0]): str(r[1]) for r in desc}
        listed = ", ".join(qi(c) for c in types)
        select = f"SELECT file_row_number + 1 AS _line, {listed} FROM {reader}"
        fast = f"SELECT CAST(NULL AS BIGINT) AS _line, {listed} FROM read_parquet({p})"
        return Source(path, label, fmt, types, select, "row", fast)
    raise ImportRejected(f"unknown format {fmt!r}")


def _case_clash(names: list[str]) -> tuple[str, str] | None:
    """The first two names equal but for case, in their order (column names in SQL are not
    case-sensitive, so the second would silently take the first one's place)."""
    seen: dict[str, str] = {}
    for name in names:
        folded = name.lower()
        if folded in seen:
            return seen[folded], name
        seen[folded] = name
    return None


def _json_key(key: str) -> str:
    return '"' + key.replace('"', '\\"') + '"'


def _first_line(exc: BaseException) -> str:
    return str(exc).split("\n", 1)[0].removeprefix("Invalid Input Error: ")


_CSV_LINE = re.compile(r"CSV Error on Line: (\d+)")


def translate_read_error(exc: duckdb.Error, path: Path, label: str, fmt: str) -> ImportRejected:
    """Turn a DuckDB reader error into a message naming the file, line and fix."""
    msg = str(exc)
    if "unicode" in msg.lower() or "utf-8" in msg.lower() or "utf8" in msg.lower():
        bad = find_bad_utf8(path)
        if bad:
            line, col, byte = bad
            return ImportRejected(
                f"{label} line {line}: not valid UTF-8 (byte 0x{byte:02x} at character {col}); "
                "save the file as UTF-8 and import it again"
            )
        return ImportRejected(
            f"{label}: not valid UTF-8; save the file as UTF-8 and import it again"
        )
    if fmt == "csv" and (m := _CSV_LINE.search(msg)):
        detail = [ln.strip() for ln in msg.splitlines()[1:] if ln.strip()]
        original = next((d for d in detail if d.startswith("Original Line:")), "")
        reason = next(
            (d for d in detail if not d.startswith(("Original Line:", "Possible", "*"))), "bad row"
        )
        shown = f" ({original.removeprefix('Original Line:').strip()[:80]!r})" if original else ""
        return ImportRejected(f"{label} line {m.group(1)}: malformed CSV: {reason}{shown}")
    if fmt == "jsonl" and "Malformed JSON" in msg:
        bad_json = find_bad_json_line(path)
        if bad_json:
            line, reason = bad_json
            return ImportRejected(
                f"{label} line {line}: malformed JSON ({reason}); expected one JSON object per line"
            )
        return ImportRejected(f"{label}: malformed JSON: {_first_line(exc)}")
    return ImportRejected(f"{label}: cannot read the file: {_first_line(exc)}")
