"""API keys over the API (admin scope): list, create (token shown once), revoke."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path
from pydantic import BaseModel, ConfigDict, Field

from healthscore.auth.keys import ApiKey, Scope, create_key, list_keys, revoke_key
from healthscore.store import Store
from healthscore.web.rest._store import rest_store as get_store
from healthscore.web.rest.auth import AdminKey
from healthscore.web.rest.problems import PROBLEM_RESPONSES, ProblemRoute

__all__ = ["router"]

router = APIRouter(
    prefix="/api/v1/keys", tags=["API keys"], route_class=ProblemRoute, responses=PROBLEM_RESPONSES
)


class KeyOut(BaseModel):
    key_id: str
    name: str
    prefix: str
    scopes: list[Scope]
    created_at: str
    created_by: str | None = None
    revoked_at: str | None = None
    active: bool


class NewKeyOut(KeyOut):
    token: str = Field(description="The secret: shown in this answer only, never again.")


class KeyIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=200, description="Who or what uses the key.")
    scopes: list[Scope] = Field(min_length=1, description="read, write, ingest, admin.")


class KeyList(BaseModel):
    items: list[KeyOut]


def _audit(store: Store, actor: ApiKey, action: str, key: ApiKey) -> None:
    from healthscore.auth.audit import record

    record(
        store,
        actor=f"api-key:{actor.key_id} ({actor.name})",
        action=action,
        entity="api_key",
        entity_id=key.key_id,
        before=None,
        after=key.as_dict(),
    )


@router.get("", response_model=KeyList, summary="List API keys")
def list_keys_route(_key: Any = AdminKey, store: Store = Depends(get_store)) -> KeyList:
    """Every key with its public prefix and scopes; never a secret."""
    return KeyList(items=[KeyOut(**k.as_dict()) for k in list_keys(store)])


@router.post("", response_model=NewKeyOut, status_code=201, summary="Create an API key")
def create_key_route(
    body: KeyIn, key: ApiKey = AdminKey, store: Store = Depends(get_store)
) -> NewKeyOut:
    """The answer holds the token once; only its SHA-256 is stored."""
    new = create_key(
        store, body.name, [s.value for s in body.scopes], created_by=f"api-key:{key.key_id}"
    )
    _audit(store, key, "create api key", new.key)
    return NewKeyOut(**new.key.as_dict(), token=new.token)


@router.delete("/{key_id}", response_model=KeyOut, summary="Revoke an API key")
def revoke_key_route(
    key_id: Annotated[str, Path(min_length=1, max_length=64)],
    key: ApiKey = AdminKey,
    store: Store = Depends(get_store),
) -> KeyOut:
    """The key is refused from its next request on."""
    revoked = revoke_key(store, key_id)
    _audit(store, key, "revoke api key", revoked)
    return KeyOut(**revoked.as_dict())
