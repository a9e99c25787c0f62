"""Pure scoring: a metric frame plus a scorecard -> snapshot, group and measure rows.

No I/O here, so the arithmetic (re-weighting, decay, coverage, confidence) is testable on a
hand-made frame and a backfill of many dates is one vectorised pass.

Re-weighting rule: inside a group the present measures share the group; across groups the
groups that have any data share the score in proportion to their weights.  Missing data is
never scored as zero; it lowers `coverage` (share of the scorecard's weight with data) and the
confidence instead, and below `min_coverage` the account gets no score at all.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

import numpy as np
import pandas as pd

from healthscore.scoring.model import Scorecard
from healthscore.scoring.normalize import decay_factor, normalize

__all__ = ["HIGH_COVERAGE", "MEDIUM_COVERAGE", "ScoreFrames", "score_frame"]

HIGH_COVERAGE = 0.85
MEDIUM_COVERAGE = 0.6
_DEFAULT = "\x00default"
# The long measure table is built from per-row arrays and per-measure constants.
_M_PER_ROW = ("raw_value", "normalized", "ew", "status")
_M_SPEC = (
    "g_code", "group_name", "measure", "metric", "weight", "g_weight", "g_share", "m_share",
)  # fmt: skip
_M_TEXT = ("group_name", "measure", "metric")
_STATUS = ("ok", "missing", "stale", "decayed")

SNAPSHOT_COLUMNS = [
    "as_of",
    "account_id",
    "score",
    "band",
    "confidence",
    "coverage",
    "confidence_note",
    "scorecard_version",
    "computed_at",
]
GROUP_COLUMNS = [
    "as_of",
    "account_id",
    "group_name",
    "score",
    "weight",
    "effective_weight",
    "contribution",
]
MEASURE_COLUMNS = [
    "as_of",
    "account_id",
    "group_name",
    "measure",
    "metric",
    "raw_value",
    "normalized",
    "weight",
    "effective_weight",
    "contribution",
    "status",
]


@dataclass
class ScoreFrames:
    """Rows for score_snapshots, score_groups and score_measures (same column order)."""

    snapshots: pd.DataFrame
    groups: pd.DataFrame
    measures: pd.DataFrame
    # The metric rows scored (as_of, account_id, metrics), when the run keeps their
    # history: set by score_chunks, written by write_scores.
    metrics: pd.DataFrame | None = None

    @property
    def dates(self) -> list:
        return sorted(self.snapshots["as_of"].unique())


def _empty(cols: list[str]) -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series(dtype=object) for c in cols})


def score_frame(
    frame: pd.DataFrame,
    card: Scorecard,
    segments: Mapping[str, str | None] | None = None,
    directions: Mapping[str, str | None] | None = None,
    *,
    computed_at: datetime | None = None,
) -> ScoreFrames:
    """Score every active account-date row of a metric frame.

    `segments` maps account_id -> segment (drives overrides and percentile peers);
    `directions` maps metric -> catalogue direction (used when a measure sets none).
    """
    segments = segments or {}
    directions = directions or {}
    computed_at = computed_at or datetime.now().replace(microsecond=0)
    # Only the columns some measure reads: a metric frame has ~200, and copying them all
    # costs more at 100k accounts than the scoring itself.
    used = {"as_of", "account_id", "is_active"}
    for var in (None, *card.segments):
        for g in card.resolve(var):
            used.update(x for m in g.measures for x in (m.metric, m.age_column))
    df = frame[[c for c in frame.columns if c in used]]
    if "is_active" in df.columns:
        df = df[df["is_active"].fillna(1.0) >= 0.5]
    df = df.reset_index(drop=True)
    if df.empty:
        return ScoreFrames(_empty(SNAPSHOT_COLUMNS), _empty(GROUP_COLUMNS), _empty(MEASURE_COLUMNS))

    seg = df["account_id"].map(dict(segments)).astype(object)
    # Segments as exported (`SMB`, `Mid Market`) meet their overrides (`smb:`, `mid-market:`).
    keys = {s: card.segment_key(s) for s in seg.dropna().unique()}
    keyed = seg.map(lambda s: keys.get(s) if isinstance(s, str) else None)
    variant = keyed.where(keyed.notna(), _DEFAULT)
    # Percentile and z-score peers: same date, same segment (an integer code per pair).
    peers = pd.Series(
        df.groupby([df["as_of"], seg.fillna("")], sort=False).ngroup().to_numpy(),
        index=df.index,
    )

    # The long measure table is built column by column (arrays per measure, joined once;
    # constants by code): a DataFrame per measure and a concat cost more than the arithmetic.
    cols: dict[str, list[np.ndarray]] = {c: [] for c in ("row", "m_code", *_M_PER_ROW)}
    # One entry per (variant, group, measure): the values constant over its rows.
    specs: list[tuple[object, ...]] = []
    group_codes: dict[str, int] = {}
    for var, idx in variant.groupby(variant).groups.items():
        sub = df.loc[idx]
        rows = idx.to_numpy()
        groups = card.resolve(None if var == _DEFAULT else str(var))
        total_gw = sum(g.weight for g in groups)
        for g in groups:
            if g.weight <= 0:
                continue
            wsum = sum(m.weight for m in g.measures)
            for m in g.measures:
                if m.weight <= 0:
                    continue
                if m.metric in sub.columns:
                    raw = pd.to_numeric(sub[m.metric], errors="coerce").astype(float)
                else:
                    raw = pd.Series(np.nan, index=sub.index)
                direction = m.direction or directions.get(m.metric) or "higher_is_better"
                norm = normalize(raw, m.normalize, direction == "higher_is_better", peers.loc[idx])
                factor = pd.Series(1.0, index=sub.index)
                if m.max_age_days is not None and m.age_column in sub.columns:
                    factor = decay_factor(sub[m.age_column], m.max_age_days, m.decay)
                present = norm.notna()
                ew = (m.weight * factor).where(present, 0.0)
                status = np.select(
                    [~present, factor <= 0, factor < 1], [1, 2, 3], default=0
                ).astype("int8")
                cols["row"].append(rows)
                cols["m_code"].append(np.full(len(rows), len(specs), dtype="int32"))
                cols["raw_value"].append(raw.to_numpy())
                cols["normalized"].append(norm.to_numpy())
                cols["ew"].append(ew.to_numpy())
                cols["status"].append(status)
                specs.append(
                    (
                        group_codes.setdefault(g.name, len(group_codes)),
                        g.name,
                        m.label,
                        m.metric,
                        float(m.weight),
                        float(g.weight),
                        g.weight / total_gw,
                        m.weight / wsum,
                    )
                )
    if not specs:
        return ScoreFrames(_empty(SNAPSHOT_COLUMNS), _empty(GROUP_COLUMNS), _empty(MEASURE_COLUMNS))
    joined = {name: np.concatenate(parts) for name, parts in cols.items()}
    row, m_code = joined["row"], joined["m_code"]
    spec = {
        name: np.array([s[i] for s in specs], dtype=object if name in _M_TEXT else None)[m_code]
        for i, name in enumerate(_M_SPEC)
    }
    norm, ew, weight = joined["normalized"], joined["ew"], spec["weight"]
    has = ~np.isnan(norm)
    nw = np.where(has, norm, 0.0) * ew
    w_present = np.where(has, weight, 0.0)
    # Coverage counts the weight actually present: decayed judgements count only in part.
    cov_part = (
        spec["g_share"]
        * spec["m_share"]
        * np.where(weight > 0, ew / np.where(weight > 0, weight, 1.0), 0.0)
    )

    # Groups and snapshots are aggregated by integer codes (row of `df`, group) in numpy,
    # not by (as_of, account_id, group_name) strings in pandas: at 100k accounts x 22
    # measures the string group-bys and merges cost more than all the arithmetic.  Codes
    # follow first appearance, so rows keep the order a groupby(sort=False) would give.
    g_of, g_first = _codes(row * len(group_codes) + spec["g_code"])
    n_g = len(g_first)
    g_nw, g_ew, g_wp = (np.bincount(g_of, weights=x, minlength=n_g) for x in (nw, ew, w_present))
    g_weight = spec["g_weight"][g_first]
    g_score = np.where(g_ew > 0, g_nw / np.where(g_ew > 0, g_ew, 1.0), np.nan)
    # Missing measures are re-weighted away, but ageing judgements also shrink their group's
    # say: a group held up only by a half-expired judgement counts half.
    freshness = np.where(g_wp > 0, g_ew / np.where(g_wp > 0, g_wp, 1.0), 0.0)
    g_present = np.where(np.isnan(g_score), 0.0, g_weight * freshness)
    s_of_g, s_first_g = _codes(row[g_first])
    g_total = np.bincount(s_of_g, weights=g_present, minlength=len(s_first_g))[s_of_g]
    g_eff = np.where(g_total > 0, g_present / np.where(g_total > 0, g_total, 1.0), 0.0)
    g_contribution = g_score * g_eff

    ew_g = g_ew[g_of]
    m_eff = np.where(ew_g > 0, ew / np.where(ew_g > 0, ew_g, 1.0), 0.0) * g_eff[g_of]
    m_contribution = np.where(m_eff > 0, norm * m_eff, 0.0)
    m_contribution[~has] = np.nan

    s_of, s_first = _codes(row)
    n_s = len(s_first)
    coverage = np.bincount(s_of, weights=cov_part, minlength=n_s).clip(0.0, 1.0).round(6)
    n_inputs = np.bincount(s_of, minlength=n_s)
    total = np.bincount(s_of, weights=np.where(has, m_contribution, 0.0), minlength=n_s)
    low = coverage < card.min_coverage
    score = np.where(low, np.nan, total.round(4))
    status = np.array(_STATUS, dtype=object)[joined["status"]]
    confidence, note = _confidence_columns(
        status, spec["measure"], s_of, coverage, n_inputs, low, card.min_coverage
    )
    if low.any():  # an unscored account has no group or measure contributions either
        g_eff[low[s_of_g]] = g_contribution[low[s_of_g]] = np.nan
        m_eff[low[s_of]] = m_contribution[low[s_of]] = np.nan

    as_of, account = df["as_of"].to_numpy(), df["account_id"].to_numpy()
    s_rows, g_rows = row[s_first], row[g_first]
    snapshots = pd.DataFrame(
        {
            "as_of": as_of[s_rows],
            "account_id": account[s_rows],
            "score": score,
            "band": _bands(score, card),
            "confidence": confidence,
            "coverage": coverage,
            "confidence_note": note,
            "scorecard_version": card.stored_version,
            "computed_at": computed_at,
        },
        copy=False,
    )
    groups = pd.DataFrame(
        {
            "as_of": as_of[g_rows],
            "account_id": account[g_rows],
            "group_name": spec["group_name"][g_first],
            "score": g_score,
            "weight": g_weight,
            "effective_weight": g_eff,
            "contribution": g_contribution,
        },
        copy=False,
    )
    measures = pd.DataFrame(
        {
            "as_of": as_of[row],
            "account_id": account[row],
            "group_name": spec["group_name"],
            "measure": spec["measure"],
            "metric": spec["metric"],
            "raw_value": joined["raw_value"],
            "normalized": norm,
            "weight": weight,
            "effective_weight": m_eff,
            "contribution": m_contribution,
            "status": status,
        },
        copy=False,
    )
    # Every array above is new to this call, so the frames take them as they are: copying
    # them into pandas' stacked blocks cost a third of the scoring at 100k accounts.
    return ScoreFrames(snapshots, groups, measures)


def _codes(keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Dense codes of integer `keys` in order of first appearance, and each code's first
    position (what groupby(sort=False).ngroup() and .first() give, without the strings)."""
    codes, uniques = pd.factorize(keys)
    first = np.full(len(uniques), len(keys), dtype="int64")
    np.minimum.at(first, codes, np.arange(len(keys)))
    return codes.astype("int64"), first


