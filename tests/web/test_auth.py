"""Users, roles and the audit log on a real store file."""

from __future__ import annotations

from pathlib import Path

import pytest

from healthscore.auth import (
    InvalidUser,
    Role,
    UnknownUser,
    UserExists,
    add_user,
    allowed,
    authenticate,
    disable_user,
    enable_user,
    get_user,
    list_audit,
    list_users,
    may_edit_account,
    record,
    reset_password,
    set_role,
)
from healthscore.auth.users import session_epoch
from healthscore.errors import HealthscoreError
from healthscore.store import Store, open_store
from healthscore.web.security import LoginLimiter


@pytest.fixture
def store(tmp_path: Path) -> Store:
    s = open_store(tmp_path / "auth.duckdb")
    yield s
    s.close()


def test_a_user_signs_in_with_its_password_only(store: Store) -> None:
    user = add_user(store, "Maya", "correct horse", "csm", display_name="Maya Okafor")
    assert user.username == "maya" and user.role is Role.csm
    assert authenticate(store, "maya", "correct horse") == user
    assert authenticate(store, "MAYA", "correct horse") == user
    assert authenticate(store, "maya", "wrong password") is None
    assert authenticate(store, "nobody", "correct horse") is None
    # the hash is argon2id, never the password
    row = store.con.execute("SELECT password_hash FROM users").fetchone()
    assert row is not None and row[0].startswith("$argon2id$") and "correct" not in row[0]


def test_bad_names_roles_and_passwords_are_refused_with_the_fix(store: Store) -> None:
    with pytest.raises(InvalidUser, match="use one of: admin, csm, viewer, product"):
        add_user(store, "ana", "long enough", "boss")
    with pytest.raises(InvalidUser, match="at least 8"):
        add_user(store, "ana", "short", "viewer")
    with pytest.raises(InvalidUser, match="lowercase letters"):
        add_user(store, "a b", "long enough", "viewer")
    add_user(store, "ana", "long enough", "viewer")
    with pytest.raises(UserExists):
        add_user(store, "Ana", "long enough", "viewer")
    with pytest.raises(UnknownUser):
        disable_user(store, "bob")
    assert issubclass(InvalidUser, HealthscoreError)


def test_disable_and_reset_end_sessions_and_are_audited(store: Store) -> None:
    add_user(store, "tom", "first password", "viewer", actor="admin")
    epoch = session_epoch(store, "tom")
    disable_user(store, "tom", actor="admin")
    assert authenticate(store, "tom", "first password") is None
    assert session_epoch(store, "tom") == (epoch or 0) + 1
    enable_user(store, "tom", actor="admin")
    new = reset_password(store, "tom", actor="admin")
    assert len(new) >= 16
    assert authenticate(store, "tom", "first password") is None
    assert authenticate(store, "tom", new) is not None
    set_role(store, "tom", "csm", actor="admin")
    assert get_user(store, "tom").role is Role.csm  # type: ignore[union-attr]
    actions = [e.action for e in list_audit(store, entity="user")]
    assert actions == ["set_role", "reset_password", "enable", "disable", "create"]
    first = list_audit(store)[-1]
    assert first.actor == "admin" and first.after is not None and first.after["role"] == "viewer"
    assert "password" not in str([e.as_dict() for e in list_audit(store)]).replace(
        "reset_password", ""
    )
    assert [u.username for u in list_users(store)] == ["tom"]


def test_an_audit_row_rolls_back_with_its_change(store: Store) -> None:
    with pytest.raises(RuntimeError), store.transaction() as con:
        record(con, actor="a", action="x", entity="note", entity_id="1", before=None, after={})
        raise RuntimeError("the change failed")
    assert list_audit(store) == []
    record(store, actor="a", action="x", entity="note", entity_id="1", before={"v": 1}, after=None)
    assert list_audit(store)[0].before == {"v": 1}


def test_the_permission_table() -> None:
    assert allowed("admin", "admin") and allowed(Role.admin, "edit_scorecard")
    assert allowed("csm", "close_cta") and not allowed("csm", "edit_scorecard")
    assert allowed("viewer", "read") and not allowed("viewer", "close_cta")
    assert not allowed("viewer", "edit_own_account")
    assert allowed("product", "read_feedback") and not allowed("product", "read")
    assert not allowed("stranger", "read")
    with pytest.raises(KeyError):
        allowed("admin", "fly")


def test_a_csm_edits_only_its_own_accounts(store: Store) -> None:
    maya = add_user(store, "maya", "long enough", "csm", display_name="Maya Okafor")
    boss = add_user(store, "boss", "long enough", "admin")
    viewer = add_user(store, "vic", "long enough", "viewer")
    assert may_edit_account(maya, "Maya Okafor") and may_edit_account(maya, "maya")
    assert not may_edit_account(maya, "Tom Becker") and not may_edit_account(maya, None)
    assert may_edit_account(boss, "Tom Becker") and may_edit_account(boss, None)
    assert not may_edit_account(viewer, "vic")


def test_the_login_limiter_blocks_after_five_failures_per_name_and_address() -> None:
    now = [0.0]
    lim = LoginLimiter(limit=5, window=60, clock=lambda: now[0])
    for _ in range(5):
        assert lim.retry_after("maya", "1.2.3.4") == 0
        lim.failed("maya", "1.2.3.4")
    assert lim.retry_after("maya", "1.2.3.4") > 0
    assert lim.retry_after("maya", "5.6.7.8") == 0  # another address is not punished
    assert lim.retry_after("tom", "1.2.3.4") == 0
    now[0] = 61.0
    assert lim.retry_after("maya", "1.2.3.4") == 0
