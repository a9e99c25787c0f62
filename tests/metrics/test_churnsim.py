"""On a ChurnSim store (events + subscriptions only) the per-event-type metrics carry the signal;
cross-checked against hand-written SQL on the same store."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from healthscore.ingest import import_churnsim
from healthscore.metrics import compute_metrics, metric_catalog
from healthscore.store import open_store

SLICE = Path(__file__).resolve().parents[1] / "data" / "churnsim_slice" / "parquet"


@pytest.fixture
def churnsim(tmp_path):
    store = open_store(tmp_path / "churnsim.duckdb")
    import_churnsim(store, SLICE)
    yield store
    store.close()


def test_churnsim_metrics_match_sql(churnsim):
    con = churnsim.con
    last = con.execute("SELECT max(event_time) FROM events").fetchone()[0]
    as_of = (last - dt.timedelta(days=30)).date()
    types = [
        r[0] for r in con.execute("SELECT DISTINCT event_type FROM events ORDER BY 1").fetchall()
    ]
    assert types
    frame = compute_metrics(churnsim.ibis(), [as_of])
    assert len(frame) > 0
    names = {m.name for m in metric_catalog(churnsim.ibis())}
    end = as_of + dt.timedelta(days=1)
    expected = dict(
        con.execute(
            """SELECT account_id, count(*) FROM events
               WHERE event_time >= CAST(? AS TIMESTAMP) - INTERVAL 28 DAY
                 AND event_time < CAST(? AS TIMESTAMP)
               GROUP BY 1""",
            [end, end],
        ).fetchall()
    )
    got = frame.set_index("account_id")["usage_events_28d"]
    for account, value in got.items():
        assert value == expected.get(account, 0), account
    # The per-type columns add up to the total.
    from healthscore.metrics._context import read_context

    slugs = [s for _, s in read_context(churnsim.ibis()).event_types]
    assert {f"events_{s}_28d" for s in slugs} <= names
    per_type = frame[[f"events_{s}_28d" for s in slugs]].sum(axis=1)
    assert (per_type.values == frame["usage_events_28d"].values).all()
    # Active flags come from the subscriptions.
    assert set(frame["is_active"].unique()) <= {0.0, 1.0}
