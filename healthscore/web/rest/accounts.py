"""Accounts: the portfolio (filters, sort, cursor pages), one account, its score history,
explanation, metrics as of a date and churn prediction."""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import hashlib
import json
import re
from enum import StrEnum
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Request
from pydantic import BaseModel

from healthscore.errors import HealthscoreError
from healthscore.store import Store
from healthscore.store.queries import account_snapshot, find_account, latest_snapshot_date
from healthscore.store.queries.api_records import account_record, score_history
from healthscore.web.rest._store import rest_store as get_store
from healthscore.web.rest._util import app_for, clean
from healthscore.web.rest.auth import ReadKey
from healthscore.web.rest.problems import PROBLEM_RESPONSES, ApiProblem, ProblemRoute
from healthscore.web.store_access import StampedCache, store_stamp

__all__ = ["resolve_account", "router"]

router = APIRouter(
    prefix="/api/v1",
    tags=["accounts"],
    route_class=ProblemRoute,
    responses={
        **PROBLEM_RESPONSES,
        404: {"description": "No such account.", "model": None},
    },
)

AccountId = Annotated[str, Path(description="The account's id (or its name).", min_length=1)]
AsOf = Annotated[
    dt.date | None,
    Query(description="The date (YYYY-MM-DD); default: the newest score or data."),
]


class Sort(StrEnum):
    score = "score"
    arr = "arr"
    trend = "trend"
    renewal = "renewal"
    name = "name"


class AccountRow(BaseModel):
    account_id: str
    name: str | None = None
    segment: str | None = None
    owner: str | None = None
    arr: float | None = None
    renewal_date: dt.date | None = None
    score: float | None = None
    band: str | None = None
    trend_7d: float | None = None
    trend_30d: float | None = None
    confidence: str | None = None
    coverage: float | None = None


class AccountPage(BaseModel):
    as_of: dt.date
    total: int
    items: list[AccountRow]
    next_cursor: str | None = None


class Account(BaseModel):
    account_id: str
    account: dict[str, Any]
    score: dict[str, Any] | None = None


_listing: StampedCache[list[dict[str, Any]]] = StampedCache(size=16)
_predictions: StampedCache[Any] = StampedCache(size=4)


def resolve_account(store: Store, key: str) -> str:
    """The id of the account `key` names (id or name); 404 when none does."""
    found = find_account(store, key)
    if found is None:
        raise ApiProblem(
            404,
            "Not found",
            f"no account {key!r} in the store; GET /api/v1/accounts lists the ids and names",
        )
    return found


def _cursor(as_of: dt.date, offset: int, signature: str) -> str:
    raw = json.dumps({"a": as_of.isoformat(), "o": offset, "s": signature})
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def _read_cursor(cursor: str, signature: str) -> tuple[dt.date, int]:
    try:
        pad = "=" * (-len(cursor) % 4)
        data = json.loads(base64.urlsafe_b64decode(cursor + pad))
        as_of, offset, sig = dt.date.fromisoformat(data["a"]), int(data["o"]), str(data["s"])
    except (binascii.Error, ValueError, KeyError, TypeError, UnicodeDecodeError):
        raise ApiProblem(
            400,
            "Bad request",
            "the cursor is not one this API gave out; start again without `cursor` and "
            "follow `next_cursor`",
        ) from None
    if sig != signature or offset < 0:
        raise ApiProblem(
            400,
            "Bad request",
            "the cursor belongs to a listing with other filters or sort; keep the same "
            "query parameters when following `next_cursor`",
        )
    return as_of, offset


