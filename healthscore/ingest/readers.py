"""Source files as DuckDB relations: format detection, headers, line numbers, encodings.

The rows themselves are never read in Python: DuckDB's streaming readers do that inside
the database.  Python only checks what DuckDB would trip over or report badly, from the
file's first megabyte (what the file is, its encoding, its line endings and its header),
and, when DuckDB reports a problem, scans the file for the offending line.
"""

from __future__ import annotations

import csv
import gzip
import io
import re
import stat
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import duckdb
import numpy as np
import pyarrow as pa
from duckdb import sqltypes
from duckdb.func import PythonUDFType

from healthscore.errors import ImportRejected
from healthscore.ingest._sql import qi, ql

__all__ = [
    "FORMATS",
    "LINE",
    "MAX_COLUMNS",
    "MAX_NAME",
    "Source",
    "detect_format",
    "open_source",
    "translate_read_error",
]

FORMATS = ("csv", "jsonl", "parquet")

# DuckDB's binder slows down sharply with many columns (2,000 took 4.6 s, 10,000 over two
# minutes, with the store locked); no kind has more than 16 fields, and extra columns only
# go to `properties`, so a file this wide is a pivoted or wrong export.
MAX_COLUMNS = 1000
# Characters in one column name: a longer "name" is data on the header line.
MAX_NAME = 1000
# The line number's column in a source's SELECT, beside the file's own columns. Files use
# short names such as `_line`; this one is reserved (a column of that name is refused), so
# no file column can be shadowed by it and lose its values.
LINE = "_healthscore_line"
# What the pre-scan reads: enough for a header and thousands of lines.
_PEEK = 1 << 20

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
    # SELECT yielding `LINE` (line / row number as a person counts it) and the columns.
    select: str
    # "line" for text files, "row" for Parquet (which has no lines).
    unit: str
    # The same rows with `LINE` NULL: numbering rows serialises DuckDB's parallel readers.
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


def _check_file(path: Path, label: str) -> None:
    """Refuse what is not a readable, non-empty regular file, saying what it is."""
    try:
        st = path.stat()
    except FileNotFoundError:
        raise ImportRejected(f"{label}: no such file") from None
    except OSError as exc:
        raise ImportRejected(f"{label}: cannot read it ({exc.strerror or exc})") from None
    if stat.S_ISDIR(st.st_mode):
        raise ImportRejected(
            f"{label} is a directory, not a file; name the files inside it (e.g. {path}/*.csv)"
        )
    if not stat.S_ISREG(st.st_mode):
        what = "a pipe" if stat.S_ISFIFO(st.st_mode) else "not a regular file"
        raise ImportRejected(
            f"{label} is {what} (a FIFO, a terminal or standard input): an import reads its "
            "input more than once (to check every row, and again to say where a problem is), "
            "which a pipe cannot replay; save the data to a file and import that file"
        )
    if st.st_size == 0:
        raise ImportRejected(f"{label} is empty")
    try:
        with path.open("rb") as fh:
            fh.read(1)
    except OSError as exc:
        raise ImportRejected(f"{label}: cannot read it ({exc.strerror or exc})") from None


def _gzip_damage(path: Path, label: str) -> ImportRejected | None:
    """A message when a gzip file ends early or is corrupt (None when it is whole).

    DuckDB reads a gzip file cut short as if it ended there: the rows after the cut would
    be silently missing.  So the whole compressed stream is checked (inflated and thrown
    away, well under a second per 100 MB of text) before a row is read."""
    lines = 1
    try:
        with path.open("rb") as fh:
            d = zlib.decompressobj(wbits=31)
            pending = b""
            while True:
                chunk = pending or fh.read(1 << 20)
                pending = b""
                if not chunk:
                    break
                lines += d.decompress(chunk).count(b"\n")
                if d.eof:
                    # A concatenated gzip file holds several members: check each.
                    pending = d.unused_data or fh.read(1 << 20)
                    if not pending:
                        return None
                    d = zlib.decompressobj(wbits=31)
            if not d.eof:
                raise EOFError
    except (EOFError, zlib.error):
        return ImportRejected(
            f"{label}: the gzip file is truncated or damaged (it breaks off near line "
            f"{lines}); copy or download it again in full"
        )
    return None


