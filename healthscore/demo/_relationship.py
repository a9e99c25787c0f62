"""The CSM relationship and marketing reach: interactions, judgements and engagement."""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import pandas as pd

from healthscore.demo import _text as T
from healthscore.demo._accounts import Portfolio
from healthscore.demo._world import SEG, SEGMENTS, sig


def _cadence(
    sim: Portfolio, r: np.random.Generator, a: int, *, step: int, lead_days: int, jitter: int = 0
) -> Iterator[int]:
    """Days of a recurring CSM moment for account `a` (QBRs, judgements): the first within
    `step` days after its start + `lead_days`, then every `step` (+/- `jitter`) days while the
    account is alive.  Random draws happen lazily, in the caller's order."""
    d = max(0, sim.start_day[a] + lead_days) + int(r.integers(0, step))
    while d < min(sim.D, sim.churn_day[a]):
        yield d
        d += step + (int(r.integers(-jitter, jitter + 1)) if jitter else 0)


def interactions(sim: Portfolio) -> pd.DataFrame:
    """CSM calls, meetings, e-mails and QBRs; coverage follows the segment."""
    r, A, D = sim.rng("interactions"), sim.A, sim.D
    seg = sim.seg[:, None]
    risky = sim.H < -0.7
    rates = {
        "call": np.select([seg == 0, seg == 1], [1 / 14, 1 / 30], 1 / 120)
        + np.where(risky, np.where(seg < 2, 1 / 20, 1 / 60), 0),
        "meeting": np.select([seg == 0, seg == 1], [1 / 30, 1 / 60], 0.0) * np.ones((1, D)),
        "email": np.select([seg == 0, seg == 1], [1 / 7, 1 / 14], 1 / 30) * np.ones((1, D)),
    }
    parts = []
    for kind, lam in rates.items():
        n = r.poisson(lam * sim.alive)
        ca, cd = np.nonzero(n)
        parts.append((kind, ca, cd))
    # QBRs: quarterly for enterprise, twice a year for mid-market.
    qa, qd = [], []
    for a in range(A):
        if sim.seg[a] == 2:
            continue
        for d in _cadence(sim, r, a, step=91 if sim.seg[a] == 0 else 182, lead_days=60):
            qa.append(a)
            qd.append(d)
    parts.append(("qbr", np.array(qa, dtype=np.int64), np.array(qd, dtype=np.int64)))
    rows = []
    for kind, ca, cd in parts:
        for a, d in zip(ca.tolist(), cd.tolist(), strict=True):
            h = sim.H[a, d]
            sentiment = "neg" if h < -0.6 else "pos" if h > 0.7 else "neu"
            inbound = kind in ("call", "email") and r.random() < (0.45 if h < -0.6 else 0.2)
            if kind == "qbr":
                c = sim.offset[a] + sim.n_contacts[a] - 1  # the sponsor (or the last user)
            else:
                c = sim.offset[a] + int(r.integers(0, min(2, sim.n_contacts[a])))
            feat = T.PRODUCT_FEATURES[int(r.integers(0, len(T.PRODUCT_FEATURES)))]
            csm = sim.csm[a]
            sec = int(r.integers(8 * 3600, 18 * 3600))
            rows.append(
                (
                    a,
                    int(c),
                    csm,
                    kind,
                    "inbound" if inbound else "outbound",
                    d * 86400 + sec,
                    T.interaction_note(r, kind, sentiment, feat),
                )
            )
    df = pd.DataFrame(rows, columns=["a", "c", "csm", "kind", "direction", "s", "notes"])
    df = df.sort_values(["s", "a"], kind="stable").reset_index(drop=True)
    return pd.DataFrame(
        {
            "interaction_id": [f"I-{i + 1:06d}" for i in range(len(df))],
            "account_id": sim.ids[df["a"].to_numpy(dtype=np.int64)],
            "contact_id": sim.contact_ids[df["c"].to_numpy(dtype=np.int64)],
            "csm": df["csm"].astype(object),
            "kind": df["kind"].astype(object),
            "direction": df["direction"].astype(object),
            "occurred_at": sim.ts(
                np.zeros(len(df), dtype=np.int64), df["s"].to_numpy(dtype=np.int64)
            ),
            "notes": df["notes"].astype(object),
        }
    )


