"""Reads of customers' words and what the text analysis made of them.

The texts themselves live in their source tables (survey comments, ticket subjects and
bodies, CSM interaction notes, judgement notes); `text_analysis` holds one analysis per
text (see healthscore.text).  Quotes, intent flags, sentiment history and the product
feedback report read from here.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import ibis
import pandas as pd

from healthscore.store.queries._backend import (
    Source,
    frame,
    has_table,
    param_frame,
    param_rows,
    table,
)

__all__ = [
    "TEXT_SOURCES",
    "account_quotes",
    "account_weights",
    "analysed_texts",
    "analysis_keys",
    "feature_adoption",
    "feature_catalog_rows",
    "feature_tickets",
    "intent_flags",
    "sentiment_history",
    "text_rows",
]

# Source table -> (id column, detail column, time column, text columns).
TEXT_SOURCES: dict[str, tuple[str, str, str, tuple[str, ...]]] = {
    "surveys": ("response_id", "survey_type", "responded_at", ("comment",)),
    "tickets": ("ticket_id", "category", "opened_at", ("subject", "body")),
    "interactions": ("interaction_id", "kind", "occurred_at", ("notes",)),
    "judgements": ("judgement_id", "measure", "recorded_at", ("note",)),
}
_STR = "string"


def text_rows(source: Source, accounts: list[str] | None = None) -> pd.DataFrame:
    """Every stored text: source, text_id, detail, account_id, occurred_at, text (a ticket's
    subject and body joined by a new line).  Texts that are NULL or blank are left out."""
    parts = []
    for name, (id_col, detail, when, cols) in TEXT_SOURCES.items():
        if not has_table(source, name):
            continue
        t = table(source, name)
        if accounts is not None:
            t = t.filter(t.account_id.isin(accounts))
        if len(cols) == 2:
            a, b = t[cols[0]], t[cols[1]]
            text = ibis.cases(
                (a.isnull() | (a.strip() == ""), b),
                (b.isnull() | (b.strip() == ""), a),
                else_=a.concat("\n", b),
            )
        else:
            text = t[cols[0]]
        occurred = t[when]
        if name == "surveys":
            occurred = t.responded_at.fill_null(t.sent_at)
        sel = t.select(
            source=ibis.literal(name),
            text_id=t[id_col].cast(_STR),
            detail=t[detail].cast(_STR),
            account_id=t.account_id.cast(_STR),
            occurred_at=occurred.cast("timestamp"),
            text=text.cast(_STR),
        )
        parts.append(sel.filter(sel.text.notnull() & (sel.text.strip() != "")))
    if not parts:
        return pd.DataFrame(
            columns=["source", "text_id", "detail", "account_id", "occurred_at", "text"]
        )
    return frame(parts[0] if len(parts) == 1 else ibis.union(*parts))


def analysis_keys(source: Source) -> pd.DataFrame:
    """source, text_id, text_hash, method of every stored analysis."""
    t = table(source, "text_analysis")
    return frame(t.select("source", "text_id", "text_hash", "method"))


def _known(source: Source) -> Any:
    t = table(source, "text_analysis")
    return t.filter(t.label != "unknown")


def analysed_texts(
    source: Source,
    *,
    start: dt.date | None = None,
    end: dt.date | None = None,
    accounts: list[str] | None = None,
) -> pd.DataFrame:
    """Every analysis dated in [start, end] (both optional, end inclusive) with the account's
    name, segment and ARR (12 x MRR where ARR is empty)."""
    t = table(source, "text_analysis")
    if start is not None:
        t = t.filter(t.occurred_at >= pd.Timestamp(start))
    if end is not None:
        t = t.filter(t.occurred_at < pd.Timestamp(end) + pd.Timedelta(days=1))
    if accounts is not None:
        t = t.filter(t.account_id.isin(accounts))
    a = table(source, "accounts")
    a = a.select(
        acc_id=a.account_id.cast(_STR),
        account_name=a.name,
        segment=a.segment.fill_null("(none)"),
        arr=a.arr.fill_null(a.mrr * 12).fill_null(0.0),
    )
    j = t.left_join(a, t.account_id == a.acc_id).drop("acc_id")
    return frame(j.order_by([j.occurred_at, j.source, j.text_id]))


def account_weights(source: Source) -> pd.DataFrame:
    """account_id, account_name, segment ('(none)' when empty) and arr (12 x MRR where ARR
    is empty, else 0) of every account: the weights of the feedback report."""
    a = table(source, "accounts")
    return frame(
        a.select(
            account_id=a.account_id.cast(_STR),
            account_name=a.name.fill_null(a.account_id.cast(_STR)),
            segment=a.segment.fill_null("(none)"),
            arr=a.arr.fill_null(a.mrr * 12).fill_null(0.0),
        )
    )


def account_quotes(
    source: Source,
    account_id: str,
    *,
    limit: int = 3,
    as_of: dt.date | None = None,
    days: int = 365,
) -> pd.DataFrame:
    """The `limit` most negative and `limit` most positive analysed texts of an account in the
    `days` up to `as_of` (default: its newest text): side ('negative'/'positive'), source,
    detail, text_id, occurred_at, label, score, evidence, cancellation_intent,
    competitor_intent.  Most recent first within the same score."""
    known = (
        "FROM text_analysis WHERE label <> 'unknown' AND account_id = $account "
        "AND occurred_at IS NOT NULL AND score IS NOT NULL"
    )
    if as_of is not None:
        end = pd.Timestamp(as_of) + pd.Timedelta(days=1)
    else:
        got = param_rows(
            source, f"SELECT max(occurred_at) AS newest {known}", {"account": account_id}
        )
        newest = got[0]["newest"] if got else None
        if newest is None or pd.isna(newest):
            return _empty_quotes()
        end = pd.Timestamp(newest) + pd.Timedelta(seconds=1)
    cols = ["source", "detail", "text_id", "occurred_at", "label", "score", "evidence",
            "cancellation_intent", "competitor_intent"]  # fmt: skip
    params = {
        "account": account_id,
        "end": end.to_pydatetime(),
        "start": (end - pd.Timedelta(days=days)).to_pydatetime(),
        "limit": limit,
    }
    window = f"{known} AND occurred_at < $end AND occurred_at >= $start"
    out = []
    for side, order in (("negative", "score"), ("positive", "score DESC")):
        got_side = param_frame(
            source,
            f"SELECT {', '.join(cols)} {window} AND label = '{side}' "
            f"ORDER BY {order}, occurred_at DESC LIMIT $limit",
            params,
        )
        out.append(got_side.assign(side=side))
    df = pd.concat([d for d in out if not d.empty] or [_empty_quotes()], ignore_index=True)
    return df[["side", *cols]]


def _empty_quotes() -> pd.DataFrame:
    return pd.DataFrame(
        columns=[
            "side",
            "source",
            "detail",
            "text_id",
            "occurred_at",
            "label",
            "score",
            "evidence",
            "cancellation_intent",
            "competitor_intent",
        ]
    )


def intent_flags(
    source: Source,
    as_of: dt.date,
    *,
    decay_days: int = 90,
    accounts: list[str] | None = None,
) -> pd.DataFrame:
    """Accounts whose texts showed cancellation or competitor intent in the `decay_days`
    up to `as_of`: account_id, kind ('cancellation' or 'competitor'), occurred_at of the
    latest such text, evidence (its sentence), source, text_id, mentions (how many texts in
    the window) and expires_on (the day the flag lapses unless repeated)."""
    t = table(source, "text_analysis")
    end = pd.Timestamp(as_of) + pd.Timedelta(days=1)
    t = t.filter((t.occurred_at < end) & (t.occurred_at >= end - pd.Timedelta(days=decay_days)))
    if accounts is not None:
        t = t.filter(t.account_id.isin(accounts))
    frames = []
    for kind, col in (("cancellation", "cancellation_intent"), ("competitor", "competitor_intent")):
        k = t.filter(t[col])
        rank = ibis.row_number().over(
            group_by=k.account_id, order_by=[k.occurred_at.desc(), k.text_id.desc()]
        )
        counts = k.group_by("account_id").aggregate(mentions=k.count())
        latest = k.mutate(rk=rank).filter(lambda r: r.rk == 0)
        latest = latest.join(counts, "account_id")
        df = frame(
            latest.select(
                "account_id", "occurred_at", "evidence", "source", "detail", "text_id", "mentions"
            )
        )
        df.insert(1, "kind", kind)
        frames.append(df)
    out = pd.concat(frames, ignore_index=True)
    out["expires_on"] = (
        pd.to_datetime(out["occurred_at"]).dt.normalize() + pd.Timedelta(days=decay_days)
    ).dt.date
    return out.sort_values(["occurred_at", "account_id"], ascending=[False, True]).reset_index(
        drop=True
    )


def sentiment_history(
    source: Source, account_id: str, *, as_of: dt.date | None = None
) -> pd.DataFrame:
    """occurred_at, source, detail, label, score of an account's analysed texts, oldest first."""
    params: dict[str, Any] = {"account": account_id}
    cond = "label <> 'unknown' AND account_id = $account AND occurred_at IS NOT NULL"
    if as_of is not None:
        cond += " AND occurred_at < $end"
        params["end"] = (pd.Timestamp(as_of) + pd.Timedelta(days=1)).to_pydatetime()
    return param_frame(
        source,
        f"SELECT occurred_at, source, detail, label, score FROM text_analysis WHERE {cond} "
        "ORDER BY occurred_at",
        params,
    )


