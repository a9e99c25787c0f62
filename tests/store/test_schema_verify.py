"""A store whose schema no longer matches its recorded migrations is refused on open with
what is missing (issue 16, item 5), not a BinderException deep inside an import."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from healthscore.errors import StoreError
from healthscore.store import open_store


@pytest.mark.parametrize(
    ("ddl", "expected"),
    [
        ("ALTER TABLE events DROP COLUMN value", "table events has no column value"),
        ("DROP TABLE tickets", "has no table tickets"),
    ],
)
def test_a_changed_schema_is_refused_with_what_is_missing(
    tmp_path: Path, ddl: str, expected: str
) -> None:
    path = tmp_path / "s.duckdb"
    open_store(path).close()
    con = duckdb.connect(str(path))
    con.execute(ddl)
    con.close()
    for read_only in (False, True):
        with pytest.raises(StoreError) as exc:
            open_store(path, read_only=read_only)
        msg = str(exc.value)
        assert expected in msg and "does not match its recorded schema" in msg
        assert "restore it from a backup" in msg


def test_an_intact_store_opens(tmp_path: Path) -> None:
    path = tmp_path / "s.duckdb"
    open_store(path).close()
    with open_store(path, read_only=True) as store:
        assert store.count("accounts") == 0