def _peek(path: Path, label: str) -> tuple[bytes, bool]:
    """The first `_PEEK` bytes of the file's text (decompressed) and whether it is gzip."""
    gz = _is_gzip(path)
    if gz and (damage := _gzip_damage(path, label)):
        raise damage
    with _open_bytes(path) as fh:
        head = fh.read(_PEEK)
    return head, gz


def _check_encoding(head: bytes, label: str) -> bytes:
    """The text without a UTF-8 byte-order mark; UTF-16/32 files are refused by name."""
    for bom, name in (
        (b"\xff\xfe\x00\x00", "UTF-32"),
        (b"\x00\x00\xfe\xff", "UTF-32"),
        (b"\xff\xfe", "UTF-16"),
        (b"\xfe\xff", "UTF-16"),
    ):
        if head.startswith(bom):
            raise ImportRejected(
                f"{label} is encoded as {name}; save it as UTF-8 (in Excel: CSV UTF-8) and "
                "import it again"
            )
    return head.removeprefix(b"\xef\xbb\xbf")


def _ending_problem(label: str, e: LineEndings) -> ImportRejected | None:
    """Line endings DuckDB's reader cannot follow, as a message naming the first bad line."""
    if e.lone_cr_line is not None and (e.lf_line is None and e.crlf_line is None):
        return ImportRejected(
            f"{label}: lines end in a carriage return alone (old Mac style), first at line "
            f"{e.lone_cr_line}; save the file with LF or CRLF line ends (e.g. `tr '\\r' '\\n'`) "
            "and import it again"
        )
    if e.lone_cr_line is not None:
        return ImportRejected(
            f"{label} line {e.lone_cr_line}: a carriage return (CR) alone inside the line, "
            "outside quotes; remove it or quote the field, and import again"
        )
    if e.lf_line is not None and e.crlf_line is not None:
        first, other = sorted(
            [(e.crlf_line, "CRLF (Windows)"), (e.lf_line, "LF (Unix)")], key=lambda t: t[0]
        )
        return ImportRejected(
            f"{label}: mixed line endings: line {first[0]} ends in {first[1]}, line "
            f"{other[0]} in {other[1]}; convert the file to one style (e.g. `dos2unix`) and "
            "import it again"
        )
    return None


def _csv_header(path: Path, label: str) -> tuple[list[str], str, bool]:
    """The header's column names, the delimiter and whether the file is gzip, after checking
    the first megabyte for what DuckDB would trip over (line endings, encoding, width)."""
    raw, gz = _peek(path, label)
    head = _check_encoding(raw, label)
    if not head.strip():
        raise ImportRejected(f"{label} is empty: expected a header line with column names")
    complete = len(raw) < _PEEK
    endings = line_endings(head, complete=complete)
    if problem := _ending_problem(label, endings):
        raise problem
    if endings.header_end is None:
        if not complete:
            raise ImportRejected(
                f"{label} line 1: the header has no line end within its first "
                f"{_PEEK >> 20} MB; a header holds column names (at most {MAX_COLUMNS} of up "
                f"to {MAX_NAME} characters each)"
            )
        first = head
    else:
        first = head[: endings.header_end]
    try:
        text = first.decode("utf-8").rstrip("\r\n")
    except UnicodeDecodeError as exc:
        raise ImportRejected(
            f"{label} line 1: not valid UTF-8 (byte 0x{first[exc.start]:02x}); "
            "save the file as UTF-8 and import it again"
        ) from None
    try:
        delim = csv.Sniffer().sniff(text[:65536], delimiters=",;\t|").delimiter
    except csv.Error:
        delim = ","
    # The header is at most 1 MB here; the csv module's own 128 KB field limit must not be
    # what refuses it (the name-length check below says what is wrong).
    csv.field_size_limit(max(csv.field_size_limit(), len(text) + 1))
    names = [n.strip() for n in next(csv.reader([text], delimiter=delim), [])]
    _check_names(names, f"{label} line 1")
    return names, delim, gz


