"""Schemathesis against our own /openapi.json: generated requests (with an admin key) never
make the server fail (no 5xx), and every error is problem+json.  Five examples per
operation keep it near a minute on a loaded 2-core CI machine (every request opens the
store); raise `max_examples` locally for a deeper run.

The routes that fit a model or compute every metric per request (predictions, metrics as
of a date) are left to the explicit tests in test_accounts.py: each generated date would
train a model anew, minutes of CPU for no new coverage of the request handling."""

from __future__ import annotations

from typing import Any

import schemathesis
from hypothesis import HealthCheck, given, settings

from tests.rest.conftest import Api

# The NDJSON import body is text; send generated strings as they are.
schemathesis.serializer.alias("application/x-ndjson", "text/plain")

SLOW = r"(/predictions$|/prediction$|/metrics$)"


def test_no_generated_request_fails_the_server(api: Api) -> None:
    schema = schemathesis.openapi.from_asgi("/openapi.json", api.app)
    schema = schema.include(path_regex=r"^/(api/)?v1/").exclude(path_regex=SLOW)
    auth = {"Authorization": f"Bearer {api.tokens['admin']}"}
    tried: list[str] = []
    for result in schema.get_all_operations():
        operation = result.ok()
        tried.append(f"{operation.method.upper()} {operation.path}")

        @given(case=operation.as_strategy())
        @settings(
            max_examples=5,
            deadline=None,
            derandomize=True,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        def check(case: Any) -> None:
            response = case.call(headers=auth)
            where = (case.method, case.formatted_path, response.status_code)
            assert response.status_code < 500, (*where, response.text[:500])
            if response.status_code >= 400:
                assert response.headers["content-type"][0].startswith("application/problem+json"), (
                    where
                )

        check()
    assert len(tried) >= 20, tried
