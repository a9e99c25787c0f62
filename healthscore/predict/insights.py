# ruff: noqa: E501
"""Insights: churn rate by metric cohort (Gold's cohort analysis) and data-dependent sections."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import jinja2
import numpy as np
import pandas as pd

from healthscore.predict.dataset import build_panel, labels, observation_dates, resolved_mask
from healthscore.predict.outcomes import derive_outcomes, load_table

__all__ = ["insights", "render_insights_html"]


def _count(store: Any, table: str) -> int:
    try:
        return int(load_table(store, f"SELECT count(*) n FROM {table}")["n"].iloc[0])
    except Exception:
        return 0


def _cohorts(frame: pd.DataFrame, y: np.ndarray, metric: str, n: int = 10) -> list[dict]:
    v = frame[metric].to_numpy(dtype=float)
    ok = np.isfinite(v)
    if ok.sum() < n * 20 or np.unique(v[ok]).size < 3:
        return []
    q = pd.qcut(pd.Series(v[ok]).rank(method="first"), n, labels=False)
    df = pd.DataFrame({"q": q.to_numpy(), "v": v[ok], "y": y[ok]})
    g = df.groupby("q").agg(lo=("v", "min"), hi=("v", "max"), churn=("y", "mean"), n=("y", "size"))
    return [{"cohort": int(i) + 1, "lo": float(r.lo), "hi": float(r.hi),
             "churn_rate": float(r.churn), "n": int(r.n)} for i, r in g.iterrows()]


def insights(store: Any, *, horizon_days: int = 30, grace_days: int = 7,
             max_metrics: int = 12) -> dict[str, Any]:
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
        out["metric_cohorts"] = {"available": bool(top), "overall_churn_rate": float(y.mean()),
                                 "metrics": {m: cohorts[m] for m in top}}
    missing = {
        "time_to_first_value": ("features", "a feature catalogue with first_value flags"),
        "nps_vs_advocacy": ("surveys", "NPS survey responses and advocacy actions"),
        "csm_touch_cadence": ("interactions", "CSM interactions"),
    }
    for key, (table, what) in missing.items():
        n = _count(store, table)
        if key == "nps_vs_advocacy":
            n = min(n, _count(store, "advocacy"))
        out[key] = ({"available": False, "reason": f"the store holds no {what}"} if n == 0 else
                    {"available": False, "reason": "not computed in this version"})
    return out


_HTML = """<!doctype html><html><head><meta charset="utf-8"><title>healthscore insights</title>
<style>body{font-family:sans-serif;max-width:900px;margin:2em auto}td,th{border:1px solid #ccc;
padding:3px 6px}table{border-collapse:collapse;margin-bottom:1em}</style></head><body>
<h1>Insights</h1>
<h2>Churn rate by metric cohort ({{ r.horizon_days }}-day churn)</h2>
{% if r.metric_cohorts.available %}<p>Overall churn rate {{ "%.1f"|format(100 * r.metric_cohorts.overall_churn_rate) }} %.
Metrics with the widest spread between deciles first.</p>
{% for m, rows in r.metric_cohorts.metrics.items() %}<h3>{{ m }}</h3><table><tr><th>decile</th><th>range</th><th>churn rate</th><th>n</th></tr>
{% for c in rows %}<tr><td>{{ c.cohort }}</td><td>{{ "%.3g"|format(c.lo) }} - {{ "%.3g"|format(c.hi) }}</td>
<td>{{ "%.1f"|format(100 * c.churn_rate) }} %</td><td>{{ c.n }}</td></tr>{% endfor %}</table>{% endfor %}
{% else %}<p>{{ r.metric_cohorts.reason }}</p>{% endif %}
{% for key, title in [("time_to_first_value", "Time to first value"), ("nps_vs_advocacy", "NPS vs actual advocacy"), ("csm_touch_cadence", "CSM touch cadence")] %}
<h2>{{ title }}</h2><p>{% if r[key].available %}available{% else %}Not available: {{ r[key].reason }}{% endif %}</p>{% endfor %}
</body></html>"""


def render_insights_html(result: dict[str, Any], path: str | Path) -> Path:
    path = Path(path)
    path.write_text(jinja2.Environment(autoescape=True).from_string(_HTML).render(r=result),
                    encoding="utf-8")
    return path
