"""Hostile values are refused with a located message, through the real CLI, store unchanged."""

from __future__ import annotations

import datetime as dt
import json
import sys
from pathlib import Path

import pandas as pd
import pytest

from healthscore.errors import ImportRejected
from healthscore.ingest import import_files
from healthscore.store import open_store

from .helpers import write_csv

COUNTED = ("accounts", "events", "import_batches", "quarantine")


def _counts(db: Path) -> dict[str, int]:
    with open_store(db) as s:
        return {t: s.count(t) for t in COUNTED}


@pytest.fixture
def db(tmp_path: Path) -> Path:
    path = tmp_path / "s.duckdb"
    with open_store(path) as s:
        rows = [{"account_id": "A1"}, {"account_id": "A2"}]
        import_files(s, "accounts", [write_csv(tmp_path / "accounts.csv", rows)])
    return path


def _refused(cli_failure, db: Path, *args: str) -> str:  # type: ignore[no-untyped-def]
    """Run an import that must be refused; return its message after checking the store."""
    before = _counts(db)
    failed = cli_failure("import", *args, "--db", str(db))
    assert failed.exit_code == 1, failed.stderr
    after = _counts(db)
    assert after == before
    return str(failed.stderr)


def _lines(path: Path, *objs: dict[str, object] | str) -> Path:
    path.write_text(
        "".join((o if isinstance(o, str) else json.dumps(o)) + "\n" for o in objs),
        encoding="utf-8",
    )
    return path


# -- 3. JSON keys differing only in case -------------------------------------------------


def test_json_keys_differing_in_case_in_one_object_are_refused(
    db: Path, tmp_path: Path, cli_failure
) -> None:  # type: ignore[no-untyped-def]
    ev = {"event_time": "2024-03-01T10:00:00Z", "event_type": "login"}
    path = _lines(
        tmp_path / "e.jsonl",
        {"account_id": "A1", **ev},
        {"Account_ID": "A2", "account_id": "A1", **ev},
    )
    err = _refused(cli_failure, db, "events", str(path))
    assert 'e.jsonl line 2: keys "account_id" and "Account_ID" differ only in case' in err
    with open_store(db) as s, pytest.raises(ImportRejected, match="rename one"):
        import_files(s, "events", [path], quarantine=True)


def test_json_keys_differing_in_case_across_lines_are_refused(
    db: Path, tmp_path: Path, cli_failure
) -> None:  # type: ignore[no-untyped-def]
    ev = {"event_time": "2024-03-01T10:00:00Z", "event_type": "login"}
    path = _lines(
        tmp_path / "e.jsonl",
        {"account_id": "A1", "Colour": "red", **ev},
        {"account_id": "A2", **ev},
        {"account_id": "A2", "colour": "blue", **ev},
    )
    err = _refused(cli_failure, db, "events", str(path))
    assert 'e.jsonl line 3: keys "Colour" and "colour" differ only in case' in err


def test_csv_headers_differing_in_case_are_refused(db: Path, tmp_path: Path, cli_failure) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "e.csv"
    path.write_text(
        "account_id,Account_ID,event_time,event_type\nA1,A2,2024-03-01T10:00:00Z,login\n",
        encoding="utf-8",
    )
    err = _refused(cli_failure, db, "events", str(path))
    assert 'e.csv line 1: columns "account_id" and "Account_ID" differ only in case' in err


# -- 4. timestamps outside a plausible range ---------------------------------------------


@pytest.mark.parametrize(
    "when", ["infinity", "-infinity", "epoch", "1970-01-01T00:00:00Z", "9999-01-01 00:00:00"]
)
@pytest.mark.parametrize("suffix", ["csv", "jsonl"])
def test_implausible_event_times_are_refused_with_the_line(
    db: Path, tmp_path: Path, cli_failure, when: str, suffix: str
) -> None:  # type: ignore[no-untyped-def]
    rows = [
        {"account_id": "A1", "event_time": "2024-03-01T10:00:00Z", "event_type": "login"},
        {"account_id": "A1", "event_time": when, "event_type": "login"},
    ]
    path = tmp_path / f"e.{suffix}"
    if suffix == "csv":
        write_csv(path, rows)  # type: ignore[arg-type]
    else:
        _lines(path, *rows)
    err = _refused(cli_failure, db, "events", str(path))
    line = 3 if suffix == "csv" else 2  # the CSV header is line 1
    assert f'e.{suffix} line {line}, column "event_time": "{when}" is outside' in err
    assert "1990-01-01" in err


def test_dates_refuse_infinity_but_allow_far_renewals(
    db: Path, tmp_path: Path, cli_failure
) -> None:  # type: ignore[no-untyped-def]
    bad = write_csv(tmp_path / "a.csv", [{"account_id": "A3", "renewal_date": "infinity"}])
    err = _refused(cli_failure, db, "accounts", str(bad))
    assert 'a.csv line 2, column "renewal_date": "infinity" is not a finite date' in err
    start = write_csv(tmp_path / "s.csv", [{"account_id": "A3", "start_date": "1970-01-01"}])
    err = _refused(cli_failure, db, "accounts", str(start))
    assert 's.csv line 2, column "start_date": "1970-01-01" is outside' in err
    ok = write_csv(tmp_path / "ok.csv", [{"account_id": "A3", "renewal_date": "2031-06-30"}])
    with open_store(db) as s:
        assert import_files(s, "accounts", [ok]).rows_inserted == 1


