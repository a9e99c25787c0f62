"""Digests: one per owner per period, new CTAs once, overdue and deferred ones while they last."""

from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path
from typing import Any

import pytest

from healthscore.notify import build_digests, deliver, parse_channels, period_of
from healthscore.notify.render import digest_text, slack_body
from healthscore.store import Store, open_store
from healthscore.store.outbox import enqueue

from .receivers import Mailbox, Receiver

DAY = dt.date(2026, 11, 30)
NOW = dt.datetime(2026, 11, 30, 7, 0)


@pytest.fixture(autouse=True)
def _outbox_is_the_truth(monkeypatch: pytest.MonkeyPatch) -> None:
    # These stores hold hand-made CTA events and no CTA table rows: read state from the outbox.
    monkeypatch.setitem(sys.modules, "healthscore.actions", None)


@pytest.fixture
def store(tmp_path: Path) -> Store:
    return open_store(tmp_path / "s.duckdb")


def cta(n: int, owner: str, **extra: Any) -> dict[str, Any]:
    return {
        "id": n,
        "account_id": f"A{n}",
        "account_name": f"Account {n}",
        "owner": owner,
        "type": "risk",
        "reason": f"reason {n}",
        "evidence": [f"evidence {n}"],
        "priority": float(n),
        "critical": False,
        "due": "2026-12-10",
        "status": "open",
        **extra,
    }


def put(store: Store, topic: str, key: str, payload: dict[str, Any]) -> None:
    with store.transaction() as con:
        enqueue(con, topic=topic, key=key, payload=payload, now=NOW)


def channels(mailbox: Mailbox, extra: str = "") -> Any:
    return parse_channels(
        f"smtp: {{host: 127.0.0.1, port: {mailbox.port}, from: hs@example.com}}\n"
        "recipients:\n  Dana: {email: dana@example.com}\n  Sam: {email: sam@example.com}\n" + extra
    )


def test_one_digest_per_owner_per_day_with_new_overdue_and_deferred(
    store: Store, mailbox: Mailbox
) -> None:
    put(store, "cta.opened", "c1", cta(1, "Dana"))
    put(store, "cta.opened", "c2", cta(2, "Dana", due="2026-11-20"))  # overdue
    put(store, "cta.opened", "c3", cta(3, "Dana", deferred=True))
    put(store, "cta.opened", "c4", cta(4, "Sam"))
    put(store, "cta.opened", "c5", cta(5, "Sam"))
    put(store, "cta.closed", "c5-closed", cta(5, "Sam", status="closed"))  # closed: not listed
    ch = channels(mailbox)
    report = build_digests(store, ch, as_of=DAY, day=DAY, now=NOW)
    assert report.queued == ["Dana", "Sam"] and report.period == DAY
    dana = report.contents["Dana"]
    assert [c["id"] for c in dana["new"]] == [3, 2, 1]  # by priority
    assert [c["id"] for c in dana["overdue"]] == [2]
    assert [c["id"] for c in dana["deferred"]] == [3]
    assert [c["id"] for c in report.contents["Sam"]["new"]] == [4]

    assert deliver(store, ch, now=lambda: NOW).sent == 2
    by_to = {m["To"]: m for m in mailbox.messages}
    assert by_to["dana@example.com"]["Subject"] == (
        "Healthscore digest for 2026-11-30: 3 new calls-to-action, 1 overdue, 1 deferred"
    )

    # later the same day: a new CTA, but the day's digest has gone; nothing is queued
    put(store, "cta.opened", "c6", cta(6, "Dana"))
    again = build_digests(store, ch, as_of=DAY, day=DAY, now=NOW)
    assert again.queued == [] and again.already == ["Dana"]
    assert deliver(store, ch, now=lambda: NOW).sent == 0

    # the next day: only what is new since, plus what is still overdue
    nxt = DAY + dt.timedelta(days=1)
    third = build_digests(store, ch, as_of=nxt, day=nxt, now=NOW + dt.timedelta(days=1))
    assert third.queued == ["Dana"]  # Sam: CTA 4 is not new any more, nothing to say
    assert [c["id"] for c in third.contents["Dana"]["new"]] == [6]
    assert [c["id"] for c in third.contents["Dana"]["overdue"]] == [2]


