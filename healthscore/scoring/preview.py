"""Preview a candidate scorecard against stored history without writing anything.

Changing a scorecard changes who gets a call this week; leaders should see exactly which
accounts move band, and how past red/green flags would have differed, before switching.

A preview re-scores the *stored* inputs: every snapshot keeps its measure rows (the raw
metric value of each measure, its weight and effective weight, and whether an ageing
judgement was decayed), which is all the scorecard arithmetic reads.  They are read once
per version of the score tables (`ScoringInputs`, cached) and re-scored in memory for each
candidate, so a changed weight, threshold or band costs a `score_frame` pass, not a
metrics run over every account.  The inputs are checked first: the card the snapshots
were scored with must reproduce them from the inputs; when it does not (or the candidate
reads a metric no measure row holds), the preview recomputes the metrics instead.

The backtest part replays both cards at the stored dates whose outcome window is closed
and compares them against the churn that followed (AUC, top-decile lift, precision at the
team's capacity, share of churners flagged red).  Outcomes and ranking measures belong to
the prediction layer, which comes after scoring: it hands them in as an `OutcomeSource`
(`healthscore.predict.preview_backtest.ChurnOutcomes`).
"""

from __future__ import annotations

import datetime as dt
import threading
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import numpy as np
import pandas as pd

from healthscore.errors import InvalidScorecard, NotEnoughData
from healthscore.scoring.engine import score_frame
from healthscore.scoring.history import read_snapshots, snapshot_dates
from healthscore.scoring.model import Scorecard, parse_scorecard
from healthscore.scoring.run import catalog, compute_scores, resolve_scorecard, segments_of
from healthscore.store import Store
from healthscore.store.queries.score_inputs import (
    measure_inputs,
    scorecard_source,
    scores_version,
)

__all__ = [
    "OutcomeSource",
    "Preview",
    "ScoringInputs",
    "preview_scorecard",
    "scoring_inputs",
    "stored_dates",
]

# Share of stored snapshots the card in force must reproduce from the stored inputs.
FAITHFUL = 0.99
_DECAYED = ("decayed", "stale")
_F = "\x00f:"  # column prefix of a metric's reconstructed decay factor


@dataclass
class Preview:
    candidate_version: str
    current_versions: list[str]
    dates: list[dt.date]
    latest: dt.date
    accounts_compared: int
    band_moves: list[dict[str, Any]]  # on the latest date, biggest score change first
    mean_abs_change: float
    red_band: str
    green_band: str
    red_added: int  # (date, account) pairs red under the candidate but not in history
    red_removed: int
    green_added: int
    green_removed: int
    snapshots_compared: int
    unscored_now: int = 0
    moves_by_band: dict[str, int] = field(default_factory=dict)
    # How the candidate was scored: "stored inputs" (measure rows re-scored) or
    # "recomputed metrics".
    source: str = "recomputed metrics"
    # Old (the card the snapshots were scored with) against new, over history; None when
    # the store has no closed outcome window to test on (`backtest_note` says why).
    backtest: dict[str, Any] | None = None
    backtest_note: str = ""

    def as_dict(self) -> dict[str, Any]:
        d = dict(self.__dict__)
        d["dates"] = [x.isoformat() for x in self.dates]
        d["latest"] = self.latest.isoformat()
        return d


# -- the stored inputs ---------------------------------------------------------------------


