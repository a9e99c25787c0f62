"""Web latency: 20,000 accounts with a year of weekly scores, 10 concurrent clients.

Builds the demo portfolio for BASE accounts with 52 scored weeks, then multiplies it to
20,000 accounts by copying every account's rows (accounts, subscriptions, tickets,
surveys, interactions, judgements, invoices, goals, milestones, contacts and all three
score tables) under new ids, so the score tables hold 20,000 accounts x 52 weeks.
Product events are NOT multiplied (the copies have none): the events table keeps the
base portfolio's rows, so the account page's weekly-usage read scans a smaller table than
a real 20,000-account store would have.

Then it starts `healthscore serve` on the store and runs 10 client threads (httpx over
loopback) for a fixed number of requests each, and prints p50/p95 of the response time
(loopback: ~ server time) per route, and the time of one scorecard preview.

    .venv/bin/python benchmarks/web_latency.py [--base 400] [--requests 30]
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "web"))
from server import serving  # noqa: E402

CLONED = (
    "accounts",
    "contacts",
    "subscriptions",
    "tickets",
    "surveys",
    "interactions",
    "judgements",
    "engagement",
    "invoices",
    "goals",
    "milestones",
    "advocacy",
    "score_snapshots",
    "score_groups",
    "score_measures",
)
# key columns that must stay unique in the copies (besides account_id)
KEYS = {
    "contacts": ["contact_id"],
    "subscriptions": ["subscription_id"],
    "tickets": ["ticket_id", "contact_id"],
    "surveys": ["response_id", "contact_id"],
    "interactions": ["interaction_id", "contact_id"],
    "judgements": ["judgement_id"],
    "engagement": ["engagement_id", "contact_id"],
    "invoices": ["invoice_id"],
    "goals": ["goal_id"],
    "milestones": ["milestone_id", "goal_id"],
    "advocacy": ["advocacy_id", "contact_id"],
}


def build(db: Path, base: int, target: int) -> dict[str, float]:
    import duckdb

    from healthscore.auth import add_user
    from healthscore.auth.keys import create_key
    from healthscore.demo import build_and_score
    from healthscore.store import open_store

    t0 = time.perf_counter()
    with open_store(db) as store:
        build_and_score(store, seed=7, n_accounts=base, months=13, weeks=52)
    t1 = time.perf_counter()
    copies = -(-target // base) - 1
    con = duckdb.connect(str(db))
    n = con.execute("SELECT count(*) FROM accounts").fetchone()[0]  # type: ignore[index]
    con.execute(f"CREATE TEMP TABLE k AS SELECT range AS k FROM range(1, {copies + 1})")
    for t in CLONED:
        cols = [r[0] for r in con.execute(f"DESCRIBE {t}").fetchall()]
        remap = {"account_id", *KEYS.get(t, [])}
        sel = ", ".join(
            f"CASE WHEN {c} IS NULL THEN NULL ELSE {c} || '-c' || k END AS {c}" if c in remap else c
            for c in cols
        )
        con.execute(f"INSERT INTO {t} SELECT {sel} FROM {t}, k")
    con.execute("CHECKPOINT")
    total = con.execute("SELECT count(*) FROM accounts").fetchone()[0]  # type: ignore[index]
    snaps = con.execute("SELECT count(*) FROM score_snapshots").fetchone()[0]  # type: ignore[index]
    measures = con.execute("SELECT count(*) FROM score_measures").fetchone()[0]  # type: ignore[index]
    con.close()
    with open_store(db) as store:
        add_user(store, "bench", "password123", "admin")
        token = create_key(store, "bench", "read").token
    t2 = time.perf_counter()
    print(
        f"built {n} accounts x 52 weeks in {t1 - t0:.0f} s; multiplied to {total:,} accounts, "
        f"{snaps:,} snapshots, {measures:,} measure rows in {t2 - t1:.0f} s"
    )
    return {"token": token, "accounts": float(total)}  # type: ignore[dict-item]


def pct(xs: list[float], q: float) -> float:
    xs = sorted(xs)
    return xs[min(len(xs) - 1, round(q * (len(xs) - 1)))]


def run(
    base_url: str, token: str, ids: list[str], per_client: int, clients: int
) -> dict[str, list[float]]:
    times: dict[str, list[float]] = {"portfolio": [], "account": [], "api_accounts": []}
    errors: list[str] = []
    lock = threading.Lock()

    def worker(i: int) -> None:
        with httpx.Client(base_url=base_url, timeout=120, follow_redirects=True) as c:
            page = c.get("/login")
            csrf = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)  # type: ignore[union-attr]
            c.post(
                "/login", data={"username": "bench", "password": "password123", "csrf_token": csrf}
            )
            for j in range(per_client):
                k = i * per_client + j
                urls = {
                    "portfolio": [
                        "/",
                        "/?band=red",
                        "/?sort=arr&desc=1",
                        f"/?page={k % 50 + 1}",
                        "/?q=bank",
                    ][k % 5],
                    "account": f"/accounts/{ids[k % len(ids)]}",
                    "api_accounts": "/api/v1/accounts?limit=50",
                }
                for name, url in urls.items():
                    headers = {"Authorization": f"Bearer {token}"} if name == "api_accounts" else {}
                    t = time.perf_counter()
                    r = c.get(url, headers=headers)
                    dt = time.perf_counter() - t
                    with lock:
                        if r.status_code != 200:
                            errors.append(f"{url} {r.status_code}")
                        times[name].append(dt)

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if errors:
        print(f"{len(errors)} non-200 answers, e.g. {errors[:3]}")
    return times


def machine() -> str:
    """The commit and the load average, printed with the figures (the machine may be shared)."""
    try:
        commit = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True
        ).stdout.strip()
    except OSError:
        commit = ""
    load = " ".join(f"{x:.2f}" for x in os.getloadavg())
    return f"commit {commit or '?'}, load average {load}"


def main() -> None:
    print(machine())
    ap = argparse.ArgumentParser()
    ap.add_argument("--base", type=int, default=400)
    ap.add_argument("--target", type=int, default=20_000)
    ap.add_argument("--requests", type=int, default=30, help="requests per client and route")
    ap.add_argument("--clients", type=int, default=10)
    ap.add_argument("--db", type=Path, default=None, help="reuse a store built before")
    args = ap.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="web-latency-"))
    db = args.db or tmp / "bench.duckdb"
    token = None
    if args.db is None:
        token = build(db, args.base, args.target)["token"]
    else:
        from healthscore.auth.keys import create_key
        from healthscore.store import open_store

        with open_store(db) as store:
            token = create_key(store, "bench-again", "read").token
    import duckdb

    con = duckdb.connect(str(db), read_only=True)
    ids = [
        r[0]
        for r in con.execute("SELECT account_id FROM accounts USING SAMPLE 200 ROWS").fetchall()
    ]
    con.close()
    with serving(db, timeout=300) as base_url:
        # warm-up: the first portfolio request builds the cached model for this store version
        with httpx.Client(base_url=base_url, timeout=300, follow_redirects=True) as c:
            csrf = re.search(r'name="csrf_token" value="([^"]+)"', c.get("/login").text).group(1)  # type: ignore[union-attr]
            c.post(
                "/login", data={"username": "bench", "password": "password123", "csrf_token": csrf}
            )
            t = time.perf_counter()
            c.get("/")
            cold = time.perf_counter() - t
            # and the first account page builds the explanations' shared reads (per version)
            t = time.perf_counter()
            c.get(f"/accounts/{ids[-1]}")
            cold_account = time.perf_counter() - t
            csrf = re.search(r'name="csrf_token" value="([^"]+)"', c.get("/scorecard").text).group(
                1
            )  # type: ignore[union-attr]
            t = time.perf_counter()
            r = c.post("/scorecard/preview", data={"csrf_token": csrf, "band1": "72"})
            preview = time.perf_counter() - t
            moved = re.search(r'id="moves-count">(\d+)<', r.text)
        times = run(base_url, str(token), ids, args.requests, args.clients)
    print(
        f"portfolio, first request after a store change (builds the cached model): {cold * 1000:.0f} ms"
    )
    print(
        "account page, first request after a store change (builds the shared reads): "
        f"{cold_account * 1000:.0f} ms"
    )
    print(
        f"scorecard preview (latest date, {moved.group(1) if moved else '?'} band moves): {preview:.2f} s"
    )
    print(f"{args.clients} concurrent clients, {args.requests} requests each per route:")
    print("| route | requests | p50 ms | p95 ms | max ms |")
    print("|---|---|---|---|---|")
    for name, xs in times.items():
        if xs:
            print(
                f"| {name} | {len(xs)} | {statistics.median(xs) * 1000:.0f} | {pct(xs, 0.95) * 1000:.0f} | {max(xs) * 1000:.0f} |"
            )
    print(machine())
    shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
