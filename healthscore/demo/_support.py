"""Support and voice of the customer: tickets and survey responses drawn from hidden health."""

from __future__ import annotations

import numpy as np
import pandas as pd

from healthscore.demo import _text as T
from healthscore.demo._accounts import Portfolio
from healthscore.demo._world import SEG, SEGMENTS, sig


def tickets(sim: Portfolio) -> pd.DataFrame:
    """Support tickets: more when unhappy, onboarding or hit by a bad release."""
    r, D = sim.rng("tickets"), sim.D
    t = np.arange(D)
    weekday = (sim.date_of(0).weekday() + t) % 7
    wk = np.where(weekday < 5, 1.0, 0.3)
    base = np.array([SEG[SEGMENTS[s]].tickets_per_day for s in sim.seg])[:, None]
    age = t[None, :] - sim.start_day[:, None]
    onboarding = 1 + 1.5 * ((age < 45) & sim.new[:, None])
    lam = (base * np.exp(-0.55 * sim.H) * onboarding + sim.spike) * wk[None, :] * sim.alive
    n = r.poisson(lam)
    ca, cd = np.nonzero(n)
    cnt = n[ca, cd]
    ta, td = np.repeat(ca, cnt), np.repeat(cd, cnt)
    N = len(ta)
    h = sim.H[ta, td]
    spiked = sim.spike_feature[ta, td] >= 0
    spiked &= r.random(N) < sim.spike[ta, td] / np.maximum(lam[ta, td], 1e-9)
    cat_p = np.array([0.30, 0.25, 0.10, 0.12, 0.13, 0.10])
    cat = r.choice(len(T.TICKET_CATEGORIES), N, p=cat_p)
    cat = np.where(r.random(N) < 0.2 * np.clip(-h, 0, None), 1, cat)  # more bugs when unhappy
    cat = np.where(spiked, np.where(r.random(N) < 0.7, 1, 5), cat)
    feat = np.array(T.PRODUCT_FEATURES, dtype=object)[r.integers(0, len(T.PRODUCT_FEATURES), N)]
    names = np.array([f for f, *_ in T.FEATURES], dtype=object)
    feat = np.where(spiked, names[np.maximum(sim.spike_feature[ta, td], 0)], feat)
    is_billing = cat == 2
    feat = np.where(is_billing, np.array(None, dtype=object), feat)
    sev = 0.4 * (cat == 1) + 0.3 * np.clip(-h, 0, None) + 0.3 * spiked + r.normal(0, 0.35, N)
    prio = np.select([sev > 0.9, sev > 0.45, sev > -0.25], [3, 2, 1], 0)
    prio_names = np.array(["low", "normal", "high", "urgent"], dtype=object)
    open_sec = np.clip(r.normal(12 * 3600, 3.5 * 3600, N), 0, 86399).astype(np.int64)
    opened = sim.ts(td, open_sec)
    frt_h = r.lognormal(np.log(np.array([16.0, 6.0, 2.0, 0.5])[prio]), 0.7)
    res_med = np.array([8.0, 72.0, 24.0, 120.0, 48.0, 60.0])[cat]
    res_h = np.maximum(r.lognormal(np.log(res_med) - 0.3 * h, 0.8), frt_h + 0.1)
    first_resp = opened + (frt_h * 3600).astype("timedelta64[s]")
    resolved = opened + (res_h * 3600).astype("timedelta64[s]")
    done = resolved < sim.end_ts
    # Tickets of churned accounts do not stay open forever.
    status = np.where(
        done,
        np.where(resolved < sim.end_ts - np.timedelta64(7, "D"), "closed", "resolved"),
        np.where(r.random(N) < 0.5, "open", "pending"),
    ).astype(object)
    fr_ok = first_resp < sim.end_ts
    answered = done & (r.random(N) < 0.45)
    csat = np.clip(
        np.round(4.0 + 0.6 * h - 0.35 * np.log1p(res_h / 24) + r.normal(0, 0.8, N)), 1, 5
    )
    csat = np.where(answered, csat, np.nan)
    escalated = (prio == 3) | ((cat == 1) & (prio == 2) & (r.random(N) < 0.4))
    # Escalated a quarter of the way from first response to resolution; one not escalated
    # by the end of the data is not escalated yet.
    escalated_at = first_resp + ((resolved - first_resp) / 4).astype("timedelta64[s]")
    escalated &= escalated_at < sim.end_ts
    channel = np.array(["email", "chat", "portal", "phone"], dtype=object)[
        r.choice(4, N, p=[0.4, 0.3, 0.2, 0.1])
    ]
    pool = np.maximum(np.minimum(sim.Q[ta, td], sim.n_contacts[ta]), 1)
    requester = sim.offset[ta] + np.minimum(r.integers(0, 5, N), pool - 1)
    sentiment = np.where((h < -0.6) | (prio == 3), "neg", np.where(h > 0.7, "pos", "neu"))
    subjects, bodies = [], []
    for i in range(N):
        s, b = T.ticket_text(
            r, T.TICKET_CATEGORIES[cat[i]], feat[i] or "billing", str(sentiment[i])
        )
        subjects.append(s)
        bodies.append(b)
    order = np.argsort(opened, kind="stable")
    df = pd.DataFrame(
        {
            "account_id": sim.ids[ta],
            "contact_id": sim.contact_ids[requester],
            "opened_at": opened,
            "first_response_at": pd.Series(np.where(fr_ok, first_resp, np.datetime64("NaT"))),
            "resolved_at": pd.Series(np.where(done, resolved, np.datetime64("NaT"))),
            "status": status,
            "priority": prio_names[prio],
            "category": np.array(T.TICKET_CATEGORIES, dtype=object)[cat],
            "channel": channel,
            "csat": csat,
            "escalated": escalated,
            "escalated_at": pd.Series(np.where(escalated, escalated_at, np.datetime64("NaT"))),
            "subject": np.array(subjects, dtype=object),
            "body": np.array(bodies, dtype=object),
            "feature": feat,
        }
    ).iloc[order]
    df.insert(0, "ticket_id", [f"T-{i + 1:06d}" for i in range(len(df))])
    return df.reset_index(drop=True)