def _check_names(names: list[str], where: str) -> None:
    """Column names DuckDB's binder would choke on or mis-match, refused up front."""
    if len(names) > MAX_COLUMNS:
        raise ImportRejected(
            f"{where}: {len(names):,} columns; at most {MAX_COLUMNS:,} are accepted "
            "(each kind has at most 16 fields, and extra columns go to properties); keep the "
            "columns you need (e.g. `cut -d, -f1-20`) and import again"
        )
    for i, n in enumerate(names, start=1):
        if not n:
            raise ImportRejected(
                f"{where}: column {i} has no name; name it in the header or delete "
                "the column, and import again"
            )
        if len(n) > MAX_NAME:
            raise ImportRejected(
                f"{where}: column {i}'s name is {len(n):,} characters long (at most "
                f"{MAX_NAME:,}); is line 1 a header? The first line must name the columns"
            )
    _check_reserved(names, where)
    if len(set(names)) != len(names):
        dup = sorted({n for n in names if names.count(n) > 1})
        raise ImportRejected(f"{where}: column(s) {', '.join(dup)} appear twice")
    if clash := _case_clash(names):
        raise ImportRejected(
            f'{where}: columns "{clash[0]}" and "{clash[1]}" differ only in case; '
            "rename one (column names are matched without regard to case)"
        )


def _check_reserved(names: list[str], where: str) -> None:
    """The line-number column's name is healthscore's own: refuse a file column of that name."""
    for i, n in enumerate(names, start=1):
        if n.lower() == LINE:
            raise ImportRejected(
                f'{where}: column {i} is named "{n}", a name healthscore reserves for line '
                "numbers; rename the column and import again"
            )


def find_bad_utf8(path: Path) -> tuple[int, int, int] | None:
    """(line, column, byte) of the first byte sequence that is not UTF-8, streaming the file."""
    for lineno, raw in _lines(path):
        try:
            raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            return lineno, exc.start + 1, raw[exc.start]
    return None


def _lines(path: Path) -> Iterator[tuple[int, bytes]]:
    """The file's lines, numbered from 1; a damaged gzip stream ends the scan."""
    try:
        with _open_bytes(path) as fh:
            yield from enumerate(fh, start=1)
    except (EOFError, zlib.error, gzip.BadGzipFile):
        return