def judgements(sim: Portfolio) -> pd.DataFrame:
    """CSM judgements for enterprise and mid-market, souring after a champion leaves."""
    r, A = sim.rng("judgements"), sim.A
    rows = []
    for a in range(A):
        if sim.seg[a] == 2:
            continue
        step = 25 if sim.seg[a] == 0 else 45
        for d in _cadence(sim, r, a, step=step, lead_days=14, jitter=5):
            h = sim.H[a, d]
            lost = any(0 <= d - x < 90 for x in sim.champion_left[a])
            sentiment = "neg" if (h < -0.5 or lost) else "pos" if h > 0.6 else "neu"
            sec = int(r.integers(9 * 3600, 19 * 3600))
            vals = [
                (
                    "relationship_quality",
                    float(np.clip(np.round(3.2 + 0.9 * h + r.normal(0, 0.6)), 1, 5)),
                ),
                ("exec_sponsor_engaged", float(r.random() < sig(1.2 * h + 0.3))),
            ]
            if sim.seg[a] == 0:
                champ = 3.3 + 0.8 * h + r.normal(0, 0.7) - 1.5 * lost
                vals.append(("champion_strength", float(np.clip(np.round(champ), 1, 5))))
            for measure, v in vals:
                note = T.judgement_note(r, sentiment) if measure == "relationship_quality" else None
                rows.append((a, measure, v, d * 86400 + sec, note))
    df = pd.DataFrame(rows, columns=["a", "measure", "value", "s", "note"])
    return pd.DataFrame(
        {
            "judgement_id": [f"J-{i + 1:06d}" for i in range(len(df))],
            "account_id": sim.ids[df["a"].to_numpy(dtype=np.int64)],
            "measure": df["measure"].astype(object),
            "value": df["value"].astype(float),
            "recorded_at": sim.ts(
                np.zeros(len(df), dtype=np.int64), df["s"].to_numpy(dtype=np.int64)
            ),
            "csm": sim.csm[df["a"].to_numpy(dtype=np.int64)],
            "note": df["note"].astype(object),
        }
    )


def engagement(sim: Portfolio) -> pd.DataFrame:
    """Marketing engagement: e-mail campaigns, webinars, events and content views."""
    r, D = sim.rng("engagement"), sim.D
    recips = np.array([SEG[SEGMENTS[s]].mail_recipients for s in sim.seg])
    parts = []
    days = np.arange(D)
    doms = np.array([sim.date_of(int(d)).day for d in days])
    for ci, dom in enumerate((3, 17)):
        for d in days[doms == dom]:
            alive = np.nonzero(sim.alive[:, d])[0]
            k = np.minimum(recips[alive], np.minimum(sim.Q[alive, d], sim.n_contacts[alive]))
            a = np.repeat(alive, k)
            c = sim.offset[a] + (np.arange(len(a)) - np.repeat(np.cumsum(k) - k, k))
            h = sim.H[a, d]
            sec = np.full(len(a), 8 * 3600 + ci * 1800)
            opened = r.random(len(a)) < sig(-0.7 + 0.9 * h)
            clicked = opened & (r.random(len(a)) < 0.3 * sig(h))
            osec = sec + r.integers(600, 12 * 3600, len(a))
            csec = osec + r.integers(5, 600, len(a))
            camp = T.CAMPAIGNS[ci]
            parts.append((a, c, np.full(len(a), d), sec, "email_sent", camp))
            parts.append(
                (
                    a[opened],
                    c[opened],
                    np.full(opened.sum(), d),
                    osec[opened],
                    "email_opened",
                    camp,
                )
            )
            parts.append(
                (
                    a[clicked],
                    c[clicked],
                    np.full(clicked.sum(), d),
                    csec[clicked],
                    "email_clicked",
                    camp,
                )
            )
    for wi, d in enumerate(days[doms == 22]):
        alive = np.nonzero(sim.alive[:, d])[0]
        k = np.minimum(recips[alive], np.minimum(sim.Q[alive, d], sim.n_contacts[alive]))
        a = np.repeat(alive, k)
        c = sim.offset[a] + (np.arange(len(a)) - np.repeat(np.cumsum(k) - k, k))
        go = r.random(len(a)) < 0.08 * sig(1.5 * sim.H[a, d])
        kind = "event_attended" if wi % 6 == 5 else "webinar_attended"
        camp = T.WEBINARS[2] if kind == "event_attended" else T.WEBINARS[wi % 2]
        parts.append((a[go], c[go], np.full(go.sum(), d), np.full(go.sum(), 16 * 3600), kind, camp))
    # Content views from the resource library, more by engaged accounts.
    n = r.poisson(0.02 * recips[:, None] * sig(sim.H) * sim.alive)
    ca, cd = np.nonzero(n)
    cnt = n[ca, cd]
    a, d = np.repeat(ca, cnt), np.repeat(cd, cnt)
    c = sim.offset[a] + np.minimum(r.integers(0, 3, len(a)), sim.n_contacts[a] - 1)
    parts.append(
        (a, c, d, r.integers(7 * 3600, 20 * 3600, len(a)), "content_viewed", "Resource library")
    )
    a = np.concatenate([p[0] for p in parts])
    c = np.concatenate([p[1] for p in parts])
    s = np.concatenate([np.asarray(p[2], dtype=np.int64) * 86400 + p[3] for p in parts])
    kinds = np.concatenate([np.full(len(p[0]), p[4], dtype=object) for p in parts])
    camps = np.concatenate([np.full(len(p[0]), p[5], dtype=object) for p in parts])
    order = np.lexsort((c, s))
    n = len(order)
    ids = np.char.add("E-", np.char.zfill(np.arange(1, n + 1).astype(str), 7)).astype(object)
    return pd.DataFrame(
        {
            "engagement_id": ids,
            "account_id": sim.ids[a[order]],
            "contact_id": sim.contact_ids[c[order]],
            "kind": kinds[order],
            "campaign": camps[order],
            "occurred_at": sim.ts(np.zeros(n, dtype=np.int64), s[order]),
        }
    )
