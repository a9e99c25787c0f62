"""Hypothesis over the readers (issue 16, "Also build"): CSV dialects, encodings, BOMs,
line endings, quoting, NULs, truncation, huge fields, many columns, JSON nesting and key
case, Parquet types.

Every outcome is an import or one clean located message (an `ImportRejected` naming the
file), never another exception; on refusal the store is byte-for-byte what it was (row
counts and a content hash per table).  Examples are bounded for CI; the longer run is
`benchmarks/fuzz_long.py`.
"""

from __future__ import annotations

import gzip
import json
import tempfile
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from healthscore.errors import HealthscoreError, ImportRejected
from healthscore.ingest import import_files
from healthscore.store import open_store

from ._state import con_state

CI = settings(
    max_examples=12,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)

_BASE = tempfile.mkdtemp(prefix="hs-fuzz-")
_DB = Path(_BASE) / "fuzz.duckdb"


def _store_path() -> Path:
    """One store for all examples (made once, with one account), reused: each example
    either adds rows or must leave it exactly as it was."""
    if not _DB.exists():
        with open_store(_DB) as s:
            s.con.execute("INSERT INTO accounts (account_id) VALUES ('a1')")
    return _DB


# -- text pieces -----------------------------------------------------------------------------

cells = st.one_of(
    st.sampled_from(["a1", "a2", "2025-03-01T10:00:00Z", "login", "1.5", "", "NaN", "inf"]),
    st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=12),
    st.sampled_from(['"', '""', "x\ny", "x\r\ny", "x\ry", "\x00", "[/oops]", "é", "\ufeff"]),
)
names = st.one_of(
    st.sampled_from(
        ["account_id", "event_time", "event_type", "value", "event_id", "Account_ID", ""]
    ),
    st.text(alphabet="abcXYZ_ [/]", min_size=1, max_size=8),
)


def _quote(cell: str, delim: str, always: bool) -> str:
    if always or any(c in cell for c in (delim, '"', "\n", "\r")):
        return '"' + cell.replace('"', '""') + '"'
    return cell


@st.composite
def csv_files(draw: st.DrawFn) -> bytes:
    delim = draw(st.sampled_from([",", ";", "\t", "|"]))
    extra = draw(st.lists(names, max_size=4))
    header = ["account_id", "event_time", "event_type", *extra]
    if draw(st.booleans()):
        header = draw(st.permutations(header))
    always = draw(st.booleans())
    rows = draw(st.lists(st.lists(cells, min_size=len(header), max_size=len(header)), max_size=6))
    if draw(st.booleans()):  # a ragged row
        rows.append(draw(st.lists(cells, max_size=len(header) + 2)))
    end = draw(st.sampled_from(["\n", "\r\n", "\r", "mixed"]))
    lines = [delim.join(_quote(c, delim, always) for c in r) for r in [header, *rows]]
    if end == "mixed":
        text = "".join(ln + ("\r\n" if i % 2 else "\n") for i, ln in enumerate(lines))
    else:
        text = "".join(ln + end for ln in lines)
    data = text.encode(
        draw(st.sampled_from(["utf-8", "utf-8-sig", "latin-1", "utf-16"])), "replace"
    )
    if draw(st.integers(0, 4)) == 0:  # truncated anywhere
        data = data[: draw(st.integers(0, len(data)))]
    if draw(st.integers(0, 6)) == 0:  # a huge field
        data += b"a1," + b"x" * 200_000 + b",login\n"
    return data


