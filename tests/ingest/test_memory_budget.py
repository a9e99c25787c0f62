"""The checking path (quarantine, or a file with problems) runs under a memory budget.

Its stage of typed rows lives until the transaction ends; with no limit set DuckDB lets it
grow toward 80% of RAM (11.5 GB for a 38M-row CSV).  The peak itself is measured by
benchmarks/import_quarantine_memory.py; here: the cap is in force while the rows are
checked, a limit the user set is kept, and the store's setting comes back afterwards."""

from __future__ import annotations

import re
from pathlib import Path

import duckdb
import pytest

from healthscore.errors import ImportRejected
from healthscore.ingest import import_files
from healthscore.ingest.importer import checking_budget
from healthscore.store import open_store

from .helpers import write_csv

_UNITS = {"b": 2**-20, "kb": 1e3 / 2**20, "mb": 1e6 / 2**20, "gb": 1e9 / 2**20,
          "kib": 2**-10, "mib": 1.0, "gib": 2**10, "tib": 2**20}  # fmt: skip


def _mib(text: str) -> float:
    """DuckDB prints its memory_limit like '1.4 GiB' or '953.6 MiB'."""
    found = re.fullmatch(r"\s*([\d.]+)\s*([a-zA-Z]+)\s*", text)
    assert found, text
    return float(found[1]) * _UNITS[found[2].lower()]


def _limits_seen(db: Path, tmp_path: Path, memory_limit: str | None) -> tuple[list[str], str, str]:
    rows = [{"account_id": "a1"}, {"account_id": "a2"}]
    events = [
        {"account_id": "a1", "event_time": "2024-01-01T00:00:00Z", "event_type": "login"},
        {"account_id": "a2", "event_time": "not a time", "event_type": "login"},
    ]
    with open_store(db, memory_limit=memory_limit) as store:
        setting = store.con.cursor()
        before = setting.execute("SELECT current_setting('memory_limit')").fetchone()[0]  # type: ignore[index]
        import_files(store, "accounts", [write_csv(tmp_path / "accounts.csv", rows)])
        seen: list[str] = []

        def progress(message: str, _fraction: float | None) -> None:
            seen.append(setting.execute("SELECT current_setting('memory_limit')").fetchone()[0])  # type: ignore[index]

        report = import_files(
            store,
            "events",
            [write_csv(tmp_path / "events.csv", events)],
            quarantine=True,
            on_progress=progress,
        )
        assert (report.rows_inserted, report.rows_rejected) == (1, 1)
        after = setting.execute("SELECT current_setting('memory_limit')").fetchone()[0]  # type: ignore[index]
    return seen, before, after


def test_a_quarantine_import_is_capped_when_no_limit_is_set(tmp_path: Path) -> None:
    seen, before, after = _limits_seen(tmp_path / "s.duckdb", tmp_path, None)
    assert seen, "the import reported no progress to look at the setting from"
    cap = _mib(checking_budget())
    assert cap <= 1024
    assert all(_mib(v) <= cap + 1 for v in seen), (seen, checking_budget())
    assert _mib(before) > cap  # DuckDB's own default on this machine (80% of RAM) ...
    assert after == before  # ... back once the import is over


def test_a_limit_the_user_set_is_kept_through_the_import(tmp_path: Path) -> None:
    seen, before, after = _limits_seen(tmp_path / "s.duckdb", tmp_path, "3GB")
    assert seen and set(seen) == {before} == {after}
    assert 2700 < _mib(before) < 2900  # 3GB (2.79 GiB) as DuckDB prints it


def test_an_import_too_big_for_the_budget_runs_again_without_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Some of DuckDB's memory cannot spill; a budget we chose (not the user) must never
    # fail an import the machine can hold.  A 2 MiB budget cannot hold a CSV read buffer.
    import healthscore.ingest.importer as importer

    monkeypatch.setattr(importer, "checking_budget", lambda: "2MiB")
    rows = [{"account_id": f"a{i}"} for i in range(50)]
    events = [
        {"account_id": f"a{i % 50}", "event_time": f"2024-01-{1 + i % 28:02d}T00:00:00Z",
         "event_type": f"type{i % 7}"}
        for i in range(20_000)
    ] + [{"account_id": "a1", "event_time": "never", "event_type": "login"}]  # fmt: skip
    with open_store(tmp_path / "s.duckdb") as store:
        import_files(store, "accounts", [write_csv(tmp_path / "accounts.csv", rows)])
        too_small = pytest.raises(duckdb.OutOfMemoryException)  # the budget really is
        with too_small, store.memory_budget("2MiB"), store.transaction() as tx:
            tx.execute("SELECT list(i::VARCHAR) FROM range(1000000) t(i)").fetchall()
        report = import_files(
            store, "events", [write_csv(tmp_path / "events.csv", events)], quarantine=True
        )
        assert (report.rows_inserted, report.rows_rejected) == (20_000, 1)
        assert store.count("events") == 20_000
        assert store.con.execute("SELECT count(*) FROM quarantine").fetchone()[0] == 1  # type: ignore[index]


def test_a_rejected_import_gives_the_store_its_setting_back(tmp_path: Path) -> None:
    bad = [{"account_id": "a1", "event_time": "not a time", "event_type": "login"}]
    with open_store(tmp_path / "s.duckdb") as store:
        before = store.con.execute("SELECT current_setting('memory_limit')").fetchone()[0]  # type: ignore[index]
        import_files(store, "accounts", [write_csv(tmp_path / "a.csv", [{"account_id": "a1"}])])
        with pytest.raises(ImportRejected, match="not a date"):
            import_files(store, "events", [write_csv(tmp_path / "e.csv", bad)])
        after = store.con.execute("SELECT current_setting('memory_limit')").fetchone()[0]  # type: ignore[index]
    assert after == before
