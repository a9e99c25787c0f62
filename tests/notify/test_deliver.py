"""Delivery against real local receivers: SMTP (aiosmtpd) and an HTTP server."""

from __future__ import annotations

import datetime as dt
import json
import time
from pathlib import Path
from typing import Any

import pytest
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from healthscore.notify import Channels, deliver, new_secret, parse_channels
from healthscore.store import Store, open_store
from healthscore.store.outbox import enqueue
from healthscore.store.queries.outbox import delivery_attempts, recent_deliveries

from .receivers import Mailbox, Receiver

T0 = dt.datetime(2026, 11, 30, 6, 0, 0)


class Clock:
    """A settable clock for backoff: `now()` returns the current value."""

    def __init__(self, start: dt.datetime = T0) -> None:
        self.t = start

    def __call__(self) -> dt.datetime:
        return self.t

    def advance(self, **kw: float) -> None:
        self.t += dt.timedelta(**kw)


def cta(
    n: int = 1, *, critical: bool = True, owner: str = "Dana Lee", **extra: Any
) -> dict[str, Any]:
    return {
        "id": f"cta-{n}",
        "account_id": f"A{n}",
        "account_name": f"<Acme {n}> & Co",
        "owner": owner,
        "type": "risk",
        "reason": "usage drop",
        "evidence": ["weekly active users fell from 40 to 12 (-70 %)"],
        "priority": 42.0,
        "critical": critical,
        "due": "2026-12-04",
        **extra,
    }


def channels(mailbox: Mailbox | None, hooks: dict[str, str], **more: str) -> Channels:
    lines = []
    if mailbox is not None:
        lines += [
            "smtp:",
            "  host: 127.0.0.1",
            f"  port: {mailbox.port}",
            "  from: Healthscore <hs@example.com>",
            "  timeout: 5",
        ]
    if hooks:
        lines.append("webhooks:")
        for name, spec in hooks.items():
            lines.append(f"  {name}: {spec}")
    lines += ["recipients:", "  Dana Lee:", "    email: dana@example.com"]
    if hooks:
        lines.append(f"    webhooks: [{', '.join(hooks)}]")
    lines.append("delivery: {max_attempts: 3, backoff_seconds: 60, backoff_max_seconds: 600}")
    for k, v in more.items():
        lines.append(f"{k}: {v}")
    return parse_channels("\n".join(lines) + "\n", "channels.yaml")


@pytest.fixture
def store(tmp_path: Path) -> Store:
    return open_store(tmp_path / "s.duckdb")


def _enqueue(store: Store, topic: str, key: str, payload: dict[str, Any]) -> None:
    with store.transaction() as con:
        enqueue(con, topic=topic, key=key, payload=payload, now=T0)


def test_a_critical_cta_is_mailed_and_posted_signed_once(
    store: Store, mailbox: Mailbox, receiver: Receiver
) -> None:
    secret = new_secret()
    ch = channels(
        mailbox,
        {
            "crm": f"{{url: '{receiver.url('/crm')}', kind: json, secret: '{secret}'}}",
            "slack": f"{{url: '{receiver.url('/slack')}', kind: slack}}",
        },
    )
    _enqueue(store, "cta.opened", "cta:1:open:1", cta())
    report = deliver(store, ch, now=Clock())
    assert (report.routed, report.queued, report.sent, report.dead) == (1, 3, 3, 0)

    (msg,) = mailbox.messages
    assert msg["To"] == "dana@example.com" and "hs@example.com" in msg["From"]
    assert msg["Subject"] == "[critical] New risk CTA: <Acme 1> & Co - usage drop"
    assert msg["Auto-Submitted"] == "auto-generated"
    text = msg.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    html = msg.get_body(("html",)).get_content()  # type: ignore[union-attr]
    assert "weekly active users fell from 40 to 12" in text and "Due: 2026-12-04" in text
    assert "&lt;Acme 1&gt; &amp; Co" in html and "<Acme 1>" not in html

    (crm,) = receiver.to("/crm")
    outbox_id = store.con.execute("SELECT id FROM outbox").fetchone()[0]  # type: ignore[index]
    assert crm.headers["webhook-id"] == outbox_id
    body = Webhook(secret).verify(crm.body, crm.headers)  # raises when the signature is wrong
    assert body["type"] == "cta.opened" and body["data"]["account_id"] == "A1"
    tampered = crm.body.replace(b"A1", b"A2")
    with pytest.raises(WebhookVerificationError):
        Webhook(secret).verify(tampered, crm.headers)

    (slack,) = receiver.to("/slack")
    sbody = json.loads(slack.body)
    assert "&lt;Acme 1&gt; &amp; Co" in sbody["text"]
    assert sbody["blocks"][0]["type"] == "header"
    assert "webhook-signature" not in slack.headers

    # a second run sends nothing more
    again = deliver(store, ch, now=Clock(T0 + dt.timedelta(hours=1)))
    assert (again.routed, again.sent) == (0, 0)
    assert len(mailbox.messages) == 1 and len(receiver.requests) == 2
    attempts = delivery_attempts(store)
    assert len(attempts) == 3 and all(a["ok"] for a in attempts)
    assert {a["status_code"] for a in attempts} == {200, 250}


