"""The product feedback report: which features cause friction, for whom, and in whose words.

Friction of a feature in a period = the tickets linked to it (by the ticket's `feature`
field or by the analysis finding it in the text), the negative texts that mention it and
its tickets rated with a low CSAT, each weighted by the ARR of the account that raised it:
a complaint from a 200k account weighs ten times one from a 20k account.  Beside it:
adoption (the share of active accounts that used the feature), the change against the
previous period of the same length, the segments affected and the most negative quotes.
"""

from __future__ import annotations

import datetime as dt
import html
import math
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from healthscore.errors import NotEnoughData
from healthscore.store import Store
from healthscore.store.queries.span import data_range
from healthscore.store.queries.texts import (
    account_weights,
    analysed_texts,
    feature_adoption,
    feature_catalog_rows,
    feature_tickets,
)

__all__ = [
    "LOW_CSAT",
    "FeatureFriction",
    "FeedbackReport",
    "feedback_report",
    "render_feedback_html",
]

LOW_CSAT = 2.0  # ticket CSAT at or below this (1-5) is a low rating


@dataclass
class FeatureFriction:
    """One feature's row of the report."""

    feature: str
    description: str | None
    adoption: float | None  # share of active accounts that used it in the period
    adopting_accounts: int
    tickets: int
    negative_texts: int
    low_csat: int
    cancellation_texts: int
    accounts: int  # accounts that raised any friction
    arr_affected: float
    friction_arr: float  # sum over friction signals of the raising account's ARR
    previous_friction_arr: float
    previous_signals: int
    segments: list[tuple[str, int]] = field(default_factory=list)
    quotes: list[dict[str, Any]] = field(default_factory=list)

    @property
    def signals(self) -> int:
        return self.tickets + self.negative_texts + self.low_csat

    @property
    def trend(self) -> float | None:
        """Change of the ARR-weighted friction against the previous period, in %."""
        if self.previous_friction_arr <= 0:
            return None
        return (self.friction_arr - self.previous_friction_arr) / self.previous_friction_arr * 100


@dataclass
class FeedbackReport:
    start: dt.date
    end: dt.date
    previous_start: dt.date
    rows: list[FeatureFriction]
    texts: int
    negative_texts: int
    intent: list[dict[str, Any]]
    notes: list[str] = field(default_factory=list)

    def as_rows(self) -> list[dict[str, Any]]:
        """One flat row per feature: for CSV, JSON and the product team's spreadsheet."""
        out = []
        for rank, r in enumerate(self.rows, 1):
            out.append(
                {
                    "rank": rank,
                    "feature": r.feature,
                    "friction_arr": round(r.friction_arr, 2),
                    "signals": r.signals,
                    "tickets": r.tickets,
                    "negative_texts": r.negative_texts,
                    "low_csat": r.low_csat,
                    "cancellation_texts": r.cancellation_texts,
                    "accounts": r.accounts,
                    "arr_affected": round(r.arr_affected, 2),
                    "adoption": None if r.adoption is None else round(r.adoption, 4),
                    "adopting_accounts": r.adopting_accounts,
                    "previous_friction_arr": round(r.previous_friction_arr, 2),
                    "previous_signals": r.previous_signals,
                    "trend_pct": None if r.trend is None else round(r.trend, 1),
                    "segments": "; ".join(f"{s} ({n})" for s, n in r.segments),
                    "quotes": " | ".join(
                        f"{q['evidence']} ({q['account']}, {q['source']}, {q['date']})"
                        for q in r.quotes
                    ),
                    "period_start": self.start.isoformat(),
                    "period_end": self.end.isoformat(),
                }
            )
        return out

    def as_dict(self) -> dict[str, Any]:
        return {
            "start": self.start.isoformat(),
            "end": self.end.isoformat(),
            "previous_start": self.previous_start.isoformat(),
            "texts": self.texts,
            "negative_texts": self.negative_texts,
            "features": [
                {**row, "segments": [list(s) for s in r.segments], "quotes": r.quotes}
                for row, r in zip(self.as_rows(), self.rows, strict=True)
            ],
            "intent": self.intent,
            "notes": self.notes,
        }