@router.get(
    "/accounts",
    response_model=AccountPage,
    summary="List accounts (filters, sort, cursor pagination)",
)
def list_accounts_route(
    request: Request,
    _key: Any = ReadKey,
    store: Store = Depends(get_store),
    as_of: AsOf = None,
    band: Annotated[str | None, Query(description="green, yellow, red or unscored.")] = None,
    segment: Annotated[str | None, Query(description="Only this segment.")] = None,
    owner: Annotated[str | None, Query(description="Only this owner (CSM).")] = None,
    q: Annotated[
        str | None, Query(description="Name or id contains this text (any case).", max_length=200)
    ] = None,
    renewal_before: Annotated[
        dt.date | None, Query(description="Only accounts renewing on or before this date.")
    ] = None,
    sort: Annotated[Sort, Query(description="Sort key; unscored accounts sort last.")] = Sort.score,
    desc: Annotated[bool, Query(description="Sort descending.")] = False,
    limit: Annotated[int, Query(ge=1, le=500, description="Page size.")] = 50,
    cursor: Annotated[
        str | None, Query(description="`next_cursor` of the previous page.", max_length=400)
    ] = None,
) -> AccountPage:
    """The portfolio as of a date: score, band, 7/30-day trend, ARR, renewal, owner.

    Follow `next_cursor` for the next page; a cursor pins the snapshot date, so pages stay
    consistent while new scores arrive.
    """
    from healthscore.scoring import list_accounts

    filters = [str(as_of), band, segment, owner, q, str(renewal_before), sort.value, str(desc)]
    signature = hashlib.sha256(json.dumps(filters).encode()).hexdigest()[:16]
    offset = 0
    if cursor:
        as_of, offset = _read_cursor(cursor, signature)

    def compute() -> list[dict[str, Any]]:
        return list_accounts(
            store, as_of, band=band, segment=segment, owner=owner, sort=sort.value, desc=desc
        )

    key = (as_of, band, segment, owner, sort.value, desc)
    rows = _listing.get(store_stamp(store.path), key, compute)
    if q:
        needle = q.casefold()
        rows = [
            r
            for r in rows
            if needle in str(r["account_id"]).casefold()
            or needle in str(r["name"] or "").casefold()
        ]
    if renewal_before is not None:
        rows = [
            r for r in rows if r["renewal_date"] is not None and r["renewal_date"] <= renewal_before
        ]
    day = rows[0]["as_of"] if rows else (as_of or _newest_snapshot(store))
    page = rows[offset : offset + limit]
    more = offset + limit < len(rows)
    return AccountPage(
        as_of=day,
        total=len(rows),
        items=[AccountRow(**clean({k: v for k, v in r.items() if k != "as_of"})) for r in page],
        next_cursor=_cursor(day, offset + limit, signature) if more else None,
    )


def _newest_snapshot(store: Store) -> dt.date:
    from healthscore.store.queries import snapshot_dates

    dates = snapshot_dates(store)
    return dates[-1] if dates else dt.date.today()


def _account(store: Store, account_id: str, as_of: dt.date | None) -> Account:
    record = account_record(store, account_id)
    assert record is not None
    day = latest_snapshot_date(store, account_id, as_of)
    score = None
    if day is not None:
        snap = account_snapshot(store, account_id, day)
        score = {"as_of": day, **(snap or {})}
    return Account(account_id=account_id, account=clean(record), score=clean(score))


@router.get(
    "/accounts/by-name/{name}", response_model=Account, summary="Look an account up by name"
)
def account_by_name(
    name: Annotated[str, Path(min_length=1, description="The account's name (any case).")],
    _key: Any = ReadKey,
    store: Store = Depends(get_store),
) -> Account:
    """The account whose name is `name` (compared without case); 400 when several share it."""
    return _account(store, resolve_account(store, name), None)


@router.get("/accounts/{account_id}", response_model=Account, summary="One account")
def account_detail(
    account_id: AccountId,
    _key: Any = ReadKey,
    store: Store = Depends(get_store),
    as_of: AsOf = None,
) -> Account:
    """Every stored column of the account and its score on or before `as_of`."""
    return _account(store, resolve_account(store, account_id), as_of)


class ScorePoint(BaseModel):
    as_of: dt.date
    score: float | None = None
    band: str | None = None
    confidence: str | None = None
    coverage: float | None = None
    scorecard_version: str | None = None


class ScoreHistory(BaseModel):
    account_id: str
    scores: list[ScorePoint]


@router.get("/accounts/{account_id}/scores", response_model=ScoreHistory, summary="Score history")
def account_scores(
    account_id: AccountId,
    _key: Any = ReadKey,
    store: Store = Depends(get_store),
    since: Annotated[dt.date | None, Query(description="First date (inclusive).")] = None,
    until: Annotated[dt.date | None, Query(description="Last date (inclusive).")] = None,
) -> ScoreHistory:
    """Every stored snapshot of the account, oldest first."""
    aid = resolve_account(store, account_id)
    points = [ScorePoint(**clean(r)) for r in score_history(store, aid, since, until)]
    return ScoreHistory(account_id=aid, scores=points)


@router.get("/accounts/{account_id}/explanation", summary="Why the account scores what it does")
def account_explanation(
    account_id: AccountId,
    _key: Any = ReadKey,
    store: Store = Depends(get_store),
    as_of: AsOf = None,
) -> dict[str, Any]:
    """Groups and measures (raw value, normalised, weight, contribution), confidence, and
    what moved since the previous snapshot, in words (`changes[].text`)."""
    from healthscore.scoring import explain_account
    from healthscore.web.account_data import shared_reads

    aid = resolve_account(store, account_id)
    exp = explain_account(store, aid, as_of, shared=shared_reads(store))
    return clean(exp.as_dict())  # type: ignore[no-any-return]