def find_bad_json_line(path: Path) -> tuple[int, str] | None:
    """(line, reason) of the first non-empty line that is not a JSON object, streaming."""
    import json

    for lineno, raw in _lines(path):
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
    _check_file(path, label)
    p = ql(str(path))
    if fmt == "csv":
        names, delim, gz = _csv_header(path, label)
        cols = "{" + ", ".join(f"{ql(n)}: 'VARCHAR'" for n in names) + "}"
        # The compression follows the bytes, not the name: a gzip file named .csv is read.
        reader = (
            f"read_csv({p}, auto_detect=false, header=true, delim={ql(delim)}, quote='\"', "
            f"escape='\"', columns={cols}, strict_mode=true, encoding='utf-8', "
            f"compression={ql('gzip' if gz else 'none')})"
        )
        # Record n (the header is record 0) starts on the line the line function gives:
        # n + 1 unless quoted fields span lines or blank lines are skipped.
        fn = register_line_function(con)
        select = f"SELECT {fn}({p}, row_number() OVER ()) AS {LINE}, * FROM {reader}"
        fast = f"SELECT CAST(NULL AS BIGINT) AS {LINE}, * FROM {reader}"
        return Source(path, label, fmt, dict.fromkeys(names, "VARCHAR"), select, "line", fast)
    if fmt == "jsonl":
        raw, gz = _peek(path, label)
        _check_encoding(raw, label)
        objs = (
            f"read_json_objects({p}, format='newline_delimited', "
            f"compression={ql('gzip' if gz else 'uncompressed')})"
        )
        try:
            # Each key and the first object it is in; also whether an object repeats a key
            # (DuckDB would keep the first value and drop the rest without a word).
            first_seen = con.execute(
                "SELECT k, min(n), bool_or(rep) FROM (SELECT unnest(ks) AS k, n, rep FROM "
                "(SELECT ks, n, len(ks) <> len(list_distinct(ks)) AS rep FROM (SELECT "
                f"json_keys(json) AS ks, row_number() OVER () AS n FROM {objs}))) "
                "GROUP BY k ORDER BY min(n), k"
            ).fetchall()
        except duckdb.Error as exc:
            raise translate_read_error(exc, path, label, fmt) from None
        if any(r[2] for r in first_seen):
            raise _repeated_key(path, label)
        first_seen = [(r[0], r[1]) for r in first_seen]
        keys = [str(r[0]) for r in first_seen]
        if not keys:
            raise ImportRejected(f"{label} is empty: expected one JSON object per line")
        lines = dict(first_seen)
        if "" in lines:
            raise ImportRejected(
                f'{label} line {lines[""]}: a key is empty (""); name the field or drop it, '
                "and import again"
            )
        if LINE in (k.lower() for k in keys):
            key = next(k for k in keys if k.lower() == LINE)
            raise ImportRejected(
                f'{label} line {lines[key]}: key "{key}" is a name healthscore reserves for '
                "line numbers; rename the key and import again"
            )
        if len(keys) > MAX_COLUMNS:
            raise ImportRejected(
                f"{label}: {len(keys):,} distinct keys; at most {MAX_COLUMNS:,} are accepted "
                "(each kind has at most 16 fields, and extra keys go to properties); nest the "
                "extra fields in one object and import again"
            )
        if clash := _case_clash(keys):
            # Keys come in order of first appearance: the second of the pair is the later one.
            line = lines[clash[1]]
            raise ImportRejected(
                f'{label} line {line}: keys "{clash[0]}" and "{clash[1]}" differ only in case; '
                "rename one so each field has one spelling (names are matched without regard "
                "to case, so one value would be lost)"
            )
        # JSON values as JSON: fields take their text, `properties` keep numbers, booleans
        # and nested objects as the file typed them.
        fields = ", ".join(f"json -> {ql('$.' + _json_key(k))} AS {qi(k)}" for k in keys)
        select = f"SELECT row_number() OVER () AS {LINE}, {fields} FROM {objs}"
        fast = f"SELECT CAST(NULL AS BIGINT) AS {LINE}, {fields} FROM {objs}"
        return Source(path, label, fmt, dict.fromkeys(keys, "JSON"), select, "line", fast)
    if fmt == "parquet":
        reader = f"read_parquet({p}, file_row_number=true)"
        try:
            desc = con.execute(f"DESCRIBE SELECT * FROM read_parquet({p})").fetchall()
        except duckdb.Error as exc:
            raise ImportRejected(
                f"{label}: not a readable Parquet file ({_first_line(exc)})"
            ) from None
        types = {str(r[0]): str(r[1]) for r in desc}
        _check_names(list(types), f"{label} (its schema)")
        listed = ", ".join(qi(c) for c in types)
        select = f"SELECT file_row_number + 1 AS {LINE}, {listed} FROM {reader}"
        fast = f"SELECT CAST(NULL AS BIGINT) AS {LINE}, {listed} FROM read_parquet({p})"
        return Source(path, label, fmt, types, select, "row", fast)
    raise ImportRejected(f"unknown format {fmt!r}")


def _repeated_key(path: Path, label: str) -> ImportRejected:
    """The message for the first line whose JSON object holds one key twice."""
    import json

    repeated: list[str | None] = []  # per object of the line parsed, innermost first

    def pairs(items: list[tuple[str, object]]) -> dict[str, object]:
        keys = [k for k, _ in items]
        repeated.append(next((k for i, k in enumerate(keys) if k in keys[:i]), None))
        return dict(items)

    for lineno, raw in _lines(path):
        repeated.clear()
        try:
            json.loads(raw, object_pairs_hook=pairs)
        except ValueError:
            continue
        if repeated and (key := repeated[-1]) is not None:  # the line's own object is last
            return ImportRejected(
                f'{label} line {lineno}: key "{key}" appears twice in one object; keep one '
                "(which value is right cannot be told from the file), and import again"
            )
    return ImportRejected(
        f"{label}: an object holds the same key twice; keep one of each, and import again"
    )


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


# -- line endings and line numbers -----------------------------------------------------------
#
# DuckDB's CSV reader follows one style of line end per file and counts records, not lines.
# These scans (numpy over raw bytes, quotes tracked so a line end inside a quoted field is
# data) find what it cannot follow and the line each record starts on.