@dataclass
class ScoringInputs:
    """Stored measure inputs of some dates as a metric frame `score_frame` can read."""

    dates: list[dt.date]
    frame: pd.DataFrame  # as_of, account_id, is_active, <metric>..., <_F + metric>...
    metrics: set[str]
    stored: pd.DataFrame  # as_of, account_id, score, band, scorecard_version
    reference: Scorecard | None  # the card the newest snapshots were scored with
    segments: dict[str, str | None]
    directions: dict[str, str | None]
    faithful: float = 0.0  # share of stored snapshots `reference` reproduces
    labels: pd.DataFrame | None = None  # as_of, account_id, y on the backtest dates
    backtest_dates: list[dt.date] = field(default_factory=list)
    backtest_note: str = ""
    reference_scores: pd.DataFrame | None = None
    long: _Long | None = None  # the measure rows as arrays, for re-weighing
    truth: _Truth | None = None  # the labels lined up with `reference_scores`
    reference_figures: dict[str, Any] | None = None

    def frame_for(self, card: Scorecard, dates: list[dt.date] | None = None) -> pd.DataFrame:
        """The frame with each decaying measure's age column, from its stored factor."""
        f = self.frame if dates is None else self.frame[self.frame["as_of"].isin(dates)]
        ages: dict[str, pd.Series] = {}
        for var in (None, *card.segments):
            for g in card.resolve(var):
                for m in g.measures:
                    if m.max_age_days is None or _F + m.metric not in f.columns:
                        continue
                    ages[m.age_column] = _age(f[_F + m.metric], m.max_age_days, m.decay)
        return f.assign(**ages) if ages else f

    def score(self, card: Scorecard, dates: list[dt.date] | None = None) -> pd.DataFrame:
        """as_of, account_id, score, band of `card` on the inputs (of `dates` only).

        A card that differs from the stored one only in weights and band limits is
        re-weighed on the stored normalised values (`_Long.reweigh`); any other card is
        scored by the engine on the rebuilt metric frame."""
        if (
            self.long is not None
            and self.reference is not None
            and _only_weights_differ(self.reference, card)
        ):
            return self.long.reweigh(card, dates)
        frames = score_frame(self.frame_for(card, dates), card, self.segments, self.directions)
        out = frames.snapshots[["as_of", "account_id", "score", "band"]]
        if self.long is not None and dates is None:  # in the order the backtest expects
            at = pd.MultiIndex.from_arrays([out["as_of"], out["account_id"]])
            want = pd.MultiIndex.from_arrays([self.long.as_of, self.long.account])
            out = out.set_axis(at).reindex(want).reset_index(drop=True)
            out["as_of"], out["account_id"] = self.long.as_of, self.long.account
        return out


def _shape(card: Scorecard) -> Any:
    """The card with its weights and band limits taken out (and its names and version)."""

    def strip(x: Any) -> Any:
        if isinstance(x, dict):
            return {k: strip(v) for k, v in x.items() if k not in ("weight", "min")}
        if isinstance(x, list):
            return [strip(v) for v in x]
        return x

    d = card.model_dump(mode="json")
    for k in ("version", "name", "description"):
        d.pop(k, None)
    return strip(d)


def _weights(card: Scorecard) -> dict[tuple[str | None, str, str], float]:
    """(variant, group, measure label) -> the measure's weight, 0 where its group has none."""
    out: dict[tuple[str | None, str, str], float] = {}
    for var in (None, *card.segments):
        for g in card.resolve(var):
            for m in g.measures:
                out[(var, g.name, m.label)] = float(m.weight) if g.weight > 0 else 0.0
    return out


def _only_weights_differ(reference: Scorecard, card: Scorecard) -> bool:
    """Whether `card` is `reference` with other weights and band limits, where no measure
    the reference left out (weight 0, so no stored row) gets a weight."""
    if _shape(reference) != _shape(card):
        return False
    ref = _weights(reference)
    return all(ref.get(k, 0.0) > 0 or w <= 0 for k, w in _weights(card).items())