@router.get("/accounts/{account_id}/metrics", summary="Metrics as of a date")
def account_metrics(
    request: Request,
    account_id: AccountId,
    _key: Any = ReadKey,
    store: Store = Depends(get_store),
    as_of: AsOf = None,
) -> dict[str, Any]:
    """Every metric of the catalogue for the account on `as_of` (default: the newest
    data), with its group, label, unit and direction; null = no data."""
    from healthscore.metrics import compute_metrics, metric_catalog
    from healthscore.predict.outcomes import data_range
    from healthscore.scoring.run import custom_metrics

    hs = app_for(request, store)
    aid = resolve_account(store, account_id)
    day = as_of or min(data_range(store)[1], hs.today())
    custom = custom_metrics(hs.scorecard)
    frame = compute_metrics(store.ibis(), [day], custom=custom, accounts=[aid])
    infos = {i.name: i for i in metric_catalog(store.ibis(), custom=custom)}
    if frame.empty:
        raise ApiProblem(
            409,
            "Not enough data",
            f"account {aid!r} did not exist on {day} (no start or subscription by then); "
            "ask for a later as_of",
        )
    row = frame.iloc[0]
    metrics = [
        {
            "name": name,
            "value": row[name],
            "group": info.group,
            "label": getattr(info, "label", None) or name,
            "unit": info.unit,
            "direction": info.direction,
        }
        for name, info in infos.items()
        if name in frame.columns
    ]
    return clean(
        {"account_id": aid, "as_of": day, "is_active": row.get("is_active"), "metrics": metrics}
    )  # type: ignore[no-any-return]


_DRIVER = re.compile(r"^(?P<name>.+) \((?P<value>[+-][0-9.]+)\)$")


def drivers_in_words(text: str | None) -> list[dict[str, Any]]:
    """'usage (+0.42); tickets (+0.10)' as [{driver, contribution, text}]."""
    out = []
    for part in (text or "").split(";"):
        part = part.strip()
        m = _DRIVER.match(part)
        if not m:
            continue
        value = float(m["value"])
        out.append(
            {
                "driver": m["name"],
                "contribution": value,
                "text": f"{m['name']} raises the churn risk ({value:+.2f} on the model's "
                "log-odds scale)",
            }
        )
    return out


def _prediction(request: Request, store: Store, as_of: dt.date | None, horizon: int) -> Any:
    from healthscore.predict.api import predict
    from healthscore.predict.outcomes import data_range

    hs = app_for(request, store)
    day = as_of or min(data_range(store)[1], hs.today())

    def compute() -> Any:
        return predict(store, day, horizon_days=horizon, scorecard=hs.scorecard, fallback=True)

    return _predictions.get(store_stamp(store.path), (day, horizon), compute), day


def _prediction_row(row: dict[str, Any]) -> dict[str, Any]:
    out = clean(row)
    out["drivers"] = drivers_in_words(row.get("top_risk_drivers"))
    return out  # type: ignore[no-any-return]


Horizon = Annotated[int, Query(ge=7, le=365, description="Days ahead the churn risk covers.")]


@router.get("/predictions", summary="Churn predictions for the portfolio", tags=["predictions"])
def predictions(
    request: Request,
    _key: Any = ReadKey,
    store: Store = Depends(get_store),
    as_of: AsOf = None,
    horizon_days: Horizon = 30,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> dict[str, Any]:
    """Churn probability, health score, band and risk drivers (in words) per account,
    riskiest first.  With too few churns to train on, the scorecard stands in
    (`model: scorecard`) and `warnings` say so."""
    res, day = _prediction(request, store, as_of, horizon_days)
    frame = res.frame.sort_values(
        ["churn_probability", "health_score"], ascending=[False, True], na_position="last"
    )
    items = [_prediction_row(r) for r in frame.head(limit).to_dict("records")]
    return {
        "as_of": day.isoformat(),
        "horizon_days": horizon_days,
        "model": res.model,
        "warnings": list(res.warnings),
        "items": items,
    }


@router.get(
    "/accounts/{account_id}/prediction",
    summary="One account's churn prediction",
    tags=["predictions"],
)
def account_prediction(
    request: Request,
    account_id: AccountId,
    _key: Any = ReadKey,
    store: Store = Depends(get_store),
    as_of: AsOf = None,
    horizon_days: Horizon = 30,
) -> dict[str, Any]:
    """The account's churn probability, expected months to churn, CLTV and its drivers in
    words."""
    aid = resolve_account(store, account_id)
    res, day = _prediction(request, store, as_of, horizon_days)
    hit = res.frame[res.frame["account_id"] == aid]
    if hit.empty:
        raise HealthscoreError(
            f"account {aid!r} was not active on {day}; predictions cover active accounts only"
        )
    row = _prediction_row(hit.iloc[0].to_dict())
    return {
        "as_of": day.isoformat(),
        "horizon_days": horizon_days,
        "model": res.model,
        "warnings": list(res.warnings),
        **row,
    }
