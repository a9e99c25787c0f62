"""Tracking ingestion compatible with Segment's HTTP Tracking API: /v1/track, /v1/identify,
/v1/group and /v1/batch.

* **Auth.** The write key is a healthscore API key with the ``ingest`` scope, sent as HTTP
  Basic user name with an empty password (Segment's way), as a Bearer token, or as
  ``writeKey`` in the body.
* **Limits.** 32 KB per call (and per message of a batch), 500 KB and 2,500 messages per
  batch; beyond that a 400 and nothing is stored.
* **Answer.** 200 only after the calls are durably stored: written to the store's spool
  (one file per request in ``<store>.spool/``, the file and the folder fsync'd), so a
  kill -9 right after the answer loses nothing.  A background drain moves spooled calls
  into the store in short write windows (many requests per transaction) and on startup
  (the replay after a crash); the store is never held for a request, so the CLI keeps
  writing it while events arrive, and a CLI holding the store for minutes delays the drain,
  not the answers.  See docs/api.md, "Tracking ingestion: the spool".
* **De-duplication** on ``messageId`` (stored as the event's ``event_id``); a message
  without one gets a deterministic id from its content, so a retried request is still
  stored once.  The answer counts as duplicates the ids repeated in the request or
  accepted by this server lately; the drain drops every id already in the store.
* **Clock skew.** A call's time is ``timestamp`` (else ``originalTimestamp``) moved by
  ``receivedAt - sentAt`` when ``sentAt`` is given: a device whose clock is an hour fast
  sends times an hour ahead and a ``sentAt`` an hour ahead, and the difference cancels.
* **Accounts.** track -> events of the account named by ``groupId`` / ``context.groupId``,
  else of the account a group call linked the user to.  A call whose account is not known
  yet is *kept* (``tracking_pending``, with the reason) and becomes an event when a later
  group call or account import makes its account known.  identify -> contacts
  (once the user's account is known); group -> accounts.
* **Invalid messages** in a batch (no event name, no user, an implausible time) are
  listed under ``rejected`` with their index and reason while the valid ones are stored,
  as Segment does; a single invalid call is a 400.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
import threading
import time
from collections import OrderedDict
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Annotated, Any

import anyio.to_thread
from fastapi import APIRouter, Depends, FastAPI, Request
from pydantic import BaseModel

from healthscore.auth.keys import ApiKey, Scope, verify_key
from healthscore.config import Settings
from healthscore.errors import HealthscoreError
from healthscore.ingest.importer import plausible_time_range
from healthscore.store.tracking import (
    ACCOUNT_TRAITS,
    Calls,
    Drained,
    discard_partial,
    drain_spool,
    spool_calls,
    spool_dir,
    spooled_files,
)
from healthscore.web.rest._store import open_rest_store
from healthscore.web.rest.auth import BASIC, BEARER, check_scope, credentials
from healthscore.web.rest.problems import PROBLEM_RESPONSES, ApiProblem, ProblemRoute

__all__ = ["BATCH_LIMIT", "CALL_LIMIT", "Drainer", "drainer_of", "router"]

log = logging.getLogger(__name__)

CALL_LIMIT = 32 * 1024
BATCH_LIMIT = 500 * 1024
BATCH_MESSAGES = 2500


@asynccontextmanager
async def _lifespan(app: FastAPI) -> AsyncIterator[None]:
    """Server start: replay what a crash left in the spool; stop: drain what is left."""
    drainer = drainer_of(app)
    drainer.start()
    try:
        yield
    finally:
        await anyio.to_thread.run_sync(drainer.stop)


router = APIRouter(
    prefix="/v1",
    lifespan=_lifespan,
    tags=["tracking (Segment-compatible)"],
    route_class=ProblemRoute,
    responses={
        **PROBLEM_RESPONSES,
        400: {
            "description": "Body too large, not JSON, or (single calls) an invalid message.",
            "content": {"application/problem+json": {}},
        },
    },
)

# A verified write key is trusted for this long without a store read: a request never
# opens the store, and a revoked key is refused within this many seconds.
KEY_TTL_S = 10.0
# Message ids this server accepted lately, to answer a retry as a duplicate at once (the
# drain drops every id the store already holds, whatever this remembers).
RECENT_IDS = 200_000


class Rejected(BaseModel):
    index: int
    messageId: str | None = None
    reason: str


class TrackingAnswer(BaseModel):
    """`stored`: calls durably accepted (spooled; in the store's tables after the next drain,
    normally within a second).  `duplicates`: calls dropped as repeats of an id in this
    request or accepted lately.  `rejected`: invalid messages of a batch, not stored."""

    success: bool = True
    stored: int
    duplicates: int
    rejected: list[Rejected]


class _Invalid(Exception):
    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


def _too_large(limit: int, what: str) -> ApiProblem:
    return ApiProblem(
        400,
        "Payload too large",
        f"{what} is over {limit // 1024} KB; send smaller calls (batches up to "
        f"{BATCH_LIMIT // 1024} KB, each message up to {CALL_LIMIT // 1024} KB)",
    )


async def _read_body(request: Request, limit: int, what: str) -> bytes:
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > limit:
        raise _too_large(limit, what)
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > limit:
            raise _too_large(limit, what)
    return bytes(body)


def _parse(body: bytes) -> dict[str, Any]:
    try:
        data = json.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ApiProblem(
            400, "Bad request", f"the body is not valid JSON ({exc}); send one JSON object"
        ) from None
    if not isinstance(data, dict):
        raise ApiProblem(400, "Bad request", "the body must be a JSON object (a call)")
    return data


def tracking_key(limit: int, what: str) -> Any:
    """A dependency: read the body (bounded), then authenticate its write key (ingest)."""

    async def dependency(
        request: Request,
        _basic: object = Depends(BASIC),
        _bearer: object = Depends(BEARER),
    ) -> ApiKey:
        body = await _read_body(request, limit, what)
        token = credentials(request)
        payload = _parse(body) if body else {}
        if token is None and isinstance(payload.get("writeKey"), str):
            token = payload["writeKey"]
        if token is None:
            raise ApiProblem(
                401,
                "Not authenticated",
                "send the write key (an API key with the ingest scope) as the HTTP Basic "
                "user name with an empty password, as Segment's libraries do",
                headers={"WWW-Authenticate": 'Basic realm="healthscore"'},
            )
        key = check_scope(await _verified(request, token), Scope.ingest)
        if not body:
            raise ApiProblem(400, "Bad request", "the body is empty; send one JSON object")
        request.state.payload = payload
        request.state.body_size = len(body)
        return key

    dependency.scope = Scope.ingest  # type: ignore[attr-defined]
    return dependency


_keys: dict[tuple[str, str], tuple[ApiKey, float]] = {}
_keys_lock = threading.Lock()


async def _verified(request: Request, token: str) -> ApiKey:
    """The key of `token`, from a short-lived cache or the store (see KEY_TTL_S)."""
    settings: Settings = request.app.state.hs.settings
    cache_key = (str(settings.db), hashlib.sha256(token.encode()).hexdigest())
    now = time.monotonic()
    with _keys_lock:
        hit = _keys.get(cache_key)
    if hit is not None and hit[1] > now:
        return hit[0]

    def lookup() -> ApiKey:
        with open_rest_store(settings) as store:
            return verify_key(store, token)

    key = await anyio.to_thread.run_sync(lookup)
    with _keys_lock:
        if len(_keys) > 1000:
            _keys.clear()
        _keys[cache_key] = (key, now + KEY_TTL_S)
    return key


# -- mapping Segment messages to rows ----------------------------------------------------


def _time(value: Any, field: str) -> dt.datetime | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise _Invalid(field, f"expected an ISO 8601 time, got {json.dumps(value)[:40]}")
    try:
        t = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise _Invalid(field, f"{value[:40]!r} is not an ISO 8601 time") from None
    if t.tzinfo is not None:
        t = t.astimezone(dt.UTC).replace(tzinfo=None)
    return t


def _text(value: Any) -> str | None:
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, int | float | str):
        s = str(value).strip()
        return s or None
    return None


def _object(msg: dict[str, Any], name: str) -> dict[str, Any]:
    value = msg.get(name)
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise _Invalid(name, "expected a JSON object")
    return value


def message_id(msg: dict[str, Any]) -> str:
    """The call's messageId, else a hash of its content (the same on every retry)."""
    given = _text(msg.get("messageId"))
    if given:
        return given
    stable = {k: v for k, v in msg.items() if k not in ("sentAt", "receivedAt", "writeKey")}
    digest = hashlib.sha256(json.dumps(stable, sort_keys=True, default=str).encode()).hexdigest()
    return f"hs-{digest[:32]}"


