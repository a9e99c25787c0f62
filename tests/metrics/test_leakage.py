"""No peeking: rows dated after as_of never change a value; a backfill equals single snapshots."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from healthscore.metrics import CustomMetric, compute_metrics

from .data import AS_OF, FUTURE_ROWS, insert

CUSTOM = [
    CustomMetric(
        name="exports_28d",
        kind="count",
        table="events",
        where={"event_type": "export"},
        window_days=28,
    ),
    CustomMetric(
        name="last_bug_days", kind="days_since", table="tickets", where={"category": "bug"}
    ),
    CustomMetric(
        name="invoice_amount_90d",
        kind="sum",
        table="invoices",
        value_column="amount",
        window_days=90,
    ),
]


def test_future_rows_change_nothing(tiny_store):
    dates = [AS_OF - dt.timedelta(days=30), AS_OF]
    before = compute_metrics(tiny_store.ibis(), dates, custom=CUSTOM)
    insert(tiny_store, FUTURE_ROWS)
    after = compute_metrics(tiny_store.ibis(), dates, custom=CUSTOM)
    # The future rows are really there and really change a later snapshot...
    later = compute_metrics(tiny_store.ibis(), [AS_OF + dt.timedelta(days=1)], custom=CUSTOM)
    a1 = later[later["account_id"] == "A1"].iloc[0]
    assert a1["support_tickets_28d"] == 3.0 and a1["events_export_7d"] == 1.0
    # ...but nothing as of AS_OF or before.
    pd.testing.assert_frame_equal(before, after)


def test_backfill_equals_separate_snapshots(tiny_store):
    """One call over many dates (segments shared) gives exactly the per-date results."""
    dates = [AS_OF - dt.timedelta(days=d) for d in (0, 1, 6, 7, 13, 40, 95)]
    together = compute_metrics(tiny_store.ibis(), dates)
    apart = pd.concat(
        [compute_metrics(tiny_store.ibis(), [d]) for d in sorted(dates)], ignore_index=True
    )
    assert len(together) > len(dates)
    pd.testing.assert_frame_equal(together, apart)


def test_windows_are_inclusive_of_as_of_day(tiny_store):
    """An event at 23:59:59 on D counts as of D; one at 00:00 on D+1 does not."""
    f = compute_metrics(tiny_store.ibis(), [AS_OF, AS_OF + dt.timedelta(days=1)])
    a1 = f[f["account_id"] == "A1"].set_index("as_of")
    assert a1.loc[AS_OF, "events_login_7d"] == 3.0
    assert a1.loc[AS_OF + dt.timedelta(days=1), "events_login_7d"] == 4.0
    assert not np.isnan(a1.loc[AS_OF, "usage_consistency_12w"])


def test_an_escalation_counts_from_its_own_time(tiny_store):
    """T2 (opened 03-20) was escalated on 04-01: not an escalation as of 03-31, one after."""
    f = compute_metrics(tiny_store.ibis(), [AS_OF, AS_OF + dt.timedelta(days=1)])
    a1 = f[f["account_id"] == "A1"].set_index("as_of")["support_escalated_90d"]
    assert a1.to_dict() == {AS_OF: 2.0, AS_OF + dt.timedelta(days=1): 3.0}
