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
    variant = seg.where(seg.isin(list(card.segments)), _DEFAULT)
    # Percentile and z-score peers: same date, same segment (an integer code per pair).
    peers = pd.Series(
        df.groupby([df["as_of"], seg.fillna("")], sort=False).ngroup().to_numpy(),
        index=df.index,
    )

    parts: list[pd.DataFrame] = []
    group_codes: dict[str, int] = {}
    for var, idx in variant.groupby(variant).groups.items():
        sub = df.loc[idx]
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
                    [~present, factor <= 0, factor < 1],
                    ["missing", "stale", "decayed"],
                    default="ok",
                )
                parts.append(
                    pd.DataFrame(
                        {
                            "row": idx.to_numpy(),
                            "g_code": group_codes.setdefault(g.name, len(group_codes)),
                            "as_of": sub["as_of"].to_numpy(),
                            "account_id": sub["account_id"].to_numpy(),
                            "group_name": g.name,
                            "measure": m.label,
                            "metric": m.metric,
                            "raw_value": raw.to_numpy(),
                            "normalized": norm.to_numpy(),
                            "weight": m.weight,
                            "ew": ew.to_numpy(),
                            "status": status,
                            "g_weight": g.weight,
                            "g_share": g.weight / total_gw,
                            "m_share": m.weight / wsum,
                        }
                    )
                )
    if not parts:
        return ScoreFrames(_empty(SNAPSHOT_COLUMNS), _empty(GROUP_COLUMNS), _empty(MEASURE_COLUMNS))
    M = pd.concat(parts, ignore_index=True)
    M["nw"] = M["normalized"].fillna(0.0) * M["ew"]
    M["w_present"] = M["weight"].where(M["normalized"].notna(), 0.0)
    M["w_present"] = M["weight"].where(M["normalized"].notna(), 0.0)
    # Coverage counts the weight actually present: decayed judgements count only in part.
    M["cov_part"] = (
        M["g_share"] * M["m_share"] * np.where(M["weight"] > 0, M["ew"] / M["weight"], 0.0)
    )

    # Groups and snapshots are aggregated by integer codes (row of `df`, group), not by
    # (as_of, account_id, group_name) strings: at 100k accounts x 22 measures the string
    # group-bys and merges cost more than all the arithmetic.  Codes follow first
    # appearance, so rows keep the order a groupby(sort=False) would give.
    g_of, g_first = _codes(M["row"].to_numpy() * len(group_codes) + M["g_code"].to_numpy())
    n_g = len(g_first)

    def g_sum(col: str) -> np.ndarray:
        return np.bincount(g_of, weights=M[col].to_numpy(dtype="float64"), minlength=n_g)

    gkeys = ["as_of", "account_id", "group_name"]
    G = M[gkeys].iloc[g_first].reset_index(drop=True)
    G["row"] = M["row"].to_numpy()[g_first]
    G["nw"], G["ew"], G["wp"] = g_sum("nw"), g_sum("ew"), g_sum("w_present")
    G["weight"] = M["g_weight"].to_numpy()[g_first]
    G["score"] = (G["nw"] / G["ew"]).where(G["ew"] > 0)
    # Missing measures are re-weighted away, but ageing judgements also shrink their group's
    # say: a group held up only by a half-expired judgement counts half.
    freshness = (G["ew"] / G["wp"]).where(G["wp"] > 0, 0.0)
    G["w_present"] = (G["weight"] * freshness).where(G["score"].notna(), 0.0)
    s_of_g, s_first_g = _codes(G["row"].to_numpy())
    w_total = np.bincount(s_of_g, weights=G["w_present"].to_numpy(), minlength=len(s_first_g))
    G["w_total"] = w_total[s_of_g]
    G["effective_weight"] = (G["w_present"] / G["w_total"]).where(G["w_total"] > 0, 0.0)
    G["contribution"] = G["score"] * G["effective_weight"]

    g_ew = G["ew"].to_numpy()[g_of]
    g_eff = G["effective_weight"].to_numpy()[g_of]
    M["effective_weight"] = (
        np.where(g_ew > 0, M["ew"].to_numpy() / np.where(g_ew > 0, g_ew, 1.0), 0.0) * g_eff
    )
    M["contribution"] = (M["normalized"] * M["effective_weight"]).where(
        M["effective_weight"] > 0, 0.0
    )
    M.loc[M["normalized"].isna(), "contribution"] = np.nan

    akeys = ["as_of", "account_id"]
    s_of, s_first = _codes(M["row"].to_numpy())
    n_s = len(s_first)
    S = M[akeys].iloc[s_first].reset_index(drop=True)
    S["coverage"] = np.bincount(s_of, weights=M["cov_part"].to_numpy(), minlength=n_s)
    S["n_inputs"] = np.bincount(s_of, minlength=n_s)
    contribution = np.nan_to_num(M["contribution"].to_numpy(dtype="float64"), nan=0.0)
    S["contribution"] = np.bincount(s_of, weights=contribution, minlength=n_s)
    S["coverage"] = S["coverage"].clip(0.0, 1.0).round(6)
    S["score"] = S["contribution"].round(4)
    low = S["coverage"] < card.min_coverage
    S.loc[low, "score"] = np.nan
    S["confidence"], S["confidence_note"] = _confidence_columns(M, s_of, S, low, card.min_coverage)
    S["band"] = _bands(S["score"].to_numpy(dtype="float64"), card)
    S["scorecard_version"] = card.stored_version
    S["computed_at"] = computed_at
    S["score"] = S["score"].astype(float)

    if low.any():  # an unscored account has no group or measure contributions either
        unscored = low.to_numpy(dtype=bool)
        G.loc[unscored[s_of_g], ["effective_weight", "contribution"]] = np.nan
        M.loc[unscored[s_of], ["effective_weight", "contribution"]] = np.nan

    return ScoreFrames(
        S[SNAPSHOT_COLUMNS].reset_index(drop=True),
        G[GROUP_COLUMNS].reset_index(drop=True),
        M[MEASURE_COLUMNS].reset_index(drop=True),
    )


def _codes(keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Dense codes of integer `keys` in order of first appearance, and each code's first
    position (what groupby(sort=False).ngroup() and .first() give, without the strings)."""
    codes, uniques = pd.factorize(keys)
    first = np.full(len(uniques), len(keys), dtype="int64")
    np.minimum.at(first, codes, np.arange(len(keys)))
    return codes.astype("int64"), first


def _confidence_columns(
    M: pd.DataFrame, row: np.ndarray, S: pd.DataFrame, low: pd.Series, floor: float
) -> tuple[np.ndarray, np.ndarray]:
    """Confidence level and note per snapshot row of S (`row`: each M row's row of S).

    A note depends only on coverage, the number of inputs and the first three stale or
    missing ones: each distinct combination is worded once, then mapped back to every row
    (a portfolio has a few hundred combinations, not one per account and date).
    """
    bad = M["status"].isin(["missing", "stale"]).to_numpy()
    code, labels = pd.factorize(M["measure"])
    rb, cb = row[bad], code[bad]
    rank = pd.Series(rb).groupby(rb).cumcount().to_numpy()
    keys = pd.DataFrame(
        {
            "coverage": S["coverage"].to_numpy(),
            "n": S["n_inputs"].to_numpy(),
            "n_bad": np.bincount(rb, minlength=len(S)),
            "low": low.to_numpy(dtype=bool),
        }
    )
    for k in range(3):
        first = np.full(len(S), -1)
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
