"""What rules read about each account on a run date: one frame of metrics, score, band,
trends, revenue, renewal and churn probability, plus the detected changes, the score's
drivers, the moments (tickets resolved, milestones, payments) and the CSM cadence.

Everything is computed as of the run date only from what was knowable then, so a replay
over history (`alerts backtest`) sees what a live run would have seen.  The costly parts
(drivers, moments, cadence) are read on first use, so rules that do not need them cost
nothing.
"""

from __future__ import annotations

import datetime as dt
from functools import cached_property
from typing import Any

import numpy as np
import pandas as pd

from healthscore.actions.changes import KEY_METRICS, detect_changes
from healthscore.metrics import compute_metrics, metric_catalog
from healthscore.store import Store
from healthscore.store.queries import read_snapshots
from healthscore.store.queries.changes import metric_history
from healthscore.store.queries.ctas import (
    account_facts,
    contacts_of,
    milestone_moments,
    nps_answers,
    overdue_invoices,
    promoter_contacts,
    referrers,
    resolved_tickets,
)
from healthscore.store.queries.engagement import first_value_times
from healthscore.store.queries.texts import intent_flags

__all__ = [
    "MODEL_HORIZON_DAYS",
    "Facts",
    "gather_facts",
    "history_dates",
    "metric_labels",
    "model_churn",
    "use_model_churn",
]

HISTORY_WEEKS = 12
# Touches per month below which a segment's accounts churn more (insights' bins), as days
# between touches; a segment where insights finds no healthy cadence uses the default.
_CADENCE_DAYS = {"0.25-0.5": 120, "0.5-1": 60, "1-2": 30, "2-4": 15, ">= 4": 8}
DEFAULT_CADENCE_DAYS = 30
# The cadence found for one outcomes object (a replay passes the same one for every date).
_CADENCE_CACHE: dict[int, dict[str, Any]] = {}


class Facts:
    """The run date's facts; `frame` is indexed by account_id (active accounts only)."""

    def __init__(
        self,
        store: Store,
        as_of: dt.date,
        frame: pd.DataFrame,
        changes: pd.DataFrame,
        labels: dict[str, str],
        snapshot_day: dt.date | None,
        churn_source: str,
        outcomes: Any = None,
    ):
        self.store = store
        self.as_of = as_of
        self.frame = frame
        self.changes = changes
        self.labels = labels
        self.snapshot_day = snapshot_day
        self.churn_source = churn_source
        self._outcomes = outcomes

    def label(self, metric: str) -> str:
        return self.labels.get(metric, metric)

    @cached_property
    def drivers(self) -> pd.DataFrame:
        """account_id, rank (1 = pulls the score down most), group_name, measure."""
        from healthscore.store.queries.ctas import driver_rows

        if self.snapshot_day is None:
            return pd.DataFrame(columns=["account_id", "rank", "group_name", "measure"])
        m = driver_rows(self.store, self.snapshot_day)
        if m.empty:
            return pd.DataFrame(columns=["account_id", "rank", "group_name", "measure"])
        m["loss"] = (100 - m["normalized"]) * m["effective_weight"].fillna(0)
        m = m[m["loss"] > 0].sort_values(["account_id", "loss"], ascending=[True, False])
        m["rank"] = m.groupby("account_id").cumcount() + 1
        return m[["account_id", "rank", "group_name", "measure"]]

    @cached_property
    def tickets(self) -> pd.DataFrame:
        return resolved_tickets(self.store, self.as_of - dt.timedelta(days=90), self.as_of)

    @cached_property
    def milestones(self) -> pd.DataFrame:
        return milestone_moments(self.store, self.as_of)

    @cached_property
    def invoices(self) -> pd.DataFrame:
        return overdue_invoices(self.store, self.as_of, 90)

    @cached_property
    def first_values(self) -> pd.DataFrame:
        fv = first_value_times(self.store)
        fv["first_value_at"] = pd.to_datetime(fv["first_value_at"])
        return fv[fv["first_value_at"].dt.date <= self.as_of]

    @cached_property
    def nps_answers(self) -> pd.DataFrame:
        """NPS answers of the last 90 days: account_id, contact_id, name, score, comment,
        responded_at."""
        return nps_answers(self.store, self.as_of - dt.timedelta(days=90), self.as_of)

    def intents(self, within_days: int) -> pd.DataFrame:
        """Cancellation and competitor intent read in the account's texts (the text
        layer's analysis) in the last `within_days`: account_id, kind, occurred_at,
        evidence (the sentence), source.  Empty where no text was analysed."""
        try:
            return intent_flags(self.store, self.as_of, decay_days=within_days)
        except Exception:  # a store whose texts were never analysed
            return pd.DataFrame(columns=["account_id", "kind", "occurred_at", "evidence", "source"])

    @cached_property
    def promoters(self) -> pd.DataFrame:
        return promoter_contacts(self.store, self.as_of)

    @cached_property
    def referrer_contacts(self) -> set[str]:
        return {str(c) for c in referrers(self.store, self.as_of)["contact_id"].dropna()}

    def contacts(self, account_ids: list[str]) -> pd.DataFrame:
        """The contacts of these accounts (account_id, contact_id, name, email, role)."""
        if hasattr(self.store, "con"):  # a join, not an IN list of thousands of literals
            from healthscore.store.ctas import contacts_in

            return contacts_in(self.store.con, account_ids)
        return contacts_of(self.store, account_ids)

    @cached_property
    def cadence_days(self) -> dict[str, float]:
        """Segment (lower case) -> the longest healthy gap between CSM touches, in days."""
        try:
            from healthscore.predict.insights import csm_cadence  # one definition of the cadence
            from healthscore.predict.outcomes import derive_outcomes

            oc = self._outcomes or derive_outcomes(self.store, as_of=self.as_of)
            key = id(oc)
            if key not in _CADENCE_CACHE:
                _CADENCE_CACHE.clear()  # one replay at a time: keep only the newest
                _CADENCE_CACHE[key] = csm_cadence(self.store, oc)
            found = _CADENCE_CACHE[key]
        except Exception:  # no interactions or outcomes: the default cadence applies
            found = {}
        out: dict[str, float] = {}
        for seg, info in (found.get("segments") or {}).items():
            label = info.get("minimum_healthy_cadence_per_month")
            if label in _CADENCE_DAYS:
                out[str(seg).lower()] = float(_CADENCE_DAYS[label])
        return out


