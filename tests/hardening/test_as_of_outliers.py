"""One event at a placeholder time, stored before the importer refused them, must not
move the default scoring date (issue 16, item 4)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from healthscore.scoring.run import default_as_of
from healthscore.store import open_store
from healthscore.store.queries.span import data_range

TODAY = dt.date(2026, 10, 31)


@pytest.mark.parametrize(
    "placeholder", ["infinity", "-infinity", "9999-12-31 00:00:00", "1970-01-01 00:00:00"]
)
def test_a_placeholder_time_moves_neither_end_of_the_data_range(
    tmp_path: Path, placeholder: str
) -> None:
    with open_store(tmp_path / "s.duckdb") as store:
        store.con.execute("INSERT INTO accounts (account_id) VALUES ('a1')")
        store.con.execute(
            "INSERT INTO events (event_key, account_id, event_time, event_type) VALUES "
            "(1, 'a1', TIMESTAMP '2025-03-01 10:00:00', 'login'), "
            "(2, 'a1', TIMESTAMP '2025-06-30 10:00:00', 'login'), "
            f"(3, 'a1', CAST('{placeholder}' AS TIMESTAMP), 'login')"
        )
        rng = data_range(store, today=TODAY)
        assert rng == (dt.date(2025, 3, 1), dt.date(2025, 6, 30))
        # The default scoring date is the newest real signal, not today.
        assert default_as_of(store, today=TODAY) == dt.date(2025, 6, 30)


def test_only_placeholder_times_mean_no_data(tmp_path: Path) -> None:
    with open_store(tmp_path / "s.duckdb") as store:
        store.con.execute(
            "INSERT INTO events (event_key, account_id, event_time, event_type) VALUES "
            "(1, 'a1', CAST('infinity' AS TIMESTAMP), 'login')"
        )
        assert data_range(store, today=TODAY) is None
