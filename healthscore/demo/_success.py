"""Outcomes customers chase and give back: success-plan goals, milestones and advocacy."""

from __future__ import annotations

import numpy as np
import pandas as pd

from healthscore.demo import _text as T
from healthscore.demo._accounts import Portfolio
from healthscore.demo._world import sig


def goals_and_milestones(sim: Portfolio) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Success plans: goals and milestones, done more often by healthy accounts."""
    r, A, D = sim.rng("goals"), sim.A, sim.D
    goals: list[tuple] = []
    miles: list[tuple] = []
    for a in range(A):
        if r.random() >= (1.0, 0.7, 0.15)[sim.seg[a]]:
            continue
        end_alive = min(D, sim.churn_day[a])
        plan_day = max(0, sim.start_day[a]) + int(r.integers(5, 60))
        plan_no = 0
        while plan_day < end_alive:
            plan_no += 1
            plan = f"Success plan {sim.date_of(plan_day).year}-{plan_no}"
            for gi in r.choice(len(T.GOALS), int(r.integers(1, 4)), replace=False):
                gid = f"G-{len(goals) + 1:05d}"
                target = plan_day + int(r.integers(120, 240))
                n_m = int(r.integers(3, 5))
                dues = np.linspace(plan_day + 30, target, n_m).astype(int)
                states = []
                for mi, due in enumerate(dues):
                    hd = sim.H[a, min(int(due), D - 1)]
                    if due >= end_alive:
                        status, done_d = ("missed" if due < D else "planned"), None
                    elif r.random() < sig(1.0 + 1.5 * hd):
                        done_d = int(due) - int(r.integers(0, 20))
                        status = "done"
                    else:
                        status, done_d = ("missed" if due < D else "planned"), None
                    if status == "missed" and due >= sim.churn_day[a]:
                        status = "planned"  # nobody tracks a churned account's plan
                    states.append(status)
                    miles.append(
                        (
                            f"M-{len(miles) + 1:06d}",
                            gid,
                            a,
                            T.MILESTONES[mi % len(T.MILESTONES)],
                            sim.date_of(int(due)),
                            sim.date_of(done_d) if done_d is not None else None,
                            status,
                        )
                    )
                if sim.churn_day[a] < D:
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
                        sim.date_of(target),
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
            "account_id": sim.ids[g["a"].to_numpy(dtype=np.int64)],
            "title": g["title"].astype(object),
            "success_plan": g["success_plan"].astype(object),
            "status": g["status"].astype(object),
            "created_at": sim.ts(np.zeros(len(g), dtype=np.int64), g["s"].to_numpy(dtype=np.int64)),
            "target_date": g["target_date"].astype(object),
        }
    )
    mdf = pd.DataFrame(
        {
            "milestone_id": m["milestone_id"].astype(object),
            "goal_id": m["goal_id"].astype(object),
            "account_id": sim.ids[m["a"].to_numpy(dtype=np.int64)],
            "title": m["title"].astype(object),
            "due_date": m["due_date"].astype(object),
            "completed_date": m["completed_date"]
            .astype(object)
            .where(m["completed_date"].notna(), None),
            "status": m["status"].astype(object),
        }
    )
    return gdf, mdf


def advocacy(sim: Portfolio, tickets: pd.DataFrame) -> pd.DataFrame:
    """Referrals, reviews, case studies and reference calls from the willing few."""
    r, D = sim.rng("advocacy"), sim.D
    p = sim.advocacy[:, None] * 0.012 * sig(2.2 * sim.H - 1.8) * sim.alive
    ca, cd = np.nonzero(r.random(p.shape) < p)
    kinds = np.array(["referral", "review", "case_study", "reference_call"], dtype=object)
    k = r.choice(4, len(ca), p=[0.35, 0.35, 0.1, 0.2])
    rows = [(int(a), int(d), kinds[ki]) for a, d, ki in zip(ca, cd, k, strict=True)]
    # Happy support moments (fast fix, CSAT 5) sometimes become reviews when asked.
    acct_index = {aid: i for i, aid in enumerate(sim.ids)}
    res_h = (tickets["resolved_at"] - tickets["opened_at"]).dt.total_seconds() / 3600
    happy = tickets[(tickets["csat"] == 5) & (res_h < 24)]
    for aid, resolved in zip(happy["account_id"], happy["resolved_at"], strict=True):
        a = acct_index[aid]
        if sim.advocacy[a] > 0 and r.random() < 0.15:
            d = (resolved.date() - sim.start).days + int(r.integers(1, 10))
            if d < min(D, sim.churn_day[a]):
                rows.append((a, d, "review"))
    rows.sort()
    out = []
    for a, d, kind in rows:
        c = sim.offset[a] + int(r.integers(0, min(2, sim.n_contacts[a])))
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
            "account_id": sim.ids[df["a"].to_numpy(dtype=np.int64)],
            "contact_id": sim.contact_ids[df["c"].to_numpy(dtype=np.int64)],
            "kind": df["kind"].astype(object),
            "occurred_at": sim.ts(
                np.zeros(len(df), dtype=np.int64), df["s"].to_numpy(dtype=np.int64)
            ),
            "details": df["details"].astype(object),
        }
    )
