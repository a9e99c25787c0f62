"""Calls-to-action through the API: the queue, snooze, assign, close, and what the state
machine refuses (409) or does not know (404)."""

from __future__ import annotations

import datetime as dt

from tests.rest.conftest import Api, assert_problem


def test_work_a_cta_through_its_lifecycle(api: Api) -> None:
    listed = api.client.get("/api/v1/ctas", headers=api.auth("read"))
    assert listed.status_code == 200, listed.text
    items = listed.json()["items"]
    assert items, "the demo raises calls-to-action"
    prio = [c["priority"] for c in items]
    assert prio == sorted(prio, reverse=True)
    cta = items[-1]
    cid = cta["id"]
    one = api.client.get(f"/api/v1/ctas/{cid}", headers=api.auth("read")).json()
    assert one["account_id"] == cta["account_id"] and "steps" in one

    until = (dt.date.today() + dt.timedelta(days=14)).isoformat()
    snoozed = api.client.post(
        f"/api/v1/ctas/{cid}/snooze",
        json={"until": until, "reason": "customer on holiday"},
        headers=api.auth("write"),
    )
    assert snoozed.status_code == 200, snoozed.text
    assert snoozed.json()["status"] == "snoozed" and snoozed.json()["snoozed_until"] == until
    moved = api.client.post(
        f"/api/v1/ctas/{cid}/assign", json={"owner": "Team pool"}, headers=api.auth("write")
    )
    assert moved.json()["owner"] == "Team pool"
    closed = api.client.post(
        f"/api/v1/ctas/{cid}/close",
        json={"outcome": "saved", "note": "renewed after the call"},
        headers=api.auth("write"),
    )
    assert closed.status_code == 200, closed.text
    assert closed.json()["status"] == "closed" and closed.json()["outcome"] == "saved"
    again = api.client.post(
        f"/api/v1/ctas/{cid}/snooze",
        json={"until": until, "reason": "x"},
        headers=api.auth("write"),
    )
    assert_problem(again, 409)
    history = api.client.get(f"/api/v1/ctas/{cid}/history", headers=api.auth("read")).json()
    actions = [e["action"] for e in history["events"]]
    assert {"snoozed", "assigned", "closed"} <= set(actions)
    assert any(str(e.get("actor", "")).startswith("api-key:") for e in history["events"])


def test_unknown_cta_and_bad_outcome(api: Api) -> None:
    assert_problem(api.client.get("/api/v1/ctas/999999", headers=api.auth("read")), 404)
    r = api.client.post(
        "/api/v1/ctas/999999/close", json={"outcome": "meh"}, headers=api.auth("write")
    )
    body = assert_problem(r, 422)
    assert any(e["field"] == "body.outcome" for e in body["errors"])
    assert_problem(
        api.client.post("/api/v1/ctas/1/close", json={"outcome": "done"}, headers=api.auth("read")),
        403,
    )


def test_a_success_plan_with_a_goal_and_a_milestone(api: Api) -> None:
    goal = api.client.post(
        "/api/v1/accounts/ACC-0005/plans/goals",
        json={"title": "Cut onboarding time by 30%", "owner": "Ana", "target_date": "2027-03-31"},
        headers=api.auth("write"),
    )
    assert goal.status_code == 201, goal.text
    gid = goal.json()["goal_id"]
    ms = api.client.post(
        f"/api/v1/goals/{gid}/milestones",
        json={"title": "Admins trained", "due": "2027-01-15"},
        headers=api.auth("write"),
    )
    assert ms.status_code == 201, ms.text
    done = api.client.post(
        f"/api/v1/milestones/{ms.json()['milestone_id']}/status",
        json={"status": "done", "on": "2027-01-10"},
        headers=api.auth("write"),
    )
    assert done.status_code == 200 and done.json()["completed_date"] == "2027-01-10"
    plan = api.client.get("/api/v1/accounts/ACC-0005/plans", headers=api.auth("read")).json()
    mine = [g for g in plan["goals"] if g["goal_id"] == gid]
    assert mine and mine[0]["progress"] == 1.0 and mine[0]["milestones"][0]["status"] == "done"
    assert_problem(
        api.client.post(
            "/api/v1/goals/nope/milestones", json={"title": "x"}, headers=api.auth("write")
        ),
        404,
    )
