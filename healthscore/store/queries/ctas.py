"""Reads of calls-to-action and of the moments rules react to (tickets resolved, milestones
reached or overdue, invoices late, contacts to ask)."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import ibis
import pandas as pd

from healthscore.store.queries._backend import Source, frame, rows, table

__all__ = [
    "account_facts",
    "contacts_of",
    "cta_events",
    "cta_rows",
    "cta_steps",
    "cta_worked",
    "driver_rows",
    "effectiveness_rows",
    "metric_history",
    "milestone_moments",
    "nps_answers",
    "overdue_invoices",
    "promoter_contacts",
    "referrers",
    "resolved_tickets",
]


def cta_rows(
    source: Source,
    *,
    mode: str = "live",
    ids: list[int] | None = None,
    owner: str | None = None,
    type: str | None = None,
    status: str | None = None,
    account_id: str | None = None,
    include_held: bool = False,
) -> list[dict[str, Any]]:
    """CTA rows with the account's name, newest first (evidence decoded to a list)."""
    c = table(source, "ctas")
    cond = c.mode == mode
    if ids is not None:
        cond &= c.id.isin([int(i) for i in ids])
    if not include_held:
        cond &= ~c.held_back
    if owner is not None:
        cond &= c.owner.lower() == ibis.literal(owner).lower()
    if type is not None:
        cond &= c.type == type
    if status is not None:
        cond &= c.status == status
    if account_id is not None:
        cond &= c.account_id == account_id
    c = c.filter(cond)
    a = table(source, "accounts").select("account_id", account_name="name")
    j = c.left_join(a, c.account_id == a.account_id).select(c, a.account_name)
    out = rows(j.order_by([ibis.desc(j.priority), j.id]))
    for r in out:
        r["evidence"] = json.loads(r["evidence"] or "[]")
    return out


def cta_steps(source: Source, cta_ids: list[int]) -> pd.DataFrame:
    """The checklist rows of these CTAs, by CTA and step number."""
    s = table(source, "cta_steps")
    s = s.filter(s.cta_id.isin([int(i) for i in cta_ids]))
    return frame(s.order_by([s.cta_id, s.step_no]))


def cta_events(source: Source, cta_id: int) -> list[dict[str, Any]]:
    """One CTA's history, oldest first."""
    e = table(source, "cta_events")
    return rows(e.filter(e.cta_id == int(cta_id)).order_by([e.happened_at]))


def account_facts(source: Source) -> pd.DataFrame:
    """account_id, name, segment, owner, arr (else 12 x MRR), seats, start and renewal dates."""
    a = table(source, "accounts")
    return frame(
        a.select(
            account_id=a.account_id.cast("string"),
            name=a.name,
            segment=a.segment,
            owner=a.owner_csm,
            arr=ibis.coalesce(a.arr, 12 * a.mrr).cast("float64"),
            seats=a.seats_purchased.cast("float64"),
            start_date=a.start_date,
            renewal_date=a.renewal_date,
        )
    )


def _day_end(day: dt.date) -> Any:
    return ibis.timestamp(dt.datetime.combine(day + dt.timedelta(days=1), dt.time()))


def resolved_tickets(source: Source, start: dt.date, end: dt.date) -> pd.DataFrame:
    """Tickets resolved from `start` to `end` (days, inclusive): account_id, ticket_id,
    contact_id, resolved_at, csat, subject.  CSAT is returned for evidence only."""
    t = table(source, "tickets")
    t = t.filter(
        t.resolved_at.notnull()
        & (t.resolved_at >= ibis.timestamp(dt.datetime.combine(start, dt.time())))
        & (t.resolved_at < _day_end(end))
    )
    return frame(
        t.select(
            account_id=t.account_id.cast("string"),
            ticket_id=t.ticket_id,
            contact_id=t.contact_id,
            resolved_at=t.resolved_at,
            subject=t.subject,
        )
    )


def milestone_moments(source: Source, as_of: dt.date) -> pd.DataFrame:
    """Every milestone with its goal: account_id, milestone_id, goal_id, title, goal_title,
    due_date, completed_date (as known on `as_of`: a later completion is not yet done)."""
    m = table(source, "milestones")
    g = table(source, "goals").select(g_goal_id="goal_id", goal_title="title")
    j = m.left_join(g, m.goal_id == g.g_goal_id)
    done = ibis.ifelse(j.completed_date <= ibis.date(as_of), j.completed_date, ibis.null("date"))
    return frame(
        j.select(
            account_id=j.account_id.cast("string"),
            milestone_id=j.milestone_id,
            goal_id=j.goal_id,
            title=j.title,
            goal_title=j.goal_title,
            due_date=j.due_date,
            completed_date=done,
        )
    )


