"""The demo must behave like a real portfolio: plausible rates, and signals that predict.

These assert on the generated data itself, so a change to the simulation that breaks the
link between the hidden health and the observable signals fails here.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

WINDOW_START = pd.Timestamp("2025-05-01")
END = pd.Timestamp("2026-11-01")
FIRST_VALUE = ["workflow_automated", "playbook_launched"]


def _churn(frames: dict[str, pd.DataFrame]) -> pd.Series:
    subs = frames["subscriptions"]
    still_open = set(subs.loc[subs["end_date"].isna(), "account_id"])
    ended = subs[~subs["account_id"].isin(still_open)]
    return pd.to_datetime(ended.groupby("account_id")["end_date"].max())


def _monthly_churn(frames: dict[str, pd.DataFrame], segment: str | None = None) -> float:
    acc = frames["accounts"]
    if segment:
        acc = acc[acc["segment"] == segment]
    start = pd.to_datetime(acc.set_index("account_id")["start_date"])
    churn = _churn(frames).reindex(start.index)
    rates = []
    for m in pd.period_range(WINDOW_START, END - pd.Timedelta(days=1), freq="M"):
        m0, m1 = m.start_time, m.end_time
        active = (start < m0) & (churn.isna() | (churn > m0))
        lost = active & (churn > m0) & (churn <= m1)
        if active.sum():
            rates.append(lost.sum() / active.sum())
    return float(np.mean(rates))


def test_monthly_churn_is_plausible(portfolio: dict[str, pd.DataFrame]) -> None:
    overall = _monthly_churn(portfolio)
    assert 0.008 <= overall <= 0.045, overall
    # Self-serve smb churns faster than accounts on annual contracts with a CSM.
    assert _monthly_churn(portfolio, "smb") > 2 * _monthly_churn(portfolio, "enterprise")


def test_expansions_and_contractions_happen(portfolio: dict[str, pd.DataFrame]) -> None:
    subs = portfolio["subscriptions"].sort_values(["account_id", "start_date"])
    prev = subs.groupby("account_id")["mrr"].shift()
    changed = subs[prev.notna() & (pd.to_datetime(subs["start_date"]) >= WINDOW_START)]
    before = prev[changed.index]
    assert (changed["mrr"] > before).sum() >= 10
    assert (changed["mrr"] < before).sum() >= 5
    assert (changed["mrr"] == before).sum() >= 10  # flat renewals are new rows too


def test_stalled_onboarding_churns_more(portfolio: dict[str, pd.DataFrame]) -> None:
    acc = portfolio["accounts"]
    new = acc[pd.to_datetime(acc["start_date"]) >= WINDOW_START]
    ev = portfolio["events"]
    reached = set(ev.loc[ev["event_type"].isin(FIRST_VALUE), "account_id"])
    stalled = new[~new["account_id"].isin(reached)]
    ok = new[new["account_id"].isin(reached)]
    assert len(stalled) >= 5, "some new accounts never reach first value"
    assert len(ok) > len(stalled)
    churned = set(_churn(portfolio).index)
    assert stalled["account_id"].isin(churned).mean() > ok["account_id"].isin(churned).mean() + 0.1


def test_churners_use_the_product_less_before_churn(portfolio: dict[str, pd.DataFrame]) -> None:
    """In the 60 days before a churn, churners use less per seat than peers that stay."""
    ev = portfolio["events"]
    acc = portfolio["accounts"].set_index("account_id")
    seats = acc["seats_purchased"].clip(lower=1)
    all_churn = _churn(portfolio)
    churn = all_churn[all_churn >= WINDOW_START + pd.Timedelta(days=90)]
    retained = seats.index.difference(all_churn.index)
    daily = ev.groupby(["account_id", ev["event_time"].dt.normalize()]).size()
    daily = daily.rename("n").reset_index()
    lower = 0
    for aid, c in churn.items():
        w = daily[(daily["event_time"] >= c - pd.Timedelta(days=60)) & (daily["event_time"] < c)]
        per_seat = (w.groupby("account_id")["n"].sum() / seats).fillna(0.0)
        peers = retained[acc.loc[retained, "segment"] == acc.loc[aid, "segment"]]
        lower += per_seat.get(aid, 0.0) < per_seat.reindex(peers).fillna(0.0).median()
    assert len(churn) >= 15
    assert lower / len(churn) >= 0.6, f"only {lower} of {len(churn)} churners used less"


def test_voice_of_customer_relates_to_churn(portfolio: dict[str, pd.DataFrame]) -> None:
    nps = portfolio["surveys"]
    nps = nps[(nps["survey_type"] == "nps") & nps["score"].notna()]
    churned = nps["account_id"].isin(_churn(portfolio).index)
    assert nps.loc[churned, "score"].mean() < nps.loc[~churned, "score"].mean() - 0.5
    sent = portfolio["surveys"]
    assert sent["responded_at"].isna().mean() > 0.3, "many surveys go unanswered"
    assert (nps["score"] <= 6).sum() > 0 and (nps["score"] >= 9).sum() > 0


def test_promoters_who_never_refer_exist(portfolio: dict[str, pd.DataFrame]) -> None:
    nps = portfolio["surveys"]
    promoters = set(nps.loc[(nps["survey_type"] == "nps") & (nps["score"] >= 9), "account_id"])
    adv = portfolio["advocacy"]
    referrers = set(adv.loc[adv["kind"] == "referral", "account_id"])
    assert len(promoters - referrers) >= 10
    assert len(promoters & set(adv["account_id"])) >= 1


def test_support_has_happy_moments_and_spikes(portfolio: dict[str, pd.DataFrame]) -> None:
    t = portfolio["tickets"]
    hours = (t["resolved_at"] - t["opened_at"]).dt.total_seconds() / 3600
    assert ((t["csat"] == 5) & (hours < 24)).sum() >= 10  # moments to ask for a review
    assert (t["status"].isin(["open", "pending"])).sum() > 0
    assert t["feature"].notna().mean() > 0.7
    weekly = t.groupby(["account_id", t["opened_at"].dt.to_period("W")]).size()
    per_account = weekly.groupby("account_id").mean()
    peak = weekly.groupby("account_id").max()
    assert (peak >= 3 * per_account).sum() >= 5, "some accounts see ticket spikes"


def test_csm_coverage_differs_by_segment(portfolio: dict[str, pd.DataFrame]) -> None:
    seg = portfolio["accounts"].set_index("account_id")["segment"]
    qbr = portfolio["interactions"].query("kind == 'qbr'")
    assert set(seg.loc[qbr["account_id"]]) <= {"enterprise", "mid-market"}
    judged = set(seg.loc[portfolio["judgements"]["account_id"]])
    assert "smb" not in judged and "enterprise" in judged
    measures = set(portfolio["judgements"]["measure"])
    assert {"relationship_quality", "exec_sponsor_engaged"} <= measures
    roles = set(portfolio["contacts"]["role"])
    assert roles == {"admin", "champion", "executive sponsor", "end user"}


def test_unhealthy_accounts_pay_late(portfolio: dict[str, pd.DataFrame]) -> None:
    inv = portfolio["invoices"]
    churned = inv["account_id"].isin(_churn(portfolio).index)
    trouble = (inv["status"] == "overdue") | (inv["failed_attempts"] > 0)
    assert trouble[churned].mean() > trouble[~churned].mean()
    ms = portfolio["milestones"]["status"]
    assert {"done", "missed", "planned"} <= set(ms)
