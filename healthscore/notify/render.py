"""What a notification says: e-mail (plain text + HTML), Slack blocks, and the JSON body.

One function per channel kind turns an outbox row (topic + payload) into what is sent.
Every user-supplied text (account names, reasons, evidence) is escaped for HTML and for
Slack's mrkdwn, so a name like ``<Acme & Co>`` shows as written.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import html
from email.message import EmailMessage
from email.utils import format_datetime
from typing import Any

from healthscore.predict.words import score_text

__all__ = [
    "DIGEST_TOPIC",
    "digest_text",
    "email_message",
    "json_body",
    "slack_body",
    "subject",
]

DIGEST_TOPIC = "digest"
_CTA_VERB = {"cta.opened": "New", "cta.changed": "Updated", "cta.closed": "Closed"}
_SECTIONS = (
    ("new", "New calls-to-action"),
    ("overdue", "Overdue"),
    ("deferred", "Deferred (waiting for capacity)"),
    ("band_changes", "Accounts that changed band"),
    ("renewals", "Renewals coming up"),
)


def subject(topic: str, payload: dict[str, Any]) -> str:
    if topic == DIGEST_TOPIC:
        counts = ", ".join(
            f"{len(payload.get(k) or [])} {label.split(' (')[0].lower()}"
            for k, label in _SECTIONS
            if payload.get(k)
        )
        return f"Healthscore digest for {payload.get('period')}: {counts or 'nothing new'}"
    verb = _CTA_VERB.get(topic, "Notice")
    crit = "[critical] " if payload.get("critical") else ""
    return f"{crit}{verb} {payload.get('type', 'CTA')} CTA: {_account(payload)} - {payload.get('reason', '')}"


def _account(p: dict[str, Any]) -> str:
    return str(p.get("account_name") or p.get("account_id") or "?")


def _cta_meta(p: dict[str, Any]) -> str:
    """'(risk, priority 42, due 2026-12-04, critical)', or '' when there is nothing to say."""
    meta = []
    if p.get("type"):
        meta.append(str(p["type"]))
    if p.get("priority") is not None:
        meta.append(f"priority {_num(p['priority'])}")
    if p.get("due"):
        meta.append(f"due {p['due']}")
    if p.get("critical"):
        meta.append("critical")
    return f"({', '.join(meta)})" if meta else ""


def _cta_line(p: dict[str, Any]) -> str:
    meta = _cta_meta(p)
    return f"{_account(p)}: {p.get('reason', '')}" + (f" {meta}" if meta else "")


def _num(v: Any) -> str:
    """1,800 / 17,110 / 42.5 / 0.37: whole numbers from 100 on, three significant digits below."""
    try:
        x = float(v)
    except (TypeError, ValueError):
        return str(v)
    return f"{x:,.0f}" if abs(x) >= 100 else f"{x:.3g}"


def _item_line(key: str, item: dict[str, Any]) -> str:
    if key == "band_changes":
        move = f"{item.get('from_band')} -> {item.get('to_band')}"
        score = item.get("score")
        shown = f", score {score_text(score)}" if score is not None else ""
        return f"{_account(item)}: {move}{shown}"
    if key == "renewals":
        band = f", {item['band']}" if item.get("band") else ""
        arr = f", ARR {_num(item['arr'])}" if item.get("arr") is not None else ""
        return f"{_account(item)}: renews {item.get('renewal_date')}{band}{arr}"
    return _cta_line(item)


def digest_text(payload: dict[str, Any]) -> str:
    """The digest as plain text (the e-mail's text part, and the Slack fallback)."""
    lines = [f"Healthscore digest for {payload.get('owner')}, {payload.get('period')}", ""]
    for key, label in _SECTIONS:
        items = payload.get(key) or []
        if not items:
            continue
        lines.append(f"{label} ({len(items)})")
        for item in items:
            lines.append(f"  - {_item_line(key, item)}")
            for ev in (item.get("evidence") or [])[:3] if key in {"new", "overdue"} else []:
                lines.append(f"      {ev}")
        lines.append("")
    if len(lines) == 2:
        lines += ["Nothing new today.", ""]
    return "\n".join(lines).rstrip() + "\n"


def _cta_text(topic: str, p: dict[str, Any]) -> str:
    lines = [subject(topic, p), ""]
    for label, key in (("Account", "account_id"), ("Owner", "owner"), ("Due", "due")):
        if p.get(key):
            lines.append(f"{label}: {p[key]}")
    if p.get("priority") is not None:
        lines.append(f"Priority: {_num(p['priority'])}")
    if p.get("evidence"):
        lines += ["", "Evidence:"] + [f"  - {e}" for e in p["evidence"]]
    return "\n".join(lines) + "\n"


def plain_text(topic: str, payload: dict[str, Any]) -> str:
    return digest_text(payload) if topic == DIGEST_TOPIC else _cta_text(topic, payload)


_MUTED = "color:#52606d;font-size:13px"


def _html_item(key: str, item: dict[str, Any]) -> str:
    """One list entry: the account in bold, then what happened, the details muted."""
    e = html.escape
    name = f"<strong>{e(_account(item))}</strong>"
    if key in {"band_changes", "renewals"}:
        rest = _item_line(key, item)[len(_account(item)) :]
        return f"{name}{e(rest)}"
    meta = _cta_meta(item)
    out = f"{name}: {e(str(item.get('reason', '')))}"
    if meta:
        out += f' <span style="{_MUTED}">{e(meta)}</span>'
    return out


def _html(topic: str, payload: dict[str, Any]) -> str:
    e = html.escape
    parts = [
        '<!doctype html><html><body style="margin:0;padding:16px;background:#f5f7fa">',
        '<div style="max-width:640px;margin:auto;background:#fff;padding:20px 24px;'
        "border-radius:8px;font-family:system-ui,-apple-system,Segoe UI,sans-serif;"
        'color:#1f2933;line-height:1.45">',
        f'<h2 style="font-size:18px;margin:0 0 12px">{e(subject(topic, payload))}</h2>',
    ]
    if topic == DIGEST_TOPIC:
        any_items = False
        for key, label in _SECTIONS:
            items = payload.get(key) or []
            if not items:
                continue
            any_items = True
            parts.append(
                f'<h3 style="font-size:15px;margin:18px 0 6px;border-bottom:1px solid #e4e7eb;'
                f'padding-bottom:4px">{e(label)} ({len(items)})</h3><ul style="padding-left:20px;margin:0">'
            )
            for item in items:
                parts.append(f'<li style="margin:6px 0">{_html_item(key, item)}')
                evidence = (item.get("evidence") or [])[:3] if key in {"new", "overdue"} else []
                if evidence:
                    parts.append(
                        f'<ul style="{_MUTED};padding-left:18px;margin:2px 0">'
                        + "".join(f"<li>{e(str(x))}</li>" for x in evidence)
                        + "</ul>"
                    )
                parts.append("</li>")
            parts.append("</ul>")
        if not any_items:
            parts.append("<p>Nothing new today.</p>")
    else:
        parts.append(f"<p>{_html_item('new', payload)}</p>")
        if payload.get("evidence"):
            parts.append(
                f'<ul style="{_MUTED}">'
                + "".join(f"<li>{e(str(x))}</li>" for x in payload["evidence"])
                + "</ul>"
            )
    parts.append(
        f'<p style="{_MUTED};margin-top:20px">Sent by healthscore. '
        "At most one digest a day; critical calls-to-action are sent when they change.</p>"
    )
    parts.append("</div></body></html>")
    return "".join(parts)


def email_message(
    topic: str,
    payload: dict[str, Any],
    *,
    msg_id: str,
    sender: str,
    to: str,
    when: dt.datetime,
) -> EmailMessage:
    """A multipart/alternative e-mail; its Message-ID is stable per (outbox row, address),
    so a resend after a crash is recognisable as the same message."""
    m = EmailMessage()
    m["Subject"] = subject(topic, payload)
    m["From"] = sender
    m["To"] = to
    m["Date"] = format_datetime(when if when.tzinfo else when.replace(tzinfo=dt.UTC))
    digest = hashlib.sha256(to.encode()).hexdigest()[:10]
    m["Message-ID"] = f"<{msg_id}.{digest}@healthscore>"
    m["X-Healthscore-Topic"] = topic
    m["Auto-Submitted"] = "auto-generated"  # RFC 3834: no vacation auto-replies
    m.set_content(plain_text(topic, payload))
    m.add_alternative(_html(topic, payload), subtype="html")
    return m


def _mrkdwn(text: str) -> str:
    # Slack's escaping: only &, < and > are special in mrkdwn text
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def slack_body(topic: str, payload: dict[str, Any]) -> dict[str, Any]:
    """A Slack incoming-webhook message: `text` (the fallback) plus section blocks."""
    head = subject(topic, payload)
    blocks: list[dict[str, Any]] = [
        {"type": "header", "text": {"type": "plain_text", "text": head[:150]}}
    ]
    if topic == DIGEST_TOPIC:
        for key, label in _SECTIONS:
            items = payload.get(key) or []
            if items:
                body = "\n".join(f"• {_mrkdwn(_item_line(key, i))}" for i in items[:20])
                more = f"\n…and {len(items) - 20} more" if len(items) > 20 else ""
                text = f"*{label}* ({len(items)})\n{body}{more}"
                blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": text[:3000]}})
    else:
        text = _mrkdwn(_cta_line(payload))
        if payload.get("evidence"):
            text += "\n" + "\n".join(f"• {_mrkdwn(str(x))}" for x in payload["evidence"][:5])
        blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": text[:3000]}})
    return {"text": _mrkdwn(head), "blocks": blocks}


def json_body(topic: str, payload: dict[str, Any], when: dt.datetime) -> dict[str, Any]:
    """The generic webhook body, shaped as Standard Webhooks suggests: type, timestamp, data."""
    stamp = when if when.tzinfo else when.replace(tzinfo=dt.UTC)
    return {"type": topic, "timestamp": stamp.isoformat(), "data": payload}
