"""The hidden world: who each account is and how healthy it secretly is, day by day.

Nothing here is a table: every observable table is drawn from this state with noise, in
the module for what it describes.
"""

from __future__ import annotations

import math
import zlib
from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np

from healthscore.demo import _text as T

SEGMENTS = ("enterprise", "mid-market", "smb")


@dataclass(frozen=True)
class _Seg:
    """What a segment buys and how it behaves; most differences between accounts start here."""

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


FEAT = {f: i for i, (f, *_rest) in enumerate(T.FEATURES)}


def add_months(d: date, n: int) -> date:
    """Same day-of-month n months later (clamped to the month's last day)."""
    y, m = divmod(d.month - 1 + n, 12)
    year, month = d.year + y, m + 1
    last = (date(year + month // 12, month % 12 + 1, 1) - timedelta(days=1)).day
    return date(year, month, min(d.day, last))


def sig(x: np.ndarray | float) -> np.ndarray:
    """The logistic link every observable probability is drawn through."""
    return 1.0 / (1.0 + np.exp(-np.asarray(x, dtype=float)))


class World:
    """Calendar, per-component random streams, account traits and the hidden daily health."""

    def __init__(self, seed: int, n: int, months: int, end_date: date) -> None:
        self.seed = seed
        self.A = n
        self.end = end_date
        self.start = add_months(end_date + timedelta(days=1), -months)
        self.D = (end_date - self.start).days + 1
        self.base = np.datetime64(self.start, "D")
        self.end_ts = np.datetime64(end_date + timedelta(days=1), "s")
        self._accounts_base()
        self._health()

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
            feat = FEAT[T.PRODUCT_FEATURES[int(r.integers(0, len(T.PRODUCT_FEATURES)))]]
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