def _confidence_columns(
    status: np.ndarray,
    measure: np.ndarray,
    row: np.ndarray,
    coverage: np.ndarray,
    n_inputs: np.ndarray,
    low: np.ndarray,
    floor: float,
) -> tuple[np.ndarray, np.ndarray]:
    """Confidence level and note per snapshot (`row`: each measure row's snapshot).

    A note depends only on coverage, the number of inputs and the first three stale or
    missing ones: each distinct combination is worded once, then mapped back to every row
    (a portfolio has a few hundred combinations, not one per account and date).
    """
    bad = (status == "missing") | (status == "stale")
    code, labels = pd.factorize(measure)
    rb, cb = row[bad], code[bad]
    rank = pd.Series(rb).groupby(rb).cumcount().to_numpy()
    n_s = len(coverage)
    keys = pd.DataFrame(
        {
            "coverage": coverage,
            "n": n_inputs,
            "n_bad": np.bincount(rb, minlength=n_s),
            "low": low,
        }
    )
    for k in range(3):
        first = np.full(n_s, -1)
        first[rb[rank == k]] = cb[rank == k]
        keys[f"bad{k}"] = first
    combos = keys.drop_duplicates().reset_index(drop=True)
    worded = [
        _confidence(
            r.coverage,
            int(r.n),
            [str(labels[c]) for c in (r.bad0, r.bad1, r.bad2) if c >= 0],
            int(r.n_bad),
            floor,
            bool(r.low),
        )
        for r in combos.itertuples(index=False)
    ]
    combos["level"] = [w[0] for w in worded]
    combos["note"] = [w[1] for w in worded]
    out = keys.merge(combos, on=list(keys.columns), how="left")
    return out["level"].to_numpy(dtype=object), out["note"].to_numpy(dtype=object)


