"""The server's read caches (per store version) never show stale data: a new score run, a
changed subscription and a new note show on the next request, and the shared reads give
the very explanation a fresh read gives."""

from __future__ import annotations

import datetime as dt
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from healthscore.auth.keys import create_key
from healthscore.scoring import backfill, explain_account
from healthscore.scoring.explain import SharedReads
from healthscore.store import open_store
from healthscore.store.queries.account_view import score_series
from healthscore.web.store_access import StampedCache, store_stamp


def _latest_day(db: Path) -> dt.date:
    with open_store(db) as store:
        return store.con.execute("SELECT max(as_of) FROM score_snapshots").fetchone()[0]  # type: ignore[index,no-any-return]


def test_a_new_score_run_shows_on_the_account_page_at_once(
    make_client: Callable[..., Any], web_db: Path, facts: dict[str, str]
) -> None:
    own = facts["own"]
    last = _latest_day(web_db)
    with open_store(web_db) as store:  # the store as it was before the last run
        for table in ("score_snapshots", "score_groups", "score_measures"):
            store.con.execute(f"DELETE FROM {table} WHERE as_of = ?", [last])
        before = store.con.execute("SELECT max(as_of) FROM score_snapshots").fetchone()[0]  # type: ignore[index]
    client = make_client("admin")
    page = client.get(f"/accounts/{own}")
    assert page.status_code == 200
    assert f"scored {before.isoformat()}" in page.text
    assert f"scored {last.isoformat()}" not in page.text

    with open_store(web_db) as store:  # the daily run, while the server keeps its caches
        backfill(store, last, last, 7)
        score = store.con.execute(
            "SELECT score FROM score_snapshots WHERE account_id = ? AND as_of = ?", [own, last]
        ).fetchone()[0]  # type: ignore[index]

    page = client.get(f"/accounts/{own}")
    assert f"scored {last.isoformat()}" in page.text
    assert f"Why it changed since {before.isoformat()}" in page.text
    assert f"health score {score:.0f}," in page.text
    assert f'"{last.isoformat()}"' in page.text  # the trend chart has the new point


def test_the_explanation_follows_a_changed_subscription(
    make_client: Callable[..., Any], web_db: Path, facts: dict[str, str]
) -> None:
    own = facts["own"]
    with open_store(web_db) as store:
        token = create_key(store, "cache-test", "read").token
    client = make_client()
    headers = {"Authorization": f"Bearer {token}"}

    def lifetime() -> dict[str, Any]:
        got = client.get(f"/api/v1/accounts/{own}/explanation", headers=headers)
        assert got.status_code == 200, got.text
        return got.json()["lifetime"]  # type: ignore[no-any-return]

    first = lifetime()
    assert first["mrr"] and first["mrr"] > 0
    with open_store(web_db) as store:
        store.con.execute("UPDATE subscriptions SET mrr = mrr * 2 WHERE account_id = ?", [own])
        fresh = explain_account(store, own).lifetime
    again = lifetime()
    assert again["mrr"] == pytest.approx(2 * first["mrr"])
    assert again == pytest.approx(fresh)


def test_shared_reads_give_the_explanation_a_fresh_read_gives(
    demo_store: tuple[Path, dict[str, str]],
) -> None:
    db, _ = demo_store
    with open_store(db, read_only=True) as store:
        days = [
            r[0]
            for r in store.con.execute(
                "SELECT DISTINCT as_of FROM score_snapshots ORDER BY 1"
            ).fetchall()
        ]
        ids = [
            r[0]
            for r in store.con.execute(
                "SELECT account_id FROM score_snapshots WHERE as_of = ? ORDER BY 1 LIMIT 4",
                [days[-1]],
            ).fetchall()
        ]
        assert len(days) >= 3 and len(ids) == 4
        shared = SharedReads()
        # the newest snapshot of each, then older days (each its own lifetimes as of then)
        asks = [(aid, None) for aid in ids] + [(ids[0], days[0]), (ids[1], days[-2])]
        for aid, day in asks:
            with_shared = explain_account(store, aid, day, shared=shared).as_dict()
            alone = explain_account(store, aid, day).as_dict()
            assert with_shared == alone, (aid, day)
            assert with_shared["as_of"] == (day or days[-1]).isoformat()
        for aid in ids:
            assert shared.score_series(store, aid) == score_series(store, aid)
            assert [r["as_of"] for r in shared.score_series(store, aid)][-1] == days[-1]
        assert shared.score_series(store, "no-such-account") == []


def test_a_stamped_value_is_computed_once_while_requests_wait_for_it(tmp_path: Path) -> None:
    db = tmp_path / "s.duckdb"
    with open_store(db):
        pass
    cache: StampedCache[int] = StampedCache(size=4)
    calls: list[int] = []
    release = threading.Event()

    def compute() -> int:
        calls.append(1)
        release.wait(10)
        return len(calls)

    stamp = store_stamp(db)
    got: list[int] = []
    threads = [
        threading.Thread(target=lambda: got.append(cache.get(stamp, "k", compute)))
        for _ in range(8)
    ]
    for t in threads:
        t.start()
    time.sleep(0.2)  # let them queue behind the first computation (not a timing assertion)
    release.set()
    for t in threads:
        t.join()
    assert calls == [1] and got == [1] * 8

    with open_store(db) as store:  # any write is a new version: computed again
        store.con.execute("CREATE TABLE bump AS SELECT 1 AS x")
    assert store_stamp(db) != stamp
    assert cache.get(store_stamp(db), "k", compute) == 2


def test_a_failed_computation_is_not_kept(tmp_path: Path) -> None:
    db = tmp_path / "s.duckdb"
    with open_store(db):
        pass
    cache: StampedCache[int] = StampedCache()

    def broken() -> int:
        raise RuntimeError("store busy")

    with pytest.raises(RuntimeError):
        cache.get(store_stamp(db), "k", broken)
    assert cache.get(store_stamp(db), "k", lambda: 7) == 7
