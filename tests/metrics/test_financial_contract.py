"""Contract metrics as known on each date: hand-computed values, and no peeking.

The store holds a monthly customer with a discount, an annual customer that adds seats and
changes plan, and a customer whose term was cut by a cancellation.  Rows dated after the
as-of date (a renewal, a cancellation, a seat change, a changed end) must not move any value.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from healthscore.ingest.frames import load_frames
from healthscore.metrics import compute_metrics
from healthscore.metrics.families.financial import term_ends
from healthscore.store import Store, open_store

D = dt.date
AS_OF = D(2024, 3, 20)
CONTRACT = [
    "financial_days_to_term_end",
    "financial_term_length_days",
    "financial_term_elapsed_share",
    "financial_bill_period_months",
    "financial_discount",
    "financial_mrr_per_seat",
    "financial_seats_change_28d",
    "financial_seats_change_90d",
    "financial_plan_changed_28d",
    "financial_plan_changed_90d",
]
COLS = ["subscription_id", "account_id", "product", "start_date", "end_date", "mrr",
        "quantity", "units", "bill_period_months", "discount"]  # fmt: skip
PAST = [
    # m: monthly, a row per renewal, 20 % off, 5 seats
    ("m1", "m", "basic", D(2024, 1, 5), D(2024, 2, 5), 80.0, 5, "users", 1, 0.2),
    ("m2", "m", "basic", D(2024, 2, 5), D(2024, 3, 5), 80.0, 5, "users", 1, 0.2),
    ("m3", "m", "basic", D(2024, 3, 5), D(2024, 4, 5), 80.0, 5, "users", 1, 0.2),
    # y: annual since 2023-06-15 on 10 seats, 20 seats and "pro" from 2024-03-01 (open rows)
    ("y1", "y", "team", D(2023, 6, 15), D(2024, 3, 1), 1000.0, 10, "seats", 12, 0.0),
    ("y2", "y", "pro", D(2024, 3, 1), None, 2400.0, 20, "seats", 12, 0.0),
    # q: quarterly, open, no discount recorded, no seats (units are API calls)
    ("q1", "q", "api", D(2023, 12, 31), None, 300.0, 1e6, "calls", 3, None),
]
FUTURE = [
    ("m4", "m", "basic", D(2024, 4, 5), D(2024, 5, 5), 80.0, 9, "users", 1, 0.0),
    ("y3", "y", "enterprise", D(2024, 3, 25), None, 9000.0, 90, "seats", 12, 0.0),
]


def _store(path: Path, rows: list[tuple]) -> Store:
    subs = pd.DataFrame(rows, columns=COLS)
    accounts = pd.DataFrame({"account_id": sorted(subs["account_id"].unique())})
    store = open_store(path)
    load_frames(store, {"accounts": accounts, "subscriptions": subs})
    return store


def _contract(store: Store, dates: list[dt.date]) -> pd.DataFrame:
    f = compute_metrics(store.ibis(), dates)
    return f.set_index(["as_of", "account_id"])[CONTRACT].sort_index()


def test_contract_values_by_hand(tmp_path: Path) -> None:
    with _store(tmp_path / "c.duckdb", PAST) as store:
        f = _contract(store, [AS_OF]).loc[AS_OF]
    m, y, q = f.loc["m"], f.loc["y"], f.loc["q"]
    # m: term 03-05 .. 04-05 (31 days), 16 days left, 15 of 31 elapsed.
    assert m["financial_days_to_term_end"] == 16 and m["financial_term_length_days"] == 31
    assert m["financial_term_elapsed_share"] == pytest.approx(15 / 31)
    assert (m["financial_bill_period_months"], m["financial_discount"]) == (1, pytest.approx(0.2))
    assert m["financial_mrr_per_seat"] == 16.0
    assert m["financial_seats_change_28d"] == 0.0 and m["financial_plan_changed_28d"] == 0.0
    assert np.isnan(m["financial_plan_changed_90d"])  # m started 01-05, after 12-21
    # y: the running row started 03-01 on an annual term: it ends 2025-03-01.
    assert y["financial_days_to_term_end"] == (D(2025, 3, 1) - AS_OF).days
    assert y["financial_bill_period_months"] == 12 and y["financial_discount"] == 0.0
    assert y["financial_seats_change_28d"] == 100.0  # 10 seats on 02-21, 20 now
    assert y["financial_plan_changed_28d"] == 1.0 and y["financial_plan_changed_90d"] == 1.0
    assert y["financial_mrr_per_seat"] == 120.0
    # q: quarterly from 2023-12-31: terms end 03-31 (clipped from the 31st), 11 days left.
    assert q["financial_days_to_term_end"] == 11
    assert np.isnan(q["financial_discount"]) and np.isnan(q["financial_mrr_per_seat"])
    assert np.isnan(q["financial_seats_change_28d"])
    # q did not run 90 days before (12-21): no plan to compare with.
    assert np.isnan(q["financial_plan_changed_90d"]) and q["financial_plan_changed_28d"] == 0.0


def test_later_rows_change_no_contract_value(tmp_path: Path) -> None:
    dates = [AS_OF - dt.timedelta(days=d) for d in (0, 7, 30, 80)]
    with _store(tmp_path / "a.duckdb", PAST) as store:
        before = _contract(store, dates)
    # A renewal with more seats, an upgrade after the date, and a cut term: y's running
    # row ends early (a change written after as_of must not reach back to it).
    changed = [r for r in PAST if r[0] != "q1"] + FUTURE
    changed.append(
        ("q1", "q", "api", D(2023, 12, 31), D(2024, 3, 22), 300.0, 1e6, "calls", 3, None)
    )
    with _store(tmp_path / "b.duckdb", changed) as store:
        after = _contract(store, dates)
        later = _contract(store, [D(2024, 4, 10)]).loc[D(2024, 4, 10)]
    pd.testing.assert_frame_equal(before, after)
    # ...while the later rows really do change a later date.
    assert later.loc["y", "financial_plan_changed_28d"] == 1.0
    assert later.loc["m", "financial_seats_change_28d"] == 80.0


def test_term_ends_clip_to_month_end_and_roll_over() -> None:
    start = np.array(["2024-01-31", "2023-02-28", "2024-03-20"], dtype="datetime64[D]")
    as_of = np.array(["2024-02-29", "2024-02-28", "2024-03-20"], dtype="datetime64[D]")
    end, begin = term_ends(start, as_of, np.array([1, 12, 1]))
    assert list(end.astype(str)) == ["2024-03-31", "2025-02-28", "2024-04-20"]
    assert list(begin.astype(str)) == ["2024-02-29", "2024-02-28", "2024-03-20"]