def event_time(msg: dict[str, Any], sent_at: Any, received: dt.datetime) -> dt.datetime:
    """When the call happened, corrected for the sender's clock skew (see module docstring)."""
    t = _time(msg.get("timestamp"), "timestamp") or _time(
        msg.get("originalTimestamp"), "originalTimestamp"
    )
    sent = _time(msg.get("sentAt", sent_at), "sentAt")
    if t is None:
        return received
    if sent is not None:
        t = t + (received - sent)
    return t


def _check_time(t: dt.datetime, field: str) -> None:
    first, last = plausible_time_range()
    if not first <= t.date() <= last:
        raise _Invalid(
            field, f"{t.isoformat()} is outside {first} to {last}; send the real time of the call"
        )


def _user(msg: dict[str, Any]) -> str:
    user = _text(msg.get("userId")) or _text(msg.get("anonymousId"))
    if user is None:
        raise _Invalid("userId", "a call needs a userId or an anonymousId")
    return user


def _group_hint(msg: dict[str, Any]) -> str | None:
    context = msg.get("context") if isinstance(msg.get("context"), dict) else {}
    return _text(msg.get("groupId")) or _text(context.get("groupId"))  # type: ignore[union-attr]


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    f = float(value)
    return f if f == f and abs(f) != float("inf") else None