def overdue_invoices(source: Source, as_of: dt.date, lookback_days: int = 90) -> pd.DataFrame:
    """Invoices due in the last `lookback_days` that were paid late, are unpaid past due, or
    had failed payment attempts: account_id, invoice_id, due_date, paid_date, amount,
    failed_attempts (payment as known on `as_of`)."""
    i = table(source, "invoices")
    day = ibis.date(as_of)
    paid = ibis.ifelse(i.paid_date <= day, i.paid_date, ibis.null("date"))
    i = i.filter(
        (i.due_date <= day) & (i.due_date > ibis.date(as_of - dt.timedelta(days=lookback_days)))
    )
    late = (paid.isnull() & (i.due_date < day)) | (paid > i.due_date)
    i = i.filter(late | (i.failed_attempts.fill_null(0) > 0))
    return frame(
        i.select(
            account_id=i.account_id.cast("string"),
            invoice_id=i.invoice_id,
            due_date=i.due_date,
            paid_date=paid,
            amount=i.amount,
            failed_attempts=i.failed_attempts.fill_null(0),
        )
    )


def contacts_of(source: Source, account_ids: list[str]) -> pd.DataFrame:
    """account_id, contact_id, name, email, role of the contacts of these accounts."""
    c = table(source, "contacts")
    c = c.filter(c.account_id.isin(list(account_ids)))
    return frame(
        c.select(
            account_id=c.account_id.cast("string"),
            contact_id=c.contact_id,
            name=c.name,
            email=c.email,
            role=c.role,
        ).order_by("contact_id")
    )


def promoter_contacts(source: Source, as_of: dt.date) -> pd.DataFrame:
    """account_id, contact_id, nps: each contact's latest NPS answer on or before `as_of`."""
    v = table(source, "surveys")
    v = v.filter(
        (v.survey_type == "nps")
        & v.score.notnull()
        & v.contact_id.notnull()
        & (v.responded_at < _day_end(as_of))
    )
    return frame(
        v.group_by(account_id=v.account_id.cast("string"), contact_id=v.contact_id).aggregate(
            nps=v.score.argmax(v.responded_at), answered=v.responded_at.max()
        )
    )


def referrers(source: Source, as_of: dt.date) -> pd.DataFrame:
    """account_id, contact_id of the referrals made on or before `as_of`."""
    a = table(source, "advocacy")
    a = a.filter((a.kind == "referral") & (a.occurred_at < _day_end(as_of)))
    return frame(a.select(account_id=a.account_id.cast("string"), contact_id=a.contact_id))


def driver_rows(source: Source, as_of: dt.date) -> pd.DataFrame:
    """account_id, group_name, measure, normalized, effective_weight of every scored
    measure on `as_of`: what pulls each account's score down."""
    m = table(source, "score_measures")
    m = m.filter((m.as_of == ibis.date(as_of)) & m.normalized.notnull())
    return frame(m.select("account_id", "group_name", "measure", "normalized", "effective_weight"))


def nps_answers(source: Source, start: dt.date, end: dt.date) -> pd.DataFrame:
    """NPS answers from `start` to `end` (days, inclusive): account_id, contact_id, name (of
    the contact), score, comment, responded_at."""
    v = table(source, "surveys")
    v = v.filter(
        (v.survey_type == "nps")
        & v.score.notnull()
        & (v.responded_at >= ibis.timestamp(dt.datetime.combine(start, dt.time())))
        & (v.responded_at < _day_end(end))
    )
    c = table(source, "contacts").select(c_id="contact_id", name="name")
    j = v.left_join(c, v.contact_id == c.c_id)
    return frame(
        j.select(
            account_id=j.account_id.cast("string"),
            contact_id=j.contact_id,
            name=j.name,
            score=j.score,
            comment=j.comment,
            responded_at=j.responded_at,
        )
    )


def effectiveness_rows(source: Source, mode: str = "live") -> pd.DataFrame:
    """Every CTA of `mode`, held-back ones included, with what judging its outcome needs."""
    c = table(source, "ctas")
    return frame(
        c.filter(c.mode == mode).select(
            "id",
            "account_id",
            "rule",
            "type",
            "held_back",
            "opened_on",
            "outcome_kind",
            "outcome_days",
            "band_at_open",
            "usage_at_open",
            "status",
            "outcome",
        )
    )


def cta_worked(source: Source, system: str = "healthscore") -> dict[str, set[int]]:
    """CTA ids a person acted on ("by_people") and ids a person closed ("closed_by_people")."""
    e = table(source, "cta_events")
    people = e.filter(e.actor != system)
    acted = people.select("cta_id").distinct().to_pyarrow().column(0).to_pylist()
    closed = (
        (people.filter(people.action == "closed").select("cta_id").distinct().to_pyarrow())
        .column(0)
        .to_pylist()
    )
    return {"by_people": {int(i) for i in acted}, "closed_by_people": {int(i) for i in closed}}


def metric_history(
    source: Source, metric: str, days: list[dt.date]
) -> dict[tuple[str, dt.date], float]:
    """(account, day) -> the metric's raw value in the newest snapshot on or before each day,
    from the scored measures (only metrics the scorecard scores)."""
    m = table(source, "score_measures")
    got = frame(m.filter(m.metric == metric).select("as_of", "account_id", "raw_value"))
    if got.empty:
        return {}
    got["as_of"] = pd.to_datetime(got["as_of"])
    got = got.sort_values("as_of")
    out: dict[tuple[str, dt.date], float] = {}
    for day in days:
        upto = got[got["as_of"] <= pd.Timestamp(day)]
        last = upto.groupby("account_id")["raw_value"].last()
        for acc, v in last.items():
            if pd.notna(v):
                out[(str(acc), day)] = float(v)
    return out