def history_dates(as_of: dt.date, weeks: int) -> list[dt.date]:
    return sorted(as_of - dt.timedelta(days=7 * k) for k in range(weeks + 1))


def gather_facts(
    store: Store,
    as_of: dt.date,
    *,
    metrics: pd.DataFrame | None = None,
    history_weeks: int = HISTORY_WEEKS,
    snapshots: pd.DataFrame | None = None,
    outcomes: Any = None,
    calibrate: bool = True,
    labels: dict[str, str] | None = None,
    model: bool = False,
) -> Facts:
    """The facts of `as_of`.

    A replay over many dates passes what it computed once: `metrics` (weekly metric rows
    covering every date and its history), `snapshots` (stored score rows), `outcomes`
    (churn events) and `labels` (metric labels).  `calibrate=False` skips calibrating the
    churn probability on the score history (a replay that only counts firings).

    `model=True` (a live run) takes each account's churn probability from the churn model
    (`healthscore.predict.predict`, 90-day horizon, trained on what is knowable on
    `as_of`) where it gives one, and the calibrated score elsewhere; the frame's
    `churn_source` column says which, account by account, so a CTA's priority can show
    where its churn probability came from."""
    dates = history_dates(as_of, history_weeks)
    kept = None
    if metrics is None:
        metrics, kept = _metrics_and_history(store, as_of, dates)
    days = pd.to_datetime(metrics["as_of"]).dt.date
    current = metrics[(days == as_of).to_numpy()].copy()
    current["as_of"] = as_of
    # The history change detection reads: a few columns, not every metric of every date.
    followed = ["as_of", "account_id", *_FOLLOWED]
    in_grid = days.isin(dates).to_numpy()
    hist = metrics.loc[in_grid, [c for c in followed if c in metrics]].copy()
    hist["as_of"] = days.to_numpy()[in_grid]
    if kept is not None and not kept.empty:
        hist = pd.concat([hist, kept[[c for c in hist.columns if c in kept]]], ignore_index=True)
    snaps = snapshots if snapshots is not None else read_snapshots(store)
    snaps = snaps.copy()
    snaps["as_of"] = pd.to_datetime(snaps["as_of"]).dt.date
    snaps = snaps[snaps["as_of"] <= as_of]
    # The score history on the weekly grid: each grid date takes the newest snapshot within
    # the week before it.
    if not snaps.empty:
        days = sorted(snaps["as_of"].unique())
        pick = {}
        for d in dates:
            before = [s for s in days if d - dt.timedelta(days=6) <= s <= d]
            if before:
                pick[before[-1]] = d
        grid = snaps[snaps["as_of"].isin(pick)][["as_of", "account_id", "score"]].copy()
        grid["as_of"] = grid["as_of"].map(pick)
        hist = hist.merge(grid, on=["as_of", "account_id"], how="left")
    else:
        hist["score"] = np.nan
    now = current.set_index("account_id")
    now["score"] = hist[hist["as_of"] == as_of].set_index("account_id")["score"]
    if "is_active" in now.columns:
        now = now[now["is_active"] > 0]
    acc = account_facts(store).set_index("account_id")
    frame = now.join(acc, how="left")
    frame["name"] = frame["name"].where(
        frame["name"].notna(), pd.Series(frame.index, index=frame.index)
    )
    frame["segment"] = frame["segment"].fillna("(none)")
    if "financial_mrr" in frame.columns:
        frame["arr"] = frame["arr"].fillna(12 * frame["financial_mrr"])
    frame["arr"] = frame["arr"].fillna(0.0)
    snapshot_day = _newest(snaps, as_of)
    frame = _attach_scores(frame, snaps, snapshot_day)
    if outcomes is None and calibrate:
        outcomes = _outcomes(store, as_of)
    if calibrate:
        prob, source = _churn_probability(snaps, frame, as_of, outcomes)
    else:
        prob = ((100 - frame["score"].fillna(50)) / 200).clip(0.01, 0.5)
        source = "uncalibrated: (100 - score) / 200 (replay)"
    frame["churn_probability"] = prob
    frame["churn_source"] = f"calibrated score: {source}"
    if model:
        source = use_model_churn(store, as_of, frame, source)
    changes = detect_changes(hist, as_of, [m for m in KEY_METRICS if m in hist.columns])
    changes = changes[changes["account_id"].isin(frame.index)]
    if labels is None:
        labels = metric_labels(store)
    return Facts(store, as_of, frame, changes, labels, snapshot_day, source, outcomes)


