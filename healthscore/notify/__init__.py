"""Notifications: digests and immediate CTA alerts, delivered from the store's outbox over
SMTP and webhooks (Slack-compatible or Standard-Webhooks-signed JSON), with retries."""

from __future__ import annotations

from healthscore.notify.config import Channels, InvalidChannels, load_channels, parse_channels
from healthscore.notify.delivery import DeliveryReport, backoff, deliver, route_pending, utc_now
from healthscore.notify.digest import DigestReport, build_digests, period_of
from healthscore.notify.probe import send_test

__all__ = [
    "Channels",
    "DeliveryReport",
    "DigestReport",
    "InvalidChannels",
    "backoff",
    "build_digests",
    "deliver",
    "load_channels",
    "new_secret",
    "parse_channels",
    "period_of",
    "route_pending",
    "send_test",
    "utc_now",
]


def new_secret() -> str:
    """A fresh Standard Webhooks signing secret: ``whsec_`` + base64 of 32 random bytes."""
    import base64
    import secrets

    return "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode()
