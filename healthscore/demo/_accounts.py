"""Accounts as customers: subscriptions (renewals, expansions, churn) and their contacts.

Outcomes follow from the hidden health in `_world`; every other table reads the
resulting seat counts, churn days and contacts from a `Portfolio`.
"""

from __future__ import annotations

import json
import math
from datetime import date

import numpy as np
import pandas as pd

from healthscore.demo import _text as T
from healthscore.demo._world import SEAT_PRICE, SEG, SEGMENTS, World, add_months, sig
from healthscore.store.schema import KINDS


class Portfolio(World):
    """The world plus its commercial outcomes: contracts, seats over time and people."""

    def __init__(self, seed: int, n: int, months: int, end_date: date) -> None:
        super().__init__(seed, n, months, end_date)
        self._subscriptions()
        self._contacts()

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
                    if u < sig(-2.6 - 1.7 * hb + first):
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
                    if u < sig(-4.1 - 1.6 * hb30 + onboarding):
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
        # The demo fills the renewal-row columns; the billing-state ones (status, canceled_at,
        # …) stay empty, as in a ChurnSim export.
        cols = KINDS["subscriptions"].column_names
        self.subs_df = pd.DataFrame(rows, columns=cols[: len(rows[0])]).reindex(columns=cols)
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


def accounts(sim: Portfolio) -> pd.DataFrame:
    """The accounts table as it stands today: current plan, MRR, seats and renewal."""
    r = sim.rng("accounts-props")
    props = [
        json.dumps(
            {
                "region": T.REGIONS[sim.region[a]],
                "employees": int(sim.seats0[a] * r.uniform(3, 12)),
                "currency": "USD",
            }
        )
        for a in range(sim.A)
    ]
    return pd.DataFrame(
        {
            "account_id": sim.ids,
            "name": np.array(sim.names, dtype=object),
            "segment": np.array(SEGMENTS, dtype=object)[sim.seg],
            "plan": sim.plan,
            "industry": np.array(T.INDUSTRIES, dtype=object)[sim.industry],
            "persona": np.array(T.PERSONAS, dtype=object)[sim.persona],
            "mrr": sim.mrr_now,
            "arr": sim.mrr_now * 12,
            "seats_purchased": sim.q_now.astype(np.int32),
            "start_date": sim.dates(sim.start_day),
            "renewal_date": sim.renewal,
            "owner_csm": sim.csm,
            "properties": np.array(props, dtype=object),
        }
    )
