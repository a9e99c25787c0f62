"""Delivery: route new outbox rows to channels, then send what is due and record each try.

Two steps, each committing before anything leaves the machine:

1. **route** every pending outbox row: a digest goes to its owner's channels; a CTA event
   goes out at once only when the CTA is critical and its state changed (edge-triggered:
   opened, closed, a new state, or newly critical); other CTA events wait for the digest.
2. **send** the deliveries that are due: each is claimed (committed), sent with a short
   timeout, and its attempt recorded (committed).  A failure is retried with exponential
   backoff (``backoff_seconds x 2^(attempt-1)``, capped) until ``max_attempts``; then the
   delivery is *dead* and `notify status` shows it.

A delivery recorded as sent is never sent again.  One killed between the send and the
record is sent again once its claim is stale (`STALE_CLAIM`): at-least-once, with the
outbox id as webhook-id / in the Message-ID so receivers can drop the duplicate.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx

from healthscore.notify.config import Channels
from healthscore.notify.render import DIGEST_TOPIC, email_message, json_body, slack_body
from healthscore.notify.smtp import SendResult, send_email
from healthscore.notify.webhook import post_webhook
from healthscore.store import Store
from healthscore.store import outbox as box
from healthscore.store.queries.outbox import cta_events

__all__ = ["STALE_CLAIM", "DeliveryReport", "backoff", "deliver", "route_pending", "utc_now"]

STALE_CLAIM = dt.timedelta(minutes=10)
EMAIL = "email"
WEBHOOK = "webhook"

Now = Callable[[], dt.datetime]


def utc_now() -> dt.datetime:
    """The current UTC time, naive (how the store keeps times)."""
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


@dataclass
class DeliveryReport:
    """What one `deliver` run did."""

    routed: int = 0
    queued: int = 0
    digest_only: int = 0
    no_recipient: list[str] = field(default_factory=list)
    sent: int = 0
    retrying: int = 0
    dead: int = 0
    failures: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "routed": self.routed,
            "queued": self.queued,
            "digest_only": self.digest_only,
            "no_recipient": sorted(set(self.no_recipient)),
            "sent": self.sent,
            "retrying": self.retrying,
            "dead": self.dead,
            "failures": self.failures,
        }


def backoff(attempt: int, channels: Channels) -> dt.timedelta | None:
    """Wait before the next try after failed try number `attempt`; None = give up."""
    policy = channels.delivery
    if attempt >= policy.max_attempts:
        return None
    seconds = min(policy.backoff_seconds * 2 ** (attempt - 1), policy.backoff_max_seconds)
    return dt.timedelta(seconds=seconds)


def _state(topic: str, payload: dict[str, Any]) -> str:
    return str(payload.get("status") or payload.get("state") or topic.removeprefix("cta."))


def _targets(channels: Channels, owner: str | None, extra: list[str]) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    who = channels.recipient(owner)
    if who is not None:
        if who.email and channels.smtp is not None:
            out.append((EMAIL, who.email))
        out += [(WEBHOOK, name) for name in who.webhooks]
    out += [(WEBHOOK, name) for name in extra]
    return list(dict.fromkeys(out))


def route_pending(
    store: Store, channels: Channels, now: dt.datetime, report: DeliveryReport
) -> None:
    """Turn every pending outbox row into its deliveries (possibly none), in one transaction."""
    with store.transaction() as con:
        pending = box.pending_rows(con)
        if not pending:
            return
        history = cta_events(store) if any(r["topic"].startswith("cta.") for r in pending) else []
        before: dict[str, dict[str, Any]] = {}
        previous: dict[str, dict[str, Any] | None] = {}
        for ev in history:  # each CTA event's predecessor, for edge detection
            cid = str(ev["payload"].get("id"))
            previous[ev["id"]] = before.get(cid)
            before[cid] = ev
        for row in pending:
            topic, payload = row["topic"], row["payload"]
            targets: list[tuple[str, str]] = []
            if topic == DIGEST_TOPIC:
                targets = _targets(channels, payload.get("owner"), [])
                if not targets:
                    report.no_recipient.append(str(payload.get("owner")))
            elif (
                topic.startswith("cta.") and channels.immediate.enabled and payload.get("critical")
            ):
                prev = previous.get(row["id"])
                edge = (
                    prev is None
                    or topic in {"cta.opened", "cta.closed"}
                    or _state(prev["topic"], prev["payload"]) != _state(topic, payload)
                    or not prev["payload"].get("critical")
                )
                if edge:
                    targets = _targets(channels, payload.get("owner"), channels.immediate.webhooks)
                    if not targets:
                        report.no_recipient.append(str(payload.get("owner")))
            box.route(con, row["id"], targets, now)
            report.routed += 1
            report.queued += len(targets)
            report.digest_only += not targets and topic != DIGEST_TOPIC


def _send(
    channels: Channels, d: dict[str, Any], now: dt.datetime, client: httpx.Client
) -> SendResult:
    topic, payload, msg_id = d["topic"], d["payload"], d["outbox_id"]
    if d["channel"] == EMAIL:
        if channels.smtp is None:
            return SendResult(False, None, "no `smtp:` section in the channel file any more")
        message = email_message(
            topic, payload, msg_id=msg_id, sender=channels.smtp.sender, to=d["target"], when=now
        )
        return send_email(channels.smtp, message)
    hook = channels.webhooks.get(d["target"])
    if hook is None:
        return SendResult(False, None, f"webhook {d['target']!r} is no longer in the channel file")
    body = slack_body(topic, payload) if hook.kind == "slack" else json_body(topic, payload, now)
    return post_webhook(hook, msg_id, body, client)


def deliver(
    store: Store,
    channels: Channels,
    *,
    now: Now = utc_now,
    limit: int = 500,
) -> DeliveryReport:
    """Route pending outbox rows, then send every delivery that is due (at most `limit`)."""
    report = DeliveryReport()
    route_pending(store, channels, now(), report)
    start = now()
    with store.transaction() as con:
        due = box.claim_due(con, start, start - STALE_CLAIM, limit)
    with httpx.Client(follow_redirects=False) as client:
        for d in due:
            _deliver_one(store, channels, d, now, client, report)
    return report


def _deliver_one(
    store: Store,
    channels: Channels,
    d: dict[str, Any],
    now: Now,
    client: httpx.Client,
    report: DeliveryReport,
) -> None:
    """Send one claimed delivery and record the attempt (its own transaction)."""
    t0 = time.perf_counter()
    try:
        result = _send(channels, d, now(), client)
    except Exception as exc:  # a bug in one channel must not strand the other claims
        result = SendResult(False, None, f"{type(exc).__name__}: {exc}")
    took = (time.perf_counter() - t0) * 1000
    attempt = int(d["attempts"]) + 1
    at = now()
    wait = None if result.ok else backoff(attempt, channels)
    with store.transaction() as con:
        state = box.record_attempt(
            con,
            outbox_id=d["outbox_id"],
            channel=d["channel"],
            target=d["target"],
            attempt=attempt,
            at=at,
            ok=result.ok,
            status_code=result.status_code,
            error=result.error,
            duration_ms=took,
            next_attempt_at=at + wait if wait is not None else None,
        )
    if state == box.SENT:
        report.sent += 1
    else:
        report.failures.append(f"{d['channel']} {d['target']}: {result.error}")
        if state == box.RETRY:
            report.retrying += 1
        else:
            report.dead += 1
