"""What is in the store: rows and date ranges per kind, coverage, quarantine, recent imports."""

from __future__ import annotations

from typing import Any

from healthscore.ingest._sql import qi
from healthscore.store.db import Store
from healthscore.store.schema import KINDS

__all__ = ["store_status"]


def store_status(store: Store, *, last_imports: int = 10) -> dict[str, Any]:
    """A plain dict (JSON-ready) describing the store, for `healthscore status`."""
    con = store.con
    n_accounts = store.count("accounts")
    kinds: list[dict[str, Any]] = []
    for t in KINDS.values():
        rows = store.count(t.name)
        first = last = None
        if t.time_column and rows:
            first, last = con.execute(
                f"SELECT CAST(min({qi(t.time_column)}) AS VARCHAR), "
                f"CAST(max({qi(t.time_column)}) AS VARCHAR) FROM {t.name}"
            ).fetchone()  # type: ignore[misc]
        without = None
        if "account_id" in t.references and n_accounts:
            without = int(
                con.execute(
                    f"SELECT count(*) FROM accounts a WHERE NOT EXISTS "
                    f"(SELECT 1 FROM {t.name} x WHERE x.account_id = a.account_id)"
                ).fetchone()[0]  # type: ignore[index]
            )
        kinds.append(
            {
                "kind": t.name,
                "rows": rows,
                "first": first,
                "last": last,
                "accounts_without_data": without,
            }
        )
    quarantine = [
        {"batch_id": b, "kind": k, "file": f, "rows": int(r), "problems": int(p)}
        for b, k, f, r, p in con.execute(
            "SELECT batch_id, kind, string_agg(DISTINCT file, ', '), "
            "count(DISTINCT (file, line)), count(*) FROM quarantine "
            "GROUP BY batch_id, kind ORDER BY batch_id"
        ).fetchall()
    ]
    imports = [
        {
            "batch_id": r[0],
            "kind": r[1],
            "files": r[2],
            "finished_at": str(r[3])[:19],
            "rows_read": r[4],
            "rows_inserted": r[5],
            "rows_duplicate": r[6],
            "rows_rejected": r[7],
            "status": r[8],
            "rows_updated": r[9],
        }
        for r in con.execute(
            "SELECT batch_id, kind, files, finished_at, rows_read, rows_inserted, "
            "rows_duplicate, rows_rejected, status, rows_updated FROM import_batches "
            f"ORDER BY finished_at DESC, batch_id DESC LIMIT {int(last_imports)}"
        ).fetchall()
    ]
    return {
        "db": str(store.path),
        "kinds": kinds,
        "quarantine": quarantine,
        "quarantined_rows": sum(q["rows"] for q in quarantine),
        "imports": imports,
    }
