"""Engines that cannot be used say so in one line, and never print the password.

The wrong-password case needs a server that checks passwords; the machine's shared server
trusts local connections, so a private PostgreSQL cluster with scram-sha-256 is started for
it (skipped where PostgreSQL's server binaries are not installed).
"""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from healthscore.errors import StoreError
from healthscore.ingest import import_files
from healthscore.store import open_store
from healthscore.store.engines import connect_engine, copy_store_to

from .conftest import PG_URL, drop_schema

SECRET = "s3cr3t-Pa55"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def password_server() -> Iterator[int]:
    """A private PostgreSQL on a free port where user `postgres` needs password SECRET."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    if not found:
        pytest.skip("PostgreSQL's server binaries (initdb) are not installed")
    bindir = Path(found[-1]).parent
    root = Path(tempfile.mkdtemp(prefix="engines-pgpw-"))
    as_postgres = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
    (root / "pw").write_text(SECRET + "\n")
    if as_postgres:
        shutil.chown(root, "postgres")
        shutil.chown(root / "pw", "postgres")
    port = _free_port()
    data = root / "data"
    initdb = [*as_postgres, str(bindir / "initdb"), "-D", str(data), "-U", "postgres"]
    auth = ["--auth=scram-sha-256", f"--pwfile={root / 'pw'}", "-E", "UTF8", "--no-sync"]
    subprocess.run([*initdb, *auth], check=True, capture_output=True, timeout=120)
    options = f"-p {port} -k {root} -c listen_addresses=127.0.0.1 -c fsync=off"
    ctl = [*as_postgres, str(bindir / "pg_ctl"), "-D", str(data)]
    start = [*ctl, "-o", options, "-l", str(root / "log"), "-w", "start"]
    subprocess.run(start, check=True, capture_output=True, timeout=120)
    try:
        yield port
    finally:
        subprocess.run([*ctl, "-m", "immediate", "stop"], capture_output=True, timeout=60)
        shutil.rmtree(root, ignore_errors=True)


@pytest.mark.postgres
def test_a_wrong_password_is_one_line_without_the_password(password_server):
    url = f"postgresql://postgres:{SECRET}x@127.0.0.1:{password_server}/postgres"
    with pytest.raises(StoreError) as err:
        connect_engine(url, None)
    message = str(err.value)
    assert "password authentication failed" in message and "check the user and password" in message
    assert f"127.0.0.1:{password_server}" in message
    assert SECRET not in message and "\n" not in message
    # The right password connects: the refusal above was about the password, not the server.
    backend = connect_engine(url.replace(f"{SECRET}x", SECRET), None)
    backend.disconnect()


@pytest.mark.postgres
def test_an_unreachable_engine_names_the_server_and_the_fix():
    url = f"postgresql://ana:{SECRET}@127.0.0.1:{_free_port()}/test"
    with pytest.raises(StoreError) as err:
        connect_engine(url, None)
    message = str(err.value)
    assert message.startswith("cannot connect to PostgreSQL at 127.0.0.1:")
    assert "is the server running" in message
    assert SECRET not in message and "\n" not in message


@pytest.mark.postgres
def test_a_missing_schema_is_refused_before_anything_is_copied():
    schema = f"engines_missing_{uuid.uuid4().hex[:8]}"
    sep = "&" if "?" in PG_URL else "?"
    with pytest.raises(StoreError) as err:
        connect_engine(f"{PG_URL}{sep}schema={schema}", None)
    message = str(err.value)
    assert f"has no schema {schema!r}" in message and f"CREATE SCHEMA {schema}" in message
    import psycopg

    with psycopg.connect(PG_URL, autocommit=True) as con:
        row = con.execute("SELECT count(*) FROM pg_namespace WHERE nspname = %s", [schema])
        assert row.fetchone() == (0,)  # not created behind the user's back


def _small_store(tmp_path: Path):
    (tmp_path / "accounts.csv").write_text("account_id,name\nA1,Acme\n")
    rows = [f"e{i},A1,login,2024-03-{1 + i % 28:02d} 10:00:00" for i in range(20)]
    (tmp_path / "events.csv").write_text(
        "event_id,account_id,event_type,event_time\n" + "\n".join(rows) + "\n"
    )
    store = open_store(tmp_path / "s.duckdb")
    import_files(store, "accounts", [tmp_path / "accounts.csv"])
    import_files(store, "events", [tmp_path / "events.csv"])
    return store


@pytest.mark.postgres
def test_score_with_an_unreachable_engine_prints_one_line_and_no_password(tmp_path):
    _small_store(tmp_path).close()
    url = f"postgresql://ana:{SECRET}@127.0.0.1:{_free_port()}/test"
    # The real entry point, as a user runs it: stdout and stderr both checked.
    cli = [sys.executable, "-c", "from healthscore.cli import main; main()"]
    result = subprocess.run(
        [*cli, "score", "--db", str(tmp_path / "s.duckdb"), "--engine", url, "--copy"],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "COLUMNS": "200"},
    )
    assert result.returncode == 1
    out = result.stdout + result.stderr
    assert "cannot connect to PostgreSQL at 127.0.0.1" in out
    assert SECRET not in out and "Traceback" not in out


@pytest.fixture
def pg_schema() -> Iterator[str]:
    import psycopg

    schema = f"engines_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(PG_URL, autocommit=True) as con:
        con.execute(f"CREATE SCHEMA {schema}")
    yield schema
    drop_schema(schema)


@pytest.mark.postgres
def test_an_unlogged_table_emptied_by_crash_recovery_is_copied_again(tmp_path, pg_schema):
    import psycopg

    store = _small_store(tmp_path)
    sep = "&" if "?" in PG_URL else "?"
    backend = connect_engine(f"{PG_URL}{sep}schema={pg_schema}", store)
    try:
        copy_store_to(backend, store, ["accounts", "events"])
        with psycopg.connect(PG_URL, autocommit=True) as con:
            kinds = con.execute(
                "SELECT c.relname, c.relpersistence FROM pg_class c JOIN pg_namespace n "
                "ON n.oid = c.relnamespace WHERE n.nspname = %s AND c.relkind = 'r' "
                "ORDER BY 1",
                [pg_schema],
            ).fetchall()
            # The replica skips the WAL; the manifest that says what it holds does not.
            assert kinds == [("accounts", "u"), ("events", "u"), ("healthscore_copies", "p")]
            # What crash recovery does to an unlogged table: it comes back empty.
            con.execute(f"TRUNCATE {pg_schema}.events")
        again = copy_store_to(backend, store, ["accounts", "events"])
        assert [(t.table, t.mode, t.rows_sent) for t in again.tables] == [
            ("accounts", "unchanged", 0),
            ("events", "full", 20),
        ]
        with psycopg.connect(PG_URL, autocommit=True) as con:
            row = con.execute(f"SELECT count(*) FROM {pg_schema}.events").fetchone()
        assert row == (20,)
    finally:
        backend.disconnect()
        store.close()


@pytest.mark.postgres
def test_a_logged_copy_is_available_for_engines_that_must_survive_a_crash(tmp_path, pg_schema):
    import psycopg

    store = _small_store(tmp_path)
    sep = "&" if "?" in PG_URL else "?"
    backend = connect_engine(f"{PG_URL}{sep}schema={pg_schema}", store)
    try:
        copy_store_to(backend, store, ["events"], unlogged=False)
    finally:
        backend.disconnect()
        store.close()
    with psycopg.connect(PG_URL, autocommit=True) as con:
        row = con.execute(
            "SELECT c.relpersistence FROM pg_class c JOIN pg_namespace n ON n.oid = "
            "c.relnamespace WHERE n.nspname = %s AND c.relname = 'events'",
            [pg_schema],
        ).fetchone()
    assert row == ("p",)