def _metrics_and_history(
    store: Store, as_of: dt.date, dates: list[dt.date]
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(every metric on `as_of` and on the earlier dates no scoring run kept, the kept
    history of the others): change detection reads a few metrics of the earlier dates.

    The full metric set for thirteen dates was most of a run's time and memory at 100,000
    accounts; the kept history is what those runs computed, so the result is the same
    unless data for those dates was imported after they were scored."""
    earlier = [d for d in dates if d != as_of]
    kept = metric_history(store, earlier)
    have = set(kept["as_of"])
    computed = compute_metrics(store.ibis(), [as_of, *(d for d in earlier if d not in have)])
    return computed, kept


# What change detection reads of the earlier dates (and is_active, which says who counts).
_FOLLOWED = tuple(dict.fromkeys([*KEY_METRICS, "adoption_ttfv_reached", "is_active"]))


MODEL_HORIZON_DAYS = 90
# The model behind a live run's priorities trains on monthly snapshots of the history (the
# `predict` command's default is weekly): a fraction of the training time for the daily
# job, at a small cost in precision that a ranking of CTAs does not notice.
MODEL_STEP_DAYS = 28


def model_churn(store: Store, as_of: dt.date) -> tuple[pd.Series | None, str]:
    """The churn model's probability of churning within `MODEL_HORIZON_DAYS`, by account,
    and its source in words; (None, why) when there is no model (too few outcomes, no
    data) or it failed: an alerts run must not stop for it."""
    try:
        from healthscore.predict import predict

        res = predict(store, as_of, horizon_days=MODEL_HORIZON_DAYS, step_days=MODEL_STEP_DAYS)
    except Exception as exc:  # too few outcomes, no data, or a model failure
        return None, str(exc).rstrip(".") or type(exc).__name__
    f = res.frame
    p = pd.Series(
        pd.to_numeric(f["churn_probability"], errors="coerce").to_numpy(float),
        index=f["account_id"].astype(str),
    )
    if p.notna().sum() == 0:
        return None, f"the {res.model} gave no churn probabilities"
    return p, (
        f"churn model ({res.model}), churn within {MODEL_HORIZON_DAYS} days, "
        f"trained on monthly snapshots up to {as_of}"
    )


def use_model_churn(store: Store, as_of: dt.date, frame: pd.DataFrame, calibrated: str) -> str:
    """Put the model's churn probability in `frame` where it has one (in place); the run's
    churn-probability source in words."""
    pred, label = model_churn(store, as_of)
    if pred is None:
        frame["churn_source"] = f"calibrated score (no model prediction: {label}): {calibrated}"
        return f"{calibrated}; no model prediction: {label}"
    got = pred.reindex(frame.index.astype(str)).set_axis(frame.index)
    has = got.notna()
    frame.loc[has, "churn_probability"] = got[has].clip(0.0, 1.0).round(4)
    frame.loc[has, "churn_source"] = label
    frame.loc[~has, "churn_source"] = (
        f"calibrated score (the model gave this account no prediction): {calibrated}"
    )
    if has.all():
        return label
    return f"{label}, for {int(has.sum())} of {len(frame)} accounts; the others: {calibrated}"


def metric_labels(store: Store) -> dict[str, str]:
    """Metric name -> its label in words (for evidence), plus the score."""
    try:
        labels = {m.name: m.label or m.name for m in metric_catalog(store.ibis())}
    except Exception:  # a store without the tables the catalogue reads: names stand in
        labels = {}
    labels.setdefault("score", "health score")
    return labels


def _outcomes(store: Store, as_of: dt.date) -> Any:
    """Churn and renewal events knowable on `as_of` (None for a store without them)."""
    try:
        from healthscore.predict.outcomes import derive_outcomes

        return derive_outcomes(store, as_of=as_of)
    except Exception:  # no subscriptions: no outcomes to calibrate or to find cadences on
        return None


def _newest(snaps: pd.DataFrame, as_of: dt.date) -> dt.date | None:
    recent = snaps[snaps["as_of"] >= as_of - dt.timedelta(days=7)]
    return None if recent.empty else max(recent["as_of"])


def _attach_scores(frame: pd.DataFrame, snaps: pd.DataFrame, day: dt.date | None) -> pd.DataFrame:
    frame = frame.copy()
    if "score" in frame.columns:
        frame = frame.drop(columns=["score"])
    if day is None:
        frame["score"] = np.nan
        frame["band"] = None
        frame["trend_7d"] = np.nan
        frame["trend_30d"] = np.nan
        return frame
    cur = snaps[snaps["as_of"] == day].set_index("account_id")
    frame["score"] = cur["score"].reindex(frame.index)
    frame["band"] = cur["band"].reindex(frame.index)
    days = sorted(snaps["as_of"].unique())
    for col, back in (("trend_7d", 7), ("trend_30d", 30)):
        older = [d for d in days if d <= day - dt.timedelta(days=back)]
        if not older:
            frame[col] = np.nan
            continue
        prev = snaps[snaps["as_of"] == older[-1]].set_index("account_id")["score"]
        frame[col] = frame["score"] - prev.reindex(frame.index)
    return frame


def _churn_probability(
    snaps: pd.DataFrame, frame: pd.DataFrame, as_of: dt.date, outcomes: Any, horizon: int = 90
) -> tuple[pd.Series, str]:
    """Each account's chance of churning within `horizon` days, from its score, calibrated on
    this store's own history: the share of earlier snapshots with a similar score whose
    account churned within the horizon (isotonic: a lower score never means less risk).

    Without enough labelled history, a plain (100 - score) / 200 stands in, and the source
    says so.  Only snapshots whose horizon ended by `as_of` are used, so a replay never
    learns from its future."""
    score = frame["score"]
    fallback = ((100 - score.fillna(50)) / 200).clip(0.01, 0.5)
    labelled = snaps[snaps["as_of"] <= as_of - dt.timedelta(days=horizon)].dropna(subset=["score"])
    if len(labelled) < 50:
        return fallback, "uncalibrated: (100 - score) / 200, too little scored history to calibrate"
    if outcomes is None:
        return fallback, "uncalibrated: no churn outcomes in the store"
    churn = outcomes.of("churn")
    first = labelled[["account_id", "as_of"]].merge(
        churn[["account_id", "date"]].rename(columns={"date": "churned"}),
        on="account_id",
        how="left",
    )
    gap = (pd.to_datetime(first["churned"]) - pd.to_datetime(first["as_of"])).dt.days
    first["hit"] = ((gap > 0) & (gap <= horizon)).astype(float)
    y = first.groupby(["account_id", "as_of"])["hit"].max().reset_index()
    y = y.merge(labelled[["account_id", "as_of", "score"]], on=["account_id", "as_of"])
    if y["hit"].sum() < 5:
        return fallback, "uncalibrated: fewer than 5 churns after scored snapshots"
    from sklearn.isotonic import IsotonicRegression

    iso = IsotonicRegression(increasing=False, out_of_bounds="clip", y_min=0.005, y_max=0.95)
    iso.fit(y["score"].to_numpy(float), y["hit"].to_numpy(float))
    base = float(y["hit"].mean())
    p = pd.Series(
        iso.predict(score.fillna(score.median() if score.notna().any() else 50).to_numpy(float)),
        index=frame.index,
    )
    p[score.isna()] = base
    return p.round(
        4
    ), f"score calibrated on {len(y)} scored snapshots ({base:.1%} churned within {horizon} days)"


def facts_summary(f: Facts) -> dict[str, Any]:
    return {
        "as_of": f.as_of,
        "accounts": len(f.frame),
        "changes": len(f.changes),
        "churn_probability": f.churn_source,
    }
