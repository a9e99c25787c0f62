"""`notify test`: send one test message to each configured channel, now, outside the outbox."""

from __future__ import annotations

import datetime as dt
from typing import Any

from healthscore.notify.config import Channels
from healthscore.notify.render import email_message, json_body, slack_body
from healthscore.notify.smtp import send_email
from healthscore.notify.webhook import post_webhook
from healthscore.store.outbox import new_message_id

__all__ = ["send_test"]

_SAMPLE: dict[str, Any] = {
    "id": "test",
    "account_id": "TEST",
    "account_name": "Test account",
    "owner": "healthscore",
    "type": "risk",
    "reason": "test notification from `healthscore notify test`",
    "evidence": ["if you can read this, the channel works"],
    "priority": 0,
    "critical": False,
}


def send_test(channels: Channels, now: dt.datetime, to: str | None = None) -> list[dict[str, Any]]:
    """Try every channel once: e-mail to `to` (else each recipient's address), each webhook.

    Returns one row per try (channel, target, ok, status_code, error); nothing is stored."""
    out: list[dict[str, Any]] = []
    if channels.smtp is not None:
        addresses = (
            [to] if to else sorted({r.email for r in channels.recipients.values() if r.email})
        )
        for address in addresses:
            message = email_message(
                "cta.opened",
                _SAMPLE,
                msg_id=new_message_id(),
                sender=channels.smtp.sender,
                to=address,
                when=now,
            )
            res = send_email(channels.smtp, message)
            out.append(
                {
                    "channel": "email",
                    "target": address,
                    "ok": res.ok,
                    "status_code": res.status_code,
                    "error": res.error,
                }
            )
    for name, hook in sorted(channels.webhooks.items()):
        body = (
            slack_body("cta.opened", _SAMPLE)
            if hook.kind == "slack"
            else json_body("cta.opened", _SAMPLE, now)
        )
        res = post_webhook(hook, new_message_id(), body)
        out.append(
            {
                "channel": "webhook",
                "target": name,
                "ok": res.ok,
                "status_code": res.status_code,
                "error": res.error,
            }
        )
    return out