def test_non_critical_ctas_and_unchanged_states_wait_for_the_digest(
    store: Store, mailbox: Mailbox
) -> None:
    ch = channels(mailbox, {})
    _enqueue(store, "cta.opened", "cta:1:open:1", cta(1, critical=False))
    _enqueue(store, "cta.opened", "cta:2:open:1", cta(2, status="open"))
    # a re-fire of the same open CTA with fresh evidence: same state, no second alert
    _enqueue(store, "cta.changed", "cta:2:open:2", cta(2, status="open", evidence=["now -75 %"]))
    # a state change is an edge: it goes out at once
    _enqueue(store, "cta.changed", "cta:2:snoozed:3", cta(2, status="snoozed"))
    report = deliver(store, ch, now=Clock())
    assert (report.routed, report.queued, report.digest_only) == (4, 2, 2)
    subjects = [m["Subject"] for m in mailbox.messages]
    assert subjects == [
        "[critical] New risk CTA: <Acme 2> & Co - usage drop",
        "[critical] Updated risk CTA: <Acme 2> & Co - usage drop",
    ]


def test_a_failing_webhook_backs_off_records_each_attempt_and_gives_up(
    store: Store, mailbox: Mailbox, receiver: Receiver
) -> None:
    receiver.modes["/down"] = "500"
    ch = channels(mailbox, {"down": f"{{url: '{receiver.url('/down')}'}}"})
    _enqueue(store, "cta.opened", "cta:1:open:1", cta())
    clock = Clock()
    first = deliver(store, ch, now=clock)
    assert (first.sent, first.retrying) == (1, 1)  # the e-mail went; the webhook waits
    assert deliver(store, ch, now=clock).retrying == 0  # not due yet: no new attempt
    assert len(receiver.to("/down")) == 1
    (row,) = [d for d in recent_deliveries(store) if d["channel"] == "webhook"]
    assert row["status"] == "retry" and row["next_attempt_at"] == T0 + dt.timedelta(seconds=60)

    clock.advance(seconds=60)
    assert deliver(store, ch, now=clock).retrying == 1
    (row,) = [d for d in recent_deliveries(store) if d["channel"] == "webhook"]
    assert row["next_attempt_at"] == clock.t + dt.timedelta(seconds=120)  # doubled
    clock.advance(seconds=120)
    last = deliver(store, ch, now=clock)
    assert (last.dead, last.retrying) == (1, 0)
    clock.advance(days=1)
    assert deliver(store, ch, now=clock).dead == 0  # a dead delivery is left alone
    attempts = [a for a in delivery_attempts(store) if a["channel"] == "webhook"]
    assert [(a["attempt"], a["ok"], a["status_code"]) for a in attempts] == [
        (1, False, 500),
        (2, False, 500),
        (3, False, 500),
    ]
    assert all("HTTP 500" in a["error"] for a in attempts)
    assert len(receiver.to("/down")) == 3 and len(mailbox.messages) == 1


def test_a_refusing_and_a_hanging_webhook_do_not_block_the_others(
    store: Store, mailbox: Mailbox, receiver: Receiver, refused_url: str
) -> None:
    receiver.modes["/hang"] = "hang"
    ch = channels(
        mailbox,
        {
            "refused": f"{{url: '{refused_url}', timeout: 0.5}}",
            "hang": f"{{url: '{receiver.url('/hang')}', timeout: 0.5}}",
            "fine": f"{{url: '{receiver.url('/fine')}'}}",
        },
    )
    _enqueue(store, "cta.opened", "cta:1:open:1", cta(1))
    _enqueue(store, "cta.opened", "cta:2:open:1", cta(2))
    t0 = time.monotonic()
    report = deliver(store, ch, now=Clock())
    took = time.monotonic() - t0
    assert (report.sent, report.retrying) == (4, 4)  # 2 e-mails + 2 "fine" posts
    assert len(receiver.to("/fine")) == 2 and len(mailbox.messages) == 2
    errors = {a["target"]: a["error"] for a in delivery_attempts(store) if not a["ok"]}
    assert "ConnectError" in errors["refused"]
    assert errors["hang"].startswith("timed out after 0.5 s")
    assert took < 20  # two hangs of 0.5 s each, not the receiver's 3 s


