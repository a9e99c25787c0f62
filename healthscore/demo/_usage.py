"""Product usage: the feature catalogue and the event stream drawn from hidden health."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd

from healthscore.demo import _text as T
from healthscore.demo._accounts import Portfolio
from healthscore.demo._world import FEAT, SEG, SEGMENTS, sig

_CATS = ("core", "advanced", "high_impact")
_CAT_FEATS = {c: [f for f, cat, *_ in T.FEATURES if cat == c] for c in _CATS}
_FV_FEATS = [f for f, _c, fv, *_ in T.FEATURES if fv]
_MASK63 = np.uint64((1 << 63) - 1)


def features() -> pd.DataFrame:
    """The feature catalogue, so event types can be told apart by category and first value."""
    return pd.DataFrame(
        [(f, c, fv, d, T.SYNONYMS.get(f)) for f, c, fv, _label, d in T.FEATURES],
        columns=["feature", "category", "first_value", "description", "synonyms"],
    )


def event_keys(n: int, seed: int) -> np.ndarray:
    """Distinct deterministic 63-bit keys for rows 0..n-1 (a bijective mix of the index)."""
    with np.errstate(over="ignore"):
        x = (
            np.arange(n, dtype=np.uint64) + np.uint64(seed % (1 << 31)) * np.uint64(1 << 32)
        ) & _MASK63
        for mult in (0x5DEECE66D2B7E151, 0x2545F4914F6CDD1D):
            x = (x * np.uint64(mult | 1)) & _MASK63
            x ^= x >> np.uint64(29)
    return x


def events(sim: Portfolio) -> pd.DataFrame:
    """Product usage: logins, feature use, help articles and first-value moments."""
    r, A, D = sim.rng("events"), sim.A, sim.D
    t = np.arange(D)
    weekday = (np.array([sim.date_of(0).weekday()]) + t) % 7
    wk = np.where(weekday < 5, 1.0, 0.15)
    age = t[None, :] - sim.start_day[:, None]
    ramp = np.where(sim.new[:, None], np.clip(0.3 + 0.7 * age / 45, 0.3, 1.0), 1.0)
    # Accounts that have decided to leave wind down sharply before the end.
    wind = np.ones((A, D))
    churners = np.nonzero(sim.churn_day < D)[0]
    for a in churners:
        if r.random() < 0.75:
            L = int(r.integers(21, 70))
            c = int(sim.churn_day[a])
            d0 = max(0, c - L)
            wind[a, d0:c] = np.linspace(1.0, 0.15, c - d0)
    act = np.array([SEG[SEGMENTS[s]].active for s in sim.seg])[:, None]
    p = np.clip(act * sig(0.9 * sim.H + 0.2) * wk[None, :] * ramp * wind, 0, 1)
    pool = np.minimum(sim.Q, sim.n_contacts[:, None]) * sim.alive
    n_au = r.binomial(pool, p)
    ca, cd = np.nonzero(n_au)
    cnt = n_au[ca, cd]
    # user-days: distinct users per account-day, skewed towards the low ranks (power users).
    ua = np.repeat(ca, cnt)
    ud = np.repeat(cd, cnt)
    start_idx = np.repeat(np.cumsum(cnt) - cnt, cnt)
    j = np.arange(len(ua)) - start_idx
    slack = np.repeat(pool[ca, cd] - cnt, cnt)
    shift = np.floor((slack + 1) * np.repeat(r.random(len(ca)), cnt) ** 2).astype(np.int64)
    user = sim.offset[ua] + j + shift
    # The executive sponsor (last rank) sits outside the seat pool: sponsors do not log in.
    uh = sim.H[ua, ud]
    # Working hours peak around 13:00; the tails wrap into 06:00-22:00 rather than pile up.
    login_sec = (6 * 3600 + r.normal(7 * 3600, 3 * 3600, len(ua)) % (16 * 3600)).astype(np.int64)
    n_user_days = len(ua)

    lam = np.array([SEG[SEGMENTS[s]].events_per_user for s in sim.seg])[ua] * np.exp(0.3 * uh)
    k = r.poisson(lam)
    fa = np.repeat(ua, k)
    fd = np.repeat(ud, k)
    fu = np.repeat(user, k)
    fh = np.repeat(uh, k)
    fsec = np.repeat(login_sec, k) + r.integers(60, 3 * 3600, len(fa))
    feat = _sample_features(sim, r, fa, fd, fh)
    # self-service: help articles, more while onboarding and when things go badly
    p_help = 0.03 + 0.07 * ((ud - sim.start_day[ua] < 60) & sim.new[ua]) + 0.04 * (uh < -0.5)
    hm = r.random(n_user_days) < p_help
    # first value: an explicit first use on the day it happens
    fvm = (sim.fv_day >= 0) & (sim.fv_day < np.minimum(sim.churn_day, D))
    fva = np.nonzero(fvm)[0]
    fv_feat = np.array([FEAT[f] for f in _FV_FEATS])[r.integers(0, len(_FV_FEATS), len(fva))]

    acct = np.concatenate([ua, fa, ua[hm], fva])
    day = np.concatenate([ud, fd, ud[hm], sim.fv_day[fva]])
    usr = np.concatenate([user, fu, user[hm], sim.offset[fva] + 1])
    sec = np.concatenate(
        [
            login_sec,
            np.minimum(fsec, 86399),
            np.minimum(login_sec[hm] + r.integers(30, 1800, int(hm.sum())), 86399),
            np.full(len(fva), 15 * 3600),
        ]
    )
    etype = np.concatenate(
        [
            np.full(n_user_days, FEAT["login"]),
            feat,
            np.full(int(hm.sum()), FEAT["help_article_viewed"]),
            fv_feat,
        ]
    )
    value = np.full(len(acct), np.nan)
    value[:n_user_days] = np.round(r.lognormal(2.8, 0.7, n_user_days) * sig(uh + 1), 1)
    api = etype == FEAT["api_call"]
    value[api] = r.integers(1, 500, int(api.sum()))
    props = np.full(len(acct), None, dtype=object)
    props[:n_user_days] = np.array(['{"platform": "web"}', '{"platform": "mobile"}'], dtype=object)[
        (r.random(n_user_days) < 0.2).astype(int)
    ]
    hi = np.nonzero(etype == FEAT["help_article_viewed"])[0]
    articles = np.array([json.dumps({"article": x}) for x in T.HELP_ARTICLES], dtype=object)
    props[hi] = articles[r.integers(0, len(articles), len(hi))]

    secs = day.astype(np.int64) * 86400 + sec
    order = np.lexsort((usr, secs))
    names = np.array([f for f, *_ in T.FEATURES], dtype=object)
    n = len(order)
    return pd.DataFrame(
        {
            "event_key": event_keys(n, sim.seed),
            "event_id": np.full(n, None, dtype=object),
            "account_id": sim.ids[acct[order]],
            "user_id": sim.contact_ids[usr[order]],
            "event_time": sim.ts(np.zeros(n, dtype=np.int64), secs[order]),
            "event_type": names[etype[order]],
            "value": value[order],
            "properties": props[order],
        }
    )


def _sample_features(
    sim: Portfolio, r: np.random.Generator, fa: np.ndarray, fd: np.ndarray, fh: np.ndarray
) -> np.ndarray:
    """Feature per usage event: healthier, broader accounts use advanced/high-impact more."""
    A = sim.A
    adopt_p = sig(0.5 + 1.2 * sim.mu)
    # Per account feature weights inside each category; unadopted features weigh 0.
    weights = {}
    for c in _CATS:
        feats = _CAT_FEATS[c]
        w = r.gamma(1.0, 1.0, (A, len(feats)))
        if c != "core":
            w *= r.random((A, len(feats))) < adopt_p[:, None]
            for i, f in enumerate(feats):
                if f in _FV_FEATS:
                    w[sim.stalled, i] = 0.0  # stalled onboarding: never reaches first value
        weights[c] = w
    # Everyone who reached first value adopted at least one first-value feature.
    fv_cols = {c: [i for i, f in enumerate(_CAT_FEATS[c]) if f in _FV_FEATS] for c in _CATS}
    has_fv = sum((weights[c][:, fv_cols[c]] > 0).sum(axis=1) for c in ("advanced", "high_impact"))
    need = (~sim.stalled) & (has_fv == 0)
    weights["high_impact"][need, fv_cols["high_impact"][0]] = 1.0
    adv_any = weights["advanced"].sum(axis=1) > 0
    hi_any = weights["high_impact"].sum(axis=1) > 0
    pre_fv = fd < sim.fv_day[fa]
    br = sim.breadth[fa]
    l_adv = np.where(adv_any[fa], -1.3 + 0.5 * fh + br - 1.0 * pre_fv, -np.inf)
    l_hi = np.where(hi_any[fa], -2.2 + 0.8 * fh + br - 1.0 * pre_fv, -np.inf)
    e_core, e_adv, e_hi = np.ones(len(fa)), np.exp(l_adv), np.exp(l_hi)
    tot = e_core + e_adv + e_hi
    u = r.random(len(fa)) * tot
    cat = np.where(u < e_core, 0, np.where(u < e_core + e_adv, 1, 2))
    out = np.empty(len(fa), dtype=np.int64)
    for ci, c in enumerate(_CATS):
        m = np.nonzero(cat == ci)[0]
        w = weights[c][fa[m]]
        cum = np.cumsum(w, axis=1)
        uu = r.random(len(m)) * cum[:, -1]
        idx = (uu[:, None] >= cum).sum(axis=1)
        idx = np.minimum(idx, len(_CAT_FEATS[c]) - 1)
        out[m] = np.array([FEAT[f] for f in _CAT_FEATS[c]])[idx]
    # No first-value feature before first value is reached.
    fv_ids = np.array([FEAT[f] for f in _FV_FEATS])
    early = np.isin(out, fv_ids) & pre_fv
    out[early] = FEAT["report_created"]
    return out
