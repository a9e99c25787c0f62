"""Any permutation of an export's rows and columns, imported again, adds nothing (issue 16,
"Also build").  Events carry no event_id, so their key is the canonical row content; the
re-export also comes as JSON Lines, and with an empty extra column added."""

from __future__ import annotations

import csv
import json
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from healthscore.ingest import import_files
from healthscore.store import open_store

from ._state import con_state

_BASE = Path(tempfile.mkdtemp(prefix="hs-idem-"))

rows = st.lists(
    st.fixed_dictionaries(
        {
            "account_id": st.sampled_from(["a1", "a2", "a3"]),
            "event_time": st.sampled_from(
                ["2025-03-01T10:00:00Z", "2025-03-02T11:30:00Z", "2025-03-03 09:15:00"]
            ),
            "event_type": st.sampled_from(["login", "export", "Page View"]),
            "value": st.sampled_from(["", "1", "2.5"]),
            "plan": st.sampled_from(["", "pro", "basic "]),
            "region": st.sampled_from(["", "eu", "us"]),
        }
    ),
    min_size=1,
    max_size=12,
)


def _write(path: Path, records: list[dict[str, str]], columns: list[str]) -> Path:
    if path.suffix == ".jsonl":
        with path.open("w") as fh:
            for r in records:
                fh.write(json.dumps({c: r.get(c, "") for c in columns}) + "\n")
    else:
        with path.open("w", newline="") as fh:
            w = csv.DictWriter(fh, fieldnames=columns, extrasaction="ignore")
            w.writeheader()
            w.writerows(records)
    return path


@settings(
    max_examples=15,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow],
)
@given(records=rows, data=st.data())
def test_a_permuted_re_export_adds_nothing(
    records: list[dict[str, str]], data: st.DataObject
) -> None:
    db = _BASE / "s.duckdb"
    db.unlink(missing_ok=True)
    columns = list(records[0])
    with open_store(db) as store:
        (_BASE / "a.csv").write_text("account_id\na1\na2\na3\n")
        import_files(store, "accounts", [_BASE / "a.csv"])
        import_files(store, "events", [_write(_BASE / "first.csv", records, columns)])
        before = con_state(store.con)
        shuffled = data.draw(st.permutations(records))
        cols = data.draw(st.permutations(columns))
        if data.draw(st.booleans(), label="empty column"):
            cols = [*cols, "notes"]
        suffix = data.draw(st.sampled_from([".csv", ".jsonl"]), label="format")
        again = import_files(store, "events", [_write(_BASE / f"again{suffix}", shuffled, cols)])
        assert again.rows_inserted == 0
        after = con_state(store.con)
    # Only the import log may change (one more batch); the data tables are as they were.
    data_tables = [t for t in before if not t.startswith("import_")]
    assert {t: after[t] for t in data_tables} == {t: before[t] for t in data_tables}
