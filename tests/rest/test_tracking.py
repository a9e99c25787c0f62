"""The Segment-compatible tracking endpoints: auth, limits, de-duplication, clock skew,
and how calls become accounts, contacts and events.

A 200 means the calls are in the spool; `_rows` first drains it into the store (as the
server's drain thread does within a second), then reads the store."""

from __future__ import annotations

import base64
import datetime as dt
import json
import uuid

from healthscore.store import open_store
from healthscore.store.tracking import Drained
from healthscore.web.rest.tracking import drainer_of
from tests.rest.conftest import Api, assert_problem


def _basic(token: str) -> dict[str, str]:
    return {"Authorization": "Basic " + base64.b64encode(f"{token}:".encode()).decode()}


def _ingest(api: Api) -> dict[str, str]:
    return _basic(api.tokens["ingest"])


def _drain(api: Api) -> Drained:
    return drainer_of(api.app).drain_now()


def _rows(api: Api, sql: str, *args: object) -> list[tuple[object, ...]]:
    _drain(api)
    with open_store(api.db) as store:
        return store.con.execute(sql, list(args)).fetchall()


def _id() -> str:
    return uuid.uuid4().hex


def test_a_track_call_for_a_known_account_is_an_event(api: Api) -> None:
    mid = _id()
    r = api.client.post(
        "/v1/track",
        json={
            "userId": "u-known",
            "event": "report_exported",
            "messageId": mid,
            "context": {"groupId": "ACC-0001"},
            "timestamp": "2026-11-01T10:00:00Z",
            "properties": {"value": 3, "format": "pdf"},
        },
        headers=_ingest(api),
    )
    assert r.status_code == 200, r.text
    assert r.json()["success"] is True and r.json()["stored"] == 1
    (row,) = _rows(
        api,
        "SELECT account_id, user_id, event_type, value, event_time, properties, "
        "event_key = hash(event_id) FROM events WHERE event_id = ?",
        mid,
    )
    assert row[:5] == ("ACC-0001", "u-known", "report_exported", 3.0, dt.datetime(2026, 11, 1, 10))
    assert json.loads(str(row[5])) == {"format": "pdf", "value": 3} and row[6] is True


def test_a_retried_message_is_stored_once(api: Api) -> None:
    msg = {"userId": "u1", "event": "login", "messageId": _id(), "groupId": "ACC-0002"}
    first = api.client.post("/v1/track", json=msg, headers=_ingest(api))
    again = api.client.post("/v1/track", json=msg, headers=_ingest(api))
    assert first.json()["stored"] == 1
    assert again.status_code == 200 and again.json()["stored"] == 0
    assert again.json()["duplicates"] == 1
    assert _rows(api, "SELECT count(*) FROM events WHERE event_id = ?", msg["messageId"]) == [(1,)]
    # without a messageId, the id is derived from the content: a retry is still one event
    bare = {
        "userId": "u1",
        "event": "login",
        "groupId": "ACC-0002",
        "timestamp": "2026-11-02T08:00:00Z",
    }
    a = api.client.post(
        "/v1/track", json={**bare, "sentAt": "2026-11-02T08:00:01Z"}, headers=_ingest(api)
    )
    b = api.client.post(
        "/v1/track", json={**bare, "sentAt": "2026-11-02T08:05:00Z"}, headers=_ingest(api)
    )
    assert (a.json()["stored"], b.json()["duplicates"]) == (1, 1)


def test_the_clock_skew_of_the_sender_is_corrected_from_sent_at(api: Api) -> None:
    # The device's clock is 2 hours fast: the event happened at receivedAt - 5 min.
    now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    fast = dt.timedelta(hours=2)
    happened = now - dt.timedelta(minutes=5)
    mid = _id()
    r = api.client.post(
        "/v1/track",
        json={
            "userId": "u-skew",
            "event": "dashboard_viewed",
            "messageId": mid,
            "groupId": "ACC-0003",
            "timestamp": (happened + fast).isoformat() + "Z",
            "sentAt": (now + fast).isoformat() + "Z",
        },
        headers=_ingest(api),
    )
    assert r.status_code == 200, r.text
    ((t,),) = _rows(api, "SELECT event_time FROM events WHERE event_id = ?", mid)
    assert abs((t - happened).total_seconds()) < 5, (t, happened)  # type: ignore[operator]


