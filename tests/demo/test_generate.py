"""The generated frames: schema, determinism and referential integrity."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from healthscore.demo import generate
from healthscore.store.schema import KINDS


def test_same_seed_gives_identical_frames(small: dict[str, pd.DataFrame]) -> None:
    again = generate(seed=5, n_accounts=60, months=12)
    assert list(again) == list(small)
    for name, df in small.items():
        pd.testing.assert_frame_equal(df, again[name], obj=name)


def test_different_seed_gives_different_data(small: dict[str, pd.DataFrame]) -> None:
    other = generate(seed=6, n_accounts=60, months=12)
    assert not other["accounts"].equals(small["accounts"])
    assert len(other["events"]) != len(small["events"]) or not other["events"].equals(
        small["events"]
    )


def test_every_kind_has_exactly_the_schema_columns(portfolio: dict[str, pd.DataFrame]) -> None:
    assert set(portfolio) == set(KINDS)
    for name, table in KINDS.items():
        df = portfolio[name]
        assert list(df.columns) == table.column_names, name
        assert len(df) > 0, f"{name} is empty"
        for col in table.columns:
            if col.required:
                assert df[col.name].notna().all(), f"{name}.{col.name} has nulls"
            if col.choices:
                values = set(df[col.name].dropna())
                assert values <= set(col.choices), f"{name}.{col.name}: {values - set(col.choices)}"
        key = list(table.key)
        assert not df.duplicated(key).any(), f"{name} repeats its key {key}"


def test_value_types(portfolio: dict[str, pd.DataFrame]) -> None:
    ev = portfolio["events"]
    assert ev["event_key"].dtype == np.uint64
    assert int(ev["event_key"].max()) < 2**63
    assert ev["event_time"].dt.tz is None  # naive UTC
    assert isinstance(portfolio["accounts"]["start_date"].iloc[0], dt.date)
    assert isinstance(portfolio["invoices"]["issued_date"].iloc[0], dt.date)
    props = ev["properties"].dropna()
    assert len(props) > 0 and props.map(lambda s: s.startswith("{")).all()


def test_sizes_follow_the_arguments(small: dict[str, pd.DataFrame]) -> None:
    assert len(small["accounts"]) == 60
    times = small["events"]["event_time"]
    assert times.min() >= pd.Timestamp("2025-11-01")
    assert times.max() < pd.Timestamp("2026-11-01")


def test_default_size_lands_in_the_target_range() -> None:
    """The default demo is the one newcomers see: 500 accounts and 1-3 million events."""
    frames = generate()
    assert len(frames["accounts"]) == 500
    assert 1_000_000 <= len(frames["events"]) <= 3_000_000
    assert set(frames["accounts"]["segment"]) == {"enterprise", "mid-market", "smb"}
    assert frames["accounts"]["owner_csm"].nunique() == 8


def test_references_resolve(portfolio: dict[str, pd.DataFrame]) -> None:
    accounts = set(portfolio["accounts"]["account_id"])
    contacts = portfolio["contacts"].set_index("contact_id")["account_id"]
    for name, table in KINDS.items():
        if "account_id" in table.column_names and name != "accounts":
            assert set(portfolio[name]["account_id"]) <= accounts, name
    # People belong to the account they act for.
    for name, col in [("events", "user_id"), ("tickets", "contact_id"), ("surveys", "contact_id")]:
        df = portfolio[name].dropna(subset=[col])
        assert (contacts.loc[df[col]].to_numpy() == df["account_id"].to_numpy()).all(), name
    assert set(portfolio["events"]["event_type"]) <= set(portfolio["features"]["feature"])
    assert set(portfolio["milestones"]["goal_id"]) <= set(portfolio["goals"]["goal_id"])


def _churn_dates(frames: dict[str, pd.DataFrame]) -> pd.Series:
    subs = frames["subscriptions"]
    still_open = set(subs.loc[subs["end_date"].isna(), "account_id"])
    ended = subs[~subs["account_id"].isin(still_open)]
    return pd.to_datetime(ended.groupby("account_id")["end_date"].max())


def test_no_activity_before_start_or_after_churn(portfolio: dict[str, pd.DataFrame]) -> None:
    churn = _churn_dates(portfolio)
    start = pd.to_datetime(portfolio["accounts"].set_index("account_id")["start_date"])
    for name, col in [
        ("events", "event_time"),
        ("tickets", "opened_at"),
        ("interactions", "occurred_at"),
    ]:
        df = portfolio[name]
        t = df[col]
        assert (t >= start.loc[df["account_id"]].to_numpy()).all(), name
        c = churn.reindex(df["account_id"]).to_numpy()
        after = ~pd.isna(c) & (t.to_numpy() >= c)
        assert not after.any(), f"{name}: {after.sum()} rows after churn"


def test_account_state_reflects_subscriptions(portfolio: dict[str, pd.DataFrame]) -> None:
    acc = portfolio["accounts"].set_index("account_id")
    subs = portfolio["subscriptions"]
    open_mrr = subs[subs["end_date"].isna()].groupby("account_id")["mrr"].sum()
    churned = acc.index.difference(open_mrr.index)
    assert (acc.loc[churned, "mrr"] == 0).all()
    assert acc.loc[churned, "renewal_date"].isna().all()
    np.testing.assert_allclose(acc.loc[open_mrr.index, "mrr"], open_mrr, rtol=1e-9)
    np.testing.assert_allclose(acc["arr"], acc["mrr"] * 12)
    assert (acc.loc[open_mrr.index, "renewal_date"] > dt.date(2026, 10, 31)).all()
    # Rows of one account never overlap: each ends where the next starts.
    for _aid, g in subs.sort_values("start_date").groupby("account_id"):
        ends = g["end_date"].iloc[:-1].tolist()
        assert ends == g["start_date"].iloc[1:].tolist()


@pytest.mark.parametrize("kind", ["tickets", "surveys", "interactions"])
def test_text_is_natural_language(portfolio: dict[str, pd.DataFrame], kind: str) -> None:
    col = {"tickets": "body", "surveys": "comment", "interactions": "notes"}[kind]
    text = portfolio[kind][col].dropna()
    assert text.nunique() > 20
    assert text.str.split().str.len().mean() > 3  # sentences, not codes


def test_people_exist_before_they_act(portfolio: dict[str, pd.DataFrame]) -> None:
    created = portfolio["contacts"].set_index("contact_id")["created_at"]
    for name, col, tcol in [
        ("events", "user_id", "event_time"),
        ("tickets", "contact_id", "opened_at"),
        ("surveys", "contact_id", "sent_at"),
        ("engagement", "contact_id", "occurred_at"),
    ]:
        df = portfolio[name].dropna(subset=[col])
        assert (df[tcol].to_numpy() >= created.loc[df[col]].to_numpy()).all(), name


def test_first_value_never_precedes_the_account_start(portfolio: dict[str, pd.DataFrame]) -> None:
    ev = portfolio["events"]
    fv = set(portfolio["features"].query("first_value")["feature"])
    assert len(fv) in (1, 2)
    first = ev[ev["event_type"].isin(fv)].groupby("account_id")["event_time"].min()
    start = pd.to_datetime(portfolio["accounts"].set_index("account_id")["start_date"])
    assert (first >= start.loc[first.index]).all()
    cats = set(portfolio["features"]["category"])
    assert {"core", "advanced", "high_impact", "login", "help"} == cats


@pytest.mark.parametrize(("n", "months"), [(1, 1), (2, 1), (3, 2), (5, 6)])
def test_tiny_portfolios_still_have_the_schema(n: int, months: int) -> None:
    for seed in range(3):
        frames = generate(seed=seed, n_accounts=n, months=months)
        assert len(frames["accounts"]) == n
        for name, df in frames.items():
            assert list(df.columns) == KINDS[name].column_names, name


def test_rejects_nonsense_sizes() -> None:
    with pytest.raises(ValueError):
        generate(n_accounts=0)
