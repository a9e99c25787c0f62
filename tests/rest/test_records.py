"""Notes, judgements, surveys and contacts: created through the importers, then listed."""

from __future__ import annotations

from healthscore.store import open_store
from tests.rest.conftest import Api, assert_problem


def _account(api: Api) -> str:
    return str(
        api.client.get("/api/v1/accounts", headers=api.auth("read")).json()["items"][0][
            "account_id"
        ]
    )


def test_a_note_is_stored_listed_and_audited(api: Api) -> None:
    aid = _account(api)
    r = api.client.post(
        f"/api/v1/accounts/{aid}/notes",
        json={"notes": "Champion left; new VP wants a QBR", "kind": "meeting", "csm": "Ana"},
        headers=api.auth("write"),
    )
    assert r.status_code == 201, r.text
    note_id = r.json()["id"]
    assert r.json()["inserted"] == 1
    listed = api.client.get(f"/api/v1/accounts/{aid}/notes?limit=500", headers=api.auth("read"))
    items = {i["interaction_id"]: i for i in listed.json()["items"]}
    assert items[note_id]["notes"] == "Champion left; new VP wants a QBR"
    assert listed.json()["items"][0]["interaction_id"] == note_id  # newest first
    api.client.get("/api/v1/accounts", headers=api.auth("read"))  # the store closes per request
    with open_store(api.db) as store:
        row = store.con.execute(
            "SELECT actor, action FROM audit_log WHERE entity_id = ?", [note_id]
        ).fetchone()
    assert row is not None and row[0].startswith("api-key:") and "interactions" in row[1]


def test_a_judgement_and_a_survey_with_a_comment(api: Api) -> None:
    aid = _account(api)
    j = api.client.post(
        f"/api/v1/accounts/{aid}/judgements",
        json={"measure": "relationship_quality", "value": 2, "note": "cold after outage"},
        headers=api.auth("write"),
    )
    assert j.status_code == 201, j.text
    s = api.client.post(
        f"/api/v1/accounts/{aid}/surveys",
        json={"survey_type": "nps", "score": 3, "comment": "Too slow since the upgrade"},
        headers=api.auth("write"),
    )
    assert s.status_code == 201, s.text
    surveys = api.client.get(f"/api/v1/accounts/{aid}/surveys?limit=500", headers=api.auth("read"))
    got = [i for i in surveys.json()["items"] if i["response_id"] == s.json()["id"]]
    assert got and got[0]["comment"] == "Too slow since the upgrade" and got[0]["score"] == 3
    bad = api.client.post(
        f"/api/v1/accounts/{aid}/surveys",
        json={"survey_type": "csat", "score": 9},
        headers=api.auth("write"),
    )
    body = assert_problem(bad, 422)
    assert "1 to 5" in body["detail"]


def test_the_importer_rejects_what_it_rejects_in_a_file(api: Api) -> None:
    aid = _account(api)
    r = api.client.post(
        f"/api/v1/accounts/{aid}/notes",
        json={"notes": "from the future", "occurred_at": "2999-01-01T00:00:00"},
        headers=api.auth("write"),
    )
    body = assert_problem(r, 422)
    assert "body.jsonl" in body["detail"] or any("line 1" in e["message"] for e in body["errors"])


def test_contacts_and_a_body_that_is_not_valid(api: Api) -> None:
    aid = _account(api)
    c = api.client.post(
        f"/api/v1/accounts/{aid}/contacts",
        json={"contact_id": "api-contact-1", "email": "kim@example.com", "role": "champion"},
        headers=api.auth("write"),
    )
    assert c.status_code == 201, c.text
    again = api.client.post(
        f"/api/v1/accounts/{aid}/contacts",
        json={"contact_id": "api-contact-1"},
        headers=api.auth("write"),
    )
    assert_problem(again, 409)
    listed = api.client.get(f"/api/v1/accounts/{aid}/contacts?limit=500", headers=api.auth("read"))
    assert "api-contact-1" in {i["contact_id"] for i in listed.json()["items"]}
    body = assert_problem(
        api.client.post(
            f"/api/v1/accounts/{aid}/judgements", json={"value": "high"}, headers=api.auth("write")
        ),
        422,
    )
    fields = {e["field"] for e in body["errors"]}
    assert {"body.measure", "body.value"} <= fields
