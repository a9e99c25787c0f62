"""The store file: creation, migrations, refusal of newer stores, atomic transactions."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from healthscore.config import load_settings
from healthscore.errors import StoreError
from healthscore.ingest.status import store_status
from healthscore.store import KINDS, open_store
from healthscore.store.migrations import MIGRATIONS


def test_new_store_has_every_kind_and_all_migrations(tmp_path: Path) -> None:
    with open_store(tmp_path / "s.duckdb") as s:
        tables = {r[0] for r in s.con.execute("SHOW TABLES").fetchall()}
        applied = [r[0] for r in s.con.execute("SELECT name FROM schema_migrations").fetchall()]
    assert set(KINDS) <= tables
    assert applied == [name for name, _ in MIGRATIONS]


def test_store_from_an_older_version_is_upgraded_in_place(tmp_path: Path) -> None:
    path = tmp_path / "old.duckdb"
    # Simulate a store written by the first release: only the first migration ran.
    con = duckdb.connect(str(path))
    con.execute(
        "CREATE TABLE schema_migrations (name VARCHAR NOT NULL, applied_at TIMESTAMP NOT NULL)"
    )
    MIGRATIONS[0][1](con)
    con.execute("INSERT INTO schema_migrations VALUES (?, now())", [MIGRATIONS[0][0]])
    con.execute("INSERT INTO accounts (account_id, name) VALUES ('a1', 'Acme')")
    con.close()

    with open_store(path) as s:
        assert s.con.execute("SELECT name FROM accounts").fetchall() == [("Acme",)]
        assert s.count("score_snapshots") == 0  # created by a later migration
        assert s.count("schema_migrations") == len(MIGRATIONS)


def test_a_store_before_updates_and_escalation_times_is_upgraded(tmp_path: Path) -> None:
    path = tmp_path / "v3.duckdb"
    con = duckdb.connect(str(path))
    con.execute(
        "CREATE TABLE schema_migrations (name VARCHAR NOT NULL, applied_at TIMESTAMP NOT NULL)"
    )
    for name, step in MIGRATIONS[:3]:
        step(con)
        con.execute("INSERT INTO schema_migrations VALUES (?, now())", [name])
    con.execute("ALTER TABLE tickets DROP COLUMN escalated_at")  # as the first releases made it
    con.execute(  # a batch recorded before `import --update` existed: 10 columns
        "INSERT INTO import_batches VALUES ('b1', 'accounts', 'a.csv', now(), now(), 1, 1, 0, 0, "
        "'committed')"
    )
    con.close()
    with open_store(path) as s:
        rows = s.con.execute("SELECT batch_id, rows_updated FROM import_batches").fetchall()
        assert rows == [("b1", 0)]
        assert store_status(s)["imports"][0]["rows_updated"] == 0
        tickets = [r[0] for r in s.con.execute("DESCRIBE tickets").fetchall()]
        assert tickets == list(KINDS["tickets"].column_names)  # appended, in schema order


def test_store_from_a_newer_version_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "new.duckdb"
    open_store(path).close()
    con = duckdb.connect(str(path))
    con.execute("INSERT INTO schema_migrations VALUES ('999_from_the_future', now())")
    con.close()
    with pytest.raises(StoreError, match="newer healthscore"):
        open_store(path)


def test_missing_store_is_refused_with_the_fix(tmp_path: Path) -> None:
    path = tmp_path / "nope.duckdb"
    with pytest.raises(StoreError) as err:
        open_store(path, create=False)
    # Core code names the fix in words (the CLI adds its flags), and never makes the file.
    assert str(err.value).startswith(f"no store at {path}; create the store there first")
    assert not path.exists()


def test_transaction_rolls_back_everything_on_error(tmp_path: Path) -> None:
    with open_store(tmp_path / "s.duckdb") as s:
        with pytest.raises(RuntimeError), s.transaction() as con:
            con.execute("INSERT INTO accounts (account_id) VALUES ('a1')")
            raise RuntimeError("boom")
        assert s.count("accounts") == 0


def test_settings_read_environment_and_mask_secrets() -> None:
    s = load_settings(
        {"HEALTHSCORE_DB": "x.duckdb", "HEALTHSCORE_ENGINE": "postgresql://u:pw@h/db"}
    )
    assert str(s.db) == "x.duckdb"
    assert "pw" not in repr(s) and "***" in repr(s)
    assert str(load_settings({}, db=Path("y.duckdb")).db) == "y.duckdb"


def test_memory_limit_setting_caps_the_store(tmp_path: Path) -> None:
    s = load_settings({"HEALTHSCORE_MEMORY_LIMIT": "1GB"})
    assert s.memory_limit == "1GB"
    with open_store(tmp_path / "m.duckdb", memory_limit=s.memory_limit) as store:
        limit = store.con.execute("SELECT current_setting('memory_limit')").fetchone()[0]  # type: ignore[index]
    assert limit.replace(" ", "") in ("1GB", "953.6MiB", "1.0GB", "0.9GiB", "1000.0MB")


def test_bad_memory_limit_names_the_variable_and_the_fix(tmp_path: Path) -> None:
    from healthscore.errors import InvalidSettings

    with pytest.raises(InvalidSettings, match=r"HEALTHSCORE_MEMORY_LIMIT='lots'.*like 4GB"):
        load_settings({"HEALTHSCORE_MEMORY_LIMIT": "lots"})
    # Checked again where it reaches SQL, whoever calls open_store.
    with pytest.raises(StoreError, match="not a size"):
        open_store(tmp_path / "m.duckdb", memory_limit="1GB'; DROP TABLE events; --")
    assert not (tmp_path / "m.duckdb").exists()  # refused before anything was opened
