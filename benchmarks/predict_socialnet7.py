"""Out-of-time backtest on the shared socialnet7 ChurnSim sample (30-day churn horizon).

    python benchmarks/predict_socialnet7.py [--src /work/shared/data/socialnet7]
        [--db /tmp/socialnet7.duckdb] [--json FILE] [--html FILE]

Imports the folder with the ChurnSim importer into a scratch store (once), then runs
`healthscore.predict.backtest` and prints AUC and top-decile lift per method.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

from healthscore.ingest.churnsim import import_churnsim
from healthscore.predict.backtest import run_backtest as backtest
from healthscore.predict.report import render_backtest_html
from healthscore.store import open_store


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--src", type=Path, default=Path("/work/shared/data/socialnet7"))
    ap.add_argument("--db", type=Path, default=Path("/tmp/socialnet7.duckdb"))
    ap.add_argument("--horizon-days", type=int, default=30)
    ap.add_argument("--json", type=Path)
    ap.add_argument("--html", type=Path)
    a = ap.parse_args()
    with open_store(a.db) as store:
        if not store.count("subscriptions"):
            t = time.perf_counter()
            import_churnsim(store, a.src)
            print(f"imported {a.src} in {time.perf_counter() - t:.1f} s")
        t = time.perf_counter()
        res = backtest(store, horizon_days=a.horizon_days)
        print(
            f"backtest {time.perf_counter() - t:.1f} s; folds: "
            + ", ".join(
                f"{f['cutoff']} ({f['train_churn']} train / {f['test_churn']} test churn)"
                for f in res.summary["folds"]
            )
        )
    for name, r in res.summary["methods"].items():
        print(
            f"{name:<10} AUC {r['auc']:.3f}  top-decile lift {r['top_decile_lift']:.2f}  "
            f"per-fold AUC {', '.join(f'{v:.3f}' for v in r['per_fold_auc'].values())}"
        )
    print(res.summary["verdict"])
    if a.json:
        a.json.write_text(json.dumps(res.summary, indent=2, default=str))
    if a.html:
        render_backtest_html(res, a.html)


if __name__ == "__main__":
    main()
