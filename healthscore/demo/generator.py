"""A deterministic synthetic SaaS company: accounts, usage, support, voice, money, outcomes.

Every account carries a *hidden* daily health (a mean-reverting random walk with shocks:
champion leaves, bad experiences, reorgs, positive surprises, and portfolio-wide bad
releases).  Everything observable is drawn from it with noise, so signals are predictive
but imperfect, and outcomes follow from it:

* churn: annual contracts (enterprise, mid-market) decide at each renewal, monthly smb at
  each anniversary, with a probability rising as the health of the last 30-60 days falls;
  most churners wind their usage down sharply in the weeks before (a sudden drop);
* renewals are new subscription rows (flat, expanded or contracted by health); healthy
  annual accounts also expand mid-term; current rows are open-ended (end_date empty);
* onboarding: some new accounts stall and never fire a first-value feature; they are
  less healthy and churn far more;
* bad releases cause ticket spikes about one feature for a third of the accounts;
* only ~40% of accounts ever advocate, so many promoters never refer; fast, CSAT-5
  support moments sometimes turn into reviews;
* CSM coverage follows the segment: QBRs and judgements for enterprise and mid-market,
  tech-touch e-mails for smb, extra calls for accounts in trouble.

The simulation works on account x day numpy arrays; only the small text-bearing tables
loop in Python.  Each component draws from its own seeded stream.
"""

from __future__ import annotations

import json
import math
import zlib
from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np
import pandas as pd

from healthscore.demo import _text as T
from healthscore.store.schema import KINDS

__all__ = ["DEFAULT_END", "SEGMENTS", "generate"]

DEFAULT_END = date(2026, 10, 31)
SEGMENTS = ("enterprise", "mid-market", "smb")


@dataclass(frozen=True)
class _Seg:
    share: float
    seats: tuple[int, int]
    plans: tuple[str, ...]
    discount: tuple[float, float]
    annual: bool  # annual contracts (renewal decisions) vs monthly rolling (smb)
    stall: float  # probability that a new account never reaches first value
    mu: float  # long-run health level
    active: float  # base share of seats active on a weekday
    events_per_user: float
    tickets_per_day: float
    nps_recipients: int
    mail_recipients: int


SEG = {
    "enterprise": _Seg(
        0.15, (60, 400), ("Enterprise",), (0.10, 0.25), True, 0.08, 0.35, 0.22, 1.3, 0.10, 5, 8
    ),
    "mid-market": _Seg(
        0.35, (15, 90), ("Business", "Growth"), (0.0, 0.12), True, 0.15, 0.25, 0.28, 1.2, 0.05, 3, 5
    ),
    "smb": _Seg(
        0.50, (3, 20), ("Growth", "Starter"), (0.0, 0.0), False, 0.25, 0.15, 0.38, 1.0, 0.022, 2, 3
    ),
}
SEAT_PRICE = {"Starter": 25.0, "Growth": 45.0, "Business": 70.0, "Enterprise": 95.0}

_FEAT = {f: i for i, (f, *_rest) in enumerate(T.FEATURES)}
_CATS = ("core", "advanced", "high_impact")
_CAT_FEATS = {c: [f for f, cat, *_ in T.FEATURES if cat == c] for c in _CATS}
_FV_FEATS = [f for f, _c, fv, *_ in T.FEATURES if fv]
_MASK63 = np.uint64((1 << 63) - 1)


def generate(
    seed: int = 7,
    n_accounts: int = 500,
    months: int = 18,
    end_date: date = DEFAULT_END,
) -> dict[str, pd.DataFrame]:
    """One DataFrame per kind of `KINDS`, with exactly the schema's columns.

    Same arguments give identical frames.  Data covers the `months` calendar months
    ending on `end_date`; accounts that started earlier carry their subscription history.
    """
    if n_accounts < 1 or months < 1:
        raise ValueError("n_accounts and months must be at least 1")
    return _Sim(seed, n_accounts, months, end_date).run()


def add_months(d: date, n: int) -> date:
    """Same day-of-month n months later (clamped to the month's last day)."""
    y, m = divmod(d.month - 1 + n, 12)
    year, month = d.year + y, m + 1
    last = (date(year + month // 12, month % 12 + 1, 1) - timedelta(days=1)).day
    return date(year, month, min(d.day, last))


def _sig(x: np.ndarray | float) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-np.asarray(x, dtype=float)))


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