def _bands(score: np.ndarray, card: Scorecard) -> np.ndarray:
    """card.band_of for every score at once (None where unscored)."""
    band = np.full(len(score), card.bands[0].name, dtype=object)
    for b in card.bands:
        band = np.where(score >= b.min, b.name, band)
    band[np.isnan(score)] = None
    return band


def _confidence(
    coverage: float, n: int, bad: list[str], n_bad: int, floor: float, unscored: bool
) -> tuple[str, str]:
    """high/medium/low from coverage, with a note a CSM can act on (`bad`: the first three
    of the `n_bad` stale or missing inputs)."""
    if not n_bad:
        what = f"all {n} inputs present"
    else:
        names = ", ".join(bad[:3]) + (f", +{n_bad - 3} more" if n_bad > 3 else "")
        what = f"{n_bad} of {n} inputs stale or missing ({names})"
    if unscored:
        return "low", (
            f"not scored: only {coverage:.0%} of the scorecard's weight has data "
            f"(needs {floor:.0%}); {what}"
        )
    if coverage >= HIGH_COVERAGE:
        level = "high"
    elif coverage >= MEDIUM_COVERAGE:
        level = "medium"
    else:
        level = "low"
    note = f"{level}: {what}"
    if bad or coverage < 0.999:
        note += f"; score re-weighted over the {coverage:.0%} of weight with data"
    return level, note