def _json(value: dict[str, Any]) -> str | None:
    return json.dumps(value, sort_keys=True, default=str) if value else None


_ACCOUNT_ALIASES = {
    "name": "name",
    "segment": "segment",
    "plan": "plan",
    "industry": "industry",
    "persona": "persona",
    "mrr": "mrr",
    "arr": "arr",
    "seats": "seats_purchased",
    "seats_purchased": "seats_purchased",
    "createdAt": "start_date",
    "created_at": "start_date",
    "start_date": "start_date",
    "renewalDate": "renewal_date",
    "renewal_date": "renewal_date",
    "owner": "owner_csm",
    "owner_csm": "owner_csm",
}
_CONTACT_ALIASES = {
    "email": "email",
    "name": "name",
    "role": "role",
    "title": "role",
    "persona": "persona",
    "createdAt": "created_at",
    "created_at": "created_at",
}


def _account_values(traits: dict[str, Any]) -> tuple[dict[str, Any], str | None]:
    values: dict[str, Any] = {}
    rest: dict[str, Any] = {}
    for k, v in traits.items():
        col = _ACCOUNT_ALIASES.get(k)
        typed = _typed(v, ACCOUNT_TRAITS[col]) if col else None
        if col and typed is not None:
            values[col] = typed
        else:
            rest[k] = v
    return values, _json(rest)


def _typed(value: Any, sql_type: str) -> Any:
    if sql_type == "VARCHAR":
        return _text(value)
    if sql_type == "DOUBLE":
        return _number(value)
    if sql_type == "INTEGER":
        n = _number(value)
        return int(n) if n is not None and n.is_integer() and abs(n) < 2**31 else None
    if sql_type == "DATE":
        try:
            t = _time(value, "trait")
        except _Invalid:
            return None
        return t.date() if t else None
    return None


