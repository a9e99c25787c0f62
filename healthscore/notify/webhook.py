"""Webhooks over HTTP: a Slack incoming-webhook message, or JSON signed per Standard Webhooks.

Signing follows https://www.standardwebhooks.com (the `standardwebhooks` package): headers
webhook-id (the outbox id, the receiver's idempotency key), webhook-timestamp (seconds) and
webhook-signature (``v1,`` + base64 HMAC-SHA256 of ``id.timestamp.body``).
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import httpx

from healthscore.notify.config import WebhookChannel
from healthscore.notify.smtp import SendResult

__all__ = ["post_webhook", "signed_headers"]

USER_AGENT = "healthscore-notify/1"


def signed_headers(secret: str, msg_id: str, when: dt.datetime, body: str) -> dict[str, str]:
    """The three Standard Webhooks headers for `body`."""
    from standardwebhooks.webhooks import Webhook

    stamp = when if when.tzinfo else when.replace(tzinfo=dt.UTC)
    signature = Webhook(secret).sign(msg_id, stamp, body)
    return {
        "webhook-id": msg_id,
        "webhook-timestamp": str(int(stamp.timestamp())),
        "webhook-signature": signature,
    }


def post_webhook(
    cfg: WebhookChannel,
    msg_id: str,
    body: dict[str, Any],
    client: httpx.Client | None = None,
) -> SendResult:
    """POST `body` as JSON; a 2xx answer is success.

    `client` is an open httpx.Client to reuse (one per delivery run); by default one is
    made for this request.  The signature's timestamp is the wall clock at sending, never a job's as-of time:
    receivers reject signatures more than a few minutes off their own clock.  Refusals, timeouts and error answers
    come back as a failed result (never raised), so one bad endpoint blocks nothing."""
    text = json.dumps(body, separators=(",", ":"), sort_keys=True, default=str)
    headers = {"content-type": "application/json", "user-agent": USER_AGENT}
    secret = cfg.signing_secret()
    if secret:
        headers.update(signed_headers(secret, msg_id, dt.datetime.now(dt.UTC), text))
    else:
        headers["webhook-id"] = msg_id
    timeout = httpx.Timeout(cfg.timeout)  # connect, read, write and pool: a hang costs this
    try:
        if client is None:
            with httpx.Client(follow_redirects=False) as own:
                answer = own.post(cfg.url, content=text.encode(), headers=headers, timeout=timeout)
        else:  # a run's shared client: its connections and TLS set-up are reused
            answer = client.post(cfg.url, content=text.encode(), headers=headers, timeout=timeout)
    except httpx.TimeoutException as exc:
        return SendResult(False, None, f"timed out after {cfg.timeout:g} s ({type(exc).__name__})")
    except httpx.HTTPError as exc:
        return SendResult(False, None, f"{type(exc).__name__}: {exc}")
    if 200 <= answer.status_code < 300:
        return SendResult(True, answer.status_code)
    snippet = answer.text[:200].strip()
    return SendResult(False, answer.status_code, f"HTTP {answer.status_code}: {snippet}")
