"""The sentiment metric family on hand-written analysis rows: values, windows, no peeking."""

from __future__ import annotations

import datetime as dt
import math
from pathlib import Path

import pandas as pd
import pytest

from healthscore.metrics._columns import KEY
from healthscore.metrics._context import read_context
from healthscore.metrics._plan import make_plan
from healthscore.metrics._run import Run
from healthscore.metrics.families import ADDED_FAMILIES, sentiment
from healthscore.store import open_store
from healthscore.store.db import Store

AS_OF = dt.date(2024, 6, 30)


def _row(text_id: str, account: str, when: str, label: str, score: float | None,
         cancel: bool = False) -> dict:  # fmt: skip
    return {
        "source": "surveys", "text_id": text_id, "detail": "nps", "account_id": account,
        "occurred_at": pd.Timestamp(when), "label": label, "score": score, "reason": None,
        "themes": "", "features": "", "cancellation_intent": cancel, "competitor_intent": False,
        "language": "en", "evidence": "e", "text_hash": "h", "method": "m",
        "analysed_at": pd.Timestamp("2024-07-01"),
    }  # fmt: skip


ROWS = [
    _row("a", "A1", "2024-06-30 23:59:59", "negative", -0.6),  # on as_of: counts
    _row("b", "A1", "2024-05-01 10:00", "positive", 0.8),
    _row("c", "A1", "2024-03-01 10:00", "positive", 0.5),  # in the 90 days before
    _row("d", "A1", "2024-04-15 10:00", "unknown", None),  # no sentiment: left out
    _row("e", "A2", "2024-02-01 10:00", "negative", -0.4, cancel=True),
    _row("f", "A2", "2024-06-01 10:00", "neutral", 0.0),
]
FUTURE = [
    _row("g", "A1", "2024-07-01 00:00", "negative", -0.9, cancel=True),
    _row("h", "A2", "2024-07-15 10:00", "positive", 0.9),
]


def _insert(store: Store, rows: list[dict]) -> None:
    store.con.register("hs_rows", pd.DataFrame(rows))
    store.con.execute("INSERT INTO text_analysis BY NAME SELECT * FROM hs_rows")
    store.con.unregister("hs_rows")


@pytest.fixture
def store(tmp_path: Path):
    s = open_store(tmp_path / "m.duckdb")
    s.con.execute(
        "INSERT INTO accounts (account_id, start_date) VALUES "
        "('A1', DATE '2023-01-01'), ('A2', DATE '2023-01-01'), ('A3', DATE '2023-01-01')"
    )
    _insert(s, ROWS)
    yield s
    s.close()


def _metrics(store: Store, dates: list[dt.date]) -> pd.DataFrame:
    backend = store.ibis()
    run = Run(backend, read_context(backend), make_plan(dates, (7, 28, 90)), None)
    df = sentiment.query(run)
    assert df is not None
    return df.set_index(KEY).sort_index()


def test_values_by_hand(store: Store) -> None:
    m = _metrics(store, [AS_OF])
    a1 = m.loc[(AS_OF, "A1")]
    assert a1["sentiment_avg_90d"] == pytest.approx((-0.6 + 0.8) / 2)
    assert a1["sentiment_change_90d"] == pytest.approx(0.1 - 0.5)
    assert a1["sentiment_negative_share_90d"] == pytest.approx(0.5)
    assert a1["sentiment_texts_90d"] == 2
    assert a1["sentiment_days_since_negative"] == 0
    assert math.isnan(a1["sentiment_days_since_cancellation_intent"])
    assert a1["sentiment_cancellation_intent"] == 0
    a2 = m.loc[(AS_OF, "A2")]
    assert a2["sentiment_avg_90d"] == 0.0 and a2["sentiment_negative_share_90d"] == 0.0
    assert a2["sentiment_days_since_negative"] == (AS_OF - dt.date(2024, 2, 1)).days
    # 150 days after the intent text: past the 90-day span, the flag is down.
    assert a2["sentiment_days_since_cancellation_intent"] == 150
    assert a2["sentiment_cancellation_intent"] == 0
    assert (AS_OF, "A3") not in m.index  # no texts: NaN, zero-filled by derive


def test_the_intent_flag_holds_for_its_span(store: Store) -> None:
    days = [dt.date(2024, 2, 1), dt.date(2024, 4, 30), dt.date(2024, 5, 1)]
    m = _metrics(store, days)
    flag = m.xs("A2", level="account_id")["sentiment_cancellation_intent"]
    assert flag.to_dict() == {days[0]: 1.0, days[1]: 1.0, days[2]: 0.0}
    assert sentiment.INTENT_DAYS == 90


def test_future_rows_change_nothing(store: Store) -> None:
    dates = [dt.date(2024, 5, 31), AS_OF]
    before = _metrics(store, dates)
    _insert(store, FUTURE)
    after = _metrics(store, dates)
    pd.testing.assert_frame_equal(before, after)
    later = _metrics(store, [dt.date(2024, 7, 1)])
    assert later.loc[(dt.date(2024, 7, 1), "A1"), "sentiment_cancellation_intent"] == 1.0


def test_backfill_equals_single_dates(store: Store) -> None:
    dates = [AS_OF - dt.timedelta(days=d) for d in (0, 1, 30, 61, 89, 90, 91, 150)]
    together = _metrics(store, dates)
    apart = pd.concat([_metrics(store, [d]) for d in dates]).sort_index()
    pd.testing.assert_frame_equal(together, apart, check_like=True)


def test_catalogue_entries_match_the_query(store: Store) -> None:
    backend = store.ibis()
    names = [m.name for m in sentiment.catalog(read_context(backend), (7, 28, 90))]
    assert set(names) == set(_metrics(store, [AS_OF]).columns)
    assert {m.group for m in sentiment.catalog(read_context(backend), ())} == {"sentiment"}
    assert ("sentiment", "voice") in ADDED_FAMILIES


def test_a_store_without_the_table_has_no_rows(tmp_path: Path) -> None:
    import ibis

    con = ibis.duckdb.connect()
    con.raw_sql("CREATE TABLE accounts (account_id VARCHAR)")
    run = Run(con, read_context(con), make_plan([AS_OF], (7,)), None)
    assert sentiment.query(run) is None


def test_compute_metrics_carries_the_family_zero_filled(store: Store) -> None:
    from healthscore.metrics import compute_metrics, metric_catalog

    f = compute_metrics(store.ibis(), [AS_OF]).set_index("account_id")
    assert f.loc["A1", "sentiment_avg_90d"] == pytest.approx(0.1)
    # A3 wrote nothing: no sentiment, but certainly no texts and no intent.
    assert math.isnan(f.loc["A3", "sentiment_avg_90d"])
    assert f.loc["A3", "sentiment_texts_90d"] == 0.0
    assert f.loc["A3", "sentiment_cancellation_intent"] == 0.0
    groups = {m.name: m.group for m in metric_catalog(store.ibis())}
    assert groups["sentiment_days_since_negative"] == "sentiment"
