"""Conditions: each turns one `when:` entry into a yes/no per account and, for the accounts
where it holds, the evidence in words.

All conditions work on whole columns at once (pandas), so a rule costs the same few
operations on 500 accounts or 100,000; only the evidence text is built per matched account.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from healthscore.actions.changes import describe_change
from healthscore.actions.facts import DEFAULT_CADENCE_DAYS, Facts
from healthscore.errors import HealthscoreError
from healthscore.scoring.display import floored

__all__ = ["Match", "RuleError", "evaluate"]

Words = Callable[[pd.Index], dict[str, list[str]]]


class RuleError(HealthscoreError):
    """A rule cannot be evaluated on this store (e.g. it names a metric the store lacks)."""


@dataclass
class Match:
    """Which accounts a condition holds for, and how to say why for those accounts."""

    mask: pd.Series
    words: Words
    # Contacts tied to the moment (ticket requester...) for asks: account -> contact ids.
    moment_contacts: dict[str, list[str]] | None = None
    moment_words: dict[str, str] | None = None


def _none(_: pd.Index) -> dict[str, list[str]]:
    return {}


def _fmt(v: Any) -> str:
    if v is None or (isinstance(v, float) and np.isnan(v)):
        return "no data"
    if isinstance(v, float):
        return f"{v:,.0f}" if abs(v) >= 100 else f"{v:.3g}"
    return str(v)


def _score_words(v: Any) -> str:
    """A score as evidence: floored to one decimal, so 59.96 red never reads "60"."""
    if v is None or (isinstance(v, float) and np.isnan(v)):
        return "no data"
    return floored(v, 1).removesuffix(".0")


_OP_WORDS = {
    "above": "above",
    "below": "below",
    "at_least": "at least",
    "at_most": "at most",
    "equals": "=",
}


def _at(series: pd.Series, ids: pd.Index) -> list[Any]:
    """The values of `series` for `ids`, as a plain list (one reindex, not a lookup each)."""
    return series.reindex(ids).tolist()


def _threshold(value: Any, facts: Facts) -> pd.Series:
    """A threshold as a per-account Series: a number, or {segment: number, default: number}."""
    idx = facts.frame.index
    if isinstance(value, dict):
        seg = facts.frame["segment"].astype(str).str.lower()
        lower = {str(k).lower(): float(v) for k, v in value.items()}
        default = lower.get("default", np.nan)
        return seg.map(lower).astype(float).fillna(default)
    return pd.Series(float(value), index=idx)


def _compare(
    series: pd.Series, spec: dict[str, Any], facts: Facts
) -> tuple[pd.Series, list[tuple[str, pd.Series]]]:
    mask = series.notna()
    used = []
    for op in _OP_WORDS:
        if op not in spec:
            continue
        t = _threshold(spec[op], facts)
        if op == "above":
            mask &= series > t
        elif op == "below":
            mask &= series < t
        elif op == "at_least":
            mask &= series >= t
        elif op == "at_most":
            mask &= series <= t
        else:
            mask &= np.isclose(series.astype(float), t)
        used.append((op, t))
    return mask.fillna(False).astype(bool), used


def _value_words(
    name: str, series: pd.Series, used: list[tuple[str, pd.Series]], unit: str = ""
) -> Words:
    def words(ids: pd.Index) -> dict[str, list[str]]:
        values = _at(series, ids)
        limits = [[f"{_OP_WORDS[op]} {_fmt(float(x))}" for x in _at(t, ids)] for op, t in used]
        out = {}
        for i, a in enumerate(ids):
            said = ", ".join(lim[i] for lim in limits)
            out[a] = [f"{name} {_fmt(values[i])}{unit}" + (f" ({said})" if said else "")]
        return out

    return words


def evaluate(cond: dict[str, Any], facts: Facts) -> Match:
    """One condition (a one-key mapping, validated by the rules file) on the facts."""
    ((kind, spec),) = cond.items()
    fn = _KINDS[kind]
    return fn(spec, facts)


def _all(spec: list[dict[str, Any]], facts: Facts) -> Match:
    parts = [evaluate(c, facts) for c in spec]
    mask = pd.Series(True, index=facts.frame.index)
    for p in parts:
        mask &= p.mask

    def words(ids: pd.Index) -> dict[str, list[str]]:
        out: dict[str, list[str]] = {a: [] for a in ids}
        for p in parts:
            for a, w in p.words(ids).items():
                out[a] += w
        return out

    return Match(mask, words, *_moments(parts, mask))


def _any(spec: list[dict[str, Any]], facts: Facts) -> Match:
    parts = [evaluate(c, facts) for c in spec]
    mask = pd.Series(False, index=facts.frame.index)
    for p in parts:
        mask |= p.mask

    def words(ids: pd.Index) -> dict[str, list[str]]:
        out: dict[str, list[str]] = {a: [] for a in ids}
        for p in parts:
            held = ids[p.mask.reindex(ids).fillna(False).to_numpy(bool)]
            for a, w in p.words(held).items():
                out[a] += w
        return out

    return Match(mask, words, *_moments(parts, mask))


def _moments(
    parts: list[Match], mask: pd.Series
) -> tuple[dict[str, list[str]] | None, dict[str, str] | None]:
    contacts: dict[str, list[str]] | None = None
    moment: dict[str, str] | None = None
    for p in parts:
        if p.moment_contacts is None:
            continue
        contacts = contacts or {}
        moment = moment or {}
        for a, cs in p.moment_contacts.items():
            if bool(p.mask.get(a, False)):
                contacts.setdefault(a, [])
                contacts[a] += [c for c in cs if c not in contacts[a]]
                if p.moment_words and a in p.moment_words:
                    moment.setdefault(a, p.moment_words[a])
    return contacts, moment


def _not(spec: dict[str, Any], facts: Facts) -> Match:
    inner = evaluate(spec, facts)
    return Match(~inner.mask, _none)


def _column(facts: Facts, name: str) -> pd.Series:
    if name not in facts.frame.columns:
        raise RuleError(f"metric {name!r} is not in this store's catalogue (see the metrics list)")
    return facts.frame[name].astype(float)


def _metric(spec: dict[str, Any], facts: Facts) -> Match:
    name = spec["name"]
    series = _column(facts, name)
    if spec.get("missing") is True:
        mask = series.isna()
        return Match(mask, lambda ids: {a: [f"no data for {facts.label(name)}"] for a in ids})
    mask, used = _compare(series, spec, facts)
    if isinstance(spec.get("say"), str):
        say = spec["say"]
        return Match(
            mask,
            lambda ids: {
                a: [say.replace("{value}", _fmt(v))]
                for a, v in zip(ids, _at(series, ids), strict=True)
            },
        )
    return Match(mask, _value_words(facts.label(name), series, used))


def _score(spec: dict[str, Any], facts: Facts) -> Match:
    series = facts.frame["score"].astype(float)
    mask, used = _compare(series, spec, facts)
    return Match(mask, _value_words("health score", series, used))


def _band(spec: Any, facts: Facts) -> Match:
    bands = [spec] if isinstance(spec, str) else list(spec)
    band = facts.frame["band"].astype("string").str.lower()
    mask = band.isin([b.lower() for b in bands]).fillna(False).astype(bool)
    score = facts.frame["score"]
    return Match(
        mask,
        lambda ids: {
            a: [f"band {b} (score {_score_words(v)})"]
            for a, b, v in zip(ids, _at(band, ids), _at(score, ids), strict=True)
        },
    )


def _trend(spec: dict[str, Any], facts: Facts) -> Match:
    days = int(spec.get("days", 30))
    series = facts.frame[f"trend_{days}d"].astype(float)
    mask, used = _compare(series, spec, facts)
    return Match(mask, _value_words(f"score change over {days} days", series, used, " points"))


def _churn(spec: dict[str, Any], facts: Facts) -> Match:
    series = facts.frame["churn_probability"].astype(float)
    mask, used = _compare(series, spec, facts)
    return Match(mask, _value_words("churn probability (90 days)", series, used))


def _tenure(spec: dict[str, Any], facts: Facts) -> Match:
    start = pd.to_datetime(facts.frame["start_date"])
    tenure = (pd.Timestamp(facts.as_of) - start).dt.days.astype(float)
    if "financial_tenure_days" in facts.frame.columns:
        tenure = tenure.fillna(facts.frame["financial_tenure_days"].astype(float))
    mask, used = _compare(tenure, spec, facts)
    return Match(mask, _value_words("customer for", tenure, used, " days"))


def _renewal(spec: int, facts: Facts) -> Match:
    ren = pd.to_datetime(facts.frame["renewal_date"])
    left = (ren - pd.Timestamp(facts.as_of)).dt.days
    mask = ((left >= 0) & (left <= int(spec))).fillna(False).astype(bool)
    return Match(
        mask,
        lambda ids: {
            a: [f"renews on {r.date()}, in {int(n)} days"]
            for a, r, n in zip(ids, _at(ren, ids), _at(left, ids), strict=True)
        },
    )


def _segment(spec: Any, facts: Facts) -> Match:
    segs = [spec] if isinstance(spec, str) else list(spec)
    mask = facts.frame["segment"].astype(str).str.lower().isin([s.lower() for s in segs])
    return Match(mask, _none)


def _change(spec: dict[str, Any], facts: Facts) -> Match:
    metrics = [spec["metric"]] if isinstance(spec["metric"], str) else list(spec["metric"])
    kinds = spec.get("kind")
    kinds = None if kinds is None else ([kinds] if isinstance(kinds, str) else list(kinds))
    c = facts.changes
    c = c[c["metric"].isin(metrics)]
    if kinds is not None:
        c = c[c["kind"].isin(kinds)]
    if spec.get("direction"):
        c = c[c["direction"] == spec["direction"]]
    within = int(spec.get("within_days", 0))
    if within:
        started = pd.to_datetime(c["started"]).dt.date
        c = c[started >= facts.as_of - dt.timedelta(days=within)]
    hit = set(c["account_id"].astype(str))
    mask = pd.Series(facts.frame.index.isin(list(hit)), index=facts.frame.index)

    def words(ids: pd.Index) -> dict[str, list[str]]:
        keep = c[c["account_id"].isin(list(ids))]
        out: dict[str, list[str]] = {}
        for row in keep.to_dict("records"):
            out.setdefault(str(row["account_id"]), []).append(
                describe_change(row, facts.label(str(row["metric"])))
            )
        return out

    return Match(mask, words)


def _driver(spec: dict[str, Any], facts: Facts) -> Match:
    top = int(spec.get("top", 3))
    d = facts.drivers
    d = d[d["rank"] <= top]
    if "group" in spec:
        d = d[d["group_name"].str.lower() == str(spec["group"]).lower()]
    if "measure" in spec:
        d = d[d["measure"].str.lower() == str(spec["measure"]).lower()]
    hit = set(d["account_id"].astype(str))
    mask = pd.Series(facts.frame.index.isin(list(hit)), index=facts.frame.index)

    def words(ids: pd.Index) -> dict[str, list[str]]:
        out: dict[str, list[str]] = {}
        for row in d[d["account_id"].isin(list(ids))].to_dict("records"):
            out.setdefault(str(row["account_id"]), []).append(
                f"risk driver #{int(row['rank'])}: {row['measure']} ({row['group_name']})"
            )
        return out

    return Match(mask, words)


def _segment_rank(spec: dict[str, Any], facts: Facts) -> Match:
    name = spec["metric"]
    series = _column(facts, name)
    seg = facts.frame["segment"].astype(str)
    pct = series.groupby(seg).rank(pct=True) * 100
    mask = series.notna()
    if "below_percentile" in spec:
        mask &= pct <= float(spec["below_percentile"])
    if "above_percentile" in spec:
        mask &= pct >= float(spec["above_percentile"])
    mask = mask.fillna(False).astype(bool)
    median = series.groupby(seg).transform("median")

    label = facts.label(name)

    def words(ids: pd.Index) -> dict[str, list[str]]:
        rows = zip(
            ids, _at(series, ids), _at(pct, ids), _at(seg, ids), _at(median, ids), strict=True
        )
        return {
            a: [
                f"{label} {_fmt(v)}, in the bottom {max(1, round(q))} % of {sg} "
                f"accounts (segment median {_fmt(float(md))})"
                if "below_percentile" in spec
                else f"{label} {_fmt(v)}, in the top {max(1, round(100 - q))} % of {sg}"
            ]
            for a, v, q, sg, md in rows
        }

    return Match(mask, words)


def _touch_overdue(spec: bool, facts: Facts) -> Match:
    days = (
        facts.frame["relationship_days_since_last_touch"].astype(float)
        if "relationship_days_since_last_touch" in facts.frame.columns
        else pd.Series(np.nan, index=facts.frame.index)
    )
    cadence = facts.cadence_days
    seg = facts.frame["segment"].astype(str).str.lower()
    limit = seg.map(cadence).astype(float).fillna(float(DEFAULT_CADENCE_DAYS))
    start = pd.to_datetime(facts.frame["start_date"])
    tenure = (pd.Timestamp(facts.as_of) - start).dt.days.astype(float)
    overdue = (days > limit) | (days.isna() & (tenure > limit))
    mask = overdue.fillna(False).astype(bool)
    if spec is False:
        mask = ~mask

    def words(ids: pd.Index) -> dict[str, list[str]]:
        out = {}
        for a, sg, d, lim in zip(ids, _at(seg, ids), _at(days, ids), _at(limit, ids), strict=True):
            found = "from insights" if sg in cadence else "default"
            last = "no CSM touch on record" if np.isnan(d) else f"last CSM touch {int(d)} days ago"
            out[a] = [f"{last}; the {sg} cadence is a touch every {int(lim)} days ({found})"]
        return out

    return Match(mask, words)


def _judgement_gap(spec: dict[str, Any], facts: Facts) -> Match:
    measure = spec.get("measure", "relationship_quality")
    col = f"judgement_{measure}"
    if col not in facts.frame.columns:
        return Match(pd.Series(False, index=facts.frame.index), _none)
    judged = (facts.frame[col].astype(float) - 1) / 4 * 100  # a 1-5 judgement on 0-100
    score = facts.frame["score"].astype(float)
    gap = judged - score
    mask = (gap.abs() >= float(spec.get("min_points", 30))).fillna(False).astype(bool)

    rated = facts.frame[col].astype(float)

    def words(ids: pd.Index) -> dict[str, list[str]]:
        out = {}
        rows = zip(
            ids, _at(rated, ids), _at(judged, ids), _at(score, ids), _at(gap, ids), strict=True
        )
        for a, v, j, sc, g in rows:
            side = "better" if g > 0 else "worse"
            out[a] = [
                f"CSM rates {measure.replace('_', ' ')} {v:g}/5 (≈{j:.0f}/100) but the health "
                f"score is {sc:.0f}: the CSM sees it {abs(g):.0f} points {side}; review both"
            ]
        return out

    return Match(mask, words)


def _event(spec: dict[str, Any], facts: Facts) -> Match:
    kind = spec["kind"]
    within = int(spec.get("within_days", 7))
    min_days = int(spec.get("min_days", 0))
    since = facts.as_of - dt.timedelta(days=within)
    idx = facts.frame.index
    rows: list[tuple[str, str, str | None]] = []  # account, words, contact
    if kind == "ticket_resolved":
        t = facts.tickets
        t = t[pd.to_datetime(t["resolved_at"]).dt.date >= since]
        for r in t.to_dict("records"):
            subj = (
                f" '{r['subject']}'" if isinstance(r.get("subject"), str) and r["subject"] else ""
            )
            rows.append(
                (
                    r["account_id"],
                    f"ticket {r['ticket_id']}{subj} resolved on {pd.Timestamp(r['resolved_at']).date()}",
                    r.get("contact_id"),
                )
            )
    elif kind in ("milestone_reached", "milestone_overdue"):
        m = facts.milestones
        due = pd.to_datetime(m["due_date"]).dt.date
        done = pd.to_datetime(m["completed_date"]).dt.date
        if kind == "milestone_reached":
            m = m[done.notna() & (done >= since) & (done <= facts.as_of)]
            for r in m.to_dict("records"):
                rows.append(
                    (
                        r["account_id"],
                        f"milestone '{r['title']}' reached on {pd.Timestamp(r['completed_date']).date()}",
                        None,
                    )
                )
        else:
            late = m[
                done.isna()
                & due.notna()
                & (due < facts.as_of - dt.timedelta(days=min_days))
                & (due >= since)
            ]
            for r in late.to_dict("records"):
                d = pd.Timestamp(r["due_date"]).date()
                rows.append(
                    (
                        r["account_id"],
                        f"milestone '{r['title']}' was due {d}, {(facts.as_of - d).days} days ago",
                        None,
                    )
                )
    elif kind == "first_value":
        fv = facts.first_values
        fv = fv[fv["first_value_at"].dt.date >= since]
        for r in fv.to_dict("records"):
            rows.append(
                (r["account_id"], f"first value reached on {r['first_value_at'].date()}", None)
            )
    elif kind in ("payment_late", "payment_failed"):
        inv = facts.invoices
        due = pd.to_datetime(inv["due_date"]).dt.date
        inv = inv[due >= since]
        for r in inv.to_dict("records"):
            d = pd.Timestamp(r["due_date"]).date()
            amount = f" of {r['amount']:,.0f}" if pd.notna(r.get("amount")) else ""
            if kind == "payment_failed" and r["failed_attempts"] > 0:
                rows.append(
                    (
                        r["account_id"],
                        f"invoice {r['invoice_id']}{amount} had {int(r['failed_attempts'])} failed payment attempt(s)",
                        None,
                    )
                )
            elif kind == "payment_late":
                paid = r.get("paid_date")
                unpaid = paid is None or pd.isna(paid)
                late_days = (
                    (facts.as_of - d).days if unpaid else (pd.Timestamp(paid).date() - d).days
                )
                if late_days < max(min_days, 1):
                    continue
                if unpaid:
                    rows.append(
                        (
                            r["account_id"],
                            f"invoice {r['invoice_id']}{amount} due {d} is unpaid, {(facts.as_of - d).days} days late",
                            None,
                        )
                    )
                elif pd.Timestamp(paid).date() > d:
                    rows.append(
                        (
                            r["account_id"],
                            f"invoice {r['invoice_id']}{amount} was paid {(pd.Timestamp(paid).date() - d).days} days late",
                            None,
                        )
                    )
    elif kind in ("nps_detractor", "nps_promoter"):
        answers = facts.nps_answers
        when = pd.to_datetime(answers["responded_at"]).dt.date
        answers = answers[when >= since]
        answers = (
            answers[answers["score"] <= 6]
            if kind == "nps_detractor"
            else answers[answers["score"] >= 9]
        )
        for r in answers.to_dict("records"):
            who = (
                r["name"]
                if isinstance(r.get("name"), str)
                else (r.get("contact_id") or "a contact")
            )
            said = (
                f": '{r['comment']}'" if isinstance(r.get("comment"), str) and r["comment"] else ""
            )
            rows.append(
                (
                    r["account_id"],
                    f"NPS {r['score']:g} from {who} on {pd.Timestamp(r['responded_at']).date()}{said}",
                    r.get("contact_id"),
                )
            )
    elif kind in ("cancellation_intent", "competitor_intent"):
        flags = facts.intents(within)
        flags = flags[flags["kind"] == kind.removesuffix("_intent")]
        for r in flags.to_dict("records"):
            where = str(r.get("source") or "a text").replace("_", " ")
            said = (
                f": '{r['evidence']}'"
                if isinstance(r.get("evidence"), str) and r["evidence"]
                else ""
            )
            what = kind.replace("_", " ")
            rows.append(
                (
                    r["account_id"],
                    f"{what} in {where} on {pd.Timestamp(r['occurred_at']).date()}{said}",
                    None,
                )
            )
    found: dict[str, list[str]] = {}
    contacts: dict[str, list[str]] = {}
    for a, w, c in rows:
        a = str(a)
        found.setdefault(a, []).append(w)
        if c is not None and not (isinstance(c, float) and np.isnan(c)):
            contacts.setdefault(a, []).append(str(c))
        else:
            contacts.setdefault(a, [])
    mask = pd.Series(idx.isin(list(found)), index=idx)
    moment = {a: w[0] for a, w in found.items()}
    return Match(
        mask,
        lambda ids: {
            a: found[a][:3] + ([f"and {len(found[a]) - 3} more"] if len(found[a]) > 3 else [])
            for a in ids
            if a in found
        },
        contacts,
        moment,
    )


def _signal(spec: dict[str, Any], facts: Facts) -> Match:
    return _metric(spec, facts)


_KINDS: dict[str, Callable[[Any, Facts], Match]] = {
    "metric": _metric,
    "score": _score,
    "band": _band,
    "trend": _trend,
    "change": _change,
    "churn_probability": _churn,
    "driver": _driver,
    "segment_rank": _segment_rank,
    "event": _event,
    "renewal_within_days": _renewal,
    "tenure_days": _tenure,
    "touch_overdue": _touch_overdue,
    "judgement_gap": _judgement_gap,
    "segment": _segment,
    "signal": _signal,
    "all": _all,
    "any": _any,
    "not": _not,
}
