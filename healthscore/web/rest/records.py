"""Notes, judgements, survey responses and contacts of an account: create and list.

Creating goes through the importers (`healthscore.ingest.import_files`), the very path a
file import takes: the same validation, reference checks, plausible-time checks and one
transaction, and an `ImportRejected` comes back as 422 with the importer's messages.
A note is an `interactions` row (a call, meeting, e-mail or QBR with its notes text).
"""

from __future__ import annotations

import datetime as dt
import json
import tempfile
import uuid
from pathlib import Path as FilePath
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Request
from pydantic import BaseModel, ConfigDict, Field

from healthscore.auth.keys import ApiKey
from healthscore.store import Store
from healthscore.store.queries.api_records import account_rows, contact_exists
from healthscore.web.rest._store import rest_store as get_store
from healthscore.web.rest._util import clean
from healthscore.web.rest.accounts import AccountId, resolve_account
from healthscore.web.rest.auth import ReadKey, WriteKey
from healthscore.web.rest.problems import PROBLEM_RESPONSES, ApiProblem, ProblemRoute

__all__ = ["create_rows", "router"]

router = APIRouter(
    prefix="/api/v1/accounts/{account_id}",
    tags=["notes, judgements, surveys, contacts"],
    route_class=ProblemRoute,
    responses=PROBLEM_RESPONSES,
)


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None, microsecond=0)


def create_rows(store: Store, kind: str, rows: list[dict[str, Any]], actor: str) -> dict[str, Any]:
    """Import `rows` of `kind` through the importer (one transaction) and audit them."""
    from healthscore.ingest import import_files

    with tempfile.TemporaryDirectory(prefix="healthscore-api-") as tmp:
        path = FilePath(tmp) / "body.jsonl"
        path.write_text(
            "".join(json.dumps(clean(r), default=str) + "\n" for r in rows), encoding="utf-8"
        )
        report = import_files(store, kind, [path], fmt="jsonl")
    _audit(store, actor, kind, rows)
    return {"kind": kind, "inserted": report.rows_inserted, "duplicates": report.rows_duplicate}


def _audit(store: Store, actor: str, kind: str, rows: list[dict[str, Any]]) -> None:
    from healthscore.auth.audit import record
    from healthscore.store.schema import kind as table_of

    key = table_of(kind).key[0]
    for r in rows:
        record(
            store,
            actor=actor,
            action=f"create {kind}",
            entity=kind,
            entity_id=str(r[key]),
            before=None,
            after=clean(r),
        )


def actor_of(key: ApiKey) -> str:
    return f"api-key:{key.key_id} ({key.name})"


def _new_id(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:16]}"


class Page(BaseModel):
    account_id: str
    total: int
    items: list[dict[str, Any]]


class Created(BaseModel):
    id: str
    kind: str
    inserted: int
    duplicates: int


Limit = Annotated[int, Query(ge=1, le=500)]
Offset = Annotated[int, Query(ge=0, le=1_000_000)]


def _list(store: Store, kind: str, account_id: str, limit: int, offset: int) -> Page:
    aid = resolve_account(store, account_id)
    items, total = account_rows(store, kind, aid, limit=limit, offset=offset)
    return Page(account_id=aid, total=total, items=clean(items))


# -- notes (interactions) ---------------------------------------------------------------


class NoteIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    notes: str = Field(min_length=1, max_length=20_000, description="The note's text.")
    kind: Literal["call", "meeting", "email", "qbr"] = Field(
        "call", description="What the touch was."
    )
    occurred_at: dt.datetime | None = Field(None, description="When; default: now (UTC).")
    direction: Literal["inbound", "outbound"] | None = None
    csm: str | None = Field(None, max_length=200, description="Who wrote it.")
    contact_id: str | None = Field(None, max_length=200)


@router.get("/notes", response_model=Page, summary="List an account's notes (interactions)")
def list_notes(
    account_id: AccountId,
    _key: Any = ReadKey,
    store: Store = Depends(get_store),
    limit: Limit = 50,
    offset: Offset = 0,
) -> Page:
    """CSM interactions with their notes, newest first."""
    return _list(store, "interactions", account_id, limit, offset)


@router.post("/notes", response_model=Created, status_code=201, summary="Add a note")
def create_note(
    request: Request,
    account_id: AccountId,
    body: NoteIn,
    key: ApiKey = WriteKey,
    store: Store = Depends(get_store),
) -> Created:
    """Store a note as an interaction of the account (validated by the importer)."""
    aid = resolve_account(store, account_id)
    row = {
        "interaction_id": _new_id("note"),
        "account_id": aid,
        "contact_id": body.contact_id,
        "csm": body.csm,
        "kind": body.kind,
        "direction": body.direction,
        "occurred_at": body.occurred_at or _now(),
        "notes": body.notes,
    }
    res = create_rows(store, "interactions", [row], actor_of(key))
    return Created(id=str(row["interaction_id"]), **res)


# -- judgements ------------------------------------------------------------------------


class JudgementIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    measure: str = Field(
        min_length=1,
        max_length=200,
        description="What is judged, e.g. relationship_quality, exec_sponsor_engaged.",
    )
    value: float = Field(description="The judgement (scale depends on the measure).")
    note: str | None = Field(None, max_length=20_000, description="Why.")
    csm: str | None = Field(None, max_length=200)
    recorded_at: dt.datetime | None = Field(None, description="Default: now (UTC).")


@router.get("/judgements", response_model=Page, summary="List an account's judgements")
def list_judgements(
    account_id: AccountId,
    _key: Any = ReadKey,
    store: Store = Depends(get_store),
    limit: Limit = 50,
    offset: Offset = 0,
) -> Page:
    return _list(store, "judgements", account_id, limit, offset)


@router.post("/judgements", response_model=Created, status_code=201, summary="Add a judgement")
def create_judgement(
    account_id: AccountId,
    body: JudgementIn,
    key: ApiKey = WriteKey,
    store: Store = Depends(get_store),
) -> Created:
    aid = resolve_account(store, account_id)
    row = {
        "judgement_id": _new_id("judgement"),
        "account_id": aid,
        "measure": body.measure,
        "value": body.value,
        "recorded_at": body.recorded_at or _now(),
        "csm": body.csm,
        "note": body.note,
    }
    res = create_rows(store, "judgements", [row], actor_of(key))
    return Created(id=str(row["judgement_id"]), **res)


# -- survey responses ------------------------------------------------------------------


class SurveyIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    survey_type: Literal["nps", "csat", "ces"]
    score: float = Field(description="NPS 0-10, CSAT 1-5, CES 1-7.")
    comment: str | None = Field(None, max_length=20_000)
    contact_id: str | None = Field(None, max_length=200)
    responded_at: dt.datetime | None = Field(None, description="Default: now (UTC).")
    sent_at: dt.datetime | None = None

    def check_scale(self) -> None:
        low, high = {"nps": (0, 10), "csat": (1, 5), "ces": (1, 7)}[self.survey_type]
        if not low <= self.score <= high:
            raise ApiProblem(
                422,
                "Invalid request",
                f"body.score: a {self.survey_type.upper()} score runs from {low} to {high}; "
                f"got {self.score:g}",
                errors=[{"field": "body.score", "message": f"must be within {low}-{high}"}],
            )


@router.get("/surveys", response_model=Page, summary="List an account's survey responses")
def list_surveys(
    account_id: AccountId,
    _key: Any = ReadKey,
    store: Store = Depends(get_store),
    limit: Limit = 50,
    offset: Offset = 0,
) -> Page:
    return _list(store, "surveys", account_id, limit, offset)


@router.post(
    "/surveys", response_model=Created, status_code=201, summary="Submit an NPS/CSAT/CES response"
)
def create_survey(
    account_id: AccountId,
    body: SurveyIn,
    key: ApiKey = WriteKey,
    store: Store = Depends(get_store),
) -> Created:
    """One answered survey with its comment (scored in the next run)."""
    body.check_scale()
    aid = resolve_account(store, account_id)
    now = _now()
    row = {
        "response_id": _new_id("response"),
        "account_id": aid,
        "contact_id": body.contact_id,
        "survey_type": body.survey_type,
        "sent_at": body.sent_at,
        "responded_at": body.responded_at or now,
        "score": body.score,
        "comment": body.comment,
    }
    res = create_rows(store, "surveys", [row], actor_of(key))
    return Created(id=str(row["response_id"]), **res)


# -- contacts --------------------------------------------------------------------------


class ContactIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    contact_id: str | None = Field(
        None, min_length=1, max_length=200, description="Default: a new id."
    )
    email: str | None = Field(None, max_length=320)
    name: str | None = Field(None, max_length=500)
    role: str | None = Field(None, max_length=200)
    persona: str | None = Field(None, max_length=200)


@router.get("/contacts", response_model=Page, summary="List an account's contacts")
def list_contacts(
    account_id: AccountId,
    _key: Any = ReadKey,
    store: Store = Depends(get_store),
    limit: Limit = 50,
    offset: Offset = 0,
) -> Page:
    return _list(store, "contacts", account_id, limit, offset)


@router.post("/contacts", response_model=Created, status_code=201, summary="Add a contact")
def create_contact(
    account_id: AccountId,
    body: ContactIn,
    key: ApiKey = WriteKey,
    store: Store = Depends(get_store),
) -> Created:
    """A person at the account; a contact id already stored is reported as a duplicate."""
    aid = resolve_account(store, account_id)
    row = {
        "contact_id": body.contact_id or _new_id("contact"),
        "account_id": aid,
        "email": body.email,
        "name": body.name,
        "role": body.role,
        "persona": body.persona,
        "created_at": _now(),
    }
    if contact_exists(store, str(row["contact_id"])):
        raise ApiProblem(
            409,
            "Conflict",
            f"a contact {row['contact_id']!r} is already stored; choose another contact_id or "
            "leave it out for a new one",
        )
    res = create_rows(store, "contacts", [row], actor_of(key))
    return Created(id=str(row["contact_id"]), **res)