def _contact_traits(traits: dict[str, Any]) -> str:
    out: dict[str, Any] = {}
    for k, v in traits.items():
        col = _CONTACT_ALIASES.get(k)
        if col and _text(v) is not None:
            out[col] = _text(v)
        elif not col:
            out[k] = v
    if "name" not in out:
        first, last = _text(traits.get("firstName")), _text(traits.get("lastName"))
        if first or last:
            out["name"] = " ".join(p for p in (first, last) if p)
    return json.dumps(out, sort_keys=True, default=str)


def add_message(
    calls: Calls, msg: dict[str, Any], kind: str, sent_at: Any, received: dt.datetime
) -> str:
    """Map one Segment message onto `calls`; `_Invalid` says why it cannot be."""
    mid = message_id(msg)
    if kind == "track":
        event = _text(msg.get("event"))
        if event is None:
            raise _Invalid("event", "a track call needs the event name in `event`")
        user = _user(msg)
        t = event_time(msg, sent_at, received)
        _check_time(t, "timestamp")
        props = _object(msg, "properties")
        value = _number(props.get("value"))
        if value is None:
            value = _number(props.get("revenue"))
        calls.tracks.append((mid, user, _group_hint(msg), t, event, value, _json(props)))
    elif kind == "identify":
        user = _user(msg)
        traits = _object(msg, "traits")
        calls.identifies.append((mid, user, _group_hint(msg), _contact_traits(traits)))
    elif kind == "group":
        group = _text(msg.get("groupId"))
        if group is None:
            raise _Invalid("groupId", "a group call needs the account id in `groupId`")
        member: str | None = _text(msg.get("userId")) or _text(msg.get("anonymousId"))
        values, rest = _account_values(_object(msg, "traits"))
        calls.groups.append((mid, member, group, values, rest))
    else:
        raise _Invalid(
            "type", f"calls of type {kind!r} are not stored; send track, identify or group"
        )
    return mid


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


