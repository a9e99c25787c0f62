"""A tiny store whose every KPI is computed by hand in the tests.

Accounts (segment): A, B, C, G smb; D, E, H ent; F smb.  Subscriptions, all from
2025-10-01 unless said:

* A 100 open;  B 200 until 2026-02-15 (churns in February);
* C 100 until 2026-02-01, then 150 (expansion in February);
* D 1000 until 2026-02-10, then 800 (contraction in February);
* E 500 from 2026-02-05 (new in February);  F 50 from 2026-03-25 (new in March);
* G 70 until 2025-12-01 (churns in December), again 70 from 2026-02-20 (reactivated);
* H 300 until 2026-01-29, again 300 from 2026-02-03 (a 5-day gap inside the 7-day grace:
  no churn; on 2026-01-31 its MRR is the 300 it resumes with).

CSM interactions: A on 2026-01-20, B on 2026-01-25 (both within 30 days before February),
D on 2025-12-20 (within 30 days before January, not February), H on 2026-02-01 (the first
day of February: it covers March, not February).

The billing data's "today" is the newest start, 2026-03-25; a ticket on 2026-03-31 is the
newest data, so churn is final up to 2026-03-18 (7 days of grace): March is provisional.
"""

from __future__ import annotations

import datetime as dt
import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from healthscore.ingest.frames import load_frames
from healthscore.store import Store, open_store

D = dt.date
OCT = D(2025, 10, 1)


def _ts(s: str) -> pd.Timestamp:
    return pd.Timestamp(s)


def tiny_frames() -> dict[str, pd.DataFrame]:
    seg = {"A": "smb", "B": "smb", "C": "smb", "G": "smb", "F": "smb",
           "D": "ent", "E": "ent", "H": "ent"}  # fmt: skip
    start = dict.fromkeys(seg, OCT) | {"E": D(2026, 2, 5), "F": D(2026, 3, 25)}
    accounts = pd.DataFrame(
        {
            "account_id": list(seg),
            "name": [f"Account {a}" for a in seg],
            "segment": list(seg.values()),
            "plan": ["pro" if a in "ADH" else "basic" for a in seg],
            "owner_csm": ["Ann" if s == "ent" else "Bob" for s in seg.values()],
            "start_date": [start[a] for a in seg],
        }
    )
    subs = pd.DataFrame(
        [
            ("A", OCT, None, 100.0),
            ("B", OCT, D(2026, 2, 15), 200.0),
            ("C", OCT, D(2026, 2, 1), 100.0),
            ("C", D(2026, 2, 1), None, 150.0),
            ("D", OCT, D(2026, 2, 10), 1000.0),
            ("D", D(2026, 2, 10), None, 800.0),
            ("E", D(2026, 2, 5), None, 500.0),
            ("F", D(2026, 3, 25), None, 50.0),
            ("G", OCT, D(2025, 12, 1), 70.0),
            ("G", D(2026, 2, 20), None, 70.0),
            ("H", OCT, D(2026, 1, 29), 300.0),
            ("H", D(2026, 2, 3), None, 300.0),
        ],
        columns=["account_id", "start_date", "end_date", "mrr"],
    ).assign(product="app")
    features = pd.DataFrame(
        [
            ("f1", "core", False),
            ("f2", "core", False),
            ("f3", "high_impact", True),
            ("login", "login", False),
            ("help_article_viewed", "help", False),
        ],
        columns=["feature", "category", "first_value"],
    )
    ev = [("A", "2026-01-10 09:00", "f1")]  # the usage history starts here
    ev += [("A", "2026-02-03 10:00", "f1"), ("A", "2026-02-04 10:00", "f1")]
    ev += [("A", "2026-02-05 10:00", "f3"), ("C", "2026-02-06 10:00", "f1")]
    ev += [("D", f"2026-02-0{i} 11:00", f) for i, f in ((2, "f1"), (3, "f2"), (4, "f3"))]
    ev += [("E", "2026-02-12 08:00", "f3"), ("H", "2026-02-13 08:00", "f2")]
    ev += [("B", "2026-02-02 08:00", "f1")]  # churned by the end of February: not counted
    ev += [("A", f"2026-02-1{i} 12:00", "help_article_viewed") for i in range(3)]
    ev += [("C", "2026-02-20 12:00", "help_article_viewed"), ("A", "2026-02-21 07:00", "login")]
    events = pd.DataFrame(
        [(a, _ts(t), e, f"u-{a}") for a, t, e in ev],
        columns=["account_id", "event_time", "event_type", "user_id"],
    )
    tickets = pd.DataFrame(
        [
            ("T1", "A", "2026-02-02 09:00", "2026-02-03 09:00", 5.0),
            ("T2", "C", "2026-02-05 09:00", "2026-02-06 09:00", 3.0),
            ("T3", "D", "2026-02-07 09:00", "2026-02-08 09:00", None),
            ("T4", "D", "2026-02-09 09:00", "2026-02-10 09:00", 4.0),
            ("T5", "H", "2026-01-30 09:00", "2026-02-02 09:00", 1.0),  # rated in February
            ("T6", "A", "2026-03-31 09:00", None, None),  # the newest data
        ],
        columns=["ticket_id", "account_id", "opened_at", "resolved_at", "csat"],
    )
    for c in ("opened_at", "resolved_at"):
        tickets[c] = pd.to_datetime(tickets[c])
    surveys = [
        ("N1", "A", "nps", "2026-02-10 10:00", 10.0),
        ("N2", "C", "nps", "2026-02-10 10:00", 9.0),
        ("N3", "D", "nps", "2026-02-10 10:00", 9.0),
        ("N4", "E", "nps", "2026-02-10 10:00", 7.0),
        ("N5", "H", "nps", "2026-02-10 10:00", 3.0),
        ("N6", "B", "nps", None, None),
        ("N7", "G", "nps", None, None),
        ("N8", "A", "nps", None, None),
        ("S1", "A", "csat", "2026-02-11 10:00", 5.0),
        ("S2", "C", "csat", "2026-02-11 10:00", 4.0),
        ("S3", "D", "csat", "2026-02-11 10:00", 2.0),
    ]
    surveys_df = pd.DataFrame(
        [
            (rid, a, kind, _ts("2026-02-09 10:00"), None if r is None else _ts(r), s)
            for rid, a, kind, r, s in surveys
        ],
        columns=["response_id", "account_id", "survey_type", "sent_at", "responded_at", "score"],
    )
    interactions = pd.DataFrame(
        [
            ("I1", "A", "call", "2026-01-20 15:00"),
            ("I2", "B", "email", "2026-01-25 09:30"),
            ("I3", "D", "meeting", "2025-12-20 11:00"),
            ("I4", "H", "qbr", "2026-02-01 09:00"),
        ],
        columns=["interaction_id", "account_id", "kind", "occurred_at"],
    ).assign(occurred_at=lambda d: pd.to_datetime(d["occurred_at"]))
    return {
        "accounts": accounts,
        "interactions": interactions,
        "subscriptions": subs,
        "features": features,
        "events": events,
        "tickets": tickets,
        "surveys": surveys_df,
    }


