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


def test_an_unchanged_store_is_checked_once_per_process(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The web app opens the store per request: an unchanged file is not migrated and
    verified again, and any write makes the next open check it again."""
    import healthscore.store.db as db

    path = tmp_path / "s.duckdb"
    db.open_store(path).close()  # created: closing checkpoints it, so the file changes
    db.open_store(path).close()  # checked as it now is
    calls: list[Path] = []
    real = db.verify_schema

    def counting(con: object, p: Path) -> None:
        calls.append(p)
        real(con, p)  # type: ignore[arg-type]

    monkeypatch.setattr(db, "verify_schema", counting)
    db.open_store(path).close()
    assert calls == []
    with db.open_store(path) as store:
        store.con.execute("INSERT INTO accounts (account_id) VALUES ('A1')")
    db.open_store(path).close()
    assert calls == [path]
