"""What the Account 360 page shows: the explanation of its score (`explain_account`), its
score history with markers, its timeline, success plan, CTAs and prediction."""

from __future__ import annotations

import datetime as dt
import itertools
import math
from dataclasses import dataclass, field
from typing import Any

from healthscore.errors import HealthscoreError
from healthscore.scoring import Explanation, Scorecard, explain_account
from healthscore.scoring.explain import SharedReads
from healthscore.store import Store
from healthscore.store.queries import find_account
from healthscore.store.queries.account_view import (
    account_goals,
    account_timeline,
    weekly_usage,
)
from healthscore.web.deps import NotFound
from healthscore.web.store_access import StampedCache, store_stamp

__all__ = ["AccountData", "account_data", "resolve_account", "shared_reads"]

TIMELINE_DAYS = 180


@dataclass
class AccountData:
    account_id: str
    explanation: Explanation | None
    history: list[dict[str, Any]]
    chart: dict[str, Any]
    timeline: list[dict[str, Any]]
    goals: list[dict[str, Any]]
    weights: list[dict[str, Any]]
    bands: list[str]
    notes: list[str] = field(default_factory=list)


def resolve_account(store: Store, key: str) -> str:
    """The account id for `key` (an id or an exact name), or `NotFound`."""
    found = find_account(store, key)
    if found is None:
        raise NotFound(f"no account {key!r} in the store; search the portfolio for it")
    return found


def _clean(v: Any) -> Any:
    return None if isinstance(v, float) and math.isnan(v) else v


def _day(v: Any) -> dt.date | None:
    if v is None:
        return None
    return v.date() if isinstance(v, dt.datetime) else v


def _timeline(
    t: dict[str, list[dict[str, Any]]], usage: list[dict[str, Any]]
) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    for r in t["tickets"]:
        state = r["status"] or ("resolved" if r["resolved_at"] else "open")
        extra = f" · CSAT {r['csat']:g}" if _clean(r["csat"]) is not None else ""
        items.append(
            {
                "when": r["opened_at"],
                "kind": "ticket",
                "label": f"Ticket {r['priority'] or ''}".strip(),
                "title": r["subject"] or r["category"] or r["ticket_id"],
                "text": r["body"],
                "meta": f"{state}{extra}" + (" · escalated" if r["escalated"] else ""),
            }
        )
    for r in t["surveys"]:
        kind = (r["survey_type"] or "survey").upper()
        items.append(
            {
                "when": r["responded_at"],
                "kind": "survey",
                "label": kind,
                "title": f"{kind} {_clean(r['score']):g}"
                if _clean(r["score"]) is not None
                else kind,
                "text": r["comment"],
                "quote": True,
                "meta": "",
            }
        )
    for r in t["interactions"]:
        items.append(
            {
                "when": r["occurred_at"],
                "kind": "touch",
                "label": (r["kind"] or "touch").upper(),
                "title": f"{(r['kind'] or 'touch').capitalize()}"
                + (f" by {r['csm']}" if r["csm"] else ""),
                "text": r["notes"],
                "meta": r["direction"] or "",
            }
        )
    for r in t["judgements"]:
        items.append(
            {
                "when": r["recorded_at"],
                "kind": "judgement",
                "label": "Judgement",
                "title": f"{r['measure'].replace('_', ' ')}: {r['value']:g}"
                + (f" ({r['csm']})" if r["csm"] else ""),
                "text": r["note"],
                "meta": "",
            }
        )
    for r in t["invoices"]:
        amount = _clean(r["amount"])
        items.append(
            {
                "when": r["issued_date"],
                "kind": "invoice",
                "label": "Invoice",
                "title": f"{r['currency'] or ''} {amount:,.2f}".strip()
                if amount is not None
                else r["invoice_id"],
                "text": None,
                "meta": (r["status"] or "")
                + (
                    f" · paid {r['paid_date']}"
                    if r["paid_date"]
                    else f" · due {r['due_date']}"
                    if r["due_date"]
                    else ""
                ),
            }
        )
    for r in t["milestones"]:
        when = r["completed_date"] or r["due_date"]
        if when is None:
            continue
        items.append(
            {
                "when": when,
                "kind": "milestone",
                "label": "Milestone",
                "title": r["title"],
                "text": None,
                "meta": r["status"] or "",
            }
        )
    for r in usage[-12:]:
        items.append(
            {
                "when": r["week"],
                "kind": "usage",
                "label": "Usage",
                "title": f"{r['events']:,} events by {r['users']} user{'s' if r['users'] != 1 else ''}",
                "text": None,
                "meta": "week from " + str(r["week"]),
            }
        )
    items.sort(key=lambda i: _sort_key(i["when"]), reverse=True)
    return items