def test_an_owner_with_nothing_new_gets_no_digest_and_unknown_owners_are_reported(
    store: Store, mailbox: Mailbox
) -> None:
    put(store, "cta.opened", "c1", cta(1, "Nobody Known"))
    ch = parse_channels(
        f"smtp: {{host: 127.0.0.1, port: {mailbox.port}, from: hs@example.com}}\n"
        "recipients:\n  Dana: {email: dana@example.com}\n"
    )
    report = build_digests(store, ch, as_of=DAY, day=DAY, now=NOW)
    assert report.queued == [] and report.no_recipient == ["Nobody Known"]


def test_digests_every_seven_days_share_one_period() -> None:
    monday = dt.date(2026, 11, 30)
    periods = {period_of(monday + dt.timedelta(days=i), 7) for i in range(7)}
    assert len(periods) <= 2 and period_of(monday, 1) == monday
    week = [period_of(dt.date(2026, 11, 1) + dt.timedelta(days=i), 7) for i in range(30)]
    assert all(week.count(p) <= 7 for p in set(week))


def test_the_digest_as_text_and_as_slack(
    store: Store, mailbox: Mailbox, receiver: Receiver
) -> None:
    put(store, "cta.opened", "c1", cta(1, "Dana", account_name="<Acme & Co>"))
    ch = channels(
        mailbox,
        f"webhooks:\n  cs: {{url: '{receiver.url('/slack')}', kind: slack}}\n"
        "immediate: {webhooks: [cs]}\n",
    )
    payload = build_digests(store, ch, as_of=DAY, day=DAY, now=NOW).contents["Dana"]
    text = digest_text(payload)
    assert text.splitlines()[:4] == [
        "Healthscore digest for Dana, 2026-11-30",
        "",
        "New calls-to-action (1)",
        "  - <Acme & Co>: reason 1 (risk, priority 1, due 2026-12-10)",
    ]
    blocks = slack_body("digest", payload)["blocks"]
    assert "&lt;Acme &amp; Co&gt;" in blocks[1]["text"]["text"]


def test_band_changes_and_renewals_come_from_the_scores_and_accounts(
    store: Store, mailbox: Mailbox
) -> None:
    con = store.con
    con.execute(
        "INSERT INTO accounts (account_id, name, arr, renewal_date, owner_csm) VALUES "
        "('A1', 'Acme', 12000, DATE '2026-12-20', 'Dana'), "
        "('A2', 'Birch', 5000, DATE '2027-06-01', 'Dana'), "
        "('A3', 'Cobalt', 8000, DATE '2026-12-01', 'Sam')"
    )
    rows = [
        ("2026-11-23", "A1", 72.0, "green"),
        ("2026-11-23", "A2", 50.0, "yellow"),
        ("2026-11-23", "A3", 30.0, "red"),
        ("2026-11-30", "A1", 48.0, "yellow"),  # green -> yellow
        ("2026-11-30", "A2", 52.0, "yellow"),  # no change
        ("2026-11-30", "A3", 31.0, "red"),
    ]
    for day, account, score, band in rows:
        con.execute(
            "INSERT INTO score_snapshots (as_of, account_id, score, band, scorecard_version, "
            "computed_at) VALUES (?, ?, ?, ?, 'v1', ?)",
            [dt.date.fromisoformat(day), account, score, band, NOW],
        )
    report = build_digests(store, channels(mailbox), as_of=DAY, day=DAY, now=NOW)
    dana, sam = report.contents["Dana"], report.contents["Sam"]
    assert [(b["account_id"], b["from_band"], b["to_band"]) for b in dana["band_changes"]] == [
        ("A1", "green", "yellow")
    ]
    assert [r["account_id"] for r in dana["renewals"]] == ["A1"]  # A2 renews past 60 days
    assert sam["band_changes"] == [] and [r["renewal_date"] for r in sam["renewals"]] == [
        "2026-12-01"
    ]
    text = digest_text(dana)
    assert "Accounts that changed band (1)\n  - Acme: green -> yellow, score 48" in text
    assert "Renewals coming up (1)\n  - Acme: renews 2026-12-20, yellow, ARR 12,000" in text
