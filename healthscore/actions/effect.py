"""Did the play help?  Worked CTAs against the randomly held-back ones, per rule and type.

Each rule holds back a random share of its firings (recorded, never shown).  Because the
draw is random, the accounts whose CTA was shown and those whose CTA was held back are
comparable, and the difference in their outcome is the effect of *showing* the CTA to the
team (an intention-to-treat comparison: some shown CTAs are never worked).  The outcome is
the rule's own: not churning within N days (the default), the band recovering, or usage
recovering.  A 95 % bootstrap interval says how sure the difference is; below a minimum of
CTAs in either group the report says plainly that there are too few to tell.

A second, clearly labelled observational view compares shown CTAs that were worked with
shown CTAs that were not, within the same band at opening.  It is not randomised: CSMs
choose what they work, so it can mislead in either direction.

The same report gives each rule's false-alarm rate: the share of its CTAs that people
closed as "not valid".
"""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from healthscore.store import Store
from healthscore.store.queries import read_snapshots
from healthscore.store.queries.ctas import cta_worked, effectiveness_rows, metric_history
from healthscore.store.queries.span import data_range

__all__ = ["Comparison", "EffectReport", "effectiveness"]

MIN_GROUP = 10
_BAND_ORDER = {"red": 0, "yellow": 1, "green": 2}


@dataclass
class Comparison:
    """One row of the report: a rule or a CTA type, shown vs held back."""

    group: str
    kind: str  # "rule", "type" or "all"
    outcome: str
    shown: int
    held_back: int
    worked: int
    shown_rate: float | None
    held_rate: float | None
    effect: float | None  # shown_rate - held_rate: positive = better outcomes when shown
    ci_low: float | None
    ci_high: float | None
    verdict: str
    observational: dict[str, Any] | None = None
    not_valid_share: float | None = None
    closed_by_people: int = 0


@dataclass
class EffectReport:
    data_end: dt.date | None
    evaluable: int
    pending: int
    rows: list[Comparison] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def _outcomes(store: Store, ctas: pd.DataFrame, data_end: dt.date) -> pd.Series:
    """1.0 where the CTA's outcome was good (no churn, band recovered, usage recovered)."""
    good = pd.Series(np.nan, index=ctas.index)
    opened = pd.to_datetime(ctas["opened_on"])
    end = opened + pd.to_timedelta(ctas["outcome_days"].fillna(90), unit="D")
    churn_rows = ctas["outcome_kind"].fillna("churn") == "churn"
    if churn_rows.any():
        from healthscore.predict.outcomes import derive_outcomes

        churned = derive_outcomes(store, as_of=data_end).of("churn")[["account_id", "date"]]
        churned["date"] = pd.to_datetime(churned["date"])
        sub = ctas[churn_rows][["account_id"]].assign(
            opened=opened[churn_rows], end=end[churn_rows]
        )
        m = sub.reset_index().merge(churned, on="account_id", how="left")
        hit = (m["date"] > m["opened"]) & (m["date"] <= m["end"])
        lost = hit.groupby(m["index"]).any()
        good[churn_rows] = (~lost.reindex(sub.index).fillna(False)).astype(float)
    band_rows = ctas["outcome_kind"] == "band_recovery"
    if band_rows.any():
        snaps = read_snapshots(store)
        snaps["as_of"] = pd.to_datetime(snaps["as_of"])
        for i in ctas.index[band_rows]:
            s = snaps[
                (snaps["account_id"] == ctas.at[i, "account_id"]) & (snaps["as_of"] <= end[i])
            ]
            if s.empty or not isinstance(ctas.at[i, "band_at_open"], str):
                continue
            last = s.sort_values("as_of").iloc[-1]["band"]
            good[i] = float(
                _BAND_ORDER.get(str(last), -1) > _BAND_ORDER.get(ctas.at[i, "band_at_open"], 9)
            )
    usage_rows = ctas["outcome_kind"] == "usage_recovery"
    if usage_rows.any():
        days = sorted({d.date() for d in end[usage_rows]})
        hist = metric_history(store, "usage_active_days_28d", days)
        for i in ctas.index[usage_rows]:
            v = hist.get((str(ctas.at[i, "account_id"]), end[i].date()))
            base = ctas.at[i, "usage_at_open"]
            if v is None or pd.isna(base):
                continue
            good[i] = float(v >= 1.2 * float(base) and v > float(base))
    return good


def _boot(
    a: np.ndarray, b: np.ndarray, n_boot: int, rng: np.random.Generator
) -> tuple[float, float]:
    """95 % bootstrap interval of mean(a) - mean(b) for 0/1 outcomes.

    Resampling a 0/1 sample of size n is drawing a binomial with its rate; the rate is
    taken as (k + 1) / (n + 2), so a group where every outcome was good (or bad) still
    gets an honest spread instead of an interval of zero width."""
    pa = (a.sum() + 1) / (len(a) + 2)
    pb = (b.sum() + 1) / (len(b) + 2)
    ra = rng.binomial(len(a), pa, n_boot) / len(a) - (pa - a.mean())
    rb = rng.binomial(len(b), pb, n_boot) / len(b) - (pb - b.mean())
    lo, hi = np.percentile(ra - rb, [2.5, 97.5])
    return float(lo), float(hi)


