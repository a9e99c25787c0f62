"""kill -9 at random points of a real `healthscore import`, `import --update` and
`score --backfill` (issue 16, "Also build"): the store is always in exactly its before
or its after state, by row counts and a content hash per table (a backfill commits each
snapshot date on its own, so there per date: absent, or exactly the finished run's).

A bounded loop with a small file and fixed seeds, so it runs in CI; each kill falls
between 30 % and 100 % of the run's measured duration (so it lands in the work, not in
Python's start-up)."""

from __future__ import annotations

import datetime as dt
import random
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from healthscore.store import open_store

from ._state import con_state

KILLS = 2


def _state(path: Path) -> dict[str, tuple[int, int]]:
    with open_store(path) as store:  # as the next command would: recovers the WAL
        return con_state(store.con, stable_only=True)


def _data(state: dict[str, tuple[int, int]]) -> dict[str, tuple[int, int]]:
    return {t: v for t, v in state.items() if not t.startswith("import_")}


def _start(args: list[str], cwd: Path) -> subprocess.Popen[bytes]:
    # stderr to a file (a pipe nobody reads could fill and stall the run), kept for _ran.
    with (cwd / "stderr.txt").open("wb") as err:
        return subprocess.Popen(
            [sys.executable, "-c", "from healthscore.cli import main; main()", *args],
            cwd=cwd,
            stdout=subprocess.DEVNULL,
            stderr=err,
        )


def _ran(p: subprocess.Popen[bytes], cwd: Path) -> None:
    """Wait for a run that must succeed; on failure say what it printed."""
    rc = p.wait(timeout=600)
    tail = (cwd / "stderr.txt").read_text(errors="replace")[-2000:]
    assert rc == 0, f"{p.args[3:]} exited {rc}:\n{tail}"


def _events(path: Path, n: int, value: int = 0) -> Path:
    with path.open("w") as fh:
        fh.write("event_id,account_id,event_time,event_type,value,colour\n")
        for i in range(n):
            fh.write(f"e{i},a{i % 50},2025-03-{1 + i % 28:02d}T10:00:00Z,login,{value + i},red\n")
    return path


SCORES = ("score_snapshots", "score_groups", "score_measures")


def _dates(path: Path) -> dict[tuple[str, object], tuple[int, int]]:
    """Per score table and snapshot date: rows and a content hash (computed_at left out)."""
    out: dict[tuple[str, object], tuple[int, int]] = {}
    with open_store(path) as store:
        for t in SCORES:
            cols = [
                str(r[0])
                for r in store.con.execute(f"DESCRIBE {t}").fetchall()
                if not str(r[0]).endswith("_at")
            ]
            row = ", ".join(f'"{c}"' for c in cols)
            for day, n, h in store.con.execute(
                f"SELECT as_of, count(*), sum(hash(row({row})))::HUGEINT FROM {t} GROUP BY 1"
            ).fetchall():
                out[(t, day)] = (int(n), int(h))
    return out


def _check_per_date(db: Path, before: dict, after: dict, after_dates: dict) -> None:
    """A backfill commits each snapshot date on its own: every table but the scores is
    before or after, and each date's scores are absent or exactly the after run's."""
    now = _state(db)
    for t in now:
        if t not in SCORES:
            assert now[t] in (before[t], after[t]), t
    for key, v in _dates(db).items():
        assert after_dates.get(key) == v, key


def _kill_loop(
    seed_store: Path, args: list[str], tmp: Path, seed: int, per_date: bool = False
) -> None:
    """Run `args` to completion once (the after state, its duration), then KILLS times
    from the seed store with a kill -9 at a random moment; each survivor is before or after
    (`per_date`: per snapshot date, for a backfill)."""
    before = _state(seed_store)
    ref = tmp / "ref.duckdb"
    shutil.copy(seed_store, ref)
    started = time.monotonic()
    _ran(_start([*args, "--db", str(ref)], tmp), tmp)
    took = time.monotonic() - started
    after = _state(ref)
    after_dates = _dates(ref) if per_date else {}
    assert after != before  # the run changes something, so the check can tell
    rng = random.Random(seed)
    for i in range(KILLS):
        db = tmp / f"k{i}.duckdb"
        shutil.copy(seed_store, db)
        p = _start([*args, "--db", str(db)], tmp)
        time.sleep(rng.uniform(0.3, 1.0) * took)
        p.send_signal(signal.SIGKILL)
        p.wait()
        if per_date:
            _check_per_date(db, before, after, after_dates)
        else:
            now = _state(db)
            assert now in (before, after), f"kill {i} (exit {p.returncode}): not before or after"
        # A re-run from whatever survived ends with the after state's data (idempotent;
        # the import log may hold one more batch, which added nothing).
        _ran(_start([*args, "--db", str(db)], tmp), tmp)
        assert _data(_state(db)) == _data(after)


@pytest.fixture
def accounts_store(tmp_path: Path) -> Path:
    from healthscore.ingest import import_files

    db = tmp_path / "seed.duckdb"
    (tmp_path / "a.csv").write_text("account_id\n" + "".join(f"a{i}\n" for i in range(50)))
    with open_store(db) as store:
        import_files(store, "accounts", [tmp_path / "a.csv"])
    return db


def test_kill_9_during_import(tmp_path: Path, accounts_store: Path) -> None:
    f = _events(tmp_path / "e.csv", 60_000)
    _kill_loop(accounts_store, ["import", "events", str(f)], tmp_path, seed=1)


def test_kill_9_during_import_update(tmp_path: Path, accounts_store: Path) -> None:
    from healthscore.ingest import import_files

    with open_store(accounts_store) as store:
        import_files(store, "events", [_events(tmp_path / "e.csv", 60_000)])
    changed = _events(tmp_path / "e2.csv", 60_000, value=7)
    _kill_loop(accounts_store, ["import", "events", str(changed), "--update"], tmp_path, seed=2)


def test_kill_9_during_backfill(tmp_path: Path) -> None:
    from healthscore.demo import build_demo

    db = tmp_path / "seed.duckdb"
    end = dt.date(2026, 10, 31)
    with open_store(db) as store:
        build_demo(store, seed=3, n_accounts=40, months=4, end_date=end)
    frm = (end - dt.timedelta(days=56)).isoformat()
    _kill_loop(db, ["score", "--backfill", frm, end.isoformat()], tmp_path, seed=3, per_date=True)
