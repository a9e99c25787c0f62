"""Per-owner digests: new, overdue and deferred CTAs, band changes and coming renewals.

A digest is itself an outbox row (topic ``digest``) keyed ``digest:<owner>:<period>``, so
the store enforces the contact-hygiene rule: at most one per owner per period (one day by
default), however often the daily job runs.  The CTA events it carries are logged, so the
next digest lists only CTAs that are new since.

The CTA sections are read from the outbox's own CTA events (the latest event of each CTA
gives its state), so digests need nothing but the rows the actions feature writes.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import importlib
from dataclasses import dataclass, field
from typing import Any

from healthscore.notify.config import Channels
from healthscore.notify.render import DIGEST_TOPIC
from healthscore.store import Store
from healthscore.store import outbox as box
from healthscore.store.queries.accounts import known_owners, portfolio
from healthscore.store.queries.outbox import cta_events, digested_outbox_ids
from healthscore.store.queries.scores import snapshot_dates

__all__ = ["DigestReport", "build_digests", "digest_contents", "period_of"]

_CTA_FIELDS = (
    "id",
    "account_id",
    "account_name",
    "type",
    "reason",
    "priority",
    "due",
    "critical",
    "evidence",
    "status",
    "deferred",
)
_CLOSED = {"closed", "done", "resolved"}


@dataclass
class DigestReport:
    """What `build_digests` did: digests queued, owners skipped and why."""

    period: dt.date
    queued: list[str] = field(default_factory=list)
    already: list[str] = field(default_factory=list)
    empty: list[str] = field(default_factory=list)
    no_recipient: list[str] = field(default_factory=list)
    contents: dict[str, dict[str, Any]] = field(default_factory=dict)


def period_of(day: dt.date, every_days: int) -> dt.date:
    """The first day of the digest period holding `day` (periods of `every_days` days)."""
    return dt.date.fromordinal(day.toordinal() - day.toordinal() % every_days)


def _closed(ev: dict[str, Any]) -> bool:
    state = str(ev["payload"].get("status") or ev["payload"].get("state") or "").lower()
    return ev["topic"] == "cta.closed" or state in _CLOSED


def _deferred(p: dict[str, Any]) -> bool:
    state = str(p.get("status") or p.get("state") or "").lower()
    return bool(p.get("deferred")) or state == "deferred"


def _brief(p: dict[str, Any]) -> dict[str, Any]:
    return {k: p[k] for k in _CTA_FIELDS if k in p}


def _as_date(value: Any) -> dt.date | None:
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value)[:10]) if value else None
    except ValueError:
        return None


def _by_priority(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return sorted(items, key=lambda p: (-float(p.get("priority") or 0), str(p.get("account_id"))))


def _live_ctas(store: Store) -> dict[str, dict[str, Any]] | None:
    """The CTAs in force (not closed, not held back) by id, from the actions feature when it
    is installed and its tables exist; None otherwise (the outbox then tells the state)."""
    try:
        actions = importlib.import_module("healthscore.actions")
    except ModuleNotFoundError as exc:
        if exc.name != "healthscore.actions":
            raise
        return None
    lister = getattr(actions, "list_ctas", None)
    if lister is None or "ctas" not in store.ibis().list_tables():
        return None
    out: dict[str, dict[str, Any]] = {}
    for cta in lister(store):
        if dataclasses.is_dataclass(cta) and not isinstance(cta, type):
            row = dataclasses.asdict(cta)
        else:
            row = dict(vars(cta))
        out[str(row["id"])] = row
    return out


def digest_contents(
    store: Store, as_of: dt.date, day: dt.date, channels: Channels
) -> tuple[dict[str, dict[str, Any]], dict[str, list[str]]]:
    """Each owner's digest sections, and per owner the CTA outbox ids it carries as new."""
    events = cta_events(store)
    seen = digested_outbox_ids(store)
    latest: dict[str, dict[str, Any]] = {}
    ids_of: dict[str, list[str]] = {}
    for ev in events:
        cid = str(ev["payload"].get("id"))
        latest[cid] = ev
        ids_of.setdefault(cid, []).append(ev["id"])
    per: dict[str, dict[str, Any]] = {}
    carried: dict[str, list[str]] = {}

    def section(owner: str) -> dict[str, Any]:
        return per.setdefault(
            owner,
            {"new": [], "overdue": [], "deferred": [], "band_changes": [], "renewals": []},
        )

    live = _live_ctas(store)
    for cid, ev in latest.items():
        if _closed(ev) or (live is not None and cid not in live):
            continue
        # the CTA table is the truth for state (a snooze or a deferral writes no outbox row)
        p = ev["payload"]
        if live is not None:
            p = {**p, **_brief(live[cid]), "owner": live[cid].get("owner")}
        owner = str(p.get("owner") or "")
        ids = ids_of[cid]
        if not any(i in seen for i in ids):
            section(owner)["new"].append(_brief(p))
            carried.setdefault(owner, []).extend(ids)
        due = _as_date(p.get("due"))
        waiting = str(p.get("status") or "").lower() == "snoozed" or _deferred(p)
        if due is not None and due < day and not waiting:
            section(owner)["overdue"].append(_brief(p))
        if _deferred(p):
            section(owner)["deferred"].append(_brief(p))

    dates = [d for d in snapshot_dates(store) if d <= as_of]
    if dates:
        newest = dates[-1]
        now_rows = portfolio(store, newest)
        if len(dates) > 1:
            before = {r["account_id"]: r for r in portfolio(store, dates[-2])}
            for r in now_rows:
                old = before.get(r["account_id"])
                if old is not None and old["band"] and r["band"] and old["band"] != r["band"]:
                    section(str(r["owner"] or ""))["band_changes"].append(
                        {
                            "account_id": r["account_id"],
                            "account_name": r["name"],
                            "from_band": old["band"],
                            "to_band": r["band"],
                            "score": r["score"],
                            "previous_score": old["score"],
                            "since": dates[-2].isoformat(),
                        }
                    )
        horizon = as_of + dt.timedelta(days=channels.digest.renewal_days)
        for r in now_rows:
            renews = _as_date(r["renewal_date"])
            if renews is not None and as_of <= renews <= horizon:
                section(str(r["owner"] or ""))["renewals"].append(
                    {
                        "account_id": r["account_id"],
                        "account_name": r["name"],
                        "renewal_date": renews.isoformat(),
                        "band": r["band"],
                        "score": r["score"],
                        "arr": r["arr"],
                    }
                )
    for s in per.values():
        for key in ("new", "overdue", "deferred"):
            s[key] = _by_priority(s[key])
        s["band_changes"].sort(key=lambda r: str(r["account_name"] or r["account_id"]))
        s["renewals"].sort(key=lambda r: (r["renewal_date"], str(r["account_id"])))
    if channels.digest.send_when_empty:
        for owner in known_owners(store):
            section(owner)
    return per, carried


