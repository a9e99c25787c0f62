"""Batch ingestion: a file or NDJSON becomes a job; polling shows the importer's report or
its located messages, as the CLI prints them."""

from __future__ import annotations

import time
from typing import Any

from healthscore.store import open_store
from tests.rest.conftest import Api, assert_problem


def _wait(api: Api, job_id: str) -> dict[str, Any]:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        r = api.client.get(f"/api/v1/jobs/{job_id}", headers=api.auth("ingest"))
        assert r.status_code == 200, r.text
        if r.json()["status"] not in ("queued", "running"):
            return r.json()  # type: ignore[no-any-return]
        time.sleep(0.05)
    raise AssertionError(f"job {job_id} did not finish")


def test_a_csv_upload_with_a_mapping_is_imported_in_the_background(api: Api) -> None:
    csv = (
        "ticket,acct,opened\n"
        "job-t1,ACC-0001,2026-10-01T10:00:00Z\n"
        "job-t2,ACC-0002,2026-10-02T11:00:00Z\n"
    )
    r = api.client.post(
        "/api/v1/imports/tickets?mapping=ticket=ticket_id,acct=account_id,opened=opened_at",
        files={"file": ("tickets.csv", csv.encode(), "text/csv")},
        headers=api.auth("ingest"),
    )
    assert r.status_code == 202, r.text
    assert r.headers["location"] == f"/api/v1/jobs/{r.json()['job_id']}"
    job = _wait(api, r.json()["job_id"])
    assert job["status"] == "succeeded", job
    assert job["report"]["rows_inserted"] == 2
    assert job["message"].startswith("tickets: 2 new")
    with open_store(api.db) as store:
        n = store.con.execute(
            "SELECT count(*) FROM tickets WHERE ticket_id IN ('job-t1', 'job-t2')"
        ).fetchone()
    assert n == (2,)
    listed = api.client.get("/api/v1/jobs", headers=api.auth("ingest")).json()["items"]
    assert job["job_id"] in [j["job_id"] for j in listed]


def test_a_rejected_ndjson_import_reports_line_and_field(api: Api) -> None:
    body = (
        '{"response_id": "job-r1", "account_id": "ACC-0001", "survey_type": "nps", "score": 9}\n'
        '{"response_id": "job-r2", "account_id": "ACC-0001", "survey_type": "nps", '
        '"score": "nine"}\n'
        '{"response_id": "job-r3", "account_id": "NOPE", "survey_type": "nps", "score": 1}\n'
    )
    r = api.client.post(
        "/api/v1/imports/surveys/ndjson",
        content=body.encode(),
        headers={**api.auth("ingest"), "content-type": "application/x-ndjson"},
    )
    assert r.status_code == 202, r.text
    job = _wait(api, r.json()["job_id"])
    assert job["status"] == "rejected", job
    text = " ".join([job["message"], *job["problems"]])
    assert "line 2" in text and "score" in text and "nine" in text
    assert "NOPE" in text
    with open_store(api.db) as store:
        assert store.con.execute(
            "SELECT count(*) FROM surveys WHERE response_id LIKE 'job-r%'"
        ).fetchone() == (0,)


def test_an_unknown_kind_or_job_is_404_and_a_bad_name_422(api: Api) -> None:
    body = assert_problem(
        api.client.post(
            "/api/v1/imports/widgets/ndjson", content=b"{}\n", headers=api.auth("ingest")
        ),
        404,
    )
    assert "tickets" in body["detail"]
    assert_problem(api.client.get("/api/v1/jobs/nope", headers=api.auth("ingest")), 404)
    r = api.client.post(
        "/api/v1/imports/tickets",
        files={"file": ("tickets.xlsx", b"x", "application/octet-stream")},
        headers=api.auth("ingest"),
    )
    assert "format" in assert_problem(r, 422)["detail"]


def test_a_shipped_profile_maps_an_export(api: Api) -> None:
    csv = (
        "Response ID,Person properties,Score,Comment,Response timestamp\n"
        "dl-1,ACC-0001,9,Love the new reports,1761998400\n"
    )
    csv = csv.replace("Person properties", "person_properties.account_id")
    r = api.client.post(
        "/api/v1/imports/surveys?profile=delighted-nps",
        files={"file": ("responses.csv", csv.encode(), "text/csv")},
        headers=api.auth("ingest"),
    )
    assert r.status_code == 202, r.text
    job = _wait(api, r.json()["job_id"])
    assert job["status"] == "succeeded", job
    with open_store(api.db) as store:
        row = store.con.execute(
            "SELECT account_id, survey_type, score, comment FROM surveys WHERE response_id = 'dl-1'"
        ).fetchone()
    assert row == ("ACC-0001", "nps", 9.0, "Love the new reports")
    bad = api.client.post(
        "/api/v1/imports/surveys/ndjson?profile=nosuchtool",
        content=b"{}\n",
        headers=api.auth("ingest"),
    )
    assert "nosuchtool" in assert_problem(bad, 422)["detail"]
