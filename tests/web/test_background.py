"""Background jobs compute on a copy of the store and leave the store itself free."""

from __future__ import annotations

import subprocess
from pathlib import Path

from healthscore.app import App
from healthscore.auth import add_user
from healthscore.store import Store, open_store
from healthscore.web.background import Jobs

from .server import CLI, cli_env


def test_a_job_runs_on_a_snapshot_and_knows_when_it_is_stale(web_db: Path) -> None:
    hs = App.from_env({}, db=web_db)
    jobs = Jobs(hs.settings)
    seen: list[Path] = []

    def count(store: Store) -> int:
        seen.append(store.path)
        # while the job runs, another process can open and write the real store
        done = subprocess.run(
            [*CLI, "users", "add", "during", "--db", str(web_db)],
            env=cli_env(HEALTHSCORE_LOCK_TIMEOUT="5"),
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert done.returncode == 0, done.stderr
        return store.count("accounts")

    job = jobs.start("count", count, wait=True)
    assert job.status == "done", job.error
    assert seen and seen[0] != web_db and not seen[0].exists()  # a copy, deleted after
    with open_store(web_db) as store:
        assert job.result == store.count("accounts")
    assert not job.fresh(web_db)  # the user added meanwhile changed the store
    again = jobs.start("count", lambda s: s.count("accounts"), wait=True)
    assert again.fresh(web_db)
    with open_store(web_db) as store:
        add_user(store, "later", "long enough", "viewer")
    assert not again.fresh(web_db)


def test_a_failing_job_keeps_its_message(web_db: Path) -> None:
    from healthscore.errors import NotEnoughData

    jobs = Jobs(App.from_env({}, db=web_db).settings)

    def fail(store: Store) -> None:
        raise NotEnoughData("too few outcomes to train on")

    job = jobs.start("x", fail, wait=True)
    assert job.status == "failed" and job.error == "too few outcomes to train on"