def build_digests(
    store: Store,
    channels: Channels,
    *,
    as_of: dt.date,
    day: dt.date,
    now: dt.datetime,
) -> DigestReport:
    """Queue this period's digest for every owner with something to say (and a recipient).

    `as_of` is the scoring date (band changes, renewals); `day` the calendar day the
    digest is for (overdue, the period)."""
    period = period_of(day, channels.digest.every_days)
    report = DigestReport(period)
    contents, carried = digest_contents(store, as_of, day, channels)
    for owner in sorted(contents):
        body = contents[owner]
        name = owner or "(no owner)"
        if not any(body.values()) and not channels.digest.send_when_empty:
            report.empty.append(name)
            continue
        if channels.recipient(owner or None) is None:
            report.no_recipient.append(name)
            continue
        key = f"digest:{owner}:{period.isoformat()}"
        payload = {"owner": owner, "period": period.isoformat(), "as_of": as_of.isoformat(), **body}
        with store.transaction() as con:
            if not box.enqueue(con, topic=DIGEST_TOPIC, key=key, payload=payload, now=now):
                report.already.append(name)
                continue
            digest_id = box.digest_id_of(con, key)
            assert digest_id is not None
            box.log_digest(con, digest_id, owner, period, carried.get(owner, []))
        report.queued.append(name)
        report.contents[name] = payload
    return report