def _split(value: Any) -> list[str]:
    if not isinstance(value, str) or not value:
        return []
    return [v for v in value.split(",") if v]


def _signals(
    texts: pd.DataFrame, tickets: pd.DataFrame, arr: dict[str, float], features: list[str]
) -> pd.DataFrame:
    """One row per (feature, signal): kind (ticket / negative / low_csat), account, ARR."""
    rows: list[tuple[str, str, str, str]] = []
    linked: dict[str, set[str]] = {}
    for t in tickets.itertuples(index=False):
        linked.setdefault(str(t.ticket_id), set()).add(str(t.feature))
    csat = {str(t.ticket_id): t.csat for t in tickets.itertuples(index=False)}
    for t in texts.itertuples(index=False):
        feats = set(_split(t.features))
        if t.source == "tickets":
            feats |= linked.pop(str(t.text_id), set())
            for f in feats:
                rows.append((f, "ticket", str(t.account_id), str(t.text_id)))
                c = csat.get(str(t.text_id))
                if c is not None and not (isinstance(c, float) and math.isnan(c)) and c <= LOW_CSAT:
                    rows.append((f, "low_csat", str(t.account_id), str(t.text_id)))
        if t.label == "negative":
            # The complaint's own features where the analysis has them (older rows: all).
            blamed = getattr(t, "negative_features", None)
            named = set(_split(blamed)) if isinstance(blamed, str) and blamed else feats
            for f in named:
                rows.append((f, "negative", str(t.account_id), f"{t.source}:{t.text_id}"))
    # Tickets whose text was not analysed still count by their feature field.
    for t in tickets.itertuples(index=False):
        if str(t.ticket_id) in linked:
            rows.append((str(t.feature), "ticket", str(t.account_id), str(t.ticket_id)))
            c = t.csat
            if c is not None and not (isinstance(c, float) and math.isnan(c)) and c <= LOW_CSAT:
                rows.append((str(t.feature), "low_csat", str(t.account_id), str(t.ticket_id)))
    df = pd.DataFrame(rows, columns=["feature", "kind", "account_id", "ref"])
    df = df[df["feature"].isin(features)] if features else df
    df["arr"] = df["account_id"].map(arr).fillna(0.0).astype("float64")
    return df