class Drainer:
    """Moves the spool of one store into it: a thread woken by every accepted request.

    Each window opens the store, records up to DRAIN_CALLS spooled calls in one
    transaction, closes the store and deletes the drained files.  Between windows it
    pauses DRAIN_GAP_S so that a CLI command waiting for the store gets it; when the CLI
    holds the store the drain waits (backing off to DRAIN_RETRY_MAX_S) while requests go on
    being answered from the spool.
    """

    DRAIN_CALLS = 50_000
    DRAIN_GAP_S = 0.2
    GATHER_S = 0.05  # after a wake-up, let concurrent requests land in the same window
    IDLE_S = 5.0  # look at the spool this often even without a wake-up (other workers)
    DRAIN_RETRY_MAX_S = 10.0

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.folder = spool_dir(Path(settings.db))
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._lock = threading.Lock()  # one window at a time (the thread or drain_now)
        self._thread: threading.Thread | None = None
        self.recent: OrderedDict[str, None] = OrderedDict()
        self.recent_lock = threading.Lock()
        self.last_error: str | None = None
        self.totals = Drained()

    def start(self) -> None:
        """Start the thread (once); it first replays whatever the spool holds."""
        with self._lock:
            if self._thread is not None and self._thread.is_alive():
                return
            self._stop.clear()
            self._thread = threading.Thread(target=self._run, name="tracking-drain", daemon=True)
            self._thread.start()
        self._wake.set()

    def wake(self) -> None:
        self._wake.set()

    def stop(self, timeout: float = 30.0) -> None:
        """Stop the thread, then drain what is left (unless the store stays busy)."""
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout)
        try:
            self.drain_now(deadline=time.monotonic() + timeout)
        except HealthscoreError as exc:  # the CLI holds the store: the next start replays
            log.warning("tracking spool left for the next start: %s", exc)

    def drain_once(self) -> Drained:
        """One write window (the oldest spooled calls, up to DRAIN_CALLS)."""
        with self._lock, open_rest_store(self.settings) as store:
            got = drain_spool(store, self.folder, max_calls=self.DRAIN_CALLS)
        for k in ("files", "calls", "stored", "duplicates", "pending", "resolved"):
            setattr(self.totals, k, getattr(self.totals, k) + getattr(got, k))
        self.totals.bad += got.bad
        for name in got.bad:
            log.error("tracking spool file %s set aside under %s/bad", name, self.folder)
        return got

    def drain_now(self, deadline: float | None = None) -> Drained:
        """Drain until the spool is empty (or `deadline`); what was moved in all."""
        total = Drained()
        while spooled_files(self.folder):
            got = self.drain_once()
            for k in ("files", "calls", "stored", "duplicates", "pending", "resolved"):
                setattr(total, k, getattr(total, k) + getattr(got, k))
            total.bad += got.bad
            if not got.files and not got.bad:
                break
            if deadline is not None and time.monotonic() > deadline:
                break
        return total

    def _run(self) -> None:
        discard_partial(self.folder)
        backoff = 0.5
        while not self._stop.is_set():
            self._wake.wait(self.IDLE_S)
            self._wake.clear()
            if self._stop.is_set():
                return
            time.sleep(self.GATHER_S)
            try:
                while spooled_files(self.folder) and not self._stop.is_set():
                    got = self.drain_once()
                    if not got.files and not got.bad:
                        break
                    self._stop.wait(self.DRAIN_GAP_S)
                self.last_error, backoff = None, 0.5
            except Exception as exc:  # the store busy or failing: keep the spool, retry
                self.last_error = str(exc)
                log.warning("tracking drain: %s; retrying in %.1f s", exc, backoff)
                self._stop.wait(backoff)
                backoff = min(backoff * 2, self.DRAIN_RETRY_MAX_S)
                self._wake.set()

    def accept(self, calls: Calls, received: dt.datetime) -> int:
        """Drop repeats (in `calls` or accepted lately), spool the rest durably, wake the
        drain; the number of duplicates dropped."""
        kept = Calls()
        seen: set[str] = set()
        dups = 0
        with self.recent_lock:
            for name in ("groups", "identifies", "tracks"):
                rows = getattr(calls, name)
                keep = getattr(kept, name)
                for row in rows:
                    mid = row[0]
                    if mid in seen or mid in self.recent:
                        dups += 1
                        continue
                    seen.add(mid)
                    keep.append(row)
        if seen:
            spool_calls(self.folder, kept, received)
            with self.recent_lock:
                for mid in seen:
                    self.recent[mid] = None
                while len(self.recent) > RECENT_IDS:
                    self.recent.popitem(last=False)
            self.wake()
        return dups


_drainers_lock = threading.Lock()


def drainer_of(app: Any) -> Drainer:
    """The app's drainer (made, and its thread started, on first use)."""
    state = app.state
    drainer: Drainer | None = getattr(state, "tracking_drainer", None)
    if drainer is None:
        with _drainers_lock:
            drainer = getattr(state, "tracking_drainer", None)
            if drainer is None:
                drainer = Drainer(state.hs.settings)
                state.tracking_drainer = drainer
                drainer.start()
    return drainer


def _accept(request: Request, calls: Calls, received: dt.datetime) -> int:
    try:
        return drainer_of(request.app).accept(calls, received)
    except OSError as exc:
        raise ApiProblem(
            503,
            "Not stored",
            f"the calls could not be written to the tracking spool ({exc.strerror}); "
            "nothing was stored: send them again",
        ) from None


