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
th:first-child,td:first-child{text-align:left}.verdict{background:#f4f4f4;padding:1em}
.headline{font-size:1.25em;border-left:6px solid #1f6feb;padding:0 1em;margin:1em 0}
img{max-width:100%}</style></head><body>
<h1>Does the health score predict churn?</h1>
{% if s.headline %}<div class="headline">{% for line in s.headline %}<p>{{ line }}</p>{% endfor %}</div>{% endif %}
{% if choices %}<p>Model chosen: {% for c in choices %}{{ c }}{% if not loop.last %}<br>{% endif %}{% endfor %}</p>{% endif %}
<p class="verdict">{{ s.verdict }}</p>
<p>Out-of-time backtest, {{ s.horizon_days }}-day churn horizon, {{ s.folds|length }} cut-offs;
data {{ s.data.start }} to {{ s.data.end }} (outcomes known until {{ s.data.outcomes_known_until }},
{{ s.data.churn_events }} churn events; {{ s.data.billing_reason }}). Red band: {{ s.red_definition }}.
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
    out.append(("Risk distributions: churned vs retained", _histograms(res)))
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


# What each method's risk is, in the unit a reader knows.
_AXES = {
    "scorecard": "health score (lower = riskier)",
    "baseline": "days since last activity",
}


def _histograms(res: BacktestResult) -> str:
    return _png(_histogram_figure(res))


def _histogram_figure(res: BacktestResult) -> Any:
    """One panel per method, two a row: the share of retained and of churned observations
    per bin, in the method's own unit (the scorecard's score with its red threshold, days,
    churn probability in %), each class summing to 100 %, so the panels can be read."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    s, pred = res.summary, res.predictions
    y = pred["y"].to_numpy()
    methods = list(s["methods"])
    cols = 2 if len(methods) > 1 else 1
    rows = -(-len(methods) // cols)
    fig, axes = plt.subplots(rows, cols, figsize=(5.5 * cols, 3.4 * rows), squeeze=False)
    for ax, m in zip(axes.flat, methods, strict=False):
        r = s["methods"][m]
        if m == "scorecard":
            x = 100 - pred["risk_scorecard"].to_numpy(dtype=float)
            lo, hi = 0.0, 100.0
        elif m == "baseline":
            x = pred["risk_baseline"].to_numpy(dtype=float)
            lo, hi = 0.0, max(float(np.nanpercentile(x, 99)), 1.0)
        else:
            x = 100 * pred[f"risk_{m}"].to_numpy(dtype=float)
            lo, hi = 0.0, max(float(np.nanpercentile(x, 99)), 1.0)
        whole = m == "baseline" and hi <= 40  # days: one bar per day
        bins = np.arange(-0.5, hi + 1.5) if whole else np.linspace(lo, hi, 26)
        clipped = m != "scorecard" and bool(np.nanmax(x) > hi) if len(x) else False
        for cls, name, colour in ((0, "retained", "#4c78a8"), (1, "churned", "#e45756")):
            v = np.clip(x[(y == cls) & np.isfinite(x)], lo, hi)
            if len(v):
                ax.hist(
                    v,
                    bins=bins,
                    weights=np.full(len(v), 100 / len(v)),
                    histtype="step",
                    linewidth=2,
                    color=colour,
                    label=f"{name} ({len(v):,})",
                )
        if m == "scorecard" and s.get("red_threshold") is not None:
            ax.axvline(s["red_threshold"], color="grey", ls="--", lw=1)
        auc = "n/a" if r["auc"] is None else f"{r['auc']:.2f}"
        ax.set_title(f"{r['label']} (AUC {auc})", fontsize=10)
        label = _AXES.get(m, "churn probability (%)")
        ax.set_xlabel(label + (f"; the last bar: {hi:.0f} and over" if clipped else ""), fontsize=9)
        ax.set_ylabel("% of observations", fontsize=9)
        ax.legend(fontsize=8, frameon=False)
        ax.grid(axis="y", color="#eee")
    for ax in list(axes.flat)[len(methods) :]:
        ax.set_visible(False)
    fig.tight_layout()
    return fig


def _choices(res: BacktestResult) -> list[str]:
    """'cut-off C: <why that model>' for each fold where the self-choosing model ran."""
    out = []
    for f in res.summary.get("folds", []):
        c = f.get("model_choice")
        if c and c.get("reason"):
            out.append(f"cut-off {f['cutoff']}: {c['reason']}")
    return out


def render_backtest_html(res: BacktestResult, path: str | Path) -> Path:
    """Write the HTML report and return its path."""
    env = jinja2.Environment(autoescape=True)
    html = env.from_string(_TEMPLATE).render(
        s=res.summary,
        charts=_charts(res),
        choices=_choices(res),
        f=lambda x, d: "n/a" if x is None else f"{x:.{d}f}",
        p=lambda x: "n/a" if x is None else f"{100 * x:.0f} %",
    )
    path = Path(path)
    path.write_text(html, encoding="utf-8")
    return path
