"""`healthscore notify ...` through the real CLI, against the real local receivers."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
from standardwebhooks.webhooks import Webhook
from typer.testing import CliRunner, Result

from healthscore.cli import app
from healthscore.store import open_store
from healthscore.store.outbox import enqueue

from .receivers import Mailbox, Receiver


def run(channels: Path | None, *args: str) -> Result:
    env = {"HEALTHSCORE_NOTIFICATIONS": str(channels) if channels else None}
    return CliRunner().invoke(app, ["notify", *args], env=env)  # type: ignore[arg-type]


@pytest.fixture
def db(tmp_path: Path) -> Path:
    path = tmp_path / "s.duckdb"
    with open_store(path) as store, store.transaction() as con:
        payload = {
            "id": 7,
            "account_id": "A7",
            "account_name": "Acme",
            "owner": "Dana",
            "type": "risk",
            "reason": "red with renewal in 30 days",
            "evidence": ["score 31 (red)", "renews 2026-12-30"],
            "priority": 900.0,
            "critical": True,
            "due": "2026-12-05",
            "status": "open",
        }
        enqueue(con, topic="cta.opened", key="cta:7:open:1", payload=payload)
    return path


@pytest.fixture
def channels(tmp_path: Path, mailbox: Mailbox, receiver: Receiver) -> Path:
    secret = "whsec_" + "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
    (tmp_path / "hook.secret").write_text(secret + "\n")
    path = tmp_path / "channels.yaml"
    path.write_text(
        f"smtp: {{host: 127.0.0.1, port: {mailbox.port}, from: hs@example.com}}\n"
        "webhooks:\n"
        f"  crm: {{url: '{receiver.url('/crm')}', secret_file: {tmp_path / 'hook.secret'}}}\n"
        "recipients:\n  Dana: {email: dana@example.com, webhooks: [crm]}\n"
    )
    return path


def test_send_then_status(db: Path, channels: Path, mailbox: Mailbox, receiver: Receiver) -> None:
    sent = run(channels, "send", "--db", str(db))
    assert sent.exit_code == 0, sent.output
    assert sent.stdout.strip() == "2 delivered, 0 to retry, 0 gave up (1 new outbox rows routed)"
    assert mailbox.messages[0]["Subject"].startswith("[critical] New risk CTA: Acme")
    (post,) = receiver.to("/crm")
    secret = (channels.parent / "hook.secret").read_text().strip()
    assert Webhook(secret).verify(post.body, post.headers)["data"]["id"] == 7

    status = run(channels, "status", "--db", str(db), "--format", "json")
    assert status.exit_code == 0, status.output
    doc = json.loads(status.stdout)
    assert doc["outbox"] == {"routed": 1}
    assert {(d["channel"], d["status"], d["n"]) for d in doc["deliveries"]} == {
        ("email", "sent", 1),
        ("webhook", "sent", 1),
    }
    table = run(channels, "status", "--db", str(db))
    # The table's cells shrink to the terminal ($COLUMNS=80 in CI): its heading and rows show.
    assert table.exit_code == 0 and "Newest deliveries" in table.stdout
    assert table.stdout.count("\n") >= 5


def test_test_sends_to_every_channel_and_secret_makes_a_valid_one(
    db: Path, channels: Path, mailbox: Mailbox, receiver: Receiver
) -> None:
    got = run(channels, "test", "--db", str(db), "--to", "me@example.com")
    assert got.exit_code == 0, got.output
    assert got.stdout.splitlines() == ["email    me@example.com: ok", "webhook  crm: ok"]
    assert mailbox.envelopes[0][1] == ["me@example.com"]
    with open_store(db) as store:
        assert store.count("outbox_deliveries") == 0  # a test message is not stored
    secret = run(None, "secret").stdout.strip()
    Webhook(secret)  # the library accepts it
    assert secret.startswith("whsec_")


def test_digest_preview_prints_and_queues_nothing(
    db: Path, channels: Path, mailbox: Mailbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "healthscore.actions", None)  # hand-made CTA events only
    got = run(channels, "digest", "--db", str(db), "--as-of", "2026-12-01", "--preview")
    assert got.exit_code == 0, got.output
    assert got.stdout.startswith("Healthscore digest for Dana, 2026-12-01\n")
    assert (
        "  - Acme: red with renewal in 30 days (risk, priority 900, due 2026-12-05, critical)"
        in got.stdout
    )
    with open_store(db) as store:
        assert store.count("digest_log") == 0 and store.count("outbox") == 1
    queued = run(channels, "digest", "--db", str(db), "--as-of", "2026-12-01")
    assert queued.exit_code == 0, queued.output
    assert queued.stdout.startswith("1 digests queued for 2026-12-01")
    assert any(m["X-Healthscore-Topic"] == "digest" for m in mailbox.messages)


def test_without_a_channel_file_notify_says_how_to_set_one(db: Path, cli_failure) -> None:  # type: ignore[no-untyped-def]
    failed = cli_failure("notify", "send", "--db", str(db))
    assert failed.exit_code == 1
    assert failed.message.startswith("no notification channel file; set HEALTHSCORE_NOTIFICATIONS")
