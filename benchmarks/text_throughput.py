"""Text analysis throughput: texts per second, and the whole demo's texts analysed.

Usage:
    python benchmarks/text_throughput.py [--accounts 500] [--repeat 3]

1. The labelled evaluation set plus the UCI sentences (3,455 texts, mostly one sentence,
   tickets up to a paragraph), analysed one by one with `analyze()` (no cache): the best
   of --repeat runs, in wall-clock and CPU texts per second.
2. The demo: `build_demo(seed=7, n_accounts=500, months=18)`, then `analyse_store` over
   every survey comment, ticket and CSM note (the step `healthscore demo` runs before
   scoring), wall and CPU seconds.  A batch reads each distinct text once.
State the machine's load with the figures: `uptime` is printed first.
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import time
from pathlib import Path

from healthscore.text import analyze

HERE = Path(__file__).parent


def corpus() -> list[str]:
    rows = (HERE / "data" / "feedback_eval.jsonl").read_text().splitlines()
    texts = [json.loads(x)["text"] for x in rows if x.strip()]
    uci = HERE.parents[1] / "shared" / "data" / "uci_sentences"
    for name in ("amazon_cells_labelled.txt", "imdb_labelled.txt", "yelp_labelled.txt"):
        path = uci / name
        if path.exists():
            texts += [line.rsplit("\t", 1)[0] for line in path.read_text("utf-8").splitlines()]
    return texts


def per_text(repeat: int) -> None:
    texts = corpus()
    analyze("warm up: rules compiled, VADER loaded")
    best_wall = best_cpu = float("inf")
    for _ in range(repeat):
        w, c = time.perf_counter(), time.process_time()
        for t in texts:
            analyze(t)
        best_wall = min(best_wall, time.perf_counter() - w)
        best_cpu = min(best_cpu, time.process_time() - c)
    print(f"analyze(): {len(texts):,} texts, best of {repeat}: "
          f"{len(texts) / best_wall:,.0f} texts/s wall, {len(texts) / best_cpu:,.0f} texts/s CPU")  # fmt: skip


def demo(accounts: int) -> None:
    from healthscore.demo import build_demo
    from healthscore.store import open_store
    from healthscore.text.batch import analyse_store

    with tempfile.TemporaryDirectory() as tmp:
        store = open_store(Path(tmp) / "demo.duckdb")
        store.con.execute("SET enable_progress_bar = false")
        t = time.perf_counter()
        build_demo(store, seed=7, n_accounts=accounts, months=18)
        built = time.perf_counter() - t
        w, c = time.perf_counter(), time.process_time()
        res = analyse_store(store)
        wall, cpu = time.perf_counter() - w, time.process_time() - c
        distinct = store.con.execute(
            "SELECT count(DISTINCT text_hash) FROM text_analysis"
        ).fetchone()
        store.close()
    print(f"demo ({accounts} accounts, 18 months): built in {built:.1f} s; "
          f"{res.texts:,} texts ({distinct[0] if distinct else '?':,} distinct) analysed and "
          f"written in {wall:.1f} s wall, {cpu:.1f} s CPU = {res.texts / wall:,.0f} texts/s wall")  # fmt: skip


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--accounts", type=int, default=500)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--skip-demo", action="store_true")
    args = ap.parse_args()
    print("load:", os.getloadavg(), "cores:", os.cpu_count())
    per_text(args.repeat)
    if not args.skip_demo:
        demo(args.accounts)


if __name__ == "__main__":
    main()
