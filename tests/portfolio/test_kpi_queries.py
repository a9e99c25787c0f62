"""The KPI reads of `healthscore.store.queries.kpis`, on the store and on PostgreSQL.

Each read runs twice (the `tiny_on` fixture): on the tiny DuckDB store (conftest.py) and on
its tables copied to PostgreSQL; both are held to the same hand-counted values, and the
whole KPI report computed on PostgreSQL must equal the one computed on the store.
"""

from __future__ import annotations

import datetime as dt
import math
from typing import Any

import pandas as pd
import pytest

from healthscore.portfolio import portfolio_kpis
from healthscore.store import Store
from healthscore.store.queries import kpis as q

D = dt.date


def _sorted(df: pd.DataFrame, *keys: str) -> pd.DataFrame:
    return df.sort_values(list(keys), kind="stable").reset_index(drop=True)


def test_account_attributes(tiny_on: Any) -> None:
    df = _sorted(q.account_attributes(tiny_on), "account_id")
    assert list(df.columns) == [
        "account_id", "name", "segment", "plan", "owner", "start_date", "mrr", "arr",
    ]  # fmt: skip
    assert list(df["account_id"]) == list("ABCDEFGH")
    assert list(df["segment"]) == ["smb", "smb", "smb", "ent", "ent", "smb", "smb", "ent"]
    assert list(df["owner"]) == ["Bob", "Bob", "Bob", "Ann", "Ann", "Bob", "Bob", "Ann"]
    assert list(df["plan"]) == ["pro", "basic", "basic", "pro", "basic", "basic", "basic", "pro"]
    assert pd.to_datetime(df.loc[4, "start_date"]).date() == D(2026, 2, 5)  # E
    assert df["arr"].isna().all() and df["mrr"].isna().all()  # neither is stored


def test_survey_rows_are_those_sent_or_answered_in_the_window(tiny_on: Any) -> None:
    feb = q.survey_rows(tiny_on, D(2026, 2, 1), D(2026, 3, 1))
    assert len(feb) == 11  # every survey was sent on 2026-02-09
    # Sent before the window; answered on 2026-02-10 (the CSAT answers of the 11th are
    # after the half-open window's end).
    day = _sorted(q.survey_rows(tiny_on, D(2026, 2, 10), D(2026, 2, 11)), "account_id")
    assert list(day["account_id"]) == ["A", "C", "D", "E", "H"]
    assert list(day["score"]) == [10.0, 9.0, 9.0, 7.0, 3.0]
    assert set(day["survey_type"]) == {"nps"}
    assert day["responded_at"].min() == pd.Timestamp("2026-02-10 10:00")
    unanswered = feb[feb["responded_at"].isna()]
    assert len(unanswered) == 3 and unanswered["score"].isna().all()


def test_ticket_rows_are_those_opened_or_resolved_in_the_window(tiny_on: Any) -> None:
    feb = _sorted(q.ticket_rows(tiny_on, D(2026, 2, 1), D(2026, 3, 1)), "opened_at")
    # T5 was opened in January and resolved in February; T6 is in March.
    assert list(feb["account_id"]) == ["H", "A", "C", "D", "D"]
    assert feb["csat"].tolist()[:3] == [1.0, 5.0, 3.0] and math.isnan(feb["csat"][3])
    mar = q.ticket_rows(tiny_on, D(2026, 3, 1), D(2026, 4, 1))
    assert len(mar) == 1 and pd.isna(mar["resolved_at"][0])


def test_feature_rows(tiny_on: Any) -> None:
    df = _sorted(q.feature_rows(tiny_on), "feature")
    assert list(df["feature"]) == ["f1", "f2", "f3", "help_article_viewed", "login"]
    assert list(df["category"]) == ["core", "core", "high_impact", "help", "login"]
    assert [bool(x) for x in df["first_value"]] == [False, False, True, False, False]


def _use(df: pd.DataFrame) -> dict[tuple[str, str, str], int]:
    return {
        (str(pd.Timestamp(p).date()), a, e): int(n)
        for p, a, e, n in zip(
            df["period_start"], df["account_id"], df["event_type"], df["n"], strict=True
        )
    }


def test_feature_use_per_month_and_quarter(tiny_on: Any) -> None:
    months = _use(q.feature_use(tiny_on, D(2026, 1, 1), D(2026, 4, 1), "month"))
    assert months[("2026-01-01", "A", "f1")] == 1
    assert months[("2026-02-01", "A", "f1")] == 2
    assert months[("2026-02-01", "A", "help_article_viewed")] == 3
    assert months[("2026-02-01", "D", "f2")] == 1
    assert len(months) == 13
    assert sum(months.values()) == 16  # every event of the store
    quarters = _use(q.feature_use(tiny_on, D(2026, 1, 1), D(2026, 4, 1), "quarter"))
    assert quarters[("2026-01-01", "A", "f1")] == 3
    assert len(quarters) == 12 and sum(quarters.values()) == 16
    # The half-open window: February alone, its events only.
    feb = _use(q.feature_use(tiny_on, D(2026, 2, 1), D(2026, 3, 1), "month"))
    assert sum(feb.values()) == 15


def test_interaction_days(tiny_on: Any) -> None:
    df = q.interaction_days(tiny_on, D(2025, 12, 1), D(2026, 2, 1))
    got = [(a, pd.Timestamp(d).date()) for a, d in zip(df["account_id"], df["day"], strict=True)]
    # H's interaction on 2026-02-01 is on the window's (exclusive) end.
    assert got == [("A", D(2026, 1, 20)), ("B", D(2026, 1, 25)), ("D", D(2025, 12, 20))]
    assert q.interaction_days(tiny_on, D(2026, 2, 1), D(2026, 2, 2))["account_id"].tolist() == ["H"]


def test_band_rows(tiny_on: Any) -> None:
    df = _sorted(q.band_rows(tiny_on, [D(2026, 2, 28), D(2026, 2, 14)]), "as_of", "account_id")
    assert len(df) == 7
    last = df[pd.to_datetime(df["as_of"]) == pd.Timestamp("2026-02-28")]
    assert dict(zip(last["account_id"], last["band"], strict=True)) == {
        "A": "green", "C": "green", "D": "green", "E": "yellow", "H": "red",
    }  # fmt: skip
    assert list(last["score"]) == [80.0, 80.0, 80.0, 55.0, 20.0]
    assert q.band_rows(tiny_on, []).empty


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, float) and isinstance(b, float):
        return a == pytest.approx(b, rel=1e-12, abs=1e-12)
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    return bool(a == b)


@pytest.mark.postgres
@pytest.mark.parametrize("period", ["month", "quarter"])
def test_the_report_on_postgres_equals_the_report_on_the_store(
    tiny: Store, tiny_pg: Any, period: str
) -> None:
    for by in ("segment", "coverage"):
        _same_report(tiny, tiny_pg, period=period, start=D(2025, 10, 1), end=D(2026, 3, 31), by=by)


def _same_report(tiny: Store, tiny_pg: Any, **kw: Any) -> None:
    here = portfolio_kpis(tiny, **kw)
    there = portfolio_kpis(tiny_pg, **kw)
    assert here.known == there.known and here.bands == there.bands
    assert here.notes == there.notes
    assert len(here.rows) == len(there.rows) > 0
    for mine, theirs in zip(here.rows, there.rows, strict=True):
        differ = [k for k in mine.keys() | theirs.keys() if not _same(mine.get(k), theirs.get(k))]
        assert not differ, (
            mine["period"],
            mine["group"],
            {k: (mine.get(k), theirs.get(k)) for k in differ},
        )