def feature_tickets(source: Source, start: dt.date, end: dt.date) -> pd.DataFrame:
    """ticket_id, account_id, feature, csat, opened_at of tickets opened in [start, end]
    that name a feature in their `feature` column."""
    if not has_table(source, "tickets"):
        return pd.DataFrame(columns=["ticket_id", "account_id", "feature", "csat", "opened_at"])
    t = table(source, "tickets")
    t = t.filter(
        t.feature.notnull()
        & (t.opened_at >= pd.Timestamp(start))
        & (t.opened_at < pd.Timestamp(end) + pd.Timedelta(days=1))
    )
    return frame(
        t.select(
            ticket_id=t.ticket_id.cast(_STR),
            account_id=t.account_id.cast(_STR),
            feature=t.feature.cast(_STR),
            csat=t.csat,
            opened_at=t.opened_at,
        )
    )


def feature_adoption(source: Source, start: dt.date, end: dt.date) -> pd.DataFrame:
    """feature, accounts (distinct accounts that used it in [start, end]) and active (all
    accounts with any event in the period): the adoption beside each feature's friction."""
    if not has_table(source, "events"):
        return pd.DataFrame(columns=["feature", "accounts", "active"])
    e = table(source, "events")
    e = e.filter(
        (e.event_time >= pd.Timestamp(start))
        & (e.event_time < pd.Timestamp(end) + pd.Timedelta(days=1))
    )
    per = frame(
        e.group_by(feature=e.event_type.cast(_STR)).aggregate(accounts=e.account_id.nunique())
    )
    active = e.account_id.nunique().execute()
    per["active"] = int(active or 0)
    return per


def feature_catalog_rows(source: Source) -> list[dict[str, Any]]:
    """The feature catalogue as rows: feature, description, category and (when the store's
    catalogue has the column) synonyms."""
    if not has_table(source, "features"):
        return []
    f = table(source, "features")
    cols = [
        c for c in ("feature", "category", "description", "synonyms", "label") if c in f.columns
    ]
    return frame(f.select(cols)).to_dict("records")