def add_snapshot(store: Store, as_of: dt.date, bands: dict[str, str]) -> None:
    """Stored scores for `as_of` (what `healthscore score` writes), band per account."""
    score = {"green": 80.0, "yellow": 55.0, "red": 20.0}
    rows = pd.DataFrame(
        {
            "as_of": as_of,
            "account_id": list(bands),
            "score": [score[b] for b in bands.values()],
            "band": list(bands.values()),
            "scorecard_version": "test",
            "computed_at": pd.Timestamp("2026-03-01"),
        }
    )
    store.con.register("snap_rows", rows)
    store.con.execute(
        "INSERT INTO score_snapshots (as_of, account_id, score, band, scorecard_version,"
        " computed_at) SELECT as_of, account_id, score, band, scorecard_version, computed_at"
        " FROM snap_rows"
    )
    store.con.unregister("snap_rows")


@pytest.fixture(scope="session")
def tiny_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("kpis") / "tiny.duckdb"
    with open_store(path, create=True) as store:
        load_frames(store, tiny_frames())
        # February's last snapshot: A, C, D green (D has ARR 12 x 800), E yellow, H red.
        add_snapshot(store, D(2026, 2, 14), {"A": "red", "D": "red"})
        add_snapshot(store, D(2026, 2, 28), {"A": "green", "C": "green", "D": "green",
                                             "E": "yellow", "H": "red"})  # fmt: skip
    return path


@pytest.fixture
def tiny(tiny_path: Path) -> Iterator[Store]:
    with open_store(tiny_path) as store:
        yield store


# -- the same store on the PostgreSQL of this machine --------------------------------------

PG_URL = os.environ.get("HEALTHSCORE_TEST_POSTGRES", "postgresql://postgres@127.0.0.1:5432/test")


def _drop_schema(schema: str) -> None:
    import psycopg

    with psycopg.connect(PG_URL, autocommit=True) as con:
        con.execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE")


@contextmanager
def on_postgres(path: Path) -> Iterator[Any]:
    """The tables of the store at `path` (signals and scores) copied to a new PostgreSQL
    schema, unique per call so parallel workers never share one; dropped afterwards."""
    import psycopg

    from healthscore.store.engines import connect_engine, copy_store_to
    from healthscore.store.scores import SCORE_TABLES

    schema = f"hs_kpis_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(PG_URL, autocommit=True) as con:
        con.execute(f"CREATE SCHEMA {schema}")
    backend = None
    try:
        sep = "&" if "?" in PG_URL else "?"
        with open_store(path) as store:
            backend = connect_engine(f"{PG_URL}{sep}schema={schema}", store)
            copy_store_to(backend, store)
            for name in SCORE_TABLES:
                data = store.con.execute(f"SELECT * FROM {name}").to_arrow_table()
                backend.create_table(name, data)
        yield backend
    finally:
        if backend is not None:
            backend.disconnect()
        _drop_schema(schema)


@pytest.fixture(scope="session")
def tiny_pg(tiny_path: Path) -> Iterator[Any]:
    """The tiny store's tables on PostgreSQL, copied once per worker (read-only)."""
    with on_postgres(tiny_path) as backend:
        yield backend


@pytest.fixture(params=["duckdb", pytest.param("postgres", marks=pytest.mark.postgres)])
def tiny_on(request: pytest.FixtureRequest, tiny: Store) -> Any:
    """What the tiny store's reads run on: the store itself, or its copy on PostgreSQL."""
    if request.param == "duckdb":
        return tiny
    return request.getfixturevalue("tiny_pg")
