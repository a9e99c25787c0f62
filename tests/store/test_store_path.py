"""A store path must be a healthscore store or a new file: anything else is refused untouched."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pandas as pd
import pytest

from healthscore.errors import StoreError
from healthscore.store import open_store


def _csv(path: Path) -> Path:
    path.write_text("account_id,name\na1,Acme\na2,Beta\n", encoding="utf-8")
    return path


def _parquet(path: Path) -> Path:
    pd.DataFrame({"account_id": ["a1"]}).to_parquet(path, index=False)
    return path


def _json(path: Path) -> Path:
    path.write_text(json.dumps({"account_id": "a1"}) + "\n", encoding="utf-8")
    return path


def _gzip(path: Path) -> Path:
    with gzip.open(path, "wt") as fh:
        fh.write("account_id\na1\n")
    return path


def _sqlite(path: Path) -> Path:
    path.write_bytes(b"SQLite format 3\x00" + b"\x00" * 100)
    return path


@pytest.mark.parametrize(
    ("name", "make", "what"),
    [
        ("victim.csv", _csv, "a text file"),
        ("victim.parquet", _parquet, "a Parquet file"),
        ("victim.json", _json, "a JSON file"),
        ("victim.duckdb", _gzip, "a gzip file"),
        ("victim.db", _sqlite, "an SQLite database"),
    ],
)
def test_an_existing_file_that_is_not_a_store_is_refused_untouched(
    tmp_path: Path, name: str, make, what: str
) -> None:  # type: ignore[no-untyped-def]
    path = make(tmp_path / name)
    before = path.read_bytes()
    with pytest.raises(StoreError) as exc:
        open_store(path)
    message = str(exc.value)
    assert f"{path} is {what}, not a healthscore store" in message
    assert path.read_bytes() == before
    assert not path.with_name(path.name + ".wal").exists()


def test_a_directory_is_refused(tmp_path: Path) -> None:
    with pytest.raises(StoreError, match="is a directory, not a healthscore store"):
        open_store(tmp_path)


def test_an_empty_file_becomes_a_new_store(tmp_path: Path) -> None:
    # An empty file holds nothing to lose (`touch store.duckdb` is a common first step).
    path = tmp_path / "empty.duckdb"
    path.touch()
    with open_store(path) as s:
        assert s.count("accounts") == 0
    with open_store(path, create=False) as s:
        assert s.count("accounts") == 0


@pytest.mark.parametrize("how", ["--db", "env"])
def test_import_into_a_csv_named_as_the_store_fails_cleanly(
    tmp_path: Path, how: str, cli_failure, monkeypatch: pytest.MonkeyPatch
) -> None:  # type: ignore[no-untyped-def]
    victim = _csv(tmp_path / "victim.csv")
    before = victim.read_bytes()
    source = _csv(tmp_path / "accounts.csv")
    args = ["import", "accounts", str(source)]
    if how == "--db":
        args += ["--db", str(victim)]
    else:
        monkeypatch.setenv("HEALTHSCORE_DB", str(victim))
    failed = cli_failure(*args)
    assert failed.exit_code == 1
    assert f"{victim} is a text file, not a healthscore store" in failed.stderr
    assert victim.read_bytes() == before


def test_demo_into_a_csv_named_as_the_store_fails_cleanly(tmp_path: Path, cli_failure) -> None:  # type: ignore[no-untyped-def]
    victim = _csv(tmp_path / "x.csv")
    before = victim.read_bytes()
    failed = cli_failure("demo", "--no-serve", "--accounts", "5", "--db", str(victim))
    assert failed.exit_code == 1
    assert f"{victim} is a text file, not a healthscore store" in failed.stderr
    assert victim.read_bytes() == before


def test_an_empty_file_is_refused_where_no_store_may_be_created(tmp_path: Path) -> None:
    path = tmp_path / "empty.duckdb"
    path.touch()
    for kwargs in ({"create": False}, {"read_only": True}):
        with pytest.raises(StoreError, match="is an empty file, not a healthscore store"):
            open_store(path, **kwargs)  # type: ignore[arg-type]
        assert path.exists() and path.stat().st_size == 0
