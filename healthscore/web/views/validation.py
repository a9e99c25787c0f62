"""Validation: does the score predict churn?  The backtest report (lift, calibration,
false alarms and precision at the team's capacity, the verdict in words) and the
insights, computed by `healthscore.predict` as background jobs on a copy of the store."""

from __future__ import annotations

import json
from typing import Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response

from healthscore.auth import User
from healthscore.predict import compute_insights, run_backtest
from healthscore.store import Store
from healthscore.web.background import Jobs
from healthscore.web.deps import require
from healthscore.web.store_access import get_store, hs_of
from healthscore.web.templating import render

router = APIRouter(include_in_schema=False)  # pages, not API

BACKTEST, INSIGHTS = "backtest", "insights"


def _lead_chart(summary: dict[str, Any]) -> str:
    methods = summary.get("methods", {})
    labels: list[float] = []
    series = []
    for r in methods.values():
        pts = r.get("lead_time") or []
        if not pts:
            continue
        labels = [p["days"] for p in pts]
        series.append({"label": r["label"], "values": [p["share"] for p in pts]})
    return json.dumps({"labels": labels, "series": series})


@router.get("/validation")
def validation_page(
    request: Request,
    user: User = Depends(require("read_validation")),
    store: Store = Depends(get_store),
) -> Response:
    jobs: Jobs = request.app.state.jobs
    bt, ins = jobs.get(BACKTEST), jobs.get(INSIGHTS)
    ctx = {
        "bt": bt,
        "ins": ins,
        "bt_fresh": bt.fresh(store.path),
        "ins_fresh": ins.fresh(store.path),
        "lead_json": _lead_chart(bt.result.summary) if bt.result is not None else None,
    }
    return render(request, "validation.html", ctx, user=user, active="validation")


@router.post("/validation/run")
def validation_run(
    request: Request,
    what: str = Form("both"),
    capacity: int = Form(25),
    user: User = Depends(require("read_validation")),
) -> Response:
    hs = hs_of(request)
    jobs: Jobs = request.app.state.jobs
    card = hs.scorecard
    cap = max(1, min(capacity, 100_000))
    if what in ("both", BACKTEST):
        jobs.start(BACKTEST, lambda s: run_backtest(s, scorecard=card, capacity=cap))
    if what in ("both", INSIGHTS):
        jobs.start(INSIGHTS, compute_insights)
    return RedirectResponse("/validation", status_code=303)