def test_a_dead_smtp_relay_is_retried_not_raised(store: Store) -> None:
    from .receivers import free_port

    ch = parse_channels(
        f"smtp: {{host: 127.0.0.1, port: {free_port()}, from: hs@example.com, timeout: 1}}\n"
        "recipients: {default: {email: team@example.com}}\n"
    )
    _enqueue(store, "cta.opened", "cta:1:open:1", cta())
    report = deliver(store, ch, now=Clock())
    assert report.retrying == 1 and "ConnectionRefusedError" in report.failures[0]


def test_after_a_kill_acknowledged_rows_are_not_sent_again(
    store: Store, mailbox: Mailbox, receiver: Receiver, tmp_path: Path
) -> None:
    ch = channels(mailbox, {"crm": f"{{url: '{receiver.url('/crm')}'}}"})
    _enqueue(store, "cta.opened", "cta:1:open:1", cta(1))
    assert deliver(store, ch, now=Clock()).sent == 2
    _enqueue(store, "cta.opened", "cta:2:open:1", cta(2))
    # simulate a run killed after claiming (status sending) and before recording
    from healthscore.notify.delivery import DeliveryReport, route_pending
    from healthscore.store.outbox import claim_due

    route_pending(store, ch, T0, DeliveryReport())
    with store.transaction() as con:
        assert len(claim_due(con, T0, T0, 100)) == 2
    path = store.path
    store.close()  # the "kill": nothing recorded for the two claims
    again = open_store(path)
    try:
        soon = deliver(again, ch, now=Clock(T0 + dt.timedelta(minutes=1)))
        assert soon.sent == 0  # the claim is fresh: perhaps still being sent
        later = deliver(again, ch, now=Clock(T0 + dt.timedelta(minutes=11)))
        assert later.sent == 2  # the stale claim is sent again, once
        assert deliver(again, ch, now=Clock(T0 + dt.timedelta(hours=2))).sent == 0
    finally:
        again.close()
    ids = [r.headers["webhook-id"] for r in receiver.to("/crm")]
    assert len(ids) == 2 and len(set(ids)) == 2  # CTA 1 was acknowledged: never resent
    assert len(mailbox.messages) == 2


def test_enqueue_in_a_rolled_back_transaction_sends_nothing(store: Store, mailbox: Mailbox) -> None:
    ch = channels(mailbox, {})
    with pytest.raises(RuntimeError), store.transaction() as con:
        enqueue(con, topic="cta.opened", key="cta:1:open:1", payload=cta())
        raise RuntimeError("the CTA write failed")
    assert deliver(store, ch, now=Clock()).sent == 0 and mailbox.messages == []


def test_a_hanging_smtp_relay_times_out_and_the_webhooks_still_go(
    store: Store, receiver: Receiver
) -> None:
    import socket
    import threading

    # a relay that accepts the connection and never says hello
    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen()
    held: list[socket.socket] = []
    threading.Thread(target=lambda: held.append(silent.accept()[0]), daemon=True).start()
    try:
        ch = parse_channels(
            f"smtp: {{host: 127.0.0.1, port: {silent.getsockname()[1]}, from: hs@example.com, "
            "timeout: 0.5}\n"
            f"webhooks: {{fine: {{url: '{receiver.url('/fine')}'}}}}\n"
            "recipients: {default: {email: team@example.com, webhooks: [fine]}}\n"
        )
        _enqueue(store, "cta.opened", "cta:1:open:1", cta())
        report = deliver(store, ch, now=Clock())
    finally:
        for s in (*held, silent):
            s.close()
    assert (report.sent, report.retrying) == (1, 1)
    assert len(receiver.to("/fine")) == 1
    (failed,) = [a for a in delivery_attempts(store) if not a["ok"]]
    assert failed["channel"] == "email" and "timed out" in failed["error"].lower()