def _compare(
    name: str,
    kind: str,
    d: pd.DataFrame,
    n_boot: int,
    rng: np.random.Generator,
    min_group: int,
) -> Comparison:
    shown = d[~d["held_back"] & d["good"].notna()]
    held = d[d["held_back"] & d["good"].notna()]
    outcome = ", ".join(
        sorted(
            {
                _outcome_words(k, n)
                for k, n in zip(
                    d["outcome_kind"].fillna("churn"), d["outcome_days"].fillna(90), strict=True
                )
            }
        )
    )
    people = d[d["closed_by_person"]]
    nv = float((people["outcome"] == "not_valid").mean()) if len(people) else None
    row = Comparison(
        name,
        kind,
        outcome,
        len(shown),
        len(held),
        int(shown["worked"].sum()),
        float(shown["good"].mean()) if len(shown) else None,
        float(held["good"].mean()) if len(held) else None,
        None,
        None,
        None,
        "",
        None,
        nv,
        len(people),
    )
    if len(held) < min_group or len(shown) < min_group:
        row.verdict = (
            f"too few to tell: {len(held)} held back and {len(shown)} shown with a known outcome "
            f"(at least {min_group} of each are needed)"
        )
    else:
        a, b = shown["good"].to_numpy(float), held["good"].to_numpy(float)
        row.effect = float(a.mean() - b.mean())
        row.ci_low, row.ci_high = _boot(a, b, n_boot, rng)
        pts = f"{row.effect * 100:+.1f} points (95 % CI {row.ci_low * 100:+.1f} to {row.ci_high * 100:+.1f})"
        if row.ci_low > 0:
            row.verdict = f"helped: {pts}"
        elif row.ci_high < 0:
            row.verdict = f"hurt: {pts}"
        else:
            row.verdict = f"no clear difference: {pts}"
    row.observational = _observational(shown, n_boot, rng, min_group)
    return row


def _outcome_words(kind: str, days: Any) -> str:
    n = int(days)
    return {
        "churn": f"no churn within {n} days",
        "band_recovery": f"band better within {n} days",
        "usage_recovery": f"usage up 20 % within {n} days",
    }.get(kind, kind)


def _observational(
    shown: pd.DataFrame, n_boot: int, rng: np.random.Generator, min_group: int
) -> dict[str, Any]:
    """Worked vs not worked among shown CTAs, within the band at opening (not randomised)."""
    worked = shown[shown["worked"]]
    idle = shown[~shown["worked"]]
    out: dict[str, Any] = {
        "label": "observational (not randomised: CSMs choose what they work)",
        "worked": len(worked),
        "not_worked": len(idle),
    }
    if len(worked) < min_group or len(idle) < min_group:
        out["verdict"] = "too few to tell"
        return out
    band = shown["band_at_open"].fillna("(none)")
    diffs, weights = [], []
    for b in sorted(band.unique()):
        w = worked[band[worked.index] == b]["good"]
        i = idle[band[idle.index] == b]["good"]
        if len(w) and len(i):
            diffs.append(w.mean() - i.mean())
            weights.append(len(w))
    if not weights:
        out["verdict"] = "no band with both worked and unworked CTAs"
        return out
    eff = float(np.average(diffs, weights=weights))
    out["effect"] = eff
    out["verdict"] = f"worked minus not worked, same band at opening: {eff * 100:+.1f} points"
    return out


def effectiveness(
    store: Store,
    *,
    min_group: int = MIN_GROUP,
    n_boot: int = 2000,
    seed: int = 12,
) -> EffectReport:
    """The report over every live CTA whose outcome window has ended by the newest data."""
    span = data_range(store)
    ctas = effectiveness_rows(store)
    if span is None or ctas.empty:
        return EffectReport(None, 0, 0, [], ["no calls-to-action yet: run the rules first"])
    data_end = span.last
    opened = pd.to_datetime(ctas["opened_on"])
    due = opened + pd.to_timedelta(ctas["outcome_days"].fillna(90), unit="D")
    ready = due.dt.date <= data_end
    report = EffectReport(data_end, int(ready.sum()), int((~ready).sum()))
    if not ready.any():
        report.notes.append(
            f"no CTA's outcome window has ended by {data_end}; the first ends on {min(due).date()}"
        )
        return report
    d = ctas[ready].copy()
    worked = cta_worked(store)
    d["worked"] = d["id"].isin(worked["by_people"]) & ~d["held_back"]
    d["closed_by_person"] = d["id"].isin(worked["closed_by_people"])
    d["good"] = _outcomes(store, d, data_end)
    rng = np.random.default_rng(seed)
    report.rows.append(_compare("all rules", "all", d, n_boot, rng, min_group))
    for t, g in d.groupby("type"):
        report.rows.append(_compare(str(t), "type", g, n_boot, rng, min_group))
    for r, g in d.groupby("rule"):
        report.rows.append(_compare(str(r), "rule", g, n_boot, rng, min_group))
    report.notes.append(
        "shown vs held back is randomised (the rule's hold-out): its difference is the effect "
        "of showing the CTA; the observational view is not randomised"
    )
    judged = sum(r.effect is not None for r in report.rows)
    if judged > 5:
        report.notes.append(
            f"{judged} rows were compared: at 95 % about 1 in 20 shows a difference by chance "
            "alone, so trust a verdict that holds on the next quarter too"
        )
    return report