@dataclass
class _Long:
    """The stored measure rows as arrays: one per (account-date, measure) scored."""

    as_of: np.ndarray  # per account-date
    account: np.ndarray  # per account-date
    row: np.ndarray  # account-date code of each measure row
    key: np.ndarray  # code of (variant, group, measure) of each measure row
    keys: list[tuple[str | None, str, str]]
    group: np.ndarray  # code of (account-date, group) of each measure row
    group_row: np.ndarray  # account-date code of each group code
    group_key: np.ndarray  # (variant, group) code of each group code
    group_keys: list[tuple[str | None, str]]
    norm: np.ndarray  # normalised value (NaN: missing)
    factor: np.ndarray  # decay factor (1: fresh or unknown)

    @classmethod
    def build(
        cls, rows: pd.DataFrame, factor: pd.Series, card: Scorecard, segments: dict[str, Any]
    ) -> _Long:
        """From `measure_inputs` rows (categorical text): integer codes throughout."""
        day_code, days = pd.factorize(rows["as_of"])
        acc = rows["account_id"].astype("category")
        acc_code = acc.cat.codes.to_numpy().astype(np.int64)
        accounts = np.asarray(acc.cat.categories, dtype=object)
        keyed = {s: card.segment_key(s) for s in {segments.get(a) for a in accounts} if s}
        var_names = sorted({v for v in keyed.values() if v is not None})
        var_of_acc = np.array(
            [
                var_names.index(v) + 1 if (v := keyed.get(segments.get(a) or "")) else 0
                for a in accounts
            ],
            dtype=np.int64,
        )
        variants: list[str | None] = [None, *var_names]
        grp = rows["group_name"].astype("category")
        mea = rows["measure"].astype("category")
        g_code = grp.cat.codes.to_numpy().astype(np.int64)
        m_code = mea.cat.codes.to_numpy().astype(np.int64)
        n_g, n_m = len(grp.cat.categories), len(mea.cat.categories)
        row, ad = pd.factorize(day_code.astype(np.int64) * len(accounts) + acc_code)
        var = var_of_acc[acc_code]
        key, key_u = pd.factorize((var * n_g + g_code) * n_m + m_code)
        group, group_u = pd.factorize(row.astype(np.int64) * n_g + g_code)
        group_row = group_u // n_g
        gk = var[np.unique(group, return_index=True)[1]] * n_g + group_u % n_g
        group_key, gk_u = pd.factorize(gk)
        g_names, m_names = list(grp.cat.categories), list(mea.cat.categories)
        return cls(
            as_of=np.array([d.date() for d in pd.to_datetime(days[ad // len(accounts)])]),
            account=accounts[ad % len(accounts)],
            row=row,
            key=key,
            keys=[
                (variants[k // (n_g * n_m)], g_names[(k // n_m) % n_g], m_names[k % n_m])
                for k in key_u
            ],
            group=group,
            group_row=group_row,
            group_key=group_key,
            group_keys=[(variants[k // n_g], g_names[k % n_g]) for k in gk_u],
            norm=rows["normalized"].to_numpy(dtype=float),
            factor=factor.fillna(1.0).to_numpy(dtype=float),
        )

    def reweigh(self, card: Scorecard, dates: list[dt.date] | None = None) -> pd.DataFrame:
        """`score_frame`'s score and band under `card`'s weights, on these rows.

        The engine's arithmetic (see `healthscore.scoring.engine`): present measures share
        their group by weight x decay; groups share the score by weight x freshness;
        coverage is the weight present; below min_coverage no score."""
        spec: dict[tuple[str | None, str, str], tuple[float, float, float, float]] = {}
        gw_of: dict[tuple[str | None, str], float] = {}
        for var in {k[0] for k in self.keys}:
            groups = card.resolve(var)
            total_gw = sum(g.weight for g in groups) or 1.0
            for g in groups:
                gw_of[(var, g.name)] = float(g.weight)
                wsum = sum(m.weight for m in g.measures) or 1.0
                for m in g.measures:
                    w = float(m.weight) if g.weight > 0 else 0.0
                    spec[(var, g.name, m.label)] = (w, g.weight / total_gw, m.weight / wsum, 0)
        per_key = np.array([spec.get(k, (0.0, 0.0, 0.0, 0))[:3] for k in self.keys], dtype=float)
        w = per_key[self.key, 0]
        cov_w = per_key[self.key, 1] * per_key[self.key, 2]
        gw = np.array([gw_of.get(k, 0.0) for k in self.group_keys], dtype=float)[self.group_key]
        has = ~np.isnan(self.norm) & (w > 0)
        ew = np.where(has, w * self.factor, 0.0)
        n_g = len(self.group_row)
        g_nw = np.bincount(self.group, weights=np.where(has, self.norm, 0.0) * ew, minlength=n_g)
        g_ew = np.bincount(self.group, weights=ew, minlength=n_g)
        g_wp = np.bincount(self.group, weights=np.where(has, w, 0.0), minlength=n_g)
        g_score = np.where(g_ew > 0, g_nw / np.where(g_ew > 0, g_ew, 1.0), np.nan)
        fresh = np.where(g_wp > 0, g_ew / np.where(g_wp > 0, g_wp, 1.0), 0.0)
        g_present = np.where(np.isnan(g_score), 0.0, gw * fresh)
        n_s = len(self.as_of)
        total_w = np.bincount(self.group_row, weights=g_present, minlength=n_s)
        g_eff = np.where(
            total_w[self.group_row] > 0,
            g_present / np.where(total_w[self.group_row] > 0, total_w[self.group_row], 1.0),
            0.0,
        )
        total = np.bincount(
            self.group_row, weights=np.where(g_eff > 0, g_score * g_eff, 0.0), minlength=n_s
        )
        coverage = (
            np.bincount(self.row, weights=np.where(has, cov_w * self.factor, 0.0), minlength=n_s)
            .clip(0.0, 1.0)
            .round(6)
        )
        score = np.where(coverage < card.min_coverage, np.nan, total.round(4))
        band = np.full(n_s, card.bands[0].name, dtype=object)
        for b in card.bands:
            band = np.where(score >= b.min, b.name, band)
        band[np.isnan(score)] = None
        out = pd.DataFrame(
            {"as_of": self.as_of, "account_id": self.account, "score": score, "band": band}
        )
        if dates is not None:
            out = out[out["as_of"].isin(set(dates))].reset_index(drop=True)
        return out


def _age(factor: pd.Series, max_age: float, kind: str) -> pd.Series:
    """The age whose decay factor is `factor` (the inverse of `decay_factor`); unknown
    factors give an unknown age, which keeps full weight as an unknown age does."""
    f = factor.astype(float)
    if kind == "exponential":
        with np.errstate(divide="ignore"):
            a = -np.log2(f.where(f > 0)) * (max_age / 4.0)
    else:
        a = (1.0 - f) * max_age
    return a.where(~(f <= 0), float(max_age)).where(f.notna())


def _decay_factors(rows: pd.DataFrame) -> pd.Series:
    """Each measure row's decay factor, from the stored effective weights.

    Inside a group a measure's share of the group is weight x factor over the sum of the
    present ones, so against a fresh measure of the same group (status ok, factor 1):
    factor = (share / weight) / (fresh share / fresh weight).  A stale input has factor 0;
    a group with no fresh measure leaves its decayed ones unknown (NaN)."""
    share = rows["effective_weight"] / rows["group_effective"].where(rows["group_effective"] > 0)
    per_weight = share / rows["weight"].where(rows["weight"] > 0)
    ok = (rows["status"] == "ok") & per_weight.gt(0)
    key = [rows["as_of"], rows["account_id"], rows["group_name"]]
    anchor = per_weight.where(ok).groupby(key, observed=True).transform("max")
    f = pd.Series(1.0, index=rows.index)
    decayed = rows["status"] == "decayed"
    f[decayed] = (per_weight / anchor)[decayed].clip(0.0, 1.0)
    f[rows["status"] == "stale"] = 0.0
    return f


def _wide(rows: pd.DataFrame) -> tuple[pd.DataFrame, set[str]]:
    """One row per (as_of, account_id), a column per metric (raw value), and one per
    decaying metric (its factor)."""
    rows = rows.drop_duplicates(["as_of", "account_id", "metric"])
    idx = ["as_of", "account_id", "metric"]
    values = rows.set_index(idx)["raw_value"].unstack("metric")
    values.columns = [str(c) for c in values.columns]
    metrics = set(values.columns)
    decaying = sorted(set(rows.loc[rows["status"].isin(_DECAYED), "metric"]))
    if decaying:
        part = rows[rows["metric"].isin(decaying)]
        part = part.assign(f=_decay_factors_by_group(rows, part.index))
        factors = part.set_index(idx)["f"].unstack("metric")
        factors.columns = [_F + str(c) for c in factors.columns]
        values = values.join(factors)
    values.columns.name = None
    out = values.reset_index()
    out["as_of"] = pd.to_datetime(out["as_of"]).dt.date
    out["account_id"] = out["account_id"].astype(str)
    out["is_active"] = 1.0
    return out, metrics


def _decay_factors_by_group(rows: pd.DataFrame, wanted: pd.Index) -> pd.Series:
    """`_decay_factors` over the groups that hold a wanted row (the others need none)."""
    groups = rows.loc[wanted, "group_name"].unique()
    in_groups = rows[rows["group_name"].isin(groups)]
    return _decay_factors(in_groups).reindex(wanted)


def _stored_card(store: Store, version: str) -> Scorecard | None:
    source = scorecard_source(store, version)
    if source is None:
        return None
    try:
        return parse_scorecard(source, file=f"stored scorecard {version}")
    except InvalidScorecard:
        return None


class OutcomeSource(Protocol):
    """What the preview's backtest asks of the prediction layer (which knows outcomes and
    how to rank against them): `healthscore.predict.preview_backtest.ChurnOutcomes`."""

    horizon_days: int
    capacity: int

    def labels(
        self, store: Store, dates: list[dt.date]
    ) -> tuple[list[dt.date], pd.DataFrame | None, str]:
        """The dates to test on (of `dates`), their labels (as_of, account_id, y), or None
        and the reason in words."""
        ...

    def evaluate(
        self, y: np.ndarray, risk: np.ndarray, dates: np.ndarray, red: np.ndarray
    ) -> dict[str, Any]:
        """Ranking measures of `risk` against `y` (auc, top_decile_lift,
        precision_at_capacity, red_share, red_recall, red_precision, n, churners)."""
        ...


_cache_lock = threading.Lock()
_cache: dict[tuple[str, tuple[dt.date, ...], bool], tuple[Any, Any, ScoringInputs]] = {}


_dates_seen: dict[str, tuple[tuple[int, ...], list[dt.date]]] = {}


def stored_dates(store: Store) -> list[dt.date]:
    """`snapshot_dates`, kept while the store file is unchanged (a preview asks twice)."""
    stamp = _stamp(store.path)
    hit = _dates_seen.get(str(store.path))
    if hit is not None and hit[0] == stamp:
        return list(hit[1])
    dates = snapshot_dates(store)
    _dates_seen.clear()
    _dates_seen[str(store.path)] = (stamp, dates)
    return list(dates)


def _stamp(path: Path) -> tuple[int, ...]:
    out: list[int] = []
    for p in (path, path.with_name(path.name + ".wal")):
        try:
            st = p.stat()
            out += [st.st_size, st.st_mtime_ns]
        except FileNotFoundError:
            out += [0, 0]
    return tuple(out)


def scoring_inputs(
    store: Store,
    dates: list[dt.date],
    *,
    outcomes: OutcomeSource | None = None,
    engine: Any = None,
) -> ScoringInputs:
    """The stored inputs of `dates` (plus the backtest's dates), cached while the score
    tables are unchanged: a second preview of the same store reads nothing but a stamp."""
    key = (str(store.path), tuple(dates), outcomes is not None)
    stamp = _stamp(store.path)
    with _cache_lock:
        hit = _cache.get(key)
        if hit is not None and hit[0] == stamp:
            return hit[2]
        version = scores_version(store)
        if hit is not None and hit[1] == version:
            _cache[key] = (stamp, version, hit[2])
            return hit[2]
        inputs = _read_inputs(store, dates, outcomes=outcomes, engine=engine)
        _cache.clear()  # one store version at a time: the frames are large
        _cache[key] = (stamp, version, inputs)
        return inputs


def _read_inputs(
    store: Store, dates: list[dt.date], *, outcomes: OutcomeSource | None, engine: Any
) -> ScoringInputs:
    bt_dates, labels, note = (
        outcomes.labels(store, snapshot_dates(store))
        if outcomes is not None
        else ([], None, "no outcomes were given to backtest against")
    )
    if labels is None:
        bt_dates = []
    wanted = sorted(set(dates) | set(bt_dates))
    rows = measure_inputs(store, wanted)
    frame, metrics = _wide(rows) if len(rows) else (pd.DataFrame(), set())
    stored = read_snapshots(store, wanted)[
        ["as_of", "account_id", "score", "band", "scorecard_version"]
    ]
    stored["as_of"] = pd.to_datetime(stored["as_of"]).dt.date
    newest = stored[stored["as_of"] == max(dates)]["scorecard_version"]
    reference = _stored_card(store, str(newest.mode().iloc[0])) if len(newest) else None
    directions = {n: getattr(i, "direction", None) for n, i in catalog(store, engine).items()}
    inputs = ScoringInputs(
        dates=wanted,
        frame=frame,
        metrics=metrics,
        stored=stored,
        reference=reference,
        segments=segments_of(store),
        directions=directions,
        labels=labels,
        backtest_dates=bt_dates,
        backtest_note=note,
    )
    if reference is not None and len(frame):
        inputs.long = _Long.build(rows, _decay_factors(rows), reference, inputs.segments)
        again = score_frame(
            inputs.frame_for(reference), reference, inputs.segments, inputs.directions
        ).snapshots[["as_of", "account_id", "score", "band"]]
        inputs.faithful = _agreement(stored, again)
        inputs.reference_scores = inputs.score(reference)  # the order of `long`
        if labels is not None and outcomes is not None:
            inputs.truth = _Truth.align(labels, inputs.reference_scores, outcomes)
    return inputs


def _agreement(stored: pd.DataFrame, again: pd.DataFrame) -> float:
    both = stored.merge(again, on=["as_of", "account_id"], how="left", suffixes=("", "_re"))
    if both.empty:
        return 0.0
    same_score = (both["score"] - both["score_re"]).abs().le(0.01) | (
        both["score"].isna() & both["score_re"].isna()
    )
    same_band = both["band"].fillna("") == both["band_re"].fillna("")
    return float((same_score & same_band).mean())


def _usable(inputs: ScoringInputs, card: Scorecard) -> bool:
    """Whether the stored inputs hold everything `card` reads, faithfully."""
    if inputs.reference is None or inputs.faithful < FAITHFUL or inputs.frame.empty:
        return False
    ref = {
        m.metric: m
        for var in (None, *inputs.reference.segments)
        for g in inputs.reference.resolve(var)
        for m in g.measures
    }
    for var in (None, *card.segments):
        for g in card.resolve(var):
            if g.weight <= 0:
                continue
            for m in g.measures:
                if m.weight <= 0:
                    continue
                if m.metric not in inputs.metrics:
                    return False
                if m.max_age_days is not None:
                    r = ref.get(m.metric)
                    if r is None or (r.max_age_days, r.decay) != (m.max_age_days, m.decay):
                        return False
    return True


# -- the preview -----------------------------------------------------------------------------


@dataclass
class _Truth:
    """The backtest's outcomes lined up with a score table of the inputs' account-dates."""

    y: np.ndarray
    dates: np.ndarray  # as text, per labelled row
    pos: np.ndarray  # row of each label in the scores (-1: not scored that day)
    outcomes: OutcomeSource

    @classmethod
    def align(cls, labels: pd.DataFrame, scores: pd.DataFrame, outcomes: OutcomeSource) -> _Truth:
        where = pd.Series(
            np.arange(len(scores)),
            index=pd.MultiIndex.from_arrays([scores["as_of"], scores["account_id"]]),
        )
        key = pd.MultiIndex.from_arrays([labels["as_of"], labels["account_id"].astype(str)])
        pos = where.reindex(key).fillna(-1).to_numpy(dtype=np.int64)
        return cls(labels["y"].to_numpy(), labels["as_of"].astype(str).to_numpy(), pos, outcomes)

    def ranking(self, scores: pd.DataFrame, worst: str) -> dict[str, Any]:
        """The backtest's measures of one card's scores (in the aligned table's order):
        risk is 100 - score (an unscored account counts as 50), red is the worst band."""
        ok = self.pos >= 0
        score = np.full(len(self.pos), np.nan)
        score[ok] = scores["score"].to_numpy(dtype=float)[self.pos[ok]]
        band = np.full(len(self.pos), None, dtype=object)
        band[ok] = scores["band"].to_numpy()[self.pos[ok]]
        risk = 100.0 - np.where(np.isnan(score), 50.0, score)
        return self.outcomes.evaluate(self.y, risk, self.dates, band == worst)


def _backtest(inputs: ScoringInputs, card: Scorecard, scores: pd.DataFrame) -> dict[str, Any]:
    """Old against new on the backtest dates; `scores` is the candidate's table of every
    account-date of the inputs (the order of `inputs.reference_scores`)."""
    assert inputs.truth is not None and inputs.reference is not None
    if inputs.reference_figures is None:
        inputs.reference_figures = inputs.truth.ranking(
            inputs.reference_scores, inputs.reference.worst_band
        )
    return {
        "dates": [d.isoformat() for d in inputs.backtest_dates],
        "horizon_days": inputs.truth.outcomes.horizon_days,
        "capacity": inputs.truth.outcomes.capacity,
        "old_version": inputs.reference.stored_version,
        "old": inputs.reference_figures,
        "new": inputs.truth.ranking(scores, card.worst_band),
    }


def preview_scorecard(
    store: Store,
    candidate: Scorecard | str,
    since: dt.date | None = None,
    engine: Any = None,
    *,
    outcomes: OutcomeSource | None = None,
) -> Preview:
    """Replay `candidate` over the stored snapshot dates (>= since) and compare to history;
    with `outcomes` (e.g. `healthscore.predict.preview_backtest.ChurnOutcomes()`), also
    compare old and new card against the churn that followed."""
    card = resolve_scorecard(candidate)
    dates = [d for d in stored_dates(store) if since is None or d >= since]
    if not dates:
        raise NotEnoughData(
            "no stored scores to compare against"
            + (f" on or after {since}" if since else "")
            + "; score (or backfill) some dates with the scorecard in force first"
        )
    inputs = scoring_inputs(store, dates, outcomes=outcomes, engine=engine)
    fast = _usable(inputs, card)
    if fast:
        every = inputs.score(card)  # every account-date of the inputs, in one pass
        new = every[every["as_of"].isin(set(dates))]
        source = "stored inputs"
    else:
        frames, _ = compute_scores(store, dates, card, engine)
        new = frames.snapshots[["as_of", "account_id", "score", "band"]]
        source = "recomputed metrics"
    old = inputs.stored[inputs.stored["as_of"].isin(dates)]
    result = _compare(card, dates, old, new, source)
    if outcomes is not None:
        if fast and inputs.truth is not None:
            result.backtest = _backtest(inputs, card, every)
        elif fast:
            result.backtest_note = inputs.backtest_note
        else:
            result.backtest_note = (
                "the backtest replays stored inputs, which this scorecard cannot use (it "
                "reads metrics or decay rules the stored scores do not hold)"
            )
        if result.backtest is None and not result.backtest_note:
            result.backtest_note = "the scorecard the history was scored with is not stored"
    return result


def _compare(
    card: Scorecard, dates: list[dt.date], old: pd.DataFrame, new: pd.DataFrame, source: str
) -> Preview:
    new = new.assign(as_of=pd.to_datetime(new["as_of"]).dt.date)
    both = old.merge(new, on=["as_of", "account_id"], how="inner", suffixes=("_old", "_new"))

    red, green = card.worst_band, card.best_band
    was_red, is_red = both["band_old"] == red, both["band_new"] == red
    was_green, is_green = both["band_old"] == green, both["band_new"] == green

    latest = max(dates)
    now = both[both["as_of"] == latest].copy()
    now["delta"] = now["score_new"] - now["score_old"]
    moved = now[now["band_old"].fillna("") != now["band_new"].fillna("")]
    moved = moved.reindex(
        moved["delta"].abs().sort_values(ascending=False, na_position="first").index
    )
    moves = [
        {
            "account_id": r.account_id,
            "band_now": r.band_old,
            "band_candidate": r.band_new,
            "score_now": None if pd.isna(r.score_old) else round(float(r.score_old), 1),
            "score_candidate": None if pd.isna(r.score_new) else round(float(r.score_new), 1),
            "change": None if pd.isna(r.delta) else round(float(r.delta), 1),
        }
        for r in moved.itertuples(index=False)
    ]
    by_band: dict[str, int] = {}
    for mv in moves:
        k = f"{mv['band_now'] or 'unscored'} -> {mv['band_candidate'] or 'unscored'}"
        by_band[k] = by_band.get(k, 0) + 1
    diffs = (both["score_new"] - both["score_old"]).abs().dropna()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        mean_abs = round(float(diffs.mean()), 2) if len(diffs) else 0.0
    return Preview(
        candidate_version=card.stored_version,
        current_versions=sorted(set(old["scorecard_version"])),
        dates=dates,
        latest=latest,
        accounts_compared=len(now),
        band_moves=moves,
        mean_abs_change=mean_abs,
        red_band=red,
        green_band=green,
        red_added=int((is_red & ~was_red).sum()),
        red_removed=int((was_red & ~is_red).sum()),
        green_added=int((is_green & ~was_green).sum()),
        green_removed=int((was_green & ~is_green).sum()),
        snapshots_compared=len(both),
        unscored_now=int(now["score_new"].isna().sum()),
        moves_by_band=by_band,
        source=source,
    )