_QUOTE, _CR, _LF = 34, 13, 10


@dataclass(frozen=True)
class LineEndings:
    """The first line ending of each style, outside quotes (line numbers from 1)."""

    header_end: int | None = None  # offset just past the first line's end
    crlf_line: int | None = None
    lf_line: int | None = None
    lone_cr_line: int | None = None


def _first(mask: np.ndarray, line: np.ndarray) -> int | None:
    hits = np.flatnonzero(mask)
    return int(line[hits[0]]) if len(hits) else None


def _scan(data: bytes, *, final: bool, line0: int, quoted: bool) -> tuple[LineEndings, int, bool]:
    """Line endings in `data` (lines numbered from `line0`, starting inside quotes when
    `quoted`); also the number of line ends seen and whether `data` ends inside quotes.
    A CR as the last byte of a non-final chunk is not judged (its LF may follow)."""
    a = np.frombuffer(data, dtype=np.uint8)
    if not len(a):
        return LineEndings(), 0, quoted
    inq = (np.cumsum(a == _QUOTE) % 2).astype(bool) ^ quoted
    cr, lf = a == _CR, a == _LF
    next_lf = np.zeros_like(lf)
    next_lf[:-1] = lf[1:]
    prev_cr = np.zeros_like(cr)
    prev_cr[1:] = cr[:-1]
    lone = cr & ~next_lf
    if not final:
        lone[-1] = False
    ends = lf | lone
    # Line of each byte: line0 + the line ends before it.
    line = line0 + np.cumsum(ends) - ends
    out = ~inq
    first_end = np.flatnonzero(ends & out)
    result = LineEndings(
        header_end=int(first_end[0]) + 1 if len(first_end) else None,
        crlf_line=_first(lf & prev_cr & out, line),
        lf_line=_first(lf & ~prev_cr & out, line),
        lone_cr_line=_first(lone & out, line),
    )
    return result, int(ends.sum()), bool(inq[-1])


def line_endings(data: bytes, *, complete: bool) -> LineEndings:
    """Line endings in the first bytes of a file (`complete`: they are the whole file)."""
    return _scan(data, final=complete, line0=1, quoted=False)[0]


def scan_line_endings(fh: io.BufferedIOBase) -> LineEndings:
    """Line endings of a whole file, streamed; stops at the first sign of trouble."""
    seen: dict[str, int] = {}
    line, quoted, carry = 1, False, b""
    try:
        with fh:
            while True:
                chunk = fh.read(1 << 22)
                data, final = carry + chunk, not chunk
                carry = b""
                if not final and data.endswith(b"\r"):
                    data, carry = data[:-1], b"\r"
                e, n, quoted = _scan(data, final=final, line0=line, quoted=quoted)
                for name in ("crlf_line", "lf_line", "lone_cr_line"):
                    if (v := getattr(e, name)) is not None:
                        seen.setdefault(name, v)
                line += n
                if final or "lone_cr_line" in seen or len(seen) > 1:
                    break
    except (EOFError, zlib.error, gzip.BadGzipFile):
        pass
    return LineEndings(None, **seen)


def _record_starts(path: Path) -> np.ndarray | None:
    """The line each CSV record starts on (index 0: the header), or None when record n
    starts on line n + 1 throughout (no quoted line ends, no blank lines skipped)."""
    starts = [np.array([1], dtype=np.int64)]
    shifted = False
    line, quoted, carry = 1, False, b""
    with _open_bytes(path) as fh:
        first = True
        while True:
            chunk = fh.read(1 << 22)
            if first:
                chunk = chunk.removeprefix(b"\xef\xbb\xbf")
                first = False
            data = carry + chunk
            final = not chunk
            # Keep two bytes back: whether a line is blank depends on the bytes after it.
            keep = 0 if final else min(2, len(data))
            a = np.frombuffer(data, dtype=np.uint8)
            inq = (np.cumsum(a == _QUOTE) % 2).astype(bool) ^ quoted
            lf = a == _LF
            end = lf & ~inq
            pos = np.flatnonzero(end[: len(a) - keep])
            nxt = pos + 1
            # A record starts after each unquoted LF, unless that line is blank (DuckDB skips
            # those) or the file ends there.
            after = np.append(a, [0, 0])
            blank = (after[nxt] == _LF) | ((after[nxt] == _CR) & (after[nxt + 1] == _LF))
            real = nxt < len(a) if final else np.ones_like(blank)
            lines_before = line + np.cumsum(lf[: len(a) - keep])
            line_of_next = lines_before[pos] if len(pos) else pos
            take = ~blank & real
            if len(pos) and (
                take.sum() != len(pos) or (lf[: len(a) - keep] & inq[: len(a) - keep]).any()
            ):
                shifted = True
            starts.append(line_of_next[take].astype(np.int64))
            line += int(lf[: len(a) - keep].sum())
            quoted = bool(inq[len(a) - keep - 1]) if len(a) - keep > 0 else quoted
            carry = data[len(a) - keep :]
            if final:
                break
    return np.concatenate(starts) if shifted else None


