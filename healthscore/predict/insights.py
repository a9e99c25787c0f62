"""Insights: churn rate by metric cohort (Gold's cohort analysis) and data-dependent sections."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import jinja2
import numpy as np
import pandas as pd

from healthscore.predict.dataset import build_panel, labels, observation_dates, resolved_mask
from healthscore.predict.outcomes import derive_outcomes
from healthscore.predict.words import format_value
from healthscore.store.queries import (
    account_starts,
    advocacy_counts,
    first_event_day,
    first_value_times,
    interaction_counts,
    latest_nps,
    row_count,
)

__all__ = ["compute_insights", "csm_cadence", "render_insights_html"]


def _cohorts(frame: pd.DataFrame, y: np.ndarray, metric: str, n: int = 10) -> list[dict]:
    v = frame[metric].to_numpy(dtype=float)
    ok = np.isfinite(v)
    if ok.sum() < n * 20 or np.unique(v[ok]).size < 3:
        return []
    q = pd.qcut(pd.Series(v[ok]).rank(method="first"), n, labels=False)
    df = pd.DataFrame({"q": q.to_numpy(), "v": v[ok], "y": y[ok]})
    g = df.groupby("q").agg(lo=("v", "min"), hi=("v", "max"), churn=("y", "mean"), n=("y", "size"))
    return [
        {
            "cohort": int(i) + 1,
            "lo": float(r.lo),
            "hi": float(r.hi),
            "churn_rate": float(r.churn),
            "n": int(r.n),
        }
        for i, r in g.iterrows()
    ]


def compute_insights(
    store: Any, *, horizon_days: int = 30, grace_days: int = 7, max_metrics: int = 12
) -> dict[str, Any]:
    """Sections: churn by metric decile, TTFV, NPS vs advocacy, CSM touch cadence."""
    oc = derive_outcomes(store, grace_days=grace_days)
    out: dict[str, Any] = {"horizon_days": horizon_days}
    panel = build_panel(store, oc, observation_dates(oc.observation_start, oc.data_end))
    f = panel.frame[resolved_mask(panel.frame, oc, horizon_days)]
    if f.empty:
        out["metric_cohorts"] = {"available": False, "reason": "no observation has a known outcome"}
    else:
        y = labels(f, oc, horizon_days)
        spread = {}
        cohorts = {}
        for m in panel.features:
            c = _cohorts(f, y, m)
            if c:
                cohorts[m] = c
                rates = [x["churn_rate"] for x in c]
                spread[m] = max(rates) - min(rates)
        top = sorted(spread, key=spread.get, reverse=True)[:max_metrics]  # type: ignore[arg-type]
        info = _catalogue(store)
        out["metric_cohorts"] = {
            "available": bool(top),
            "overall_churn_rate": float(y.mean()),
            "metrics": {m: cohorts[m] for m in top},
            "labels": {m: metric_label(m, info) for m in top},
            "units": {m: info.get(m, ("", ""))[1] for m in top},
        }
    out["time_to_first_value"] = _ttfv(store, oc)
    out["nps_vs_advocacy"] = _nps_advocacy(store)
    out["csm_touch_cadence"] = csm_cadence(store, oc)
    return out


def _catalogue(store: Any) -> dict[str, tuple[str, str]]:
    """metric -> (label, unit) from the metric catalogue of this store."""
    from healthscore.metrics import metric_catalog

    return {m.name: (m.label, m.unit) for m in metric_catalog(store.ibis())}


def metric_label(metric: str, catalogue: dict[str, tuple[str, str]]) -> str:
    """A metric's label as people read it; a metric the catalogue lacks (a missing-data
    flag, a custom column) in words made from its name."""
    if metric in catalogue:
        return catalogue[metric][0]
    if metric.startswith("missing:"):
        return f"{metric_label(metric.removeprefix('missing:'), catalogue)}: no data"
    return metric.replace("_", " ").capitalize()


def _account_outcomes(store: Any, oc: Any) -> pd.DataFrame:
    """Per account: segment, persona, start, churned / expanded ever (as known)."""
    acc = account_starts(store)
    for kind in ("churn", "expansion"):
        acc[f"{kind}ed"] = acc["account_id"].isin(set(oc.of(kind)["account_id"])).astype(float)
    acc["start_date"] = pd.to_datetime(acc["start_date"])
    return acc


def _rates(df: pd.DataFrame, by: list[str]) -> list[dict[str, Any]]:
    g = df.groupby(by, observed=True).agg(
        accounts=("account_id", "size"),
        churn_rate=("churned", "mean"),
        expansion_rate=("expansioned", "mean"),
    )
    g = g[g["accounts"] >= 5].reset_index()
    return [
        {k: (str(v) if k in by else float(v)) for k, v in r.items()} for r in g.to_dict("records")
    ]


def _ttfv(store: Any, oc: Any) -> dict[str, Any]:
    """Time to first value (first use of a first_value feature) vs churn and expansion."""
    if not row_count(store, "features"):
        return {"available": False, "reason": "the store holds no feature catalogue"}
    first = first_value_times(store)
    if first.empty:
        return {
            "available": False,
            "reason": "no feature is flagged first_value, or none was ever used",
        }
    acc = _account_outcomes(store, oc).merge(first, on="account_id", how="left")
    # An account that started before the usage history cannot show when it first reached
    # value; counting it as "> 90 days" or "never" would blame slow onboarding for it.
    history_start = first_event_day(store)
    known = acc["start_date"] >= pd.Timestamp(history_start).normalize()
    excluded = int((~known).sum())
    acc = acc[known].copy()
    if acc.empty:
        return {
            "available": False,
            "reason": "every account started before the usage history, so no TTFV is known",
        }
    acc["ttfv_days"] = (pd.to_datetime(acc["first_value_at"]) - acc["start_date"]).dt.days
    acc["ttfv"] = pd.cut(
        acc["ttfv_days"],
        [-np.inf, 7, 30, 90, np.inf],
        labels=["<= 7 days", "8-30 days", "31-90 days", "> 90 days"],
    )
    acc["ttfv"] = acc["ttfv"].cat.add_categories("never").fillna("never")
    return {
        "available": True,
        "excluded_before_history": excluded,
        "history_start": str(pd.Timestamp(history_start).date()),
        "overall": _rates(acc, ["ttfv"]),
        "by_segment": _rates(acc, ["segment", "ttfv"]),
        "by_persona": _rates(acc, ["persona", "ttfv"]),
    }


def _nps_advocacy(store: Any) -> dict[str, Any]:
    """Latest NPS per account vs advocacy actually taken (promoters who never advocate)."""
    nps = latest_nps(store)
    if nps.empty:
        return {"available": False, "reason": "the store holds no NPS responses"}
    if not row_count(store, "advocacy"):
        # No advocacy rows means nobody recorded referrals, not that promoters never refer.
        return {
            "available": False,
            "reason": (
                f"{int((nps['nps'] >= 9).sum())} accounts are promoters, but no advocacy "
                "data (referrals, reviews, case studies) was imported, so whether they "
                "advocate is unknown; import it with `healthscore import advocacy FILE`"
            ),
        }
    adv = advocacy_counts(store)
    df = nps.merge(adv, on="account_id", how="left").fillna({"n": 0, "referrals": 0})
    df["group"] = pd.cut(df["nps"], [-1, 6, 8, 10], labels=["detractor", "passive", "promoter"])
    rows = []
    for grp, d in df.groupby("group", observed=True):
        rows.append(
            {
                "group": str(grp),
                "accounts": len(d),
                "any_advocacy": float((d["n"] > 0).mean()),
                "referred": float((d["referrals"] > 0).mean()),
            }
        )
    prom = df[df["group"] == "promoter"]
    # Advocacy without a single referral recorded says nothing about referring.
    referrals_recorded = bool(adv["referrals"].sum() > 0)
    return {
        "available": True,
        "by_group": rows,
        "promoters_never_advocating": int((prom["n"] == 0).sum()),
        "promoters_never_referring": (
            int((prom["referrals"] == 0).sum()) if referrals_recorded else None
        ),
        "referrals_recorded": referrals_recorded,
        "promoters": len(prom),
    }


def csm_cadence(store: Any, oc: Any) -> dict[str, Any]:
    """CSM touches per month vs churn, per segment; the least cadence with healthy retention.

    Association only: accounts at risk may be touched more *because* they are at risk.
    """
    if not row_count(store, "interactions"):
        return {"available": False, "reason": "the store holds no CSM interactions"}
    acc = _account_outcomes(store, oc)
    touches = interaction_counts(store)
    acc = acc.merge(touches, on="account_id", how="left").fillna({"n": 0})
    end = pd.Timestamp(oc.data_end)
    last = acc["account_id"].map(oc.of("churn").groupby("account_id")["date"].max())
    stop = pd.to_datetime(last).fillna(end)
    months = ((stop - acc["start_date"]).dt.days / 30.44).clip(lower=1)
    acc["per_month"] = acc["n"] / months
    bins = [-np.inf, 0.25, 0.5, 1, 2, 4, np.inf]
    labels = ["< 0.25", "0.25-0.5", "0.5-1", "1-2", "2-4", ">= 4"]
    acc["cadence"] = pd.cut(acc["per_month"], bins, labels=labels, right=False)
    segs = {}
    active = set(oc.active_at([oc.data_end])["account_id"])
    for seg, d in acc.groupby("segment"):
        rates = d.groupby("cadence", observed=True)["churned"].agg(["mean", "size"])
        rates = rates[rates["size"] >= 5]
        if rates.empty:
            continue
        ok = rates[rates["mean"] <= d["churned"].mean()]
        minimum = str(ok.index[0]) if len(ok) else None
        floor = bins[labels.index(minimum)] if minimum else None
        cur = d[d["account_id"].isin(active)]
        segs[str(seg)] = {
            "churn_by_cadence": {
                str(k): {"churn_rate": float(v["mean"]), "accounts": int(v["size"])}
                for k, v in rates.iterrows()
            },
            "minimum_healthy_cadence_per_month": minimum,
            "under_touched_active_accounts": (
                sorted(cur.loc[cur["per_month"] < floor, "account_id"])[:50]
                if floor is not None
                else []
            ),
            "over_serviced_active_accounts": (
                sorted(cur.loc[cur["per_month"] >= max(4 * floor, 1.0), "account_id"])[:50]
                if floor is not None and floor > 0
                else []
            ),
        }
    return {
        "available": bool(segs),
        "segments": segs,
        "note": "association, not cause: at-risk accounts often get more touches",
    }


_HTML = """<!doctype html><html><head><meta charset="utf-8"><title>healthscore insights</title>
<style>body{font-family:sans-serif;max-width:900px;margin:2em auto}td,th{border:1px solid #ccc;
padding:3px 6px}table{border-collapse:collapse;margin-bottom:1em}</style></head><body>
<h1>Insights</h1>
<h2>Churn rate by metric cohort ({{ r.horizon_days }}-day churn)</h2>
{% if r.metric_cohorts.available %}<p>Overall churn rate {{ "%.1f"|format(100 * r.metric_cohorts.overall_churn_rate) }} %.
Metrics with the widest spread between deciles first.</p>
{% for m, rows in r.metric_cohorts.metrics.items() %}<h3>{{ r.metric_cohorts.labels[m] }}</h3><table><tr><th>decile</th><th>range</th><th>churn rate</th><th>n</th></tr>
{% for c in rows %}<tr><td>{{ c.cohort }}</td><td>{{ fv(c.lo, r.metric_cohorts.get("units", {}).get(m, "")) }} to {{ fv(c.hi, r.metric_cohorts.get("units", {}).get(m, "")) }}</td>
<td>{{ "%.1f"|format(100 * c.churn_rate) }} %</td><td>{{ c.n }}</td></tr>{% endfor %}</table>{% endfor %}
{% else %}<p>{{ r.metric_cohorts.reason }}</p>{% endif %}
<h2>Time to first value</h2>
{% if r.time_to_first_value.available %}{% if r.time_to_first_value.excluded_before_history %}<p>{{ r.time_to_first_value.excluded_before_history }} accounts that started before the usage history ({{ r.time_to_first_value.history_start }}) are left out: their time to first value is unknown.</p>{% endif %}<table><tr><th>TTFV</th><th>accounts</th><th>churn rate</th><th>expansion rate</th></tr>
{% for x in r.time_to_first_value.overall %}<tr><td>{{ x.ttfv }}</td><td>{{ x.accounts|int }}</td><td>{{ "%.1f"|format(100 * x.churn_rate) }} %</td><td>{{ "%.1f"|format(100 * x.expansion_rate) }} %</td></tr>{% endfor %}</table>
<table><tr><th>segment</th><th>TTFV</th><th>accounts</th><th>churn rate</th><th>expansion rate</th></tr>
{% for x in r.time_to_first_value.by_segment %}<tr><td>{{ x.segment }}</td><td>{{ x.ttfv }}</td><td>{{ x.accounts|int }}</td><td>{{ "%.1f"|format(100 * x.churn_rate) }} %</td><td>{{ "%.1f"|format(100 * x.expansion_rate) }} %</td></tr>{% endfor %}</table>
<table><tr><th>persona</th><th>TTFV</th><th>accounts</th><th>churn rate</th><th>expansion rate</th></tr>
{% for x in r.time_to_first_value.by_persona %}<tr><td>{{ x.persona }}</td><td>{{ x.ttfv }}</td><td>{{ x.accounts|int }}</td><td>{{ "%.1f"|format(100 * x.churn_rate) }} %</td><td>{{ "%.1f"|format(100 * x.expansion_rate) }} %</td></tr>{% endfor %}</table>
{% else %}<p>Not available: {{ r.time_to_first_value.reason }}</p>{% endif %}
<h2>NPS vs actual advocacy</h2>
{% if r.nps_vs_advocacy.available %}<p>{% if r.nps_vs_advocacy.referrals_recorded %}{{ r.nps_vs_advocacy.promoters_never_referring }} of {{ r.nps_vs_advocacy.promoters }} promoters never referred anyone ({{ r.nps_vs_advocacy.promoters_never_advocating }} never took any advocacy action).{% else %}{{ r.nps_vs_advocacy.promoters_never_advocating }} of {{ r.nps_vs_advocacy.promoters }} promoters took no advocacy action; the advocacy data records no referral at all, so whether promoters refer is unknown.{% endif %}</p>
<table><tr><th>group</th><th>accounts</th><th>any advocacy</th><th>referred</th></tr>
{% for x in r.nps_vs_advocacy.by_group %}<tr><td>{{ x.group }}</td><td>{{ x.accounts }}</td><td>{{ "%.0f"|format(100 * x.any_advocacy) }} %</td><td>{{ "%.0f"|format(100 * x.referred) }} %</td></tr>{% endfor %}</table>
{% else %}<p>Not available: {{ r.nps_vs_advocacy.reason }}</p>{% endif %}
<h2>CSM touch cadence</h2>
{% if r.csm_touch_cadence.available %}<p>{{ r.csm_touch_cadence.note }}.</p>
{% for seg, x in r.csm_touch_cadence.segments.items() %}<h3>{{ seg }}: minimum healthy cadence {{ x.minimum_healthy_cadence_per_month or "none found" }} touches / month</h3>
<table><tr><th>touches / month</th><th>accounts</th><th>churn rate</th></tr>
{% for k, v in x.churn_by_cadence.items() %}<tr><td>{{ k }}</td><td>{{ v.accounts }}</td><td>{{ "%.1f"|format(100 * v.churn_rate) }} %</td></tr>{% endfor %}</table>
<p>Under-touched active accounts: {{ x.under_touched_active_accounts|join(", ") or "none" }}.<br>
Over-serviced (4x the minimum or more): {{ x.over_serviced_active_accounts|join(", ") or "none" }}.</p>{% endfor %}
{% else %}<p>Not available: {{ r.csm_touch_cadence.reason }}</p>{% endif %}
</body></html>"""


def render_insights_html(result: dict[str, Any], path: str | Path) -> Path:
    path = Path(path)
    path.write_text(
        jinja2.Environment(autoescape=True).from_string(_HTML).render(r=result, fv=format_value),
        encoding="utf-8",
    )
    return path