class _Sim:
    def __init__(self, seed: int, n: int, months: int, end_date: date):
        self.seed = seed
        self.A = n
        self.end = end_date
        self.start = add_months(end_date + timedelta(days=1), -months)
        self.D = (end_date - self.start).days + 1
        self.base = np.datetime64(self.start, "D")
        self.end_ts = np.datetime64(end_date + timedelta(days=1), "s")

    # ------------------------------------------------------------------ helpers
    def rng(self, name: str) -> np.random.Generator:
        """An independent stream per component, so tweaking one table leaves the others."""
        return np.random.default_rng([self.seed, zlib.crc32(name.encode())])

    def day_of(self, d: date) -> int:
        return (d - self.start).days

    def date_of(self, day: int) -> date:
        return self.start + timedelta(days=int(day))

    def ts(self, day: np.ndarray, sec: np.ndarray) -> np.ndarray:
        """Naive UTC timestamps from day index + seconds into the day."""
        s = np.asarray(day, dtype=np.int64) * 86400 + np.asarray(sec, dtype=np.int64)
        return (self.base.astype("datetime64[s]") + s.astype("timedelta64[s]")).astype(
            "datetime64[ns]"
        )

    def dates(self, day: np.ndarray) -> np.ndarray:
        return (self.base + np.asarray(day, dtype=np.int64).astype("timedelta64[D]")).astype(object)

    def hmean(self, a: int, t: int, window: int) -> float:
        """Mean hidden health of account a over the `window` days before day t."""
        lo, hi = max(0, t - window), max(1, min(t, self.D))
        lo = min(lo, hi - 1)
        return float((self.cs[a, hi] - self.cs[a, lo]) / (hi - lo))

    # ------------------------------------------------------------------ run
    def run(self) -> dict[str, pd.DataFrame]:
        self._accounts_base()
        self._health()
        self._subscriptions()
        self._contacts()
        frames = {
            "accounts": self._accounts_frame(),
            "contacts": self.contacts_df,
            "subscriptions": self.subs_df,
            "features": self._features_frame(),
            "events": self._events(),
            "tickets": self._tickets(),
            "surveys": self._surveys(),
            "interactions": self._interactions(),
            "judgements": self._judgements(),
            "engagement": self._engagement(),
            "invoices": self._invoices(),
        }
        frames["goals"], frames["milestones"] = self._goals()
        frames["advocacy"] = self._advocacy(frames["tickets"])
        return {k: frames[k][KINDS[k].column_names].reset_index(drop=True) for k in KINDS}

    # ------------------------------------------------------------------ accounts & health
    def _accounts_base(self) -> None:
        r, A, D = self.rng("accounts"), self.A, self.D
        shares = np.array([SEG[s].share for s in SEGMENTS])
        self.seg = r.choice(3, A, p=shares / shares.sum())
        # ~45% were customers before the window; the rest arrive month by month.
        pre = r.random(A) < 0.45
        self.start_day = np.where(pre, -r.integers(20, 1100, A), r.integers(0, max(D - 14, 1), A))
        self.new = ~pre
        lo = np.array([SEG[SEGMENTS[s]].seats[0] for s in self.seg])
        hi = np.array([SEG[SEGMENTS[s]].seats[1] for s in self.seg])
        self.seats0 = np.round(np.exp(r.uniform(np.log(lo), np.log(hi)))).astype(int)
        stall_p = np.array([SEG[SEGMENTS[s]].stall for s in self.seg])
        self.stalled = self.new & (r.random(A) < stall_p)
        mu = np.array([SEG[SEGMENTS[s]].mu for s in self.seg]) + r.normal(0, 0.55, A)
        self.mu = np.where(self.stalled, mu - 0.9, mu)
        self.breadth = r.normal(0, 0.5, A) + 0.4 * self.mu
        # Only some accounts ever advocate: many promoters never refer anyone.
        self.advocacy = np.where(r.random(A) < 0.4, r.uniform(0.5, 1.5, A), 0.0)
        self.industry = r.integers(0, len(T.INDUSTRIES), A)
        self.persona = r.integers(0, len(T.PERSONAS), A)
        self.region = r.integers(0, len(T.REGIONS), A)
        self.plan = np.array(
            [
                SEG[SEGMENTS[s]].plans[int(r.integers(0, len(SEG[SEGMENTS[s]].plans)))]
                for s in self.seg
            ],
            dtype=object,
        )
        self.discount = np.round(
            np.array([r.uniform(*SEG[SEGMENTS[s]].discount) for s in self.seg]), 2
        )
        self.csm = np.array(
            [
                T.CSM_BY_SEGMENT[SEGMENTS[s]][
                    int(r.integers(0, len(T.CSM_BY_SEGMENT[SEGMENTS[s]])))
                ]
                for s in self.seg
            ],
            dtype=object,
        )
        width = max(4, len(str(A)))
        self.ids = np.array([f"ACC-{i + 1:0{width}d}" for i in range(A)], dtype=object)
        self.names = T.company_names(r, A)

    def _health(self) -> None:
        r, A, D = self.rng("health"), self.A, self.D
        theta, sigma, theta_s = 0.03, 0.12, 0.012
        eps = r.normal(0, sigma, (A, D))
        # Negative shocks (champion leaves, bad experience, reorg) and positive surprises.
        neg = r.random((A, D)) < 1.1 / 365
        pos = r.random((A, D)) < 0.6 / 365
        shock = np.where(neg, -r.uniform(0.8, 1.8, (A, D)), 0.0) + np.where(
            pos, r.uniform(0.4, 1.0, (A, D)), 0.0
        )
        na, nd = np.nonzero(neg)
        kinds = r.choice(3, len(na), p=[0.4, 0.3, 0.3])  # champion_left, bad_experience, reorg
        self.champion_left: list[list[int]] = [[] for _ in range(A)]
        for a, d, k in zip(na, nd, kinds, strict=True):
            if k == 0:
                self.champion_left[a].append(int(d))
        # Bad releases hit a third of the accounts at once and cause ticket spikes.
        self.spike = np.zeros((A, D))
        self.spike_feature = np.full((A, D), -1, dtype=np.int64)
        n_rel = max(1, round(2 * D / 550))
        for _ in range(n_rel):
            d0 = int(r.integers(min(30, D - 1), max(D - 30, min(30, D - 1) + 1)))
            hit = r.random(A) < 0.35
            feat = _FEAT[T.PRODUCT_FEATURES[int(r.integers(0, len(T.PRODUCT_FEATURES)))]]
            shock[hit, d0] -= 0.6
            self.spike[hit, d0 : d0 + 21] += np.linspace(
                0.25, 0.02, len(range(d0, min(D, d0 + 21)))
            )
            self.spike_feature[hit, d0 : d0 + 21] = feat
        stationary = sigma / math.sqrt(2 * theta - theta**2)
        base = self.mu + r.normal(0, stationary, A)
        s = np.zeros(A)
        H = np.empty((A, D))
        for t in range(D):
            new = self.start_day == t
            base[new] = self.mu[new] + 0.5  # the honeymoon of a fresh start
            base += theta * (self.mu - base) + eps[:, t]
            s = s * (1 - theta_s) + shock[:, t]
            H[:, t] = base + s
        self.H = H
        self.cs = np.concatenate([np.zeros((A, 1)), np.cumsum(H, axis=1)], axis=1)

    # ------------------------------------------------------------------ subscriptions
    def _subscriptions(self) -> None:
        r, A, D = self.rng("subscriptions"), self.A, self.D
        rows: list[tuple] = []
        self.churn_day = np.full(A, D, dtype=np.int64)
        self.Q = np.zeros((A, D), dtype=np.int64)
        self.max_q = np.zeros(A, dtype=np.int64)
        self.renewal = np.full(A, None, dtype=object)
        self.mrr_now = np.zeros(A)
        self.q_now = np.zeros(A, dtype=np.int64)
        for a in range(A):
            seg = SEG[SEGMENTS[self.seg[a]]]
            start = self.date_of(self.start_day[a])
            plan = self.plan[a]
            price = SEAT_PRICE[plan] * (1 - self.discount[a])
            q = int(self.seats0[a])
            acct_rows: list[list] = []  # [start, end, q]
            if seg.annual:
                n_pre = 0
                while add_months(start, 12 * (n_pre + 1)) <= self.start:
                    n_pre += 1
                for k in range(n_pre):
                    qk = max(1, round(q * 0.88 ** (n_pre - k)))
                    acct_rows.append(
                        [add_months(start, 12 * k), add_months(start, 12 * (k + 1)), qk]
                    )
                acct_rows.append([add_months(start, 12 * n_pre), None, q])
            else:
                acct_rows.append([start, None, q])
            j = 0
            while True:
                j += 1
                m = add_months(start, j)
                if m > self.end:
                    break
                if m <= self.start:
                    continue
                t = self.day_of(m)
                hb, hb30 = self.hmean(a, t, 60), self.hmean(a, t, 30)
                u, u2 = r.random(), r.random()
                new_q = q
                if seg.annual and j % 12 == 0:
                    first = 2.0 if (self.stalled[a] and j == 12) else 0.0
                    if u < _sig(-2.6 - 1.7 * hb + first):
                        acct_rows[-1][1] = m
                        self.churn_day[a] = t
                        break
                    g = hb + r.normal(0, 0.4)
                    if g > 0.5 and u2 < 0.5:
                        new_q = math.ceil(q * (1 + r.uniform(0.1, 0.5)))
                    elif g < -0.2 and u2 < 0.55:
                        new_q = max(1, math.floor(q * (1 - r.uniform(0.1, 0.35))))
                    acct_rows[-1][1] = m
                    acct_rows.append([m, None, new_q])  # renewal is a new row even when flat
                elif seg.annual:
                    if hb30 > 0.7 and u < 0.04:
                        new_q = math.ceil(q * (1 + r.uniform(0.1, 0.3)))
                        acct_rows[-1][1] = m
                        acct_rows.append([m, None, new_q])
                else:
                    onboarding = 1.6 if (self.stalled[a] and j <= 6) else 0.0
                    if u < _sig(-4.1 - 1.6 * hb30 + onboarding):
                        acct_rows[-1][1] = m
                        self.churn_day[a] = t
                        break
                    if hb30 > 0.6 and u2 < 0.04:
                        new_q = q + int(r.integers(1, max(2, q // 3 + 1)))
                    elif hb30 < -0.3 and u2 < 0.06 and q > 1:
                        new_q = q - int(r.integers(1, max(2, q // 3 + 1)))
                    if new_q != q:
                        acct_rows[-1][1] = m
                        acct_rows.append([m, None, new_q])
                q = new_q
            for k, (s0, e0, qk) in enumerate(acct_rows):
                d0 = max(0, self.day_of(s0))
                d1 = D if e0 is None else min(D, self.day_of(e0))
                if d1 > d0:
                    self.Q[a, d0:d1] = qk
                rows.append(
                    (
                        f"SUB-{self.ids[a][4:]}-{k + 1:02d}",
                        self.ids[a],
                        f"Healthscore {plan}",
                        s0,
                        e0,
                        round(qk * price, 2),
                        float(qk),
                        "seats",
                        1,
                        float(self.discount[a]),
                    )
                )
            self.max_q[a] = max(x[2] for x in acct_rows)
            self.q_now[a] = acct_rows[-1][2]
            if self.churn_day[a] == D:
                self.mrr_now[a] = round(self.q_now[a] * price, 2)
                step = 12 if seg.annual else 1
                k = 1
                while add_months(start, step * k) <= self.end:
                    k += 1
                self.renewal[a] = add_months(start, step * k)
        cols = KINDS["subscriptions"].column_names
        self.subs_df = pd.DataFrame(rows, columns=cols)
        days = np.arange(D)
        self.alive = (days[None, :] >= self.start_day[:, None]) & (
            days[None, :] < self.churn_day[:, None]
        )
        # First value: days after start for new accounts; never for stalled ones.
        fv = self.start_day + np.ceil(r.gamma(2.0, 7.0, A)).astype(np.int64)
        self.fv_day = np.where(self.new, np.where(self.stalled, 10**9, fv), -(10**9))

    # ------------------------------------------------------------------ contacts
    def _contacts(self) -> None:
        r, A = self.rng("contacts"), self.A
        has_exec = (self.seg < 2) | (r.random(A) < 0.4)
        n_end = np.maximum(self.max_q - 2, 0)
        self.n_contacts = 2 + n_end + has_exec.astype(int)
        self.offset = np.concatenate([[0], np.cumsum(self.n_contacts)[:-1]])
        N = int(self.n_contacts.sum())
        acct = np.repeat(np.arange(A), self.n_contacts)
        rank = np.arange(N) - self.offset[acct]
        roles = np.full(N, "end user", dtype=object)
        roles[rank == 0] = "admin"
        roles[rank == 1] = "champion"
        last = rank == self.n_contacts[acct] - 1
        roles[last & has_exec[acct]] = "executive sponsor"
        # A user joins when the seat count first exceeds its rank.
        created = np.repeat(self.start_day, self.n_contacts).astype(np.int64)
        for a in range(A):
            qa = self.Q[a]
            if not qa.any():
                continue
            ranks = np.arange(2, 2 + n_end[a])
            first = np.argmax(qa[None, :] > ranks[:, None], axis=1)
            ok = (qa[None, :] > ranks[:, None]).any(axis=1)
            d = np.where(ok, np.maximum(first, self.start_day[a]), self.start_day[a])
            created[self.offset[a] + 2 : self.offset[a] + 2 + n_end[a]] = np.where(
                qa[0] > ranks, self.start_day[a], d
            )
        first_n, last_n = T.person_names(r, N)
        cid = np.char.add("C", np.char.zfill(np.arange(1, N + 1).astype(str), 6)).astype(object)
        domain = np.array(
            [n.lower().replace(" ", "") + ".example" for n in self.names], dtype=object
        )[acct]
        email = (
            pd.Series(first_n).str.lower()
            + "."
            + pd.Series(last_n).str.lower()
            + "."
            + pd.Series(rank).astype(str)
            + "@"
            + pd.Series(domain)
        )
        self.contact_ids = cid
        self.contacts_df = pd.DataFrame(
            {
                "contact_id": cid,
                "account_id": self.ids[acct],
                "email": email.to_numpy(dtype=object),
                "name": (pd.Series(first_n) + " " + pd.Series(last_n)).to_numpy(dtype=object),
                "role": roles,
                "persona": np.array(T.USER_PERSONAS, dtype=object)[
                    r.integers(0, len(T.USER_PERSONAS), N)
                ],
                "created_at": self.ts(created, r.integers(0, 6 * 3600, N)),
                "properties": np.where(
                    r.random(N) < 0.5, '{"locale": "en"}', '{"locale": "de"}'
                ).astype(object),
            }
        )

    def _accounts_frame(self) -> pd.DataFrame:
        r = self.rng("accounts-props")
        props = [
            json.dumps(
                {
                    "region": T.REGIONS[self.region[a]],
                    "employees": int(self.seats0[a] * r.uniform(3, 12)),
                    "currency": "USD",
                }
            )
            for a in range(self.A)
        ]
        return pd.DataFrame(
            {
                "account_id": self.ids,
                "name": np.array(self.names, dtype=object),
                "segment": np.array(SEGMENTS, dtype=object)[self.seg],
                "plan": self.plan,
                "industry": np.array(T.INDUSTRIES, dtype=object)[self.industry],
                "persona": np.array(T.PERSONAS, dtype=object)[self.persona],
                "mrr": self.mrr_now,
                "arr": self.mrr_now * 12,
                "seats_purchased": self.q_now.astype(np.int32),
                "start_date": self.dates(self.start_day),
                "renewal_date": self.renewal,
                "owner_csm": self.csm,
                "properties": np.array(props, dtype=object),
            }
        )

    @staticmethod
    def _features_frame() -> pd.DataFrame:
        return pd.DataFrame(
            [(f, c, fv, d) for f, c, fv, _label, d in T.FEATURES],
            columns=["feature", "category", "first_value", "description"],
        )

    # ------------------------------------------------------------------ events
    def _events(self) -> pd.DataFrame:
        r, A, D = self.rng("events"), self.A, self.D
        t = np.arange(D)
        weekday = (np.array([self.date_of(0).weekday()]) + t) % 7
        wk = np.where(weekday < 5, 1.0, 0.15)
        age = t[None, :] - self.start_day[:, None]
        ramp = np.where(self.new[:, None], np.clip(0.3 + 0.7 * age / 45, 0.3, 1.0), 1.0)
        # Accounts that have decided to leave wind down sharply before the end.
        wind = np.ones((A, D))
        churners = np.nonzero(self.churn_day < D)[0]
        for a in churners:
            if r.random() < 0.75:
                L = int(r.integers(21, 70))
                c = int(self.churn_day[a])
                d0 = max(0, c - L)
                wind[a, d0:c] = np.linspace(1.0, 0.15, c - d0)
        act = np.array([SEG[SEGMENTS[s]].active for s in self.seg])[:, None]
        p = np.clip(act * _sig(0.9 * self.H + 0.2) * wk[None, :] * ramp * wind, 0, 1)
        pool = np.minimum(self.Q, self.n_contacts[:, None]) * self.alive
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
        user = self.offset[ua] + j + shift
        # The executive sponsor (last rank) sits outside the seat pool: sponsors do not log in.
        uh = self.H[ua, ud]
        # Working hours peak around 13:00; the tails wrap into 06:00-22:00 rather than pile up.
        login_sec = (6 * 3600 + r.normal(7 * 3600, 3 * 3600, len(ua)) % (16 * 3600)).astype(
            np.int64
        )
        n_user_days = len(ua)

        lam = np.array([SEG[SEGMENTS[s]].events_per_user for s in self.seg])[ua] * np.exp(0.3 * uh)
        k = r.poisson(lam)
        fa = np.repeat(ua, k)
        fd = np.repeat(ud, k)
        fu = np.repeat(user, k)
        fh = np.repeat(uh, k)
        fsec = np.repeat(login_sec, k) + r.integers(60, 3 * 3600, len(fa))
        feat = self._sample_features(r, fa, fd, fh)
        # self-service: help articles, more while onboarding and when things go badly
        p_help = 0.03 + 0.07 * ((ud - self.start_day[ua] < 60) & self.new[ua]) + 0.04 * (uh < -0.5)
        hm = r.random(n_user_days) < p_help
        # first value: an explicit first use on the day it happens
        fvm = (self.fv_day >= 0) & (self.fv_day < np.minimum(self.churn_day, D))
        fva = np.nonzero(fvm)[0]
        fv_feat = np.array([_FEAT[f] for f in _FV_FEATS])[r.integers(0, len(_FV_FEATS), len(fva))]

        acct = np.concatenate([ua, fa, ua[hm], fva])
        day = np.concatenate([ud, fd, ud[hm], self.fv_day[fva]])
        usr = np.concatenate([user, fu, user[hm], self.offset[fva] + 1])
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
                np.full(n_user_days, _FEAT["login"]),
                feat,
                np.full(int(hm.sum()), _FEAT["help_article_viewed"]),
                fv_feat,
            ]
        )
        value = np.full(len(acct), np.nan)
        value[:n_user_days] = np.round(r.lognormal(2.8, 0.7, n_user_days) * _sig(uh + 1), 1)
        api = etype == _FEAT["api_call"]
        value[api] = r.integers(1, 500, int(api.sum()))
        props = np.full(len(acct), None, dtype=object)
        props[:n_user_days] = np.array(
            ['{"platform": "web"}', '{"platform": "mobile"}'], dtype=object
        )[(r.random(n_user_days) < 0.2).astype(int)]
        hi = np.nonzero(etype == _FEAT["help_article_viewed"])[0]
        articles = np.array([json.dumps({"article": x}) for x in T.HELP_ARTICLES], dtype=object)
        props[hi] = articles[r.integers(0, len(articles), len(hi))]

        secs = day.astype(np.int64) * 86400 + sec
        order = np.lexsort((usr, secs))
        names = np.array([f for f, *_ in T.FEATURES], dtype=object)
        n = len(order)
        return pd.DataFrame(
            {
                "event_key": event_keys(n, self.seed),
                "event_id": np.full(n, None, dtype=object),
                "account_id": self.ids[acct[order]],
                "user_id": self.contact_ids[usr[order]],
                "event_time": self.ts(np.zeros(n, dtype=np.int64), secs[order]),
                "event_type": names[etype[order]],
                "value": value[order],
                "properties": props[order],
            }
        )

    def _sample_features(
        self, r: np.random.Generator, fa: np.ndarray, fd: np.ndarray, fh: np.ndarray
    ) -> np.ndarray:
        """Feature per usage event: healthier, broader accounts use advanced/high-impact more."""
        A = self.A
        adopt_p = _sig(0.5 + 1.2 * self.mu)
        # Per account feature weights inside each category; unadopted features weigh 0.
        weights = {}
        for c in _CATS:
            feats = _CAT_FEATS[c]
            w = r.gamma(1.0, 1.0, (A, len(feats)))
            if c != "core":
                w *= r.random((A, len(feats))) < adopt_p[:, None]
                for i, f in enumerate(feats):
                    if f in _FV_FEATS:
                        w[self.stalled, i] = 0.0  # stalled onboarding: never reaches first value
            weights[c] = w
        # Everyone who reached first value adopted at least one first-value feature.
        fv_cols = {c: [i for i, f in enumerate(_CAT_FEATS[c]) if f in _FV_FEATS] for c in _CATS}
        has_fv = sum(
            (weights[c][:, fv_cols[c]] > 0).sum(axis=1) for c in ("advanced", "high_impact")
        )
        need = (~self.stalled) & (has_fv == 0)
        weights["high_impact"][need, fv_cols["high_impact"][0]] = 1.0
        adv_any = weights["advanced"].sum(axis=1) > 0
        hi_any = weights["high_impact"].sum(axis=1) > 0
        pre_fv = fd < self.fv_day[fa]
        br = self.breadth[fa]
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
            out[m] = np.array([_FEAT[f] for f in _CAT_FEATS[c]])[idx]
        # No first-value feature before first value is reached.
        fv_ids = np.array([_FEAT[f] for f in _FV_FEATS])
        early = np.isin(out, fv_ids) & pre_fv
        out[early] = _FEAT["report_created"]
        return out

    # ------------------------------------------------------------------ support
    def _tickets(self) -> pd.DataFrame:
        r, D = self.rng("tickets"), self.D
        t = np.arange(D)
        weekday = (self.date_of(0).weekday() + t) % 7
        wk = np.where(weekday < 5, 1.0, 0.3)
        base = np.array([SEG[SEGMENTS[s]].tickets_per_day for s in self.seg])[:, None]
        age = t[None, :] - self.start_day[:, None]
        onboarding = 1 + 1.5 * ((age < 45) & self.new[:, None])
        lam = (base * np.exp(-0.55 * self.H) * onboarding + self.spike) * wk[None, :] * self.alive
        n = r.poisson(lam)
        ca, cd = np.nonzero(n)
        cnt = n[ca, cd]
        ta, td = np.repeat(ca, cnt), np.repeat(cd, cnt)
        N = len(ta)
        h = self.H[ta, td]
        spiked = self.spike_feature[ta, td] >= 0
        spiked &= r.random(N) < self.spike[ta, td] / np.maximum(lam[ta, td], 1e-9)
        cat_p = np.array([0.30, 0.25, 0.10, 0.12, 0.13, 0.10])
        cat = r.choice(len(T.TICKET_CATEGORIES), N, p=cat_p)
        cat = np.where(r.random(N) < 0.2 * np.clip(-h, 0, None), 1, cat)  # more bugs when unhappy
        cat = np.where(spiked, np.where(r.random(N) < 0.7, 1, 5), cat)
        feat = np.array(T.PRODUCT_FEATURES, dtype=object)[r.integers(0, len(T.PRODUCT_FEATURES), N)]
        names = np.array([f for f, *_ in T.FEATURES], dtype=object)
        feat = np.where(spiked, names[np.maximum(self.spike_feature[ta, td], 0)], feat)
        is_billing = cat == 2
        feat = np.where(is_billing, np.array(None, dtype=object), feat)
        sev = 0.4 * (cat == 1) + 0.3 * np.clip(-h, 0, None) + 0.3 * spiked + r.normal(0, 0.35, N)
        prio = np.select([sev > 0.9, sev > 0.45, sev > -0.25], [3, 2, 1], 0)
        prio_names = np.array(["low", "normal", "high", "urgent"], dtype=object)
        open_sec = np.clip(r.normal(12 * 3600, 3.5 * 3600, N), 0, 86399).astype(np.int64)
        opened = self.ts(td, open_sec)
        frt_h = r.lognormal(np.log(np.array([16.0, 6.0, 2.0, 0.5])[prio]), 0.7)
        res_med = np.array([8.0, 72.0, 24.0, 120.0, 48.0, 60.0])[cat]
        res_h = np.maximum(r.lognormal(np.log(res_med) - 0.3 * h, 0.8), frt_h + 0.1)
        first_resp = opened + (frt_h * 3600).astype("timedelta64[s]")
        resolved = opened + (res_h * 3600).astype("timedelta64[s]")
        done = resolved < self.end_ts
        # Tickets of churned accounts do not stay open forever.
        status = np.where(
            done,
            np.where(resolved < self.end_ts - np.timedelta64(7, "D"), "closed", "resolved"),
            np.where(r.random(N) < 0.5, "open", "pending"),
        ).astype(object)
        fr_ok = first_resp < self.end_ts
        answered = done & (r.random(N) < 0.45)
        csat = np.clip(
            np.round(4.0 + 0.6 * h - 0.35 * np.log1p(res_h / 24) + r.normal(0, 0.8, N)), 1, 5
        )
        csat = np.where(answered, csat, np.nan)
        escalated = (prio == 3) | ((cat == 1) & (prio == 2) & (r.random(N) < 0.4))
        channel = np.array(["email", "chat", "portal", "phone"], dtype=object)[
            r.choice(4, N, p=[0.4, 0.3, 0.2, 0.1])
        ]
        pool = np.maximum(np.minimum(self.Q[ta, td], self.n_contacts[ta]), 1)
        requester = self.offset[ta] + np.minimum(r.integers(0, 5, N), pool - 1)
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
                "account_id": self.ids[ta],
                "contact_id": self.contact_ids[requester],
                "opened_at": opened,
                "first_response_at": pd.Series(np.where(fr_ok, first_resp, np.datetime64("NaT"))),
                "resolved_at": pd.Series(np.where(done, resolved, np.datetime64("NaT"))),
                "status": status,
                "priority": prio_names[prio],
                "category": np.array(T.TICKET_CATEGORIES, dtype=object)[cat],
                "channel": channel,
                "csat": csat,
                "escalated": escalated,
                "subject": np.array(subjects, dtype=object),
                "body": np.array(bodies, dtype=object),
                "feature": feat,
            }
        ).iloc[order]
        df.insert(0, "ticket_id", [f"T-{i + 1:06d}" for i in range(len(df))])
        return df.reset_index(drop=True)

    # ------------------------------------------------------------------ voice
    def _surveys(self) -> pd.DataFrame:
        r, A, D = self.rng("surveys"), self.A, self.D
        rows: list[tuple] = []
        rec = np.array([SEG[SEGMENTS[s]].nps_recipients for s in self.seg])
        off = r.integers(0, 91, A)
        for a in range(A):
            pool_days = []
            d = max(0, self.start_day[a] + 30) + off[a]
            while d < min(D, self.churn_day[a]):
                pool_days.append(("nps", d, rec[a]))
                d += 91
            d = max(0, self.start_day[a] + 45) + int(r.integers(0, 182))
            while d < min(D, self.churn_day[a]):
                pool_days.append(("csat", d, 2))
                d += 182
            if self.new[a] and 30 <= self.start_day[a] + 30 < min(D, self.churn_day[a]):
                pool_days.append(("ces", int(self.start_day[a] + 30), 1))
            for typ, d, k in pool_days:
                pool = max(1, min(int(self.Q[a, d]), int(self.n_contacts[a])))
                who = r.choice(pool, size=min(k, pool), replace=False)
                h = self.H[a, d]
                for w in who:
                    sent_sec = int(r.integers(9 * 3600, 11 * 3600))
                    sent = self.ts(np.array([d]), np.array([sent_sec]))[0]
                    answered = r.random() < 0.15 + 0.3 * _sig(h)
                    delay = np.timedelta64(int(r.exponential(1.5) * 86400) + 600, "s")
                    resp = sent + delay
                    if (
                        not answered
                        or resp >= self.end_ts
                        or d + delay / np.timedelta64(1, "D") >= self.churn_day[a]
                    ):
                        rows.append((a, int(self.offset[a] + w), typ, sent, None, np.nan, None))
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
                    rows.append((a, int(self.offset[a] + w), typ, sent, resp, score, comment))
        df = pd.DataFrame(
            rows, columns=["a", "c", "survey_type", "sent_at", "responded_at", "score", "comment"]
        )
        df = df.sort_values(["sent_at", "a", "c"], kind="stable").reset_index(drop=True)
        return pd.DataFrame(
            {
                "response_id": [f"S-{i + 1:06d}" for i in range(len(df))],
                "account_id": self.ids[df["a"].to_numpy(dtype=np.int64)],
                "contact_id": self.contact_ids[df["c"].to_numpy(dtype=np.int64)],
                "survey_type": df["survey_type"].astype(object),
                "sent_at": pd.to_datetime(df["sent_at"]),
                "responded_at": pd.to_datetime(df["responded_at"]),
                "score": df["score"].astype(float),
                "comment": df["comment"].astype(object),
            }
        )

    # ------------------------------------------------------------------ relationship
    def _interactions(self) -> pd.DataFrame:
        r, A, D = self.rng("interactions"), self.A, self.D
        seg = self.seg[:, None]
        risky = self.H < -0.7
        rates = {
            "call": np.select([seg == 0, seg == 1], [1 / 14, 1 / 30], 1 / 120)
            + np.where(risky, np.where(seg < 2, 1 / 20, 1 / 60), 0),
            "meeting": np.select([seg == 0, seg == 1], [1 / 30, 1 / 60], 0.0) * np.ones((1, D)),
            "email": np.select([seg == 0, seg == 1], [1 / 7, 1 / 14], 1 / 30) * np.ones((1, D)),
        }
        parts = []
        for kind, lam in rates.items():
            n = r.poisson(lam * self.alive)
            ca, cd = np.nonzero(n)
            parts.append((kind, ca, cd))
        # QBRs: quarterly for enterprise, twice a year for mid-market.
        qa, qd = [], []
        for a in range(A):
            if self.seg[a] == 2:
                continue
            step = 91 if self.seg[a] == 0 else 182
            d = max(0, self.start_day[a] + 60) + int(r.integers(0, step))
            while d < min(D, self.churn_day[a]):
                qa.append(a)
                qd.append(d)
                d += step
        parts.append(("qbr", np.array(qa, dtype=np.int64), np.array(qd, dtype=np.int64)))
        rows = []
        for kind, ca, cd in parts:
            for a, d in zip(ca.tolist(), cd.tolist(), strict=True):
                h = self.H[a, d]
                sentiment = "neg" if h < -0.6 else "pos" if h > 0.7 else "neu"
                inbound = kind in ("call", "email") and r.random() < (0.45 if h < -0.6 else 0.2)
                if kind == "qbr":
                    c = self.offset[a] + self.n_contacts[a] - 1  # the sponsor (or the last user)
                else:
                    c = self.offset[a] + int(r.integers(0, min(2, self.n_contacts[a])))
                feat = T.PRODUCT_FEATURES[int(r.integers(0, len(T.PRODUCT_FEATURES)))]
                csm = self.csm[a]
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
                "account_id": self.ids[df["a"].to_numpy(dtype=np.int64)],
                "contact_id": self.contact_ids[df["c"].to_numpy(dtype=np.int64)],
                "csm": df["csm"].astype(object),
                "kind": df["kind"].astype(object),
                "direction": df["direction"].astype(object),
                "occurred_at": self.ts(
                    np.zeros(len(df), dtype=np.int64), df["s"].to_numpy(dtype=np.int64)
                ),
                "notes": df["notes"].astype(object),
            }
        )

    def _judgements(self) -> pd.DataFrame:
        r, A, D = self.rng("judgements"), self.A, self.D
        rows = []
        for a in range(A):
            if self.seg[a] == 2:
                continue
            step = 25 if self.seg[a] == 0 else 45
            d = max(0, self.start_day[a] + 14) + int(r.integers(0, step))
            while d < min(D, self.churn_day[a]):
                h = self.H[a, d]
                lost = any(0 <= d - x < 90 for x in self.champion_left[a])
                sentiment = "neg" if (h < -0.5 or lost) else "pos" if h > 0.6 else "neu"
                sec = int(r.integers(9 * 3600, 19 * 3600))
                vals = [
                    (
                        "relationship_quality",
                        float(np.clip(np.round(3.2 + 0.9 * h + r.normal(0, 0.6)), 1, 5)),
                    ),
                    ("exec_sponsor_engaged", float(r.random() < _sig(1.2 * h + 0.3))),
                ]
                if self.seg[a] == 0:
                    champ = 3.3 + 0.8 * h + r.normal(0, 0.7) - 1.5 * lost
                    vals.append(("champion_strength", float(np.clip(np.round(champ), 1, 5))))
                for measure, v in vals:
                    note = (
                        T.judgement_note(r, sentiment)
                        if measure == "relationship_quality"
                        else None
                    )
                    rows.append((a, measure, v, d * 86400 + sec, note))
                d += step + int(r.integers(-5, 6))
        df = pd.DataFrame(rows, columns=["a", "measure", "value", "s", "note"])
        return pd.DataFrame(
            {
                "judgement_id": [f"J-{i + 1:06d}" for i in range(len(df))],
                "account_id": self.ids[df["a"].to_numpy(dtype=np.int64)],
                "measure": df["measure"].astype(object),
                "value": df["value"].astype(float),
                "recorded_at": self.ts(
                    np.zeros(len(df), dtype=np.int64), df["s"].to_numpy(dtype=np.int64)
                ),
                "csm": self.csm[df["a"].to_numpy(dtype=np.int64)],
                "note": df["note"].astype(object),
            }
        )

    def _engagement(self) -> pd.DataFrame:
        r, D = self.rng("engagement"), self.D
        recips = np.array([SEG[SEGMENTS[s]].mail_recipients for s in self.seg])
        parts = []
        days = np.arange(D)
        doms = np.array([self.date_of(int(d)).day for d in days])
        for ci, dom in enumerate((3, 17)):
            for d in days[doms == dom]:
                alive = np.nonzero(self.alive[:, d])[0]
                k = np.minimum(recips[alive], np.minimum(self.Q[alive, d], self.n_contacts[alive]))
                a = np.repeat(alive, k)
                c = self.offset[a] + (np.arange(len(a)) - np.repeat(np.cumsum(k) - k, k))
                h = self.H[a, d]
                sec = np.full(len(a), 8 * 3600 + ci * 1800)
                opened = r.random(len(a)) < _sig(-0.7 + 0.9 * h)
                clicked = opened & (r.random(len(a)) < 0.3 * _sig(h))
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
            alive = np.nonzero(self.alive[:, d])[0]
            k = np.minimum(recips[alive], np.minimum(self.Q[alive, d], self.n_contacts[alive]))
            a = np.repeat(alive, k)
            c = self.offset[a] + (np.arange(len(a)) - np.repeat(np.cumsum(k) - k, k))
            go = r.random(len(a)) < 0.08 * _sig(1.5 * self.H[a, d])
            kind = "event_attended" if wi % 6 == 5 else "webinar_attended"
            camp = T.WEBINARS[2] if kind == "event_attended" else T.WEBINARS[wi % 2]
            parts.append(
                (a[go], c[go], np.full(go.sum(), d), np.full(go.sum(), 16 * 3600), kind, camp)
            )
        # Content views from the resource library, more by engaged accounts.
        n = r.poisson(0.02 * recips[:, None] * _sig(self.H) * self.alive)
        ca, cd = np.nonzero(n)
        cnt = n[ca, cd]
        a, d = np.repeat(ca, cnt), np.repeat(cd, cnt)
        c = self.offset[a] + np.minimum(r.integers(0, 3, len(a)), self.n_contacts[a] - 1)
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
                "account_id": self.ids[a[order]],
                "contact_id": self.contact_ids[c[order]],
                "kind": kinds[order],
                "campaign": camps[order],
                "occurred_at": self.ts(np.zeros(n, dtype=np.int64), s[order]),
            }
        )

    # ------------------------------------------------------------------ money
    def _invoices(self) -> pd.DataFrame:
        r, D = self.rng("invoices"), self.D
        rows = []
        subs = self.subs_df
        acct_index = {aid: i for i, aid in enumerate(self.ids)}
        for sub in subs.itertuples(index=False):
            a = acct_index[sub.account_id]
            k = 0
            while True:
                issued = add_months(sub.start_date, k)
                k += 1
                if sub.end_date is not None and issued >= sub.end_date:
                    break
                if issued > self.end:
                    break
                d = self.day_of(issued)
                if d < 0:
                    continue
                h = self.H[a, min(d, D - 1)]
                card = self.seg[a] == 2
                due = issued + timedelta(days=0 if card else 30)
                failed = 0
                if card:
                    if r.random() < 0.03 + 0.25 * _sig(-2.5 * h - 2.0):
                        failed = int(r.integers(1, 4))
                    lag = 0 if failed == 0 else int(r.integers(2, 12))
                    if failed and r.random() < 0.25 + 0.4 * (self.churn_day[a] - d < 45):
                        lag = 10**6  # never paid
                else:
                    lag = int(max(0, round(r.normal(22 - 12 * h, 8))))
                    if self.churn_day[a] - d < 60 and r.random() < 0.4:
                        lag = 10**6
                paid = issued + timedelta(days=lag) if lag < 10**5 else None
                if paid is not None and paid > self.end:
                    paid = None
                status = "paid" if paid else ("overdue" if due < self.end else "open")
                rows.append((a, issued, due, paid, float(sub.mrr), failed, status))
        df = pd.DataFrame(
            rows,
            columns=[
                "a",
                "issued_date",
                "due_date",
                "paid_date",
                "amount",
                "failed_attempts",
                "status",
            ],
        )
        df = df.sort_values(["issued_date", "a"], kind="stable").reset_index(drop=True)
        return pd.DataFrame(
            {
                "invoice_id": [f"INV-{i + 1:06d}" for i in range(len(df))],
                "account_id": self.ids[df["a"].to_numpy(dtype=np.int64)],
                "issued_date": df["issued_date"].astype(object),
                "due_date": df["due_date"].astype(object),
                "paid_date": df["paid_date"].astype(object).where(df["paid_date"].notna(), None),
                "amount": df["amount"],
                "currency": "USD",
                "failed_attempts": df["failed_attempts"].astype(np.int32),
                "status": df["status"].astype(object),
            }
        )

    # ------------------------------------------------------------------ goals
    def _goals(self) -> tuple[pd.DataFrame, pd.DataFrame]:
        r, A, D = self.rng("goals"), self.A, self.D
        goals: list[tuple] = []
        miles: list[tuple] = []
        for a in range(A):
            if r.random() >= (1.0, 0.7, 0.15)[self.seg[a]]:
                continue
            end_alive = min(D, self.churn_day[a])
            plan_day = max(0, self.start_day[a]) + int(r.integers(5, 60))
            plan_no = 0
            while plan_day < end_alive:
                plan_no += 1
                plan = f"Success plan {self.date_of(plan_day).year}-{plan_no}"
                for gi in r.choice(len(T.GOALS), int(r.integers(1, 4)), replace=False):
                    gid = f"G-{len(goals) + 1:05d}"
                    target = plan_day + int(r.integers(120, 240))
                    n_m = int(r.integers(3, 5))
                    dues = np.linspace(plan_day + 30, target, n_m).astype(int)
                    states = []
                    for mi, due in enumerate(dues):
                        hd = self.H[a, min(int(due), D - 1)]
                        if due >= end_alive:
                            status, done_d = ("missed" if due < D else "planned"), None
                        elif r.random() < _sig(1.0 + 1.5 * hd):
                            done_d = int(due) - int(r.integers(0, 20))
                            status = "done"
                        else:
                            status, done_d = ("missed" if due < D else "planned"), None
                        if status == "missed" and due >= self.churn_day[a]:
                            status = "planned"  # nobody tracks a churned account's plan
                        states.append(status)
                        miles.append(
                            (
                                f"M-{len(miles) + 1:06d}",
                                gid,
                                a,
                                T.MILESTONES[mi % len(T.MILESTONES)],
                                self.date_of(int(due)),
                                self.date_of(done_d) if done_d is not None else None,
                                status,
                            )
                        )
                    if self.churn_day[a] < D:
                        gstatus = "abandoned"
                    elif all(s == "done" for s in states):
                        gstatus = "achieved"
                    elif "missed" in states:
                        gstatus = "at_risk"
                    else:
                        gstatus = "open"
                    goals.append(
                        (
                            gid,
                            a,
                            T.GOALS[gi],
                            plan,
                            plan_day * 86400 + int(r.integers(9 * 3600, 17 * 3600)),
                            self.date_of(target),
                            gstatus,
                        )
                    )
                plan_day += int(r.integers(300, 400))
        g = pd.DataFrame(
            goals, columns=["goal_id", "a", "title", "success_plan", "s", "target_date", "status"]
        )
        m = pd.DataFrame(
            miles,
            columns=[
                "milestone_id",
                "goal_id",
                "a",
                "title",
                "due_date",
                "completed_date",
                "status",
            ],
        )
        gdf = pd.DataFrame(
            {
                "goal_id": g["goal_id"].astype(object),
                "account_id": self.ids[g["a"].to_numpy(dtype=np.int64)],
                "title": g["title"].astype(object),
                "success_plan": g["success_plan"].astype(object),
                "status": g["status"].astype(object),
                "created_at": self.ts(
                    np.zeros(len(g), dtype=np.int64), g["s"].to_numpy(dtype=np.int64)
                ),
                "target_date": g["target_date"].astype(object),
            }
        )
        mdf = pd.DataFrame(
            {
                "milestone_id": m["milestone_id"].astype(object),
                "goal_id": m["goal_id"].astype(object),
                "account_id": self.ids[m["a"].to_numpy(dtype=np.int64)],
                "title": m["title"].astype(object),
                "due_date": m["due_date"].astype(object),
                "completed_date": m["completed_date"]
                .astype(object)
                .where(m["completed_date"].notna(), None),
                "status": m["status"].astype(object),
            }
        )
        return gdf, mdf

    # ------------------------------------------------------------------ advocacy
    def _advocacy(self, tickets: pd.DataFrame) -> pd.DataFrame:
        r, D = self.rng("advocacy"), self.D
        p = self.advocacy[:, None] * 0.012 * _sig(2.2 * self.H - 1.8) * self.alive
        ca, cd = np.nonzero(r.random(p.shape) < p)
        kinds = np.array(["referral", "review", "case_study", "reference_call"], dtype=object)
        k = r.choice(4, len(ca), p=[0.35, 0.35, 0.1, 0.2])
        rows = [(int(a), int(d), kinds[ki]) for a, d, ki in zip(ca, cd, k, strict=True)]
        # Happy support moments (fast fix, CSAT 5) sometimes become reviews when asked.
        acct_index = {aid: i for i, aid in enumerate(self.ids)}
        res_h = (tickets["resolved_at"] - tickets["opened_at"]).dt.total_seconds() / 3600
        happy = tickets[(tickets["csat"] == 5) & (res_h < 24)]
        for aid, resolved in zip(happy["account_id"], happy["resolved_at"], strict=True):
            a = acct_index[aid]
            if self.advocacy[a] > 0 and r.random() < 0.15:
                d = (resolved.date() - self.start).days + int(r.integers(1, 10))
                if d < min(D, self.churn_day[a]):
                    rows.append((a, d, "review"))
        rows.sort()
        out = []
        for a, d, kind in rows:
            c = self.offset[a] + int(r.integers(0, min(2, self.n_contacts[a])))
            if kind == "review":
                detail = (
                    f"{T.REVIEW_SITES[int(r.integers(0, 3))]} review, {int(r.integers(4, 6))} stars"
                )
            elif kind == "referral":
                detail = f"Referred {T.company_names(r, 1)[0]}"
            elif kind == "case_study":
                detail = "Published customer story"
            else:
                detail = "Reference call with a prospect"
            out.append((a, int(c), kind, d * 86400 + int(r.integers(9 * 3600, 18 * 3600)), detail))
        df = pd.DataFrame(out, columns=["a", "c", "kind", "s", "details"]).sort_values(
            "s", kind="stable"
        )
        return pd.DataFrame(
            {
                "advocacy_id": [f"ADV-{i + 1:05d}" for i in range(len(df))],
                "account_id": self.ids[df["a"].to_numpy(dtype=np.int64)],
                "contact_id": self.contact_ids[df["c"].to_numpy(dtype=np.int64)],
                "kind": df["kind"].astype(object),
                "occurred_at": self.ts(
                    np.zeros(len(df), dtype=np.int64), df["s"].to_numpy(dtype=np.int64)
                ),
                "details": df["details"].astype(object),
            }
        )