_STARTS: dict[tuple[str, int, int], np.ndarray | None] = {}
_LINE_FUNCTION = "healthscore_csv_line"


def _csv_line(paths: pa.Array, records: pa.Array) -> pa.Array:
    """DuckDB function: the line record n of the CSV file at `paths[0]` starts on."""
    rec = records.to_numpy(zero_copy_only=False).astype(np.int64)
    if not len(rec):
        return pa.array(rec)
    path = Path(str(paths[0].as_py()))
    st = path.stat()
    key = (str(path), st.st_mtime_ns, st.st_size)
    if key not in _STARTS:
        _STARTS.clear()  # one file at a time: the mapping is 8 bytes per record
        _STARTS[key] = _record_starts(path)
    starts = _STARTS[key]
    if starts is None:
        return pa.array(rec + 1)
    return pa.array(starts[np.minimum(rec, len(starts) - 1)])


def register_line_function(con: duckdb.DuckDBPyConnection) -> str:
    """Make the line function known to `con` (once); returns its name for the SQL."""
    try:
        con.create_function(
            _LINE_FUNCTION,
            _csv_line,
            [sqltypes.VARCHAR, sqltypes.BIGINT],
            sqltypes.BIGINT,
            type=PythonUDFType.ARROW,
        )
    except duckdb.Error as exc:
        if "already" not in str(exc).lower():
            raise
    return _LINE_FUNCTION


_CSV_LINE = re.compile(r"CSV Error on Line: (\d+)")


def translate_read_error(exc: duckdb.Error, path: Path, label: str, fmt: str) -> ImportRejected:
    """Turn a DuckDB reader error into a message naming the file, line and fix."""
    msg = str(exc)
    if _is_gzip(path) and (damage := _gzip_damage(path, label)):
        return damage
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
    if fmt == "csv" and (problem := _ending_problem(label, scan_line_endings(_open_bytes(path)))):
        # Past the first megabyte the pre-scan did not see: DuckDB only says its "state
        # machine reached an invalid state".
        return problem
    if fmt == "csv" and (m := _CSV_LINE.search(msg)):
        detail = [ln.strip() for ln in msg.splitlines()[1:] if ln.strip()]
        original = next((d for d in detail if d.startswith("Original Line:")), "")
        reason = next(
            (d for d in detail if not d.startswith(("Original Line:", "Possible", "*"))), "bad row"
        )
        shown = f" ({original.removeprefix('Original Line:').strip()[:80]!r})" if original else ""
        return ImportRejected(f"{label} line {m.group(1)}: malformed CSV: {reason}{shown}")
    if fmt == "csv" and "invalid state" in msg:
        return ImportRejected(
            f"{label}: malformed CSV that the reader cannot follow (often a quote that is "
            'never closed, or a stray quote inside an unquoted field: write it as ""); '
            "check the file's quoting and import again"
        )
    if fmt == "jsonl" and "Malformed JSON" in msg:
        bad_json = find_bad_json_line(path)
        if bad_json:
            line, reason = bad_json
            return ImportRejected(
                f"{label} line {line}: malformed JSON ({reason}); expected one JSON object per line"
            )
        return ImportRejected(f"{label}: malformed JSON: {_first_line(exc)}")
    return ImportRejected(f"{label}: cannot read the file: {_first_line(exc)}")