def _sort_key(v: Any) -> dt.datetime:
    if isinstance(v, dt.datetime):
        return v
    if isinstance(v, dt.date):
        return dt.datetime.combine(v, dt.time(23, 59))
    return dt.datetime.min


def _chart(
    history: list[dict[str, Any]],
    t: dict[str, list[dict[str, Any]]],
    card: Scorecard,
    voice: dict[str, Any] | None = None,
) -> dict[str, Any]:
    labels = [h["as_of"].isoformat() for h in history]
    points = [{"x": lbl, "y": _clean(h["score"])} for lbl, h in zip(labels, history, strict=True)]

    def at_snapshot(when: Any) -> str | None:
        """The first snapshot on or after the event (markers sit on the category axis)."""
        day = _day(when)
        if day is None:
            return None
        for h in history:
            if h["as_of"] >= day:
                return str(h["as_of"].isoformat())
        return None

    def marks(rows: list[dict[str, Any]], col: str, text: Any) -> list[dict[str, Any]]:
        out = []
        for r in rows:
            x = at_snapshot(r[col])
            if x is not None:
                out.append({"x": x, "text": text(r)})
        return out

    band_changes = []
    for a, b in itertools.pairwise(history):
        if a["band"] != b["band"] and b["score"] is not None:
            band_changes.append(
                {
                    "x": b["as_of"].isoformat(),
                    "y": _clean(b["score"]),
                    "text": f"band {a['band'] or 'unscored'} → {b['band']}",
                }
            )
    # Text sentiment per month (-1 to 1), placed on the month's last snapshot: a second line.
    sentiment = []
    for m in (voice or {}).get("months", []):
        year, month = (int(p) for p in str(m["month"]).split("-"))
        first = dt.date(year + month // 12, month % 12 + 1, 1)
        inside = [h for h in history if h["as_of"] < first and h["as_of"].month == month]
        if inside and m.get("avg_score") is not None:
            sentiment.append(
                {
                    "x": inside[-1]["as_of"].isoformat(),
                    "y": round(float(m["avg_score"]), 3),
                    "text": f"sentiment {m['month']}: {float(m['avg_score']):+.2f} "
                    f"({m['texts']} texts)",
                }
            )
    return {
        "labels": labels,
        "points": points,
        "sentiment": sentiment,
        "bands": [{"band": b.name, "min": b.min} for b in card.bands],
        "tickets": marks(
            t["tickets"], "opened_at", lambda r: f"ticket: {r['subject'] or r['ticket_id']}"
        ),
        "surveys": marks(
            t["surveys"],
            "responded_at",
            lambda r: f"{(r['survey_type'] or '').upper()} {_clean(r['score'])}",
        ),
        "touches": marks(t["interactions"], "occurred_at", lambda r: f"CSM {r['kind']}"),
        "band_changes": band_changes,
    }


def _weights(card: Scorecard, segment: str | None) -> list[dict[str, Any]]:
    seg = card.segments.get(segment or "") if segment else None
    total = 0.0
    pairs: list[tuple[str, float]] = []
    for g in card.groups:
        w = float(seg.weights.get(g.name, g.weight)) if seg is not None else float(g.weight)
        pairs.append((g.name, w))
        total += w
    return [{"group": n, "weight": w, "share": w / total if total else 0.0} for n, w in pairs]


_shared: StampedCache[SharedReads] = StampedCache(size=2)


def shared_reads(store: Store) -> SharedReads:
    """The explanations' portfolio-wide reads for the store as it is now (a fresh set
    after any write to it, so a new score run or import shows at once)."""
    return _shared.get(store_stamp(store.path), "explain", SharedReads)


def account_data(store: Store, account_id: str, card: Scorecard) -> AccountData:
    """Everything the page shows for one account (resolved with `resolve_account`)."""
    notes = []
    shared = shared_reads(store)
    try:
        exp: Explanation | None = explain_account(store, account_id, shared=shared)
    except HealthscoreError as exc:
        exp, notes = None, [str(exc)]
    history = shared.score_series(store, account_id)
    # The timeline covers the charted history, and at least the last 180 days.
    last = history[-1]["as_of"] if history else None
    since = None
    if last is not None:
        since = min(history[0]["as_of"], last - dt.timedelta(days=TIMELINE_DAYS))
    t = account_timeline(store, account_id, since=since)
    usage = weekly_usage(store, account_id, since=since)
    segment = exp.account.get("segment") if exp is not None else None
    return AccountData(
        account_id=account_id,
        explanation=exp,
        history=history,
        chart=_chart(history, t, card, exp.voice if exp is not None else None),
        timeline=_timeline(t, usage),
        goals=account_goals(store, account_id),
        weights=_weights(card, segment),
        bands=[b.name for b in card.bands],
        notes=notes,
    )
