"""The server and the CLI on one store, for real: `healthscore serve` in a process, a
`healthscore import` and a `healthscore score` in others while requests keep coming;
the first start's admin; `healthscore demo` ending in a served portfolio; `users`."""

from __future__ import annotations

import re
import shutil
import subprocess
import threading
import time
from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner

from healthscore.cli import app
from healthscore.store import open_store

from .conftest import PASSWORD, csrf_of
from .server import CLI, cli_env, free_port, serving


def _signed_in(base: str, user: str, password: str = PASSWORD) -> httpx.Client:
    c = httpx.Client(base_url=base, timeout=60, follow_redirects=True)
    token = csrf_of(c.get("/login").text)
    r = c.post("/login", data={"username": user, "password": password, "csrf_token": token})
    assert r.status_code == 200 and "Sign out" in r.text, r.text[:500]
    return c


def test_cli_imports_and_scores_while_the_server_serves(
    demo_store: tuple[Path, dict[str, str]], tmp_path: Path
) -> None:
    db = tmp_path / "store.duckdb"
    shutil.copyfile(demo_store[0], db)
    own = demo_store[1]["own"]
    tickets = tmp_path / "tickets.csv"
    tickets.write_text(
        "ticket_id,account_id,opened_at,status,priority,subject\n"
        f"T-LIVE-1,{own},2026-10-30 09:00:00,open,high,Export fails during the server run\n"
        f"T-LIVE-2,{own},2026-10-30 10:00:00,open,low,Second ticket during the server run\n"
    )
    with serving(db) as base:
        client = _signed_in(base, "admin")
        stop = threading.Event()
        codes: list[int] = []
        failures: list[str] = []

        def browse() -> None:
            with httpx.Client(base_url=base, timeout=120, cookies=client.cookies) as c:
                while not stop.is_set():
                    for path in (f"/accounts/{own}", "/"):
                        r = c.get(path)
                        codes.append(r.status_code)
                        if r.status_code != 200:
                            failures.append(re.sub(r"\s+", " ", r.text)[-600:])

        readers = [threading.Thread(target=browse) for _ in range(2)]
        for t in readers:
            t.start()
        try:
            time.sleep(1.0)  # requests are in flight when the import starts
            done = subprocess.run(
                [*CLI, "import", "tickets", str(tickets), "--db", str(db)],
                env=cli_env(HEALTHSCORE_LOCK_TIMEOUT="120"),
                capture_output=True,
                text=True,
                timeout=300,
            )
            assert done.returncode == 0, done.stderr
            scored = subprocess.run(
                [*CLI, "score", "--db", str(db)],
                env=cli_env(HEALTHSCORE_LOCK_TIMEOUT="120"),
                capture_output=True,
                text=True,
                timeout=300,
            )
            assert scored.returncode == 0, scored.stderr
        finally:
            stop.set()
            for t in readers:
                t.join()
        assert codes and set(codes) == {200}, failures[:2]
        # the server sees the new rows at once
        page = client.get(f"/accounts/{own}?all=1")
        assert "Export fails during the server run" in page.text
        client.close()
    with open_store(db) as store:
        assert (
            store.con.execute(
                "SELECT count(*) FROM tickets WHERE ticket_id LIKE 'T-LIVE-%'"
            ).fetchone()[0]
            == 2
        )