@st.composite
def jsonl_files(draw: st.DrawFn) -> bytes:
    values = st.recursive(
        st.one_of(st.none(), st.booleans(), st.integers(), st.floats(), st.text(max_size=8)),
        lambda inner: st.one_of(
            st.lists(inner, max_size=3), st.dictionaries(names, inner, max_size=3)
        ),
        max_leaves=6,
    )
    rows = []
    for _ in range(draw(st.integers(0, 5))):
        row: dict[str, object] = {}
        if draw(st.booleans()):
            row["account_id"] = draw(st.sampled_from(["a1", "a2", 1, None]))
        if draw(st.booleans()):
            row[draw(st.sampled_from(["event_time", "Event_Time"]))] = "2025-03-01T10:00:00Z"
        row["event_type"] = draw(st.sampled_from(["login", "", None, 3]))
        row.update(draw(st.dictionaries(names, values, max_size=3)))
        rows.append(json.dumps(row, allow_nan=True))
    if draw(st.booleans()):
        rows.append(draw(st.sampled_from(["[1, 2]", "{", "null", "", '{"a": 1} {"b": 2}'])))
    data = "\n".join(rows).encode()
    if draw(st.integers(0, 4)) == 0:
        data = data[: draw(st.integers(0, len(data)))]
    return data


_ARROW = {
    "str": (pa.string(), st.text(max_size=6)),
    "int": (pa.int64(), st.integers(-(2**40), 2**40)),
    "float": (pa.float64(), st.floats()),
    "bool": (pa.bool_(), st.booleans()),
    "ts": (pa.timestamp("us"), st.datetimes(timezones=st.none())),
    "date": (pa.date32(), st.dates()),
    "list": (pa.list_(pa.int32()), st.lists(st.integers(-5, 5), max_size=2)),
}


@st.composite
def parquet_tables(draw: st.DrawFn) -> pa.Table:
    n = draw(st.integers(0, 4))
    cols: dict[str, pa.Array] = {}
    for name, kind in [
        ("account_id", draw(st.sampled_from(["str", "int"]))),
        ("event_time", draw(st.sampled_from(["ts", "str", "date", "int"]))),
        ("event_type", draw(st.sampled_from(["str", "bool"]))),
        *[
            (draw(names) or "x", draw(st.sampled_from(list(_ARROW))))
            for _ in range(draw(st.integers(0, 3)))
        ],
    ]:
        if name in cols:
            continue
        typ, values = _ARROW[kind]
        vals = draw(st.lists(st.one_of(st.none(), values), min_size=n, max_size=n))
        cols[name] = pa.array(vals, type=typ)
    return pa.table(cols)


def _check_one(path: Path, kind: str = "events", **kw: object) -> None:
    """Import `path`; an outcome is rows added or one clean message with the store unchanged."""
    with open_store(_store_path()) as store:
        before = con_state(store.con)
        try:
            import_files(store, kind, [path], **kw)  # type: ignore[arg-type]
        except ImportRejected as exc:
            msg = str(exc)
            assert path.name in msg, msg
            refused = True
        except HealthscoreError as exc:  # another named refusal (settings, store)
            assert str(exc), exc
            refused = True
        else:
            refused = False
        after = con_state(store.con)
    if refused:
        assert after == before
    else:
        assert all(after[t][0] >= before[t][0] for t in before)


@CI
@given(data=csv_files(), gz=st.booleans())
def test_any_csv_imports_or_is_refused_cleanly(data: bytes, gz: bool) -> None:
    path = Path(_BASE) / ("f.csv.gz" if gz else "f.csv")
    path.write_bytes(gzip.compress(data) if gz else data)
    _check_one(path)


@CI
@given(data=jsonl_files(), gz=st.booleans())
def test_any_json_lines_import_or_are_refused_cleanly(data: bytes, gz: bool) -> None:
    path = Path(_BASE) / ("f.jsonl.gz" if gz else "f.jsonl")
    path.write_bytes(gzip.compress(data) if gz else data)
    _check_one(path)


@CI
@given(table=parquet_tables())
def test_any_parquet_imports_or_is_refused_cleanly(table: pa.Table) -> None:
    path = Path(_BASE) / "f.parquet"
    pq.write_table(table, path)
    _check_one(path)


@CI
@given(data=csv_files())
def test_quarantine_keeps_or_sets_aside_every_row(data: bytes) -> None:
    path = Path(_BASE) / "q.csv"
    path.write_bytes(data)
    _check_one(path, quarantine=True)
