"""Usage counts checked against a plain pandas recount of the raw events.

The data is dense and long on purpose: windows longer than a 62-day bitmap, and a backfill
over so many dates that the per-user segment bitmaps span several BIGINT blocks.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from healthscore.metrics import compute_metrics
from healthscore.metrics._plan import DAY_BITS, make_plan
from healthscore.metrics.families.usage import WIDE_SEGMENTS
from healthscore.store import open_store

from .data import insert

WINDOWS = (7, 30, 130)
START = dt.date(2023, 1, 1)


def _events() -> pd.DataFrame:
    rng = np.random.default_rng(5)
    n = 6000
    days = rng.integers(0, 480, n)
    # D is new: its first event is recent, inside the windows' segments, not before them.
    late = rng.random(n) < 0.05
    days[late] = rng.integers(395, 480, int(late.sum()))
    secs = rng.integers(0, 86400, n)
    return pd.DataFrame(
        {
            "account_id": np.where(late, "D", rng.choice(["A", "B", "C"], n, p=[0.6, 0.3, 0.1])),
            # Some users are only seen rarely, some events have no user at all.
            "user_id": np.where(
                rng.random(n) < 0.1, None, rng.choice([f"u{i}" for i in range(40)], n)
            ),
            "event_time": [
                dt.datetime(2023, 1, 1) + dt.timedelta(days=int(d), seconds=int(s))
                for d, s in zip(days, secs, strict=True)
            ],
            "event_type": rng.choice(["login", "export", "share"], n),
        }
    )


def _expected(ev: pd.DataFrame, as_of: dt.date, account: str, w: int) -> dict[str, float]:
    end = pd.Timestamp(as_of + dt.timedelta(days=1))
    own = ev[ev["account_id"] == account]
    cur = own[(own["event_time"] >= end - pd.Timedelta(days=w)) & (own["event_time"] < end)]
    prev = own[
        (own["event_time"] >= end - pd.Timedelta(days=2 * w))
        & (own["event_time"] < end - pd.Timedelta(days=w))
    ]
    before = own[own["event_time"] < end]
    first = before["event_time"].min().normalize()
    return {
        # No start date and no subscription: tenure runs from the first event.
        "financial_tenure_days": float((pd.Timestamp(as_of) - first).days),
        f"usage_events_{w}d": float(len(cur)),
        f"usage_active_days_{w}d": float(cur["event_time"].dt.date.nunique()),
        f"usage_active_users_{w}d": float(cur["user_id"].dropna().nunique()),
        f"events_export_{w}d": float((cur["event_type"] == "export").sum()),
        f"events_share_change_{w}d": _change(
            (cur["event_type"] == "share").sum(), (prev["event_type"] == "share").sum()
        ),
        f"usage_active_days_change_{w}d": _change(
            cur["event_time"].dt.date.nunique(), prev["event_time"].dt.date.nunique()
        ),
        "usage_days_since_last_activity": float(
            (pd.Timestamp(as_of) - before["event_time"].max().normalize()).days
        )
        if len(before)
        else np.nan,
    }


def _change(cur: float, prev: float) -> float:
    return (cur - prev) / prev * 100.0 if prev else np.nan


@pytest.mark.parametrize("layout", ["dense backfill", "sparse dates", "one date"])
def test_usage_matches_a_plain_recount(tmp_path, layout):
    ev = _events()
    store = open_store(tmp_path / "dense.duckdb")
    insert(
        store, {"accounts": [{"account_id": a} for a in "ABCD"], "events": ev.to_dict("records")}
    )
    plan = None
    if layout == "dense backfill":
        dates = [START + dt.timedelta(days=120 + 5 * k) for k in range(70)]
        plan = make_plan(dates, WINDOWS)
        first_user_seg = plan.coarse.index(dates[0] + dt.timedelta(days=1 - max(WINDOWS))) + 1
        assert len(plan.coarse) - first_user_seg > 2 * DAY_BITS  # three user bitmap blocks
        checked_dates = dates[::3]
    elif layout == "one date":
        # Few segments: per-type counts come from filtered counts per (account, type).
        dates = [START + dt.timedelta(days=400)]
        plan = make_plan(dates, WINDOWS)
        assert len(plan.coarse) - 1 <= WIDE_SEGMENTS
        checked_dates = dates
    else:
        # The previous 130-day window has no other bound inside it: it must be cut up so
        # that no segment is longer than a day bitmap.
        dates = [START + dt.timedelta(days=300), START + dt.timedelta(days=470)]
        plan = make_plan(dates, WINDOWS)
        checked_dates = dates
        assert len(plan.coarse) - 1 > WIDE_SEGMENTS  # per-type counts grouped by segment
    gaps = np.diff([b.toordinal() for b in plan.bounds])
    assert gaps.max() <= DAY_BITS < max(WINDOWS)

    got = compute_metrics(store.ibis(), dates, windows=WINDOWS)
    got = got.set_index(["as_of", "account_id"])
    checked = 0
    for as_of in checked_dates:
        for account in "ABCD":
            if not (ev[ev["account_id"] == account]["event_time"].dt.date <= as_of).any():
                assert (as_of, account) not in got.index  # did not exist yet
                continue
            for w in WINDOWS:
                for name, value in _expected(ev, as_of, account, w).items():
                    actual = got.loc[(as_of, account), name]
                    assert (np.isnan(value) and np.isnan(actual)) or actual == value, (
                        as_of, account, name, actual, value,
                    )  # fmt: skip
                    checked += 1
    assert checked >= 3 * len(WINDOWS) * 7 * len(checked_dates)
    store.close()


def test_per_type_counts_agree_grouped_or_wide(tmp_path, monkeypatch):
    """The two shapes of the per-type scan give the same frame, to the bit."""
    store = open_store(tmp_path / "s.duckdb")
    insert(
        store,
        {"accounts": [{"account_id": a} for a in "ABC"], "events": _events().to_dict("records")},
    )
    dates = [START + dt.timedelta(days=d) for d in (200,)]
    wide = compute_metrics(store.ibis(), dates, windows=WINDOWS)
    monkeypatch.setattr("healthscore.metrics.families.usage.WIDE_SEGMENTS", 0)
    grouped = compute_metrics(store.ibis(), dates, windows=WINDOWS)
    assert len(make_plan(dates, WINDOWS).coarse) - 1 <= WIDE_SEGMENTS
    pd.testing.assert_frame_equal(wide, grouped, check_exact=True)
    store.close()