def test_group_then_identify_then_track_resolves_user_to_account(api: Api) -> None:
    user = f"user-{_id()[:8]}"
    acct = f"NEW-{_id()[:6]}"
    track_id = _id()
    # an event before anyone knows the user's account: kept, not dropped
    t = api.client.post(
        "/v1/track",
        json={"userId": user, "event": "signup", "messageId": track_id},
        headers=_ingest(api),
    )
    assert t.status_code == 200 and t.json()["stored"] == 1
    ((reason,),) = _rows(api, "SELECT reason FROM tracking_pending WHERE message_id = ?", track_id)
    assert "group call" in str(reason)

    i = api.client.post(
        "/v1/identify",
        json={
            "userId": user,
            "traits": {
                "email": "ana@new.example",
                "firstName": "Ana",
                "lastName": "Lee",
                "title": "champion",
                "plan_seen": 3,
            },
        },
        headers=_ingest(api),
    )
    assert i.status_code == 200, i.text
    g = api.client.post(
        "/v1/group",
        json={
            "userId": user,
            "groupId": acct,
            "traits": {
                "name": "New Co",
                "plan": "pro",
                "mrr": 990,
                "industry": "retail",
                "employees": 40,
            },
        },
        headers=_ingest(api),
    )
    assert g.status_code == 200, g.text
    assert _drain(api).resolved == 1
    assert _rows(
        api, "SELECT name, plan, mrr, industry, properties FROM accounts WHERE account_id = ?", acct
    ) == [("New Co", "pro", 990.0, "retail", '{"employees": 40}')]
    assert _rows(
        api, "SELECT account_id, email, name, role FROM contacts WHERE contact_id = ?", user
    ) == [(acct, "ana@new.example", "Ana Lee", "champion")]
    assert _rows(api, "SELECT account_id FROM events WHERE event_id = ?", track_id) == [(acct,)]
    assert _rows(api, "SELECT count(*) FROM tracking_pending WHERE message_id = ?", track_id) == [
        (0,)
    ]
    # the next track call of this user goes straight to its account
    n = api.client.post("/v1/track", json={"userId": user, "event": "x"}, headers=_ingest(api))
    assert n.json()["stored"] == 1
    assert _drain(api).pending == 0
    # a second group call updates only the traits it sends
    api.client.post(
        "/v1/group", json={"groupId": acct, "traits": {"plan": "enterprise"}}, headers=_ingest(api)
    )
    assert _rows(api, "SELECT name, plan FROM accounts WHERE account_id = ?", acct) == [
        ("New Co", "enterprise")
    ]


def test_a_batch_stores_the_valid_calls_and_lists_the_invalid(api: Api) -> None:
    ids = [_id() for _ in range(4)]
    r = api.client.post(
        "/v1/batch",
        json={
            "batch": [
                {"type": "track", "userId": "b1", "event": "a", "messageId": ids[0]},
                {"type": "track", "userId": "b1", "messageId": ids[1]},  # no event name
                {"type": "track", "event": "c", "messageId": ids[2]},  # no user
                {"type": "page", "userId": "b1", "messageId": ids[3]},
                {
                    "type": "track",
                    "userId": "b1",
                    "event": "old",
                    "timestamp": "1970-01-01T00:00:00Z",
                },
            ],
            "context": {"groupId": "ACC-0004"},
            "sentAt": None,
        },
        headers=_ingest(api),
    )
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["stored"] == 1
    assert [x["index"] for x in body["rejected"]] == [1, 2, 3, 4]
    assert "event" in body["rejected"][0]["reason"] and "userId" in body["rejected"][1]["reason"]
    assert "1990" in body["rejected"][3]["reason"]
    assert _rows(api, "SELECT account_id FROM events WHERE event_id = ?", ids[0]) == [("ACC-0004",)]


def test_size_limits_are_400_and_store_nothing(api: Api) -> None:
    big = {
        "userId": "s",
        "event": "e",
        "groupId": "ACC-0001",
        "messageId": _id(),
        "properties": {"blob": "x" * (33 * 1024)},
    }
    body = assert_problem(api.client.post("/v1/track", json=big, headers=_ingest(api)), 400)
    assert "32 KB" in body["detail"]
    one = {
        "type": "track",
        "userId": "s",
        "event": "e",
        "groupId": "ACC-0001",
        "properties": {"blob": "y" * 20_000},
    }
    batch = {"batch": [{**one, "messageId": _id()} for _ in range(27)]}  # > 500 KB
    body = assert_problem(api.client.post("/v1/batch", json=batch, headers=_ingest(api)), 400)
    assert "500 KB" in body["detail"]
    huge_item = {"batch": [{**one, "messageId": _id(), "properties": {"b": "z" * 40_000}}]}
    assert_problem(api.client.post("/v1/batch", json=huge_item, headers=_ingest(api)), 400)
    assert _rows(api, "SELECT count(*) FROM events WHERE user_id = 's'") == [(0,)]


def test_write_key_auth_like_segment(api: Api) -> None:
    msg = {"userId": "w", "event": "e", "groupId": "ACC-0001"}
    assert_problem(api.client.post("/v1/track", json=msg), 401)
    assert_problem(api.client.post("/v1/track", json=msg, headers=_basic("hsk_nope_nope")), 401)
    body = assert_problem(
        api.client.post("/v1/track", json=msg, headers=_basic(api.tokens["read"])), 403
    )
    assert "ingest" in body["detail"]
    in_body = api.client.post("/v1/track", json={**msg, "writeKey": api.tokens["ingest"]})
    assert in_body.status_code == 200, in_body.text
    bearer = api.client.post("/v1/track", json={**msg, "event": "f"}, headers=api.auth("ingest"))
    assert bearer.status_code == 200
    assert_problem(api.client.post("/v1/track", content=b"{not json", headers=_ingest(api)), 400)