def feedback_report(
    store: Store,
    *,
    end: dt.date | None = None,
    days: int = 90,
    segment: str | None = None,
    quotes: int = 3,
) -> FeedbackReport:
    """Features ranked by ARR-weighted friction in the `days` up to `end` (default: the
    newest data), against the `days` before."""
    if days < 1:
        raise ValueError("days must be at least 1")
    if end is None:
        span = data_range(store)
        if span is None:
            raise NotEnoughData("the store holds no data to report on; import or build data first")
        end = span.last
    start = end - dt.timedelta(days=days - 1)
    prev_start = start - dt.timedelta(days=days)
    prev_end = start - dt.timedelta(days=1)
    texts = analysed_texts(store, start=prev_start, end=end)
    notes: list[str] = []
    if texts.empty:
        notes.append("no analysed texts in the period: analyse the store's texts first")
    weights = account_weights(store)
    if segment is not None:
        weights = weights[weights["segment"] == segment]
        texts = texts[texts["account_id"].isin(set(weights["account_id"]))]
    arr = dict(zip(weights["account_id"], weights["arr"].astype("float64"), strict=True))
    names = dict(zip(weights["account_id"], weights["account_name"], strict=True))
    segs = dict(zip(weights["account_id"], weights["segment"], strict=True))
    catalog = feature_catalog_rows(store)
    described = {str(r["feature"]): r.get("description") for r in catalog}
    when = pd.to_datetime(texts["occurred_at"]).dt.date
    cur_t, prev_t = texts[when >= start], texts[when <= prev_end]
    tk_all = feature_tickets(store, prev_start, end)
    if segment is not None or not tk_all.empty:
        tk_all = tk_all[
            tk_all["account_id"].isin(set(texts["account_id"]) | set(tk_all["account_id"]))
        ]
    tk_when = pd.to_datetime(tk_all["opened_at"]).dt.date
    cur_k, prev_k = tk_all[tk_when >= start], tk_all[tk_when <= prev_end]
    features = sorted(described) if described else []
    cur = _signals(cur_t, cur_k, arr, features)
    prev = _signals(prev_t, prev_k, arr, features)
    adoption = feature_adoption(store, start, end)
    adopt = {
        str(r.feature): (int(r.accounts), int(r.active)) for r in adoption.itertuples(index=False)
    }
    rows = []
    for f in sorted(set(cur["feature"]) | set(features)):
        c = cur[cur["feature"] == f]
        p = prev[prev["feature"] == f]
        used, active = adopt.get(f, (0, int(adoption["active"].max()) if not adoption.empty else 0))
        named = [f in str(x).split(",") for x in cur_t["features"].fillna("")]
        mentions = cur_t.loc[pd.Series(named, index=cur_t.index, dtype=bool)]
        neg = mentions[mentions["label"] == "negative"]
        if "negative_features" in neg.columns and not neg.empty:
            blamed = neg["negative_features"].fillna(neg["features"]).fillna("")
            keep = [f in str(b).split(",") for b in blamed]
            neg = neg.loc[pd.Series(keep, index=neg.index, dtype=bool)]
        neg = neg.sort_values(["score", "occurred_at"], ascending=[True, False])
        accounts = sorted(set(c["account_id"]))
        seg_counts = pd.Series([segs.get(a, "(none)") for a in accounts]).value_counts()
        rows.append(
            FeatureFriction(
                feature=f,
                description=described.get(f),
                adoption=(used / active) if active else None,
                adopting_accounts=used,
                tickets=int((c["kind"] == "ticket").sum()),
                negative_texts=int((c["kind"] == "negative").sum()),
                low_csat=int((c["kind"] == "low_csat").sum()),
                cancellation_texts=int(
                    mentions["cancellation_intent"].fillna(False).astype(bool).sum()
                ),
                accounts=len(accounts),
                arr_affected=float(sum(arr.get(a, 0.0) for a in accounts)),
                friction_arr=float(c["arr"].sum()),
                previous_friction_arr=float(p["arr"].sum()),
                previous_signals=len(p),
                segments=[(str(s), int(n)) for s, n in seg_counts.items()],
                quotes=[
                    {
                        "evidence": q.evidence,
                        "account": names.get(q.account_id, q.account_id),
                        "account_id": q.account_id,
                        "source": q.source,
                        "date": pd.Timestamp(q.occurred_at).date().isoformat(),
                        "score": q.score,
                    }
                    for q in neg.head(quotes).itertuples(index=False)
                    if isinstance(q.evidence, str)
                ],
            )
        )
    rows.sort(key=lambda r: (-r.friction_arr, -r.signals, r.feature))
    intent = cur_t[
        cur_t["cancellation_intent"].fillna(False).astype(bool)
        | cur_t["competitor_intent"].fillna(False).astype(bool)
    ]
    intent_rows = [
        {
            "account_id": r.account_id,
            "account": names.get(r.account_id, r.account_id),
            "segment": r.segment,
            "arr": r.arr,
            "kind": "competitor" if r.competitor_intent else "cancellation",
            "source": r.source,
            "date": pd.Timestamp(r.occurred_at).date().isoformat(),
            "evidence": r.evidence,
        }
        for r in intent.sort_values("occurred_at", ascending=False).itertuples(index=False)
    ]
    known = cur_t[cur_t["label"] != "unknown"]
    return FeedbackReport(
        start=start,
        end=end,
        previous_start=prev_start,
        rows=rows,
        texts=len(known),
        negative_texts=int((known["label"] == "negative").sum()),
        intent=intent_rows,
        notes=notes,
    )