def test_the_first_start_creates_an_admin_and_prints_it_once(tmp_path: Path) -> None:
    db = tmp_path / "empty.duckdb"
    assert CliRunner().invoke(app, ["init", "--db", str(db)]).exit_code == 0
    port = free_port()
    log = tmp_path / "serve.log"
    with log.open("w") as out:
        proc = subprocess.Popen(
            [*CLI, "serve", "--db", str(db), "--port", str(port)],
            env=cli_env(),
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        deadline = time.monotonic() + 60
        found = None
        while time.monotonic() < deadline and found is None:
            found = re.search(r"created the first user: (\S+) / (\S+)", log.read_text())
            time.sleep(0.3)
        assert found, log.read_text()
        user, password = found.groups()
        base = f"http://127.0.0.1:{port}"
        while True:
            try:
                httpx.get(base + "/login", timeout=5)
                break
            except httpx.HTTPError:
                assert time.monotonic() < deadline
                time.sleep(0.3)
        c = _signed_in(base, user, password)
        assert c.get("/admin").status_code == 200  # an admin
        c.close()
    finally:
        proc.terminate()
        proc.wait(timeout=20)
    # a second start creates nobody and prints no password
    with serving(db):
        pass
    out = db.with_name(db.name + ".server.log").read_text()
    assert "created the first user" not in out and "serving" in out


def test_serving_a_missing_store_is_one_clear_line(tmp_path: Path, cli_failure) -> None:  # type: ignore[no-untyped-def]
    failed = cli_failure("serve", "--db", str(tmp_path / "nope.duckdb"))
    assert failed.exit_code == 1 and "no store at" in failed.message


def test_demo_ends_in_a_served_portfolio_with_its_logins(tmp_path: Path) -> None:
    db = tmp_path / "demo.duckdb"
    port = free_port()
    log = tmp_path / "demo.log"
    with log.open("w") as out:
        proc = subprocess.Popen(
            [
                *CLI,
                "demo",
                "--db",
                str(db),
                "--accounts",
                "30",
                "--months",
                "4",
                "--port",
                str(port),
            ],
            env=cli_env(),
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        deadline = time.monotonic() + 240
        logins: dict[str, str] = {}
        while time.monotonic() < deadline and len(logins) < 3:
            assert proc.poll() is None, log.read_text()
            logins = dict(
                re.findall(r"^\s+\w+\s+(admin|csm|viewer) / (\S+)", log.read_text(), re.M)
            )
            time.sleep(0.5)
        assert set(logins) == {"admin", "csm", "viewer"}, log.read_text()
        base = f"http://127.0.0.1:{port}"
        while True:
            try:
                if httpx.get(base + "/login", timeout=5).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert time.monotonic() < deadline, log.read_text()
            time.sleep(0.3)
        c = _signed_in(base, "viewer", logins["viewer"])
        page = c.get("/")
        assert page.status_code == 200 and re.search(r"\d+ accounts", page.text)
        assert f"http://localhost:{port}" in log.read_text()
        # The calls-to-action are raised behind the server, then shown.
        while "The calls-to-action are on the CTA pages now." not in log.read_text():
            assert proc.poll() is None and time.monotonic() < deadline + 240, log.read_text()
            time.sleep(0.5)
        assert "Calls-to-action on " in log.read_text()
        queue = c.get("/ctas", params={"owner": "*"})
        assert queue.status_code == 200 and 'class="cta"' in queue.text
        c.close()
    finally:
        proc.terminate()
        proc.wait(timeout=20)


def test_users_commands(tmp_path: Path) -> None:
    db = tmp_path / "u.duckdb"
    run = CliRunner()
    assert run.invoke(app, ["init", "--db", str(db)]).exit_code == 0
    added = run.invoke(
        app, ["users", "add", "maya", "--role", "csm", "--name", "Maya Okafor", "--db", str(db)]
    )
    assert added.exit_code == 0, added.output
    password = re.search(r"password: (\S+)", added.output).group(1)  # type: ignore[union-attr]
    listed = run.invoke(app, ["users", "list", "--format", "csv", "--db", str(db)])
    assert "maya,Maya Okafor,csm" in listed.output and password not in listed.output
    assert run.invoke(app, ["users", "disable", "maya", "--db", str(db)]).exit_code == 0
    reset = run.invoke(
        app, ["users", "reset-password", "maya", "--password", "a new secret", "--db", str(db)]
    )
    assert reset.exit_code == 0
    assert run.invoke(app, ["users", "set-role", "maya", "viewer", "--db", str(db)]).exit_code == 0
    from healthscore.auth import authenticate, enable_user, get_user

    with open_store(db) as store:
        assert get_user(store, "maya").disabled  # type: ignore[union-attr]
        enable_user(store, "maya")
        assert authenticate(store, "maya", "a new secret") is not None
    bad = run.invoke(app, ["users", "add", "xy", "--role", "boss", "--db", str(db)])
    assert bad.exit_code == 1 and "use one of: admin, csm, viewer, product" in str(bad.exception)


@pytest.mark.parametrize("args", [["users", "disable", "ghost"]])
def test_users_errors_are_one_line(args: list[str], tmp_path: Path, cli_failure) -> None:  # type: ignore[no-untyped-def]
    db = tmp_path / "u.duckdb"
    assert CliRunner().invoke(app, ["init", "--db", str(db)]).exit_code == 0
    failed = cli_failure(*args, "--db", str(db))
    assert failed.exit_code == 1 and "no user 'ghost'" in failed.message
