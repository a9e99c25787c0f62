"""`import --update` rules (issue 16 item 10): empty means missing, properties merge.

An update replaces what an export says changed, and nothing it does not say: an empty cell
or a missing column keeps the stored value, a `properties` key the file does not carry
stays, and only columns named to clear take an empty cell as "now empty".
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from healthscore.errors import ImportRejected
from healthscore.ingest import import_files
from healthscore.store import Store

from .helpers import write_csv

TICKET = {
    "ticket_id": "T1",
    "account_id": "A1",
    "opened_at": "2024-03-01T10:00:00Z",
    "priority": "high",
    "category": "bug",
    "status": "resolved",
    "resolved_at": "2024-03-04T10:00:00Z",
}


@pytest.fixture
def loaded(store: Store, tmp_path: Path) -> Store:
    accounts = [
        {"account_id": "A1", "start_date": "2024-01-01", "region": "emea", "tier": "gold"},
        {"account_id": "A2", "start_date": "2024-01-01", "region": "apac", "tier": ""},
    ]
    import_files(store, "accounts", [write_csv(tmp_path / "accounts.csv", accounts)])
    import_files(store, "tickets", [write_csv(tmp_path / "t.csv", [TICKET])])
    return store


def _ticket(store: Store) -> tuple:
    return store.con.execute(
        "SELECT status, priority, category, resolved_at FROM tickets WHERE ticket_id = 'T1'"
    ).fetchone()


def _props(store: Store) -> dict[str, dict]:
    rows = store.con.execute("SELECT account_id, properties FROM accounts").fetchall()
    return {a: json.loads(p) if p else {} for a, p in rows}


def test_an_empty_cell_keeps_the_stored_value(loaded: Store, tmp_path: Path) -> None:
    # The export has the priority column but left it blank: that is "not known here".
    later = {**TICKET, "priority": "", "category": "", "status": "closed"}
    r = import_files(loaded, "tickets", [write_csv(tmp_path / "later.csv", [later])], update=True)
    assert r.rows_updated == 1
    assert _ticket(loaded) == ("closed", "high", "bug", dt.datetime(2024, 3, 4, 10))


def test_columns_named_to_clear_take_an_empty_cell_as_empty(loaded: Store, tmp_path: Path) -> None:
    # The ticket was reopened: its resolved_at must go, its priority must stay.
    reopened = {**TICKET, "status": "open", "resolved_at": "", "priority": ""}
    f = write_csv(tmp_path / "reopened.csv", [reopened])
    r = import_files(loaded, "tickets", [f], update=True, clear=["resolved_at"])
    assert r.rows_updated == 1
    assert _ticket(loaded) == ("open", "high", "bug", None)


def test_clearing_is_refused_outside_an_update_or_for_an_unknown_field(
    loaded: Store, tmp_path: Path
) -> None:
    f = write_csv(tmp_path / "t.csv", [TICKET])
    with pytest.raises(ImportRejected, match="add --update"):
        import_files(loaded, "tickets", [f], clear=["resolved_at"])
    with pytest.raises(ImportRejected, match=r"cannot clear 'ticket_id'"):
        import_files(loaded, "tickets", [f], update=True, clear=["ticket_id"])
    with pytest.raises(ImportRejected, match=r"cannot clear 'nope'.*fields: .*resolved_at"):
        import_files(loaded, "tickets", [f], update=True, clear=["nope"])


def test_a_narrower_file_merges_properties(loaded: Store, tmp_path: Path) -> None:
    # Only tier (and a new key) come again: region must stay; an empty tier cell of A2
    # is missing, not a removal.
    narrow = [
        {"account_id": "A1", "tier": "platinum", "csm_pod": "north"},
        {"account_id": "A2", "tier": "", "csm_pod": "south"},
    ]
    r = import_files(loaded, "accounts", [write_csv(tmp_path / "n.csv", narrow)], update=True)
    assert r.rows_updated == 2
    p = _props(loaded)
    assert p["A1"] == {"region": "emea", "tier": "platinum", "csm_pod": "north"}
    assert p["A2"]["region"] == "apac" and p["A2"]["csm_pod"] == "south"
    assert p["A2"].get("tier") is None


def test_an_unchanged_export_updates_nothing(loaded: Store, tmp_path: Path) -> None:
    # Same values (an empty extra included), columns in another order: no row changes.
    same = [
        {"tier": "gold", "account_id": "A1", "region": "emea", "start_date": "2024-01-01"},
        {"tier": "", "account_id": "A2", "region": "apac", "start_date": "2024-01-01"},
    ]
    before = loaded.con.execute("SELECT * FROM accounts ORDER BY account_id").fetchall()
    r = import_files(loaded, "accounts", [write_csv(tmp_path / "s.csv", same)], update=True)
    assert (r.rows_updated, r.rows_duplicate) == (0, 2)
    assert loaded.con.execute("SELECT * FROM accounts ORDER BY account_id").fetchall() == before


def test_a_cleared_properties_column_is_replaced_whole(loaded: Store, tmp_path: Path) -> None:
    narrow = [{"account_id": "A1", "tier": "silver"}]
    f = write_csv(tmp_path / "n.csv", narrow)
    import_files(loaded, "accounts", [f], update=True, clear=["properties"])
    assert _props(loaded)["A1"] == {"tier": "silver"}