def _money(x: float) -> str:
    return f"{x:,.0f}"


def render_feedback_html(report: FeedbackReport) -> str:
    """The report as one standalone HTML page (no scripts, no remote assets)."""
    e = html.escape
    head = (
        "<!doctype html><html lang='en'><head><meta charset='utf-8'>"
        "<meta name='viewport' content='width=device-width,initial-scale=1'>"
        f"<title>Product feedback {report.start} to {report.end}</title><style>"
        "body{font:15px/1.45 system-ui,sans-serif;margin:2rem auto;max-width:72rem;padding:0 1rem;color:#1d2433}"
        "table{border-collapse:collapse;width:100%;margin:1rem 0}th,td{padding:.45rem .6rem;border-bottom:1px solid #e3e7ee;text-align:left;vertical-align:top}"
        "th{font-size:.8rem;text-transform:uppercase;letter-spacing:.04em;color:#5b6475}td.n{text-align:right;font-variant-numeric:tabular-nums}"
        ".q{color:#4a5263;font-size:.9rem;margin:.15rem 0}td:last-child{min-width:22rem}.up{color:#b42318}.down{color:#067647}.muted{color:#8a93a5}"
        "h1{font-size:1.5rem;margin-bottom:.2rem}.flag{background:#fef3f2;border-left:3px solid #b42318;padding:.4rem .7rem;margin:.3rem 0}"
        "</style></head><body>"
    )
    parts = [
        head,
        f"<h1>Product feedback: features ranked by friction</h1><p class='muted'>{report.start} to {report.end}, "
        f"against {report.previous_start} onwards; {report.texts} texts read, {report.negative_texts} negative. "
        "Friction = tickets, negative comments and low-CSAT tickets about the feature, each weighted by the ARR of the account that raised it.</p>",
    ]
    for n in report.notes:
        parts.append(f"<p class='flag'>{e(n)}</p>")
    parts.append(
        "<table><thead><tr><th>#</th><th>feature</th><th>friction (ARR)</th><th>tickets</th><th>negative</th>"
        "<th>low CSAT</th><th>accounts</th><th>adoption</th><th>trend</th><th>segments</th><th>what customers said</th></tr></thead><tbody>"
    )
    for i, r in enumerate(report.rows, 1):
        trend = r.trend
        tr = (
            "<span class='muted'>new</span>"
            if trend is None and r.signals
            else ""
            if trend is None
            else (f"<span class='{'up' if trend > 0 else 'down'}'>{trend:+.0f}%</span>")
        )
        quotes = "".join(
            f"<p class='q'>“{e(q['evidence'])}” <span class='muted'>— {e(str(q['account']))}, {e(q['source'])}, {e(q['date'])}</span></p>"
            for q in r.quotes
        )
        adoption = "" if r.adoption is None else f"{r.adoption:.0%}"
        segs = ", ".join(f"{e(s)} ({n})" for s, n in r.segments)
        parts.append(
            f"<tr><td class='n'>{i}</td><td><b>{e(r.feature)}</b><div class='muted'>{e(r.description or '')}</div></td>"
            f"<td class='n'>{_money(r.friction_arr)}</td><td class='n'>{r.tickets}</td><td class='n'>{r.negative_texts}</td>"
            f"<td class='n'>{r.low_csat}</td><td class='n'>{r.accounts}</td><td class='n'>{adoption}</td><td class='n'>{tr}</td>"
            f"<td>{segs}</td><td>{quotes}</td></tr>"
        )
    parts.append("</tbody></table>")
    if report.intent:
        parts.append("<h2>Flagged: cancellation and competitor intent</h2>")
        for it in report.intent:
            parts.append(
                f"<p class='flag'><b>{e(str(it['account']))}</b> ({e(it['kind'])}, {e(it['source'])}, {e(it['date'])}): "
                f"“{e(str(it['evidence']))}”</p>"
            )
    parts.append("</body></html>\n")
    return "".join(parts)