def test_the_plausible_range_is_a_parameter(db: Path, tmp_path: Path) -> None:
    rows = [{"account_id": "A1", "event_time": "1975-05-05T00:00:00Z", "event_type": "login"}]
    path = write_csv(tmp_path / "old.csv", rows)  # type: ignore[arg-type]
    with open_store(db) as s:
        with pytest.raises(ImportRejected, match="is outside the plausible range"):
            import_files(s, "events", [path])
        wide = (dt.date(1960, 1, 1), dt.date(2100, 1, 1))
        assert import_files(s, "events", [path], time_range=wide).rows_inserted == 1


# -- 7. non-finite numbers ---------------------------------------------------------------


@pytest.mark.parametrize("number", ["1e309", "NaN", "-inf", "Infinity"])
def test_non_finite_numbers_are_refused_in_csv(
    db: Path, tmp_path: Path, cli_failure, number: str
) -> None:  # type: ignore[no-untyped-def]
    path = write_csv(tmp_path / "a.csv", [{"account_id": "A3", "mrr": number}])
    err = _refused(cli_failure, db, "accounts", str(path))
    assert f'a.csv line 2, column "mrr": "{number}" is not a finite number' in err


def test_non_finite_numbers_are_refused_in_json_lines(
    db: Path, tmp_path: Path, cli_failure
) -> None:  # type: ignore[no-untyped-def]
    path = _lines(
        tmp_path / "a.jsonl",
        {"account_id": "A3", "mrr": 10},
        '{"account_id": "A4", "mrr": 1e309}',
        {"account_id": "A5", "mrr": "NaN"},
    )
    err = _refused(cli_failure, db, "accounts", str(path))
    assert 'a.jsonl line 2, column "mrr"' in err
    assert 'a.jsonl line 3, column "mrr": "NaN" is not a finite number' in err


def test_non_finite_numbers_are_refused_in_parquet(db: Path, tmp_path: Path, cli_failure) -> None:  # type: ignore[no-untyped-def]
    frame = pd.DataFrame({"account_id": ["A3", "A4"], "mrr": [5.0, float("-inf")]})
    path = tmp_path / "a.parquet"
    frame.to_parquet(path, index=False)
    err = _refused(cli_failure, db, "accounts", str(path))
    assert 'a.parquet row 2, column "mrr"' in err
    assert "is not a finite number" in err


def _strict_json(text: str) -> object:
    def refuse(constant: str) -> object:
        raise AssertionError(f"{constant} is not JSON")

    return json.loads(text, parse_constant=refuse)


def test_accounts_as_json_is_valid_json_even_with_infinite_values_stored(
    db: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from healthscore.cli import main

    with open_store(db) as s:  # as a store filled before non-finite numbers were refused
        s.con.execute("UPDATE accounts SET mrr = '-inf', arr = 'inf' WHERE account_id = 'A1'")
        s.con.execute(
            "INSERT INTO score_snapshots SELECT DATE '2024-03-01', account_id, 'nan', 'green', "
            "'high', 1.0, NULL, 'v1', now() FROM accounts"
        )
    monkeypatch.setattr(sys, "argv", ["healthscore", "accounts", "-f", "json", "--db", str(db)])
    with pytest.raises(SystemExit) as exc:
        main()
    assert exc.value.code in (0, None)
    rows = _strict_json(capsys.readouterr().out)
    assert isinstance(rows, list) and rows


def test_every_json_document_the_cli_writes_maps_non_finite_numbers_to_null() -> None:
    import numpy as np

    from healthscore.cli._common import json_text

    value = {"nrr": float("nan"), "trend": [float("inf"), 1.5], "arr": np.float64("-inf")}
    assert _strict_json(json_text(value)) == {"nrr": None, "trend": [None, 1.5], "arr": None}


def test_implausible_values_go_to_quarantine_with_their_reason(db: Path, tmp_path: Path) -> None:
    rows = [
        {"account_id": "A1", "event_time": "2024-03-01T10:00:00Z", "event_type": "a", "value": "1"},
        {"account_id": "A1", "event_time": "infinity", "event_type": "b", "value": "2"},
        {
            "account_id": "A1",
            "event_time": "2024-03-02T10:00:00Z",
            "event_type": "c",
            "value": "NaN",
        },
    ]
    path = write_csv(tmp_path / "e.csv", rows)  # type: ignore[arg-type]
    with open_store(db) as s:
        report = import_files(s, "events", [path], quarantine=True)
        assert (report.rows_inserted, report.rows_rejected) == (1, 2)
        stored = s.con.execute("SELECT line, field, value FROM quarantine ORDER BY line").fetchall()
        assert stored == [(3, "event_time", "infinity"), (4, "value", "NaN")]
