"""What the readers say about files DuckDB would trip over (issue 16, items 5, 6 and 9).

Each file here once ended in a traceback (`_csv.Error`, `IsADirectoryError`, click's bare
"Aborted."), a raw parser message, a wrong line number, or a silent partial import.
"""

from __future__ import annotations

import gzip
import os
import time
from pathlib import Path

import pytest

from healthscore.errors import ImportRejected
from healthscore.ingest import import_files
from healthscore.ingest.readers import MAX_COLUMNS, open_source
from healthscore.store import Store


def _refused(store: Store, path: Path, kind: str = "accounts", **kw: object) -> str:
    with pytest.raises(ImportRejected) as exc:
        import_files(store, kind, [path], **kw)  # type: ignore[arg-type]
    assert store.count(kind) == 0
    return str(exc.value)


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (b"account_id,name\r\na1,x\na2,y\r\n", "mixed line endings: line 1 ends in CRLF"),
        (b"account_id,name\na1,x\na2,y\r\n", "line 1 ends in LF (Unix), line 3 in CRLF"),
        (
            b"account_id,name\ra1,x\ra2,y\r",
            "carriage return alone (old Mac style), first at line 1",
        ),
        (b"account_id,na\rme\na1,x\n", "line 1: a carriage return (CR) alone inside the line"),
        (b"account_id,name\na1,x\r\n", "line 2 in CRLF"),
    ],
)
def test_line_endings_duckdb_cannot_follow_are_named_with_their_line(
    store: Store, tmp_path: Path, data: bytes, expected: str
) -> None:
    path = tmp_path / "a.csv"
    path.write_bytes(data)
    assert expected in _refused(store, path)


def test_mixed_line_endings_past_the_first_megabyte_are_found_too(
    store: Store, tmp_path: Path
) -> None:
    rows = b"".join(b"a%d,name %d\n" % (i, i) for i in range(60_000))  # > 1 MB
    path = tmp_path / "a.csv"
    path.write_bytes(b"account_id,name\n" + rows + b"b1,x\r\nb2,y\r\n")
    msg = _refused(store, path)
    assert "mixed line endings" in msg and "line 60002 in CRLF" in msg


def test_line_ends_inside_quotes_are_data_in_any_style(store: Store, tmp_path: Path) -> None:
    path = tmp_path / "a.csv"
    path.write_bytes(b'account_id,name\r\na1,"two\nlines"\r\na2,"cr\r inside"\r\n')
    assert import_files(store, "accounts", [path]).rows_inserted == 2
    names = store.con.execute("SELECT name FROM accounts ORDER BY 1").fetchall()
    assert names == [("cr\r inside",), ("two\nlines",)]


def test_quoted_newlines_and_blank_lines_do_not_shift_line_numbers(
    store: Store, tmp_path: Path
) -> None:
    path = tmp_path / "a.csv"
    path.write_bytes(b'account_id,name,mrr\na1,"x\ny\nz",1\n\na2,y,notnum\n')
    assert 'a.csv line 6, column "mrr"' in _refused(store, path)


def test_a_gzip_file_named_csv_is_read_as_gzip(store: Store, tmp_path: Path) -> None:
    path = tmp_path / "a.csv"
    path.write_bytes(gzip.compress(b"account_id,name\na1,x\na2,y\n"))
    assert import_files(store, "accounts", [path]).rows_inserted == 2


@pytest.mark.parametrize("name", ["e.jsonl.gz", "e.csv.gz"])
def test_a_truncated_gzip_file_is_named_not_half_imported(
    store: Store, tmp_path: Path, name: str
) -> None:
    if name.endswith(".jsonl.gz"):
        text = b"".join(b'{"account_id":"a%d","name":"x"}\n' % i for i in range(3000))
    else:
        text = b"account_id,name\n" + b"".join(b"a%d,x\n" % i for i in range(3000))
    data = gzip.compress(text)
    path = tmp_path / name
    path.write_bytes(data[: len(data) // 2])
    msg = _refused(store, path)
    assert "the gzip file is truncated or damaged" in msg and "again in full" in msg


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        (b"account_id,,name", "line 1: column 2 has no name"),
        (b"account_id,Name,name", 'columns "Name" and "name" differ only in case'),
        (b"account_id," + b"n" * 200_000, "column 2's name is 200,000 characters long"),
    ],
)
def test_header_problems_are_clean_messages(
    store: Store, tmp_path: Path, header: bytes, expected: str
) -> None:
    path = tmp_path / "a.csv"
    path.write_bytes(header + b"\na1,x,y\n")
    assert expected in _refused(store, path)


def test_a_header_with_no_line_end_in_its_first_megabyte(store: Store, tmp_path: Path) -> None:
    path = tmp_path / "a.csv"
    path.write_bytes(b"account_id," + b"x" * (2 << 20))
    assert "the header has no line end within its first 1 MB" in _refused(store, path)


def test_utf16_is_named(store: Store, tmp_path: Path) -> None:
    path = tmp_path / "a.csv"
    path.write_bytes("account_id,name\na1,x\n".encode("utf-16"))
    assert "encoded as UTF-16; save it as UTF-8" in _refused(store, path)


def test_an_empty_json_key_is_named_with_its_line(store: Store, tmp_path: Path) -> None:
    path = tmp_path / "a.jsonl"
    path.write_bytes(b'{"account_id":"a1"}\n{"account_id":"a2","":"x"}\n')
    assert 'a.jsonl line 2: a key is empty ("")' in _refused(store, path)


def test_a_directory_is_not_an_input(store: Store, tmp_path: Path) -> None:
    (tmp_path / "x.csv").mkdir()
    assert "x.csv is a directory, not a file" in _refused(store, tmp_path / "x.csv")


def test_a_fifo_is_refused_with_why(store: Store, tmp_path: Path) -> None:
    fifo = tmp_path / "pipe.csv"
    os.mkfifo(fifo)
    msg = _refused(store, fifo)
    assert "pipe.csv is a pipe" in msg and "save the data to a file" in msg


@pytest.mark.parametrize("fmt", ["csv", "jsonl"])
def test_wide_files_are_refused_before_the_binder(store: Store, tmp_path: Path, fmt: str) -> None:
    n = 40_000
    if fmt == "csv":
        path = tmp_path / "wide.csv"
        path.write_text(
            "account_id," + ",".join(f"c{i}" for i in range(n)) + "\na1," + "1," * (n - 1) + "1\n"
        )
    else:
        path = tmp_path / "wide.jsonl"
        path.write_text("{" + ",".join(f'"c{i}":1' for i in range(n)) + ', "account_id":"a1"}\n')
    started = time.monotonic()
    msg = _refused(store, path)
    # Not a timing assertion: the refusal must come from the pre-scan, not the binder.
    assert f"{n + 1:,}" in msg and f"at most {MAX_COLUMNS:,}" in msg
    assert time.monotonic() - started < 60


def test_a_file_of_max_columns_is_still_read(store: Store, tmp_path: Path) -> None:
    names = ["account_id"] + [f"c{i}" for i in range(MAX_COLUMNS - 1)]
    path = tmp_path / "a.csv"
    path.write_text(",".join(names) + "\n" + ",".join(["a1"] + ["1"] * (MAX_COLUMNS - 1)) + "\n")
    assert len(open_source(store.con, path, "csv").columns) == MAX_COLUMNS