def surveys(sim: Portfolio) -> pd.DataFrame:
    """NPS, CSAT and onboarding CES responses, scored from hidden health."""
    r, A, D = sim.rng("surveys"), sim.A, sim.D
    rows: list[tuple] = []
    rec = np.array([SEG[SEGMENTS[s]].nps_recipients for s in sim.seg])
    off = r.integers(0, 91, A)
    for a in range(A):
        pool_days = []
        d = max(0, sim.start_day[a] + 30) + off[a]
        while d < min(D, sim.churn_day[a]):
            pool_days.append(("nps", d, rec[a]))
            d += 91
        d = max(0, sim.start_day[a] + 45) + int(r.integers(0, 182))
        while d < min(D, sim.churn_day[a]):
            pool_days.append(("csat", d, 2))
            d += 182
        if sim.new[a] and 30 <= sim.start_day[a] + 30 < min(D, sim.churn_day[a]):
            pool_days.append(("ces", int(sim.start_day[a] + 30), 1))
        for typ, d, k in pool_days:
            pool = max(1, min(int(sim.Q[a, d]), int(sim.n_contacts[a])))
            who = r.choice(pool, size=min(k, pool), replace=False)
            h = sim.H[a, d]
            for w in who:
                sent_sec = int(r.integers(9 * 3600, 11 * 3600))
                sent = sim.ts(np.array([d]), np.array([sent_sec]))[0]
                answered = r.random() < 0.15 + 0.3 * sig(h)
                delay = np.timedelta64(int(r.exponential(1.5) * 86400) + 600, "s")
                resp = sent + delay
                if (
                    not answered
                    or resp >= sim.end_ts
                    or d + delay / np.timedelta64(1, "D") >= sim.churn_day[a]
                ):
                    rows.append((a, int(sim.offset[a] + w), typ, sent, None, np.nan, None))
                    continue
                if typ == "nps":
                    score = float(np.clip(np.round(7.2 + 1.6 * h + r.normal(0, 1.4)), 0, 10))
                    feat = T.PRODUCT_FEATURES[int(r.integers(0, len(T.PRODUCT_FEATURES)))]
                    comment = T.nps_comment(r, score, feat) if r.random() < 0.55 else None
                elif typ == "csat":
                    score = float(np.clip(np.round(3.7 + 0.8 * h + r.normal(0, 0.8)), 1, 5))
                    comment = T.csat_comment(r, score) if r.random() < 0.4 else None
                else:
                    score = float(np.clip(np.round(5.0 + 1.0 * h + r.normal(0, 1.0)), 1, 7))
                    comment = None
                rows.append((a, int(sim.offset[a] + w), typ, sent, resp, score, comment))
    df = pd.DataFrame(
        rows, columns=["a", "c", "survey_type", "sent_at", "responded_at", "score", "comment"]
    )
    df = df.sort_values(["sent_at", "a", "c"], kind="stable").reset_index(drop=True)
    return pd.DataFrame(
        {
            "response_id": [f"S-{i + 1:06d}" for i in range(len(df))],
            "account_id": sim.ids[df["a"].to_numpy(dtype=np.int64)],
            "contact_id": sim.contact_ids[df["c"].to_numpy(dtype=np.int64)],
            "survey_type": df["survey_type"].astype(object),
            "sent_at": pd.to_datetime(df["sent_at"]),
            "responded_at": pd.to_datetime(df["responded_at"]),
            "score": df["score"].astype(float),
            "comment": df["comment"].astype(object),
        }
    )