def _single(kind: str) -> Any:
    def endpoint(
        request: Request,
        _key: ApiKey = Depends(tracking_key(CALL_LIMIT, "the call")),
    ) -> TrackingAnswer:
        received = _now()
        calls = Calls()
        try:
            add_message(calls, request.state.payload, kind, None, received)
        except _Invalid as exc:
            raise ApiProblem(
                400,
                "Bad request",
                f"{exc.field}: {exc.message}",
                errors=[{"field": f"body.{exc.field}", "message": exc.message}],
            ) from None
        dups = _accept(request, calls, received)
        return TrackingAnswer(stored=1 - dups, duplicates=dups, rejected=[])

    endpoint.__name__ = f"{kind}_call"
    return endpoint


_DOCS = {
    "track": "Record an event (`event`, `properties`) of a user; its account comes from "
    "`groupId`/`context.groupId` or the user's group call.",
    "identify": "Record a user's traits (email, name, role, …); the user becomes a contact of "
    "its account once the account is known.",
    "group": "Create or update the account `groupId` from `traits` (name, plan, industry, "
    "segment, mrr, arr, seats, createdAt, renewalDate, owner) and link the user to it.",
}

for _kind in ("track", "identify", "group"):
    router.add_api_route(
        f"/{_kind}",
        _single(_kind),
        methods=["POST"],
        response_model=TrackingAnswer,
        summary=f"Segment {_kind} call",
        description=_DOCS[_kind],
        openapi_extra={
            "requestBody": {
                "required": True,
                "content": {"application/json": {"schema": {"type": "object"}}},
            }
        },
    )


@router.post(
    "/batch",
    response_model=TrackingAnswer,
    summary="Segment batch call",
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                "application/json": {
                    "schema": {
                        "type": "object",
                        "required": ["batch"],
                        "properties": {
                            "batch": {"type": "array", "items": {"type": "object"}},
                            "sentAt": {"type": "string"},
                            "context": {"type": "object"},
                        },
                    }
                }
            },
        }
    },
)
def batch_call(
    request: Request,
    _key: Annotated[ApiKey, Depends(tracking_key(BATCH_LIMIT, "the batch"))],
) -> TrackingAnswer:
    """Up to 2,500 track, identify and group calls (each with its `type`) in one request,
    spooled together (one durable file) and drained into the store together.  Invalid messages are listed under `rejected`; the rest is stored."""
    payload = request.state.payload
    items = payload.get("batch")
    if not isinstance(items, list):
        raise ApiProblem(
            400,
            "Bad request",
            "batch: expected a list of calls under `batch`",
            errors=[{"field": "body.batch", "message": "expected a list"}],
        )
    if len(items) > BATCH_MESSAGES:
        raise ApiProblem(
            400,
            "Payload too large",
            f"the batch holds {len(items):,} calls; send at most {BATCH_MESSAGES:,} per batch",
        )
    received = _now()
    shared_context = payload.get("context") if isinstance(payload.get("context"), dict) else None
    calls = Calls()
    rejected: list[Rejected] = []
    small_body = request.state.body_size <= CALL_LIMIT
    for i, msg in enumerate(items):
        if not isinstance(msg, dict):
            rejected.append(Rejected(index=i, reason="a call must be a JSON object"))
            continue
        # A body within one call's limit cannot hold a message beyond it.
        if small_body:
            pass
        elif len(json.dumps(msg, default=str).encode()) > CALL_LIMIT:
            raise _too_large(CALL_LIMIT, f"batch[{i}]")
        if shared_context and "context" not in msg:
            msg = {**msg, "context": shared_context}
        try:
            add_message(calls, msg, str(msg.get("type", "")), payload.get("sentAt"), received)
        except _Invalid as exc:
            mid = _text(msg.get("messageId"))
            rejected.append(Rejected(index=i, messageId=mid, reason=f"{exc.field}: {exc.message}"))
    dups = _accept(request, calls, received)
    total = len(calls.tracks) + len(calls.identifies) + len(calls.groups)
    return TrackingAnswer(stored=total - dups, duplicates=dups, rejected=rejected)
