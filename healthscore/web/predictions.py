"""Churn predictions for the account pages: `healthscore.predict.predict` run as a
background job (it trains a model), its per-account rows looked up by the pages."""

from __future__ import annotations

import math
from typing import Any

from fastapi import FastAPI

from healthscore.predict import predict
from healthscore.scoring import Scorecard
from healthscore.store import Store
from healthscore.store.queries.scores import snapshot_dates
from healthscore.web.background import Jobs

__all__ = ["JOB", "prediction_for", "start_predictions"]

JOB = "predictions"


def _compute(card: Scorecard) -> Any:
    def run(store: Store) -> dict[str, Any]:
        dates = snapshot_dates(store)
        as_of = dates[-1] if dates else None
        res = predict(store, as_of, scorecard=card, fallback=True)  # type: ignore[arg-type]
        rows = {r["account_id"]: r for r in res.frame.to_dict("records")}
        return {"as_of": as_of, "model": res.model, "warnings": res.warnings, "rows": rows}

    return run


def start_predictions(app: FastAPI) -> None:
    jobs: Jobs = app.state.jobs
    jobs.start(JOB, _compute(app.state.hs.scorecard))


def prediction_for(app: FastAPI, store: Store, account_id: str) -> dict[str, Any]:
    """The account's prediction with the job's state (status, fresh, model, warnings)."""
    jobs: Jobs = app.state.jobs
    job = jobs.get(JOB)
    out: dict[str, Any] = {"status": job.status, "error": job.error, "row": None}
    if job.result is not None:
        row = dict(job.result["rows"].get(account_id) or {})
        for k, v in list(row.items()):
            if isinstance(v, float) and math.isnan(v):
                row[k] = None
        drivers = row.get("top_risk_drivers")
        if isinstance(drivers, str):
            row["top_risk_drivers"] = [d.strip() for d in drivers.split(";") if d.strip()]
        out.update(
            row=row or None,
            model=job.result["model"],
            warnings=job.result["warnings"],
            as_of=job.result["as_of"],
            fresh=job.fresh(store.path),
            finished=job.finished,
        )
    return out
