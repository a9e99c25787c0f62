"""The public Python API: score a store, explain an account, list the portfolio, predict churn,
report the portfolio's KPIs.

Every function runs on a `healthscore.app.App`, the object the CLI builds too: pass one
(``api.score(app)``), or a store (an open `Store` or a path) and the function builds an App
from the settings ($HEALTHSCORE_DB, else ./healthscore.duckdb; $HEALTHSCORE_SCORECARD;
$HEALTHSCORE_ENGINE) for the call.  Results match `healthscore score | explain | accounts
| predict | kpis` without shelling out.  See docs/python-api.md.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pandas as pd

from healthscore.app import App
from healthscore.portfolio import DEFAULT_CADENCE_DAYS, KpiReport
from healthscore.predict.api import Prediction
from healthscore.scoring import (
    Explanation,
    Preview,
    Scorecard,
    ScoreRun,
    load_scorecard,
)
from healthscore.scoring.accounts import ACCOUNT_COLUMNS
from healthscore.store import Store

__all__ = [
    "App",
    "KpiReport",
    "Prediction",
    "accounts",
    "explain",
    "kpis",
    "load_scorecard",
    "metrics",
    "predict",
    "preview",
    "score",
]

AppLike = App | Store | str | Path | None
ScorecardLike = Scorecard | str | Path | None


@contextmanager
def _app(db: AppLike, *, scorecard: ScorecardLike = None) -> Iterator[App]:
    """The App to run on: a given App as is (the caller keeps it open); else one built from
    the settings for this call, around an open `Store` (left open) or a path (closed after).
    `scorecard` (a path or a `Scorecard`) overrides the one in force."""
    if isinstance(db, App):
        derived = db.replace(scorecard=scorecard)
        try:
            yield derived
        finally:
            if derived is not db:
                derived.close()  # closes only a store the derived App opened itself
        return
    if isinstance(db, Store):
        base = App(App.from_env(db=db.path).settings, store=db)
    else:
        base = App.from_env(db=Path(db) if db is not None else None)
    app = base.replace(scorecard=scorecard)
    try:
        yield app
    finally:
        app.close()
        base.close()


def _day(value: dt.date | str | None) -> dt.date | None:
    if value is None or isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(value)


def score(
    db: AppLike = None,
    as_of: dt.date | str | None = None,
    *,
    scorecard: ScorecardLike = None,
    backfill: tuple[dt.date | str, dt.date | str] | None = None,
    every_days: int = 7,
    engine: Any = None,
) -> ScoreRun:
    """Score and store one date (default: last day with data) or a backfill range.

    `engine` overrides the App's engine (a URL such as ``postgresql://…`` or an Ibis
    backend); by default metrics run where the settings say.

    >>> run = score("healthscore.duckdb", backfill=("2026-01-01", "2026-06-30"))
    >>> run.bands
    {'red': 9, 'yellow': 21, 'green': 40}
    """
    from healthscore.scoring import backfill as run_backfill
    from healthscore.scoring import score as run_score

    if backfill is not None and as_of is not None:
        raise ValueError("give either as_of or backfill, not both")
    with _app(db, scorecard=scorecard) as app:
        card = app.scorecard  # an invalid scorecard fails before the store opens
        eng = engine if engine is not None else app.engine
        if backfill is not None:
            start, end = _day(backfill[0]), _day(backfill[1])
            assert start is not None and end is not None
            return run_backfill(app.store, start, end, every_days, card, eng, today=app.today())
        return run_score(app.store, _day(as_of), card, eng, today=app.today())


def explain(
    account_id: str, as_of: dt.date | str | None = None, *, db: AppLike = None
) -> Explanation:
    """Why `account_id` scores what it does (stored snapshot on or before as_of).

    `Explanation.groups` lists each group with its measures (raw value with unit,
    normalised value, weight, contribution); `.changes` ranks what moved since the
    previous snapshot; `.as_dict()` is JSON-ready.
    """
    from healthscore.scoring import explain_account as run_explain

    with _app(db) as app:
        return run_explain(app.store, account_id, _day(as_of))


def accounts(
    db: AppLike = None,
    *,
    as_of: dt.date | str | None = None,
    band: str | None = None,
    segment: str | None = None,
    owner: str | None = None,
    sort: str = "score",
    desc: bool = False,
    limit: int | None = None,
) -> pd.DataFrame:
    """The portfolio as a DataFrame: score, band, 7/30-day trend, ARR, renewal, owner.

    Filters and sort keys are those of `healthscore accounts`; unscored accounts sort last.
    """
    from healthscore.scoring import list_accounts

    with _app(db) as app:
        rows = list_accounts(
            app.store,
            _day(as_of),
            band=band,
            segment=segment,
            owner=owner,
            sort=sort,
            desc=desc,
            limit=limit,
        )
    return pd.DataFrame(rows, columns=list(ACCOUNT_COLUMNS))


def preview(
    scorecard: ScorecardLike,
    *,
    db: AppLike = None,
    since: dt.date | str | None = None,
    engine: Any = None,
) -> Preview:
    """What a candidate scorecard would change over stored history; writes nothing."""
    from healthscore.scoring import preview_scorecard as run_preview

    card = scorecard if isinstance(scorecard, Scorecard) else load_scorecard(scorecard)
    with _app(db) as app:
        eng = engine if engine is not None else app.engine
        return run_preview(app.store, card, _day(since), eng)


def predict(
    db: AppLike = None,
    as_of: dt.date | str | None = None,
    *,
    horizon_days: int = 30,
    model: str = "auto",
    scorecard: ScorecardLike = None,
    fallback: bool = True,
    gross_margin: float | None = None,
) -> Prediction:
    """Churn probability, health score, band, expected months to churn, risk drivers, and
    each account's MRR, expected remaining lifetime and CLTV.

    `as_of` defaults to the store's last day with data.  `model` is auto, logistic, gbt or
    ensemble.  With too few churns to train on, the scorecard's scores stand in
    (``Prediction.model == 'scorecard'``, churn_probability empty) and
    ``Prediction.warnings`` says why; ``fallback=False`` raises `NotEnoughOutcomes` instead.
    ``cltv = mrr x gross_margin x expected_lifetime_months`` (`gross_margin` default 1); the
    lifetime is the survival model's, else 1 / the portfolio's monthly churn rate
    (``lifetime_source``; docs/kpis.md).

    >>> p = predict("acme.duckdb", "2026-09-30", horizon_days=90)
    >>> p.frame.head()          # account_id, churn_probability, health_score, band, ...
    """
    from healthscore.predict.api import predict as run_predict
    from healthscore.predict.outcomes import data_range

    with _app(db, scorecard=scorecard) as app:
        day = _day(as_of) or min(data_range(app.store)[1], app.today())
        return run_predict(
            app.store,
            day,
            horizon_days=horizon_days,
            model=model,
            scorecard=app.scorecard,
            fallback=fallback,
            gross_margin=gross_margin,
        )


def metrics(db: AppLike = None, *, group: str | None = None) -> pd.DataFrame:
    """The metric catalogue of the store: name, group, label, unit, direction, description.

    Includes per-event-type metrics for the store's event types and the custom metrics of
    the scorecard in force (what `healthscore metrics list` prints).
    """
    from healthscore.metrics import metric_catalog
    from healthscore.scoring.run import custom_metrics

    cols = ["name", "group", "label", "unit", "direction", "description"]
    with _app(db) as app:
        backend = app.engine if app.engine is not None else app.store.ibis()
        infos = metric_catalog(backend, custom=custom_metrics(app.scorecard))
    rows = [
        {
            "name": i.name,
            "group": i.group,
            "label": getattr(i, "label", None) or i.name,
            "unit": i.unit,
            "direction": i.direction,
            "description": i.description,
        }
        for i in infos
        if group is None or i.group == group
    ]
    return pd.DataFrame(rows, columns=cols)


def kpis(
    db: AppLike = None,
    *,
    period: str = "month",
    start: dt.date | str | None = None,
    end: dt.date | str | None = None,
    segment: str | None = None,
    by: str | None = None,
    gross_margin: float | None = None,
    cadence_days: int = DEFAULT_CADENCE_DAYS,
) -> KpiReport:
    """The portfolio KPIs per month or quarter: logo churn, MRR movements, GRR and NRR, CLTV,
    NPS, CSAT, adoption, self-service, time to first value and the score's bands, with the
    change against the previous period and a year earlier (what `healthscore kpis` shows).

    `start` and `end` are days inside the first and last period (default: the twelve
    months, or eight quarters, up to the newest data); `segment` keeps one segment; `by`
    adds one row per segment, plan or owner, or per CSM coverage (``"coverage"``: covered
    when a CSM interaction was logged in the `cadence_days` before the period, else not
    covered; an observational split, not the effect of coverage); `gross_margin` (0-1)
    turns revenue CLTV into margin CLTV.  Every definition is in docs/kpis.md.

    >>> r = kpis("acme.duckdb", period="quarter", by="segment")
    >>> r.rows[-1]["churn_rate"], r.rows[-1]["nrr"]
    """
    from healthscore.portfolio import portfolio_kpis

    with _app(db) as app:
        return portfolio_kpis(
            app.store,
            period=period,
            start=_day(start),
            end=_day(end),
            segment=segment,
            by=by,
            gross_margin=gross_margin,
            cadence_days=cadence_days,
        )
