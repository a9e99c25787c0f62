"""API keys: shown once, hashed at rest, listed, revoked, from the CLI and the API."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from healthscore.app import App
from healthscore.auth.keys import InvalidKey, Scope, create_key, hash_token, revoke_key, verify_key
from healthscore.cli import app as cli
from healthscore.errors import HealthscoreError
from healthscore.store import open_store
from tests.rest.conftest import Api, assert_problem


def test_a_key_is_stored_as_its_hash_only(tmp_path: Path) -> None:
    db = tmp_path / "k.duckdb"
    with open_store(db) as store:
        new = create_key(store, "segment", "ingest,read")
        assert new.token.startswith(f"hsk_{new.key.key_id}_") and len(new.token) > 40
        rows = store.con.execute("SELECT * FROM api_keys").fetchall()
        assert new.token not in repr(rows)
        assert hash_token(new.token) in repr(rows)
        key = verify_key(store, new.token)
        assert key.scopes == {Scope.ingest, Scope.read} and key.allows(Scope.read)
        assert not key.allows(Scope.write)
        with pytest.raises(InvalidKey, match="not known"):
            verify_key(store, new.token[:-1] + ("A" if new.token[-1] != "A" else "B"))
        revoke_key(store, key.key_id)
        with pytest.raises(InvalidKey, match="revoked"):
            verify_key(store, new.token)
        with pytest.raises(HealthscoreError, match="use one of: read, write, ingest, admin"):
            create_key(store, "x", "read,sudo")
    assert new.token.encode() not in db.read_bytes()


def test_keys_from_the_cli(tmp_path: Path) -> None:
    db = tmp_path / "c.duckdb"
    open_store(db).close()
    runner = CliRunner()
    hs = App.from_env({}, db=db)
    made = runner.invoke(cli, ["keys", "create", "--name", "crm", "--scope", "read,write"], obj=hs)
    assert made.exit_code == 0, made.output
    token = made.stdout.strip().splitlines()[-1]
    assert token.startswith("hsk_")
    listed = runner.invoke(cli, ["keys", "list", "--format", "json"], obj=hs)
    assert '"scopes": "read,write"' in listed.stdout and token not in listed.stdout
    key_id = token.split("_")[1]
    revoked = runner.invoke(cli, ["keys", "revoke", key_id], obj=hs)
    assert revoked.exit_code == 0, revoked.output
    active = runner.invoke(cli, ["keys", "list", "--active-only", "--format", "json"], obj=hs)
    assert key_id not in active.stdout
    bad = runner.invoke(cli, ["keys", "revoke", "nope"], obj=hs)
    assert bad.exit_code == 1 and "no API key 'nope'" in str(bad.exception)
    hs.close()


def test_keys_over_the_api_need_admin_and_a_revoked_key_is_refused(api: Api) -> None:
    assert_problem(api.client.get("/api/v1/keys", headers=api.auth("write")), 403)
    made = api.client.post(
        "/api/v1/keys", json={"name": "tmp", "scopes": ["read"]}, headers=api.auth("admin")
    )
    assert made.status_code == 201, made.text
    token = made.json()["token"]
    ok = api.client.get("/api/v1/accounts", headers={"Authorization": f"Bearer {token}"})
    assert ok.status_code == 200
    listed = api.client.get("/api/v1/keys", headers=api.auth("admin")).json()["items"]
    assert all("token" not in k for k in listed)
    gone = api.client.delete(f"/api/v1/keys/{made.json()['key_id']}", headers=api.auth("admin"))
    assert gone.status_code == 200 and gone.json()["active"] is False
    body = assert_problem(
        api.client.get("/api/v1/accounts", headers={"Authorization": f"Bearer {token}"}), 401
    )
    assert "revoked" in body["detail"]
