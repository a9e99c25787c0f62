"""Benchmark: `alerts run` with the built-in rules over many accounts.

Two parts, printed separately:

1. The rules engine and the CTA lifecycle at scale: the facts of N accounts (metrics,
   score, band, renewal, detected changes) are drawn at random in the shapes the demo has,
   then every built-in rule is evaluated and the CTAs are written (first run: everything
   opens; second run, next day: re-fires refresh, recoveries auto-resolve).  The store is
   real (DuckDB, every write in one transaction with its history and outbox rows).
2. With --store PATH: a full `run_alerts` on a copy of a real scored store (metrics,
   change detection, calibration, rules, writes), e.g. the demo's.

The metric computation itself is benchmarked by benchmarks/metrics_snapshot.py; a full run
on a store costs that plus part 1.  Every figure is wall time with the process's CPU time
beside it (the machine is shared).  The modules the rules import on first use (the
insights' cadence pulls in scikit-learn) are imported before timing: a one-off per process,
not a cost of the portfolio's size.

    python benchmarks/alerts_run.py --accounts 20000
    python benchmarks/alerts_run.py --accounts 100000 --store demo.duckdb
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import shutil
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

from healthscore.actions import load_rules, run_alerts
from healthscore.actions.engine import evaluate_rules
from healthscore.actions.facts import Facts
from healthscore.actions.run import apply_rules
from healthscore.store import open_store

AS_OF = dt.date(2026, 10, 31)


def synthetic_facts(store, n: int, day: dt.date, seed: int) -> Facts:  # type: ignore[no-untyped-def]
    rng = np.random.default_rng(seed)
    ids = [f"ACC-{i:06d}" for i in range(n)]
    score = np.clip(rng.normal(72, 12, n), 5, 100)
    frame = pd.DataFrame(
        {
            "name": [f"Account {i}" for i in range(n)],
            "segment": rng.choice(["enterprise", "mid-market", "smb"], n, p=[0.2, 0.4, 0.4]),
            "owner": rng.choice([f"CSM {k}" for k in range(max(n // 60, 1))], n),
            "arr": rng.lognormal(10, 1, n).round(0),
            "seats": rng.integers(5, 200, n).astype(float),
            "start_date": pd.to_datetime("2024-01-01")
            + pd.to_timedelta(rng.integers(0, 1000, n), unit="D"),
            "renewal_date": pd.to_datetime(day)
            + pd.to_timedelta(rng.integers(0, 365, n), unit="D"),
            "score": score,
            "band": np.where(score < 60, "red", np.where(score < 75, "yellow", "green")),
            "trend_7d": rng.normal(0, 3, n),
            "trend_30d": rng.normal(0, 6, n),
            "churn_probability": np.clip((100 - score) / 200, 0.01, 0.5),
            "is_active": 1.0,
            "usage_consistency_12w": rng.uniform(0, 1, n),
            "usage_weeks_active_share_12w": rng.uniform(0.3, 1, n),
            "adoption_breadth_90d": rng.uniform(0, 1, n),
            "support_tickets_28d": rng.poisson(1.5, n).astype(float),
            "support_median_resolution_hours_90d": rng.lognormal(3, 1, n),
            "voice_nps_latest": rng.integers(0, 11, n).astype(float),
            "voice_nps_change": rng.integers(-5, 6, n).astype(float),
            "adoption_ttfv_reached": (rng.uniform(0, 1, n) < 0.9).astype(float),
            "relationship_days_since_last_touch": rng.exponential(20, n),
            "judgement_relationship_quality": rng.integers(1, 6, n).astype(float),
            "usage_active_users_per_seat_28d": rng.uniform(0.2, 1.1, n),
            "usage_active_days_28d": rng.uniform(0, 28, n),
            "advocacy_referrals": rng.poisson(0.2, n).astype(float),
            "financial_tenure_days": rng.integers(10, 1000, n).astype(float),
        },
        index=pd.Index(ids, name="account_id"),
    )
    hit = rng.uniform(0, 1, n) < 0.05
    changes = pd.DataFrame(
        {
            "detected_on": day,
            "account_id": np.array(ids)[hit],
            "metric": "usage_active_days_28d",
            "kind": "drop",
            "direction": "down",
            "before_value": 20.0,
            "after_value": 6.0,
            "size": -0.7,
            "z": -5.0,
            "started": day,
            "evidence": "[]",
        }
    )
    return Facts(store, day, frame, changes, {}, day, "synthetic")


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--accounts", type=int, default=20_000)
    ap.add_argument(
        "--store", type=Path, default=None, help="A scored store for a full run (copied first)."
    )
    args = ap.parse_args()
    rules = load_rules()
    import healthscore.predict.insights  # noqa: F401  (a one-off import, see the docstring)

    print(f"machine: {os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f}")
    with tempfile.TemporaryDirectory() as tmp:
        store = open_store(Path(tmp) / "bench.duckdb")
        for i, day in enumerate((AS_OF, AS_OF + dt.timedelta(days=1))):
            facts = synthetic_facts(store, args.accounts, day, seed=i)
            if i == 0:
                t0, c0 = time.perf_counter(), time.process_time()
                fired, failed = evaluate_rules(rules.enabled(), facts)
                took, cpu = time.perf_counter() - t0, time.process_time() - c0
                n = sum(len(f) for f in fired.values())
                print(
                    f"rules evaluated (no writes), {args.accounts:,} accounts: {took:.2f} s "
                    f"(CPU {cpu:.2f} s; {n:,} firings, {len(failed)} rules failed)"
                )
            t0, c0 = time.perf_counter(), time.process_time()
            run = apply_rules(store, facts, rules)
            took, cpu = time.perf_counter() - t0, time.process_time() - c0
            print(
                f"rules + lifecycle, {args.accounts:,} accounts, run {i + 1}: {took:.2f} s "
                f"(CPU {cpu:.2f} s; "
                f"fired {run.fired:,}, opened {run.opened:,}, refreshed {run.updated:,}, "
                f"auto-resolved {run.resolved:,}, deferred {run.deferred:,}, errors {len(run.errors)})"
            )
        store.close()
        if args.store is not None:
            copy = Path(tmp) / "full.duckdb"
            shutil.copy(args.store, copy)
            with open_store(copy) as s:
                t0 = time.perf_counter()
                run = run_alerts(s, None, rules)
                took = time.perf_counter() - t0
                t1 = time.perf_counter()
                again = run_alerts(s, run.as_of, rules)
                took2 = time.perf_counter() - t1
                n = s.con.execute("SELECT count(*) FROM accounts").fetchone()[0]
            print(
                f"full run_alerts on {args.store} ({n:,} accounts): {took:.2f} s "
                f"(opened {run.opened:,}); the same day again: {took2:.2f} s (opened {again.opened})"
            )


if __name__ == "__main__":
    main()
