"""Outcome definitions on hand-made subscription tables."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd

from healthscore.predict.dataset import resolved_mask
from healthscore.predict.outcomes import derive_outcomes, label_observations

D = dt.date

ROWS = [
    # a: renews once on 02-01, then churns on 03-01
    ("a", D(2024, 1, 1), D(2024, 2, 1), 10.0),
    ("a", D(2024, 2, 1), D(2024, 3, 1), 10.0),
    # b: a 4-day gap before renewing (within a 7-day grace), churns 04-01
    ("b", D(2024, 1, 1), D(2024, 2, 1), 10.0),
    ("b", D(2024, 2, 5), D(2024, 4, 1), 10.0),
    # c: expansion on 02-01, contraction on 03-01, churn on 04-01
    ("c", D(2024, 1, 1), D(2024, 2, 1), 10.0),
    ("c", D(2024, 2, 1), D(2024, 3, 1), 20.0),
    ("c", D(2024, 3, 1), D(2024, 4, 1), 15.0),
    # d: still a customer: its term ends after the data end (right-censored)
    ("d", D(2024, 1, 1), D(2024, 6, 1), 10.0),
    ("d", D(2024, 6, 1), D(2024, 7, 1), 10.0),
    # e: ended 06-15, too close to the data end (06-20) to know with a 7-day grace
    ("e", D(2024, 4, 1), D(2024, 6, 15), 10.0),
    # f: open-ended row (so the rows are a billing snapshot, read up to the data end)
    ("f", D(2024, 1, 1), None, 5.0),
]


def _store(tmp_path: Path, make, name: str = "o"):
    return make(tmp_path / f"{name}.duckdb", ROWS, events_until=D(2024, 6, 20))


def _events(o, kind):
    return sorted((r.account_id, r.date) for r in o.of(kind).itertuples())


def test_churn_renewal_expansion_contraction(tmp_path: Path, subs_store) -> None:
    o = derive_outcomes(_store(tmp_path, subs_store), grace_days=7)
    assert o.data_end == D(2024, 6, 20)
    # The billing "today" is the data end, not the newest start (06-01).
    assert o.billing_end == D(2024, 6, 20)
    assert _events(o, "churn") == [("a", D(2024, 3, 1)), ("b", D(2024, 4, 1)), ("c", D(2024, 4, 1))]
    assert ("a", D(2024, 2, 1)) in _events(o, "renewal")
    assert ("b", D(2024, 2, 5)) in _events(o, "renewal")
    assert _events(o, "expansion") == [("c", D(2024, 2, 1))]
    assert _events(o, "contraction") == [("c", D(2024, 3, 1))]
    exp = o.of("expansion").iloc[0]
    assert (exp.mrr_before, exp.mrr_after) == (10.0, 20.0)


def test_grace_gap_and_right_censoring(tmp_path: Path, subs_store) -> None:
    o = derive_outcomes(_store(tmp_path, subs_store), grace_days=0)
    churn = _events(o, "churn")
    # Without grace, b's 4-day gap is a churn (and a reactivation later).
    assert ("b", D(2024, 2, 1)) in churn
    # e's end (06-15) is before the billing end (06-20): known with no grace.
    assert ("e", D(2024, 6, 15)) in churn
    # d and f never churn: d's last term ends after the data, f is open-ended.
    assert not any(a in ("d", "f") for a, _ in churn)
    graced = derive_outcomes(_store(tmp_path, subs_store, "o2"), grace_days=7)
    assert ("e", D(2024, 6, 15)) not in _events(graced, "churn")


def test_as_of_only_knows_the_past(tmp_path: Path, subs_store) -> None:
    o = derive_outcomes(_store(tmp_path, subs_store), grace_days=7, as_of=D(2024, 2, 15))
    assert o.data_end == D(2024, 2, 15)
    assert _events(o, "churn") == []  # a's churn (03-01) is in the future
    assert ("a", D(2024, 2, 1)) in _events(o, "renewal")
    assert ("b", D(2024, 2, 5)) in _events(o, "renewal")
    # The contraction of c on 03-01 is not knowable yet.
    assert _events(o, "contraction") == []


def test_labels_and_resolved_windows(tmp_path: Path, subs_store) -> None:
    o = derive_outcomes(_store(tmp_path, subs_store), grace_days=7)
    obs = o.active_at([D(2024, 2, 10), D(2024, 5, 20)])
    assert set(obs[obs["as_of"] == D(2024, 2, 10)]["account_id"]) == {"a", "b", "c", "d", "f"}
    y = label_observations(o, obs, horizon_days=30)
    got = {(r.as_of, r.account_id) for r, v in zip(obs.itertuples(), y, strict=True) if v}
    assert got == {(D(2024, 2, 10), "a")}  # a churns 03-01, within 30 days of 02-10
    mask = resolved_mask(obs, o, 30)
    # known until 06-20 - 7 = 06-13: windows ending after it are unresolved.
    assert list(pd.Series(mask).groupby(obs["as_of"].to_numpy()).all()) == [True, False]


def test_ibis_backend_gives_the_same_outcomes(tmp_path: Path, subs_store) -> None:
    store = _store(tmp_path, subs_store)
    a, b = derive_outcomes(store), derive_outcomes(store.ibis())
    pd.testing.assert_frame_equal(a.events, b.events)
    assert (a.data_end, a.billing_end) == (b.data_end, b.billing_end)
