"""Simulate the ChurnSim products of benchmarks/products/multi_product.yaml with fightchurn.

    CHURN_DB=test python benchmarks/simulate_products.py [--only NAME ...] [--out benchmarks/_data]

Each product is simulated into its own PostgreSQL schema (``hsbench_<name>``, on
127.0.0.1:5432, trust auth, database ``test`` unless CHURN_DB* say otherwise) and then
exported as a ChurnSim folder (account, subscription, event, event_type CSV) under
``--out/<name>/`` that ``healthscore import churnsim`` reads.  A ``sample`` product is a
seeded subsample of ``accounts`` accounts of a ChurnSim folder already on disk (Parquet),
written the same way.  fightchurn's declared
requirements are malformed: in a separate virtualenv (it pins old numpy / dateutil), install
numpy, pandas, pyarrow, pyyaml, scipy, joblib, tqdm, hydra-core, omegaconf, postgres,
psycopg2-binary and filelock by hand, then ``pip install --no-deps fightchurn``, and run this
script with that virtualenv's python (it imports nothing from healthscore).  Simulations run
one at a time: the simulator keeps its account-id counter in a shared temp file.
"""

from __future__ import annotations

import argparse
import os
import random
import time
from pathlib import Path

import numpy as np
import psycopg2
import yaml

CONFIG = Path(__file__).parent / "products" / "multi_product.yaml"


def _env() -> None:
    os.environ.setdefault("CHURN_DB", "test")
    os.environ.setdefault("CHURN_DB_USER", "postgres")
    os.environ.setdefault("CHURN_DB_PASS", "")
    os.environ.setdefault("CHURN_DB_HOST", "127.0.0.1")


def simulate(name: str, spec: dict, out: Path) -> None:
    from fightchurn.churnsim.churnsim import ChurnSimulation
    from hydra import compose, initialize_config_module

    os.environ["CHURN_OUT_DIR"] = str(out / "_sim")
    with initialize_config_module("fightchurn.churnsim.conf", version_base=None):
        cfg = compose(config_name=spec["config"], overrides=[*spec["overrides"], "force=true"])
    random.seed(cfg.random_seed)
    np.random.seed(cfg.random_seed)
    sim = ChurnSimulation(cfg)
    # The package names the schema after the model; ours must collide with no one's.
    sim.model_name = f"hsbench_{name}"
    t = time.perf_counter()
    sim.run_simulation(force=True)
    print(f"{name}: simulated in {time.perf_counter() - t:.0f} s")
    export(sim.model_name, out / name)


def export(schema: str, folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    con = psycopg2.connect(
        dbname=os.environ["CHURN_DB"], user=os.environ["CHURN_DB_USER"],
        host=os.environ["CHURN_DB_HOST"],
    )  # fmt: skip
    cur = con.cursor()
    # The book's account table names its key `id`; the ChurnSim importer reads account_id.
    queries = {
        "account": f"SELECT id AS account_id, channel, date_of_birth, country FROM {schema}.account",
        "subscription": f"SELECT * FROM {schema}.subscription",
        "event": f"SELECT * FROM {schema}.event",
        "event_type": f"SELECT * FROM {schema}.event_type",
    }
    for table, query in queries.items():
        with open(folder / f"{table}.csv", "w") as f:
            cur.copy_expert(f"COPY ({query}) TO STDOUT WITH CSV HEADER", f)
    cur.execute(f"SELECT count(*) FROM {schema}.account")
    n = cur.fetchone()[0]  # type: ignore[index]
    cur.execute(f"SELECT count(*) FROM {schema}.event")
    e = cur.fetchone()[0]  # type: ignore[index]
    con.close()
    print(f"{schema}: {n} accounts, {e} events exported to {folder}")


def sample(name: str, spec: dict, out: Path) -> None:
    """A seeded subsample of the accounts of a ChurnSim folder, with all their rows."""
    import pandas as pd

    src, folder = Path(spec["sample"]), out / name
    folder.mkdir(parents=True, exist_ok=True)
    acc = pd.read_parquet(src / "account.parquet")
    key = "account_id" if "account_id" in acc.columns else "id"
    rng = np.random.default_rng(int(spec.get("seed", 0)))
    ids = set(rng.choice(acc[key].to_numpy(), min(int(spec["accounts"]), len(acc)), replace=False))
    acc[acc[key].isin(ids)].rename(columns={key: "account_id"}).to_csv(
        folder / "account.csv", index=False
    )
    for table in ("subscription", "event"):
        t = pd.read_parquet(src / f"{table}.parquet")
        t[t["account_id"].isin(ids)].to_csv(folder / f"{table}.csv", index=False)
    if (src / "event_type.parquet").exists():
        pd.read_parquet(src / "event_type.parquet").to_csv(folder / "event_type.csv", index=False)
    print(f"{name}: {len(ids)} accounts sampled from {src} into {folder}")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--only", nargs="*")
    ap.add_argument("--out", type=Path, default=Path(__file__).parent / "_data")
    a = ap.parse_args()
    _env()
    products = yaml.safe_load(CONFIG.read_text())["products"]
    for name, spec in products.items():
        if a.only and name not in a.only:
            continue
        if (a.out / name / "event.csv").exists():
            print(f"{name}: already simulated ({a.out / name})")
            continue
        (sample if "sample" in spec else simulate)(name, spec, a.out)


if __name__ == "__main__":
    main()
