"""Accounts, scores, explanations, metrics and predictions through a real ASGI client."""

from __future__ import annotations

from tests.rest.conftest import Api, assert_problem


def test_the_portfolio_lists_every_account_with_its_score(api: Api) -> None:
    r = api.client.get("/api/v1/accounts", headers=api.auth("read"))
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["total"] == 12 and len(body["items"]) == 12
    assert body["next_cursor"] is None
    scores = [i["score"] for i in body["items"] if i["score"] is not None]
    assert scores == sorted(scores)  # default: lowest score first
    assert {"account_id", "name", "band", "arr", "trend_7d"} <= set(body["items"][0])


def test_cursor_pages_walk_the_whole_listing_once(api: Api) -> None:
    seen: list[str] = []
    url = "/api/v1/accounts?limit=5&sort=arr&desc=true"
    cursor = None
    pages = 0
    while True:
        r = api.client.get(url + (f"&cursor={cursor}" if cursor else ""), headers=api.auth("read"))
        assert r.status_code == 200, r.text
        body = r.json()
        seen += [i["account_id"] for i in body["items"]]
        pages += 1
        cursor = body["next_cursor"]
        if cursor is None:
            break
    assert pages == 3 and len(seen) == 12 == len(set(seen))
    full = api.client.get("/api/v1/accounts?limit=500&sort=arr&desc=true", headers=api.auth("read"))
    assert [i["account_id"] for i in full.json()["items"]] == seen


def test_a_cursor_of_another_query_is_refused(api: Api) -> None:
    first = api.client.get("/api/v1/accounts?limit=5", headers=api.auth("read")).json()
    r = api.client.get(
        f"/api/v1/accounts?limit=5&sort=name&cursor={first['next_cursor']}",
        headers=api.auth("read"),
    )
    body = assert_problem(r, 400)
    assert "same query parameters" in body["detail"]
    assert_problem(api.client.get("/api/v1/accounts?cursor=garbage", headers=api.auth("read")), 400)


def test_filters_search_and_an_unknown_band(api: Api) -> None:
    all_items = api.client.get("/api/v1/accounts", headers=api.auth("read")).json()["items"]
    segment = all_items[0]["segment"]
    got = api.client.get(f"/api/v1/accounts?segment={segment}", headers=api.auth("read")).json()
    assert got["items"] and all(i["segment"] == segment for i in got["items"])
    name = all_items[3]["name"]
    q = api.client.get(f"/api/v1/accounts?q={name[:4].lower()}", headers=api.auth("read")).json()
    assert name in [i["name"] for i in q["items"]]
    body = assert_problem(
        api.client.get("/api/v1/accounts?band=purple", headers=api.auth("read")), 400
    )
    assert "purple" in body["detail"] and "green" in body["detail"]


def test_one_account_by_id_and_by_name(api: Api) -> None:
    first = api.client.get("/api/v1/accounts", headers=api.auth("read")).json()["items"][0]
    r = api.client.get(f"/api/v1/accounts/{first['account_id']}", headers=api.auth("read"))
    assert r.status_code == 200
    body = r.json()
    assert body["account"]["name"] == first["name"]
    assert body["score"]["score"] == first["score"]
    by_name = api.client.get(
        f"/api/v1/accounts/by-name/{first['name'].upper()}", headers=api.auth("read")
    )
    assert by_name.json()["account_id"] == first["account_id"]
    body = assert_problem(api.client.get("/api/v1/accounts/NOPE-1", headers=api.auth("read")), 404)
    assert "NOPE-1" in body["detail"]


def test_score_history_explanation_and_metrics(api: Api) -> None:
    aid = api.client.get("/api/v1/accounts", headers=api.auth("read")).json()["items"][0][
        "account_id"
    ]
    hist = api.client.get(f"/api/v1/accounts/{aid}/scores", headers=api.auth("read")).json()
    dates = [p["as_of"] for p in hist["scores"]]
    assert len(dates) >= 4 and dates == sorted(dates)
    ex = api.client.get(f"/api/v1/accounts/{aid}/explanation", headers=api.auth("read"))
    assert ex.status_code == 200, ex.text
    groups = ex.json()["groups"]
    assert groups and all("measures" in g for g in groups)
    assert all(isinstance(c["text"], str) for c in ex.json()["changes"])
    m = api.client.get(f"/api/v1/accounts/{aid}/metrics?as_of={dates[0]}", headers=api.auth("read"))
    assert m.status_code == 200, m.text
    metrics = {x["name"]: x for x in m.json()["metrics"]}
    assert len(metrics) > 20 and m.json()["as_of"] == dates[0]
    assert all(x["group"] for x in metrics.values())
    early = api.client.get(
        f"/api/v1/accounts/{aid}/metrics?as_of=2000-01-01", headers=api.auth("read")
    )
    assert_problem(early, 409)


def test_predictions_have_drivers_in_words(api: Api) -> None:
    r = api.client.get("/api/v1/predictions?limit=5", headers=api.auth("read"))
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["items"] and body["model"]
    if body["model"] == "scorecard":  # too few churns in a 12-account store: said so
        assert body["warnings"]
    one = body["items"][0]
    r2 = api.client.get(
        f"/api/v1/accounts/{one['account_id']}/prediction", headers=api.auth("read")
    )
    assert r2.status_code == 200, r2.text
    assert r2.json()["account_id"] == one["account_id"]
    for d in r2.json()["drivers"]:
        assert d["text"].startswith(d["driver"])
