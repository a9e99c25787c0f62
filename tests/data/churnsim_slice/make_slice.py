"""Rebuild this slice from the shared socialnet7 sample (run from the repo root).

~150 accounts with fewer events than the median (kept small), always including three
accounts that hold exact duplicate event rows, with all their subscriptions and events.
`parquet/` keeps the original layout; `csv/` is the same rows as gzipped CSV, with the
event table normalised (event_type_id only, names in event_type.csv) to exercise the join.
"""

from __future__ import annotations

import sys
from pathlib import Path

import duckdb

SRC = Path(sys.argv[1] if len(sys.argv) > 1 else "../shared/data/socialnet7")
OUT = Path(__file__).parent


def main() -> None:
    con = duckdb.connect()
    s = str(SRC)
    con.execute(
        f"""CREATE TABLE pick AS
        WITH n AS (SELECT account_id, count(*) AS n FROM '{s}/event.parquet' GROUP BY 1)
        SELECT account_id FROM n WHERE n <= 600 AND account_id % 11 = 0
        UNION SELECT unnest([2728, 3172, 3005])"""
    )
    (OUT / "parquet").mkdir(exist_ok=True)
    (OUT / "csv").mkdir(exist_ok=True)
    for t in ("account", "subscription", "event"):
        con.execute(
            f"CREATE TABLE {t} AS SELECT * FROM '{s}/{t}.parquet' "
            f"WHERE account_id IN (SELECT account_id FROM pick) ORDER BY ALL"
        )
        con.execute(f"COPY {t} TO '{OUT}/parquet/{t}.parquet' (FORMAT parquet, COMPRESSION zstd)")
    con.execute(f"COPY (FROM '{s}/event_type.parquet') TO '{OUT}/parquet/event_type.parquet'")
    con.execute(f"COPY account TO '{OUT}/csv/account.csv.gz' (HEADER)")
    con.execute(f"COPY subscription TO '{OUT}/csv/subscription.csv.gz' (HEADER)")
    con.execute(
        "COPY (SELECT account_id, strftime(event_time, '%Y-%m-%d %H:%M:%S') AS event_time, "
        f"event_type_id, user_id, event_value FROM event) TO '{OUT}/csv/event.csv.gz' (HEADER)"
    )
    con.execute(f"COPY (FROM '{s}/event_type.parquet') TO '{OUT}/csv/event_type.csv' (HEADER)")
    for t in ("account", "subscription", "event"):
        print(t, con.execute(f"SELECT count(*) FROM {t}").fetchone()[0])


if __name__ == "__main__":
    main()
