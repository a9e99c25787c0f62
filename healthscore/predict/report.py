"""HTML backtest report: jinja2 template with matplotlib charts embedded as base64 PNG."""

from __future__ import annotations

import base64
import io
from pathlib import Path
from typing import Any

import jinja2
import numpy as np

from healthscore.predict.backtest import BacktestResult

__all__ = ["render_backtest_html"]

_TEMPLATE = """<!doctype html>
<html><head><meta charset="utf-8"><title>healthscore backtest</title>
<style>body{font-family:sans-serif;max-width:1000px;margin:2em auto;color:#222}
table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:4px 8px;text-align:right}
th:first-child,td:first-child{text-align:left}.verdict{font-size:1.2em;background:#f4f4f4;padding:1em}
img{max-width:100%}</style></head><body>
<h1>Does the health score predict churn?</h1>
<p class="verdict">{{ s.verdict }}</p>
<p>Out-of-time backtest, {{ s.horizon_days }}-day churn horizon, {{ s.folds|length }} cut-offs;
data {{ s.data.start }} to {{ s.data.end }} (outcomes known until {{ s.data.outcomes_known_until }},
{{ s.data.churn_events }} churn events). Red band: {{ s.red_definition }}.
Features: {{ s.feature_source }} ({{ s.n_features }}).</p>
<h2>Summary</h2>
<table><tr><th>method</th><th>ROC AUC</th><th>top-decile lift</th><th>churners caught (red)</th>
<th>false alarms (red)</th><th>precision at capacity {{ s.capacity }}</th><th>Brier</th></tr>
{% for name, r in s.methods.items() %}<tr><td>{{ r.label }}</td><td>{{ f(r.auc, 3) }}</td>
<td>{{ f(r.top_decile_lift, 2) }}</td><td>{{ p(r.red_recall) }}</td><td>{{ p(r.over_servicing_rate) }}</td>
<td>{{ p(r.precision_at_capacity) }}</td><td>{{ f(r.brier, 4) }}</td></tr>{% endfor %}</table>
<h2>Cut-offs</h2>
<table><tr><th>cut-off</th><th>train rows</th><th>train churn</th><th>test rows</th><th>test churn</th></tr>
{% for c in s.folds %}<tr><td>{{ c.cutoff }}</td><td>{{ c.train_rows }}</td><td>{{ c.train_churn }}</td>
<td>{{ c.test_rows }}</td><td>{{ c.test_churn }}</td></tr>{% endfor %}</table>
{% for title, img in charts %}<h2>{{ title }}</h2><img alt="{{ title }}" src="data:image/png;base64,{{ img }}">
{% endfor %}
<h2>Survival model</h2>
{% if s.survival.available %}<p>{{ s.survival.model }}: concordance index {{ f(s.survival.c_index, 3) }};
time-dependent AUC at 30/60/90 days: {% for t, v in s.survival.time_dependent_auc.items() %}{{ f(v, 3) }}{% if not loop.last %} / {% endif %}{% endfor %}.</p>
{% else %}<p>Not available: {{ s.survival.reason }}</p>{% endif %}
<h2>Expansion readiness</h2>
{% if s.expansion.available %}<p>AUC {{ f(s.expansion.auc, 3) }}, top-decile lift {{ f(s.expansion.top_decile_lift, 2) }}.</p>
{% else %}<p>Not available: {{ s.expansion.reason }}</p>{% endif %}
</body></html>"""


def _png(fig: Any) -> str:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=90, bbox_inches="tight")
    import matplotlib.pyplot as plt

    plt.close(fig)
    return base64.b64encode(buf.getvalue()).decode()


def _charts(res: BacktestResult) -> list[tuple[str, str]]:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    s, pred = res.summary, res.predictions
    y = pred["y"].to_numpy()
    out = []
    fig, ax = plt.subplots(figsize=(7, 4))
    for m in s["methods"]:
        risk = pred[f"risk_{m}"].to_numpy(dtype=float)
        order = np.argsort(-risk, kind="stable")
        shares = np.linspace(0.05, 1, 20)
        lift = [y[order[: max(1, int(len(y) * q))]].mean() / max(y.mean(), 1e-9) for q in shares]
        ax.plot(shares * 100, lift, marker="o", label=s["methods"][m]["label"])
    ax.axhline(1, color="grey", lw=0.8)
    ax.set(xlabel="riskiest % of accounts contacted", ylabel="lift (churn rate / average)")
    ax.legend()
    out.append(("Lift chart", _png(fig)))
    fig, ax = plt.subplots(figsize=(5, 5))
    ax.plot([0, 1], [0, 1], color="grey", lw=0.8)
    top = 0.0
    for r in s["methods"].values():
        if r["reliability"]:
            xs = [c["predicted"] for c in r["reliability"]]
            ys = [c["observed"] for c in r["reliability"]]
            top = max(top, *xs, *ys)
            ax.plot(xs, ys, marker="o", label=r["label"])
    ax.set(
        xlabel="predicted churn probability",
        ylabel="observed churn rate",
        xlim=(0, top * 1.1 or 1),
        ylim=(0, top * 1.1 or 1),
    )
    ax.legend()
    out.append(("Reliability curve", _png(fig)))
    methods = list(s["methods"])
    fig, axes = plt.subplots(1, len(methods), figsize=(4 * len(methods), 3.2))
    for ax, m in zip(np.atleast_1d(axes), methods, strict=True):
        risk = pred[f"risk_{m}"].to_numpy(dtype=float)
        ax.hist(risk[y == 0], bins=30, alpha=0.6, density=True, label="retained")
        ax.hist(risk[y == 1], bins=30, alpha=0.6, density=True, label="churned")
        ax.set_title(s["methods"][m]["label"], fontsize=9)
        ax.set_xlabel("risk (100 - score for the scorecard)")
    np.atleast_1d(axes)[0].legend()
    out.append(("Risk distributions: churned vs retained", _png(fig)))
    fig, ax = plt.subplots(figsize=(7, 4))
    for r in s["methods"].values():
        if r["lead_time"]:
            ax.step(
                [c["days"] for c in r["lead_time"]],
                [100 * c["share"] for c in r["lead_time"]],
                where="post",
                label=r["label"],
            )
    ax.set(xlabel="days before churn (at least)", ylabel="% of churners already red")
    ax.legend()
    out.append(("Lead time", _png(fig)))
    return out


def render_backtest_html(res: BacktestResult, path: str | Path) -> Path:
    """Write the HTML report and return its path."""
    env = jinja2.Environment(autoescape=True)
    html = env.from_string(_TEMPLATE).render(
        s=res.summary,
        charts=_charts(res),
        f=lambda x, d: "n/a" if x is None else f"{x:.{d}f}",
        p=lambda x: "n/a" if x is None else f"{100 * x:.0f} %",
    )
    path = Path(path)
    path.write_text(html, encoding="utf-8")
    return path
