"""Scratch-store helper for the prediction benchmarks (not part of the package)."""

from __future__ import annotations

from pathlib import Path

from healthscore.store import Store, open_store


def churnsim_store(src: Path, path: Path) -> Store:
    """A store holding the ChurnSim export at `src`; imported once, then reused."""
    fresh = not path.exists()
    store = open_store(path)
    if not fresh and store.count("subscriptions"):
        return store
    try:
        from healthscore.ingest import import_churnsim  # type: ignore[attr-defined]
    except ImportError:
        import_churnsim = None
    if import_churnsim is not None:
        import_churnsim(store, src)
        return store
    # The importer has not landed: load the Parquet files directly.
    con = store.con
    with store.transaction():
        con.execute(
            f"""INSERT INTO accounts (account_id, segment, start_date)
            SELECT CAST(a.account_id AS VARCHAR), a.channel, min(s.start_date)
            FROM read_parquet('{src}/account.parquet') a
            LEFT JOIN read_parquet('{src}/subscription.parquet') s USING (account_id)
            GROUP BY ALL"""
        )
        con.execute(
            f"""INSERT INTO subscriptions (subscription_id, account_id, product, start_date,
              end_date, mrr, quantity, units, bill_period_months, discount)
            SELECT CAST(account_id AS VARCHAR) || '-' || product || '-' || CAST(start_date AS VARCHAR),
              CAST(account_id AS VARCHAR), product, start_date, end_date, mrr, quantity, units,
              bill_period_months, discount
            FROM read_parquet('{src}/subscription.parquet')"""
        )
        con.execute(
            f"""INSERT INTO events (event_key, account_id, user_id, event_time, event_type, value)
            SELECT hash(account_id, event_time, event_type, row_number() OVER ()),
              CAST(account_id AS VARCHAR), CAST(user_id AS VARCHAR), event_time, event_type,
              event_value
            FROM read_parquet('{src}/event.parquet')"""
        )
    return store
