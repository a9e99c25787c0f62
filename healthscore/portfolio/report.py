"""The KPI report as one self-contained HTML page for a CS leader.

Charts are drawn with matplotlib and embedded as base64 PNG (no CDN, no script): trend
lines with their 95 % intervals (logo churn with its Wilson interval, NPS with 1.96
standard errors), revenue retention (GRR, NRR), engagement, and the retention waterfall of
the newest final period (opening MRR -> churn -> contraction -> expansion -> new ->
closing MRR).
"""

from __future__ import annotations

import base64
import html
import io
from typing import Any

from healthscore.portfolio.kpis import ALL, KpiReport

__all__ = ["render_kpi_html"]

_CSS = """
body{font-family:system-ui,-apple-system,Segoe UI,sans-serif;margin:2rem auto;max-width:1100px;
color:#1f2937;padding:0 1rem}
h1{font-size:1.6rem;margin-bottom:.2rem}h2{font-size:1.15rem;margin-top:2rem}
.meta{color:#6b7280;font-size:.9rem}
table{border-collapse:collapse;font-size:.85rem;width:100%}
th,td{padding:.3rem .5rem;border-bottom:1px solid #e5e7eb;text-align:right}
th:first-child,td:first-child{text-align:left}
td.nodata{color:#9ca3af}.prov{color:#b45309}
.grid{display:grid;grid-template-columns:repeat(auto-fit,minmax(480px,1fr));gap:1rem}
img{max-width:100%}
"""

# (column, header, format) of the page's table.
TABLE: tuple[tuple[str, str, str], ...] = (
    ("period", "Period", "s"),
    ("status", "Status", "s"),
    ("accounts_start", "Accounts", "n"),
    ("churned", "Churned", "n"),
    ("churn_rate", "Logo churn", "%"),
    ("new", "New", "n"),
    ("mrr_start", "MRR start", "m"),
    ("mrr_end", "MRR end", "m"),
    ("grr", "GRR", "%"),
    ("nrr", "NRR", "%"),
    ("nps", "NPS", "f"),
    ("csat_ticket_satisfied", "Ticket CSAT", "%"),
    ("adoption_rate", "Adoption", "%"),
    ("self_service_rate", "Self-service", "%"),
    ("cltv", "CLTV", "m"),
)


def fmt(value: Any, kind: str) -> str:
    """A figure as the page and the terminal table show it."""
    if value is None:
        return "no data"
    if kind == "%":
        return f"{100 * value:.1f} %"
    if kind == "m":
        return f"{value:,.0f}"
    if kind == "f":
        return f"{value:.1f}"
    return str(value)


def _png(fig: Any) -> str:
    import matplotlib.pyplot as plt

    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=110, bbox_inches="tight")
    plt.close(fig)
    return base64.b64encode(buf.getvalue()).decode()


def _series(rows: list[dict[str, Any]], key: str) -> list[float]:
    return [float("nan") if r.get(key) is None else float(r[key]) for r in rows]


def _charts(rows: list[dict[str, Any]]) -> list[tuple[str, str]]:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.ticker import FuncFormatter

    x = [r["period"] for r in rows]
    charts: list[tuple[str, str]] = []

    fig, ax = plt.subplots(figsize=(6.4, 3.2))
    churn = [100 * v for v in _series(rows, "churn_rate")]
    lo = [100 * v for v in _series(rows, "churn_rate_lo")]
    hi = [100 * v for v in _series(rows, "churn_rate_hi")]
    ax.fill_between(x, lo, hi, alpha=0.2, color="#dc2626", label="95 % interval (Wilson)")
    ax.plot(x, churn, marker="o", color="#dc2626", label="logo churn")
    ax.set_ylabel("% of accounts")
    ax.legend(fontsize=8)
    ax.tick_params(axis="x", rotation=45, labelsize=8)
    charts.append(("Logo churn rate", _png(fig)))

    fig, ax = plt.subplots(figsize=(6.4, 3.2))
    ax.plot(x, [100 * v for v in _series(rows, "grr")], marker="o", label="GRR")
    ax.plot(x, [100 * v for v in _series(rows, "nrr")], marker="o", label="NRR")
    ax.axhline(100, color="#9ca3af", linewidth=0.8)
    ax.set_ylabel("% of opening MRR")
    ax.legend(fontsize=8)
    ax.tick_params(axis="x", rotation=45, labelsize=8)
    charts.append(("Revenue retention per period", _png(fig)))

    fig, ax = plt.subplots(figsize=(6.4, 3.2))
    nps = _series(rows, "nps")
    se = _series(rows, "nps_se")
    ax.fill_between(
        x,
        [n - 1.96 * s for n, s in zip(nps, se, strict=True)],
        [n + 1.96 * s for n, s in zip(nps, se, strict=True)],
        alpha=0.2,
        color="#2563eb",
        label="95 % interval",
    )
    ax.plot(x, nps, marker="o", color="#2563eb", label="NPS")
    ax.set_ylabel("points")
    ax.legend(fontsize=8)
    ax.tick_params(axis="x", rotation=45, labelsize=8)
    charts.append(("Net Promoter Score", _png(fig)))

    fig, ax = plt.subplots(figsize=(6.4, 3.2))
    for key, label in (
        ("adoption_rate", "adoption"),
        ("self_service_rate", "self-service"),
        ("csat_ticket_satisfied", "ticket CSAT satisfied"),
    ):
        ax.plot(x, [100 * v for v in _series(rows, key)], marker="o", label=label)
    ax.set_ylabel("%")
    ax.legend(fontsize=8)
    ax.tick_params(axis="x", rotation=45, labelsize=8)
    charts.append(("Engagement and satisfaction", _png(fig)))

    final = [r for r in rows if r["status"] == "final" and r.get("mrr_start")]
    if final:
        r = final[-1]
        steps = [
            ("opening", r["mrr_start"]),
            ("churn", -r["mrr_churned"]),
            ("contraction", -r["mrr_contraction"]),
            ("expansion", r["mrr_expansion"]),
            ("new", r["mrr_new"]),
            ("reactivated", r["mrr_reactivated"]),
        ]
        fig, ax = plt.subplots(figsize=(6.4, 3.2))
        level = 0.0
        levels = []
        for i, (name, v) in enumerate(steps):
            bottom = 0.0 if i == 0 else (level + v if v < 0 else level)
            color = "#6b7280" if i == 0 else ("#dc2626" if v < 0 else "#16a34a")
            ax.bar(name, abs(v), bottom=bottom, color=color)
            level = v if i == 0 else level + v
            levels.append(level)
            shown = f"{v:,.0f}" if i == 0 else f"{v:+,.0f}"
            ax.annotate(
                shown,
                (i, max(bottom + abs(v), level)),
                ha="center",
                va="bottom",
                fontsize=7,
                xytext=(0, 2),
                textcoords="offset points",
            )
        ax.bar("closing", r["mrr_end"], color="#6b7280")
        ax.annotate(
            f"{r['mrr_end']:,.0f}",
            (len(steps), r["mrr_end"]),
            ha="center",
            va="bottom",
            fontsize=7,
            xytext=(0, 2),
            textcoords="offset points",
        )
        # The movements are a few percent of MRR: start the axis just below the lowest
        # level so they can be seen (the opening and closing bars are cut, and say so).
        low = min([*levels, r["mrr_end"]])
        high = max(
            r["mrr_start"] + r["mrr_expansion"] + r["mrr_new"] + r["mrr_reactivated"],
            r["mrr_end"],
            *levels,
        )
        pad = max(high - low, 1.0) * 0.25
        ax.set_ylim(max(0.0, low - pad), high + pad)
        ax.yaxis.set_major_formatter(FuncFormatter(lambda y, _pos: f"{y:,.0f}"))
        ax.set_ylabel("MRR (axis cut)" if low - pad > 0 else "MRR")
        ax.tick_params(axis="x", labelsize=8)
        charts.append((f"Retention waterfall, {r['period']}", _png(fig)))
    return charts


def _group_title(report: KpiReport, group: str) -> str:
    if report.by is not None and report.by.value == "coverage":
        when = f"a CSM interaction in the {report.cadence_days} days before the period"
        what = "with" if group == "covered" else "without"
        return f"CSM coverage: {group} ({what} {when}; observational)"
    return f"{report.by.value if report.by else ''} {group}".strip()


def render_kpi_html(report: KpiReport) -> str:
    """The report as one HTML document (text)."""
    rows = [r for r in report.rows if r["group"] == ALL]
    scope = f"segment {report.segment}" if report.segment else "all accounts"
    out = [
        "<!doctype html><html lang='en'><head><meta charset='utf-8'>",
        "<title>Portfolio KPIs</title><style>",
        _CSS,
        "</style></head><body>",
        "<h1>Is the customer-success strategy working?</h1>",
        f"<p class='meta'>Portfolio KPIs per {report.period.value}, {html.escape(scope)}. "
        f"Data {report.known.data_start} to {report.known.data_end}; churn final up to "
        f"{report.known.churn_known_until}. Definitions: docs/kpis.md.</p>",
    ]
    for n in report.notes:
        out.append(f"<p class='prov'>{html.escape(n)}</p>")
    out.append("<div class='grid'>")
    for title, img in _charts(rows):
        out.append(
            f"<div><h2>{html.escape(title)}</h2>"
            f"<img alt='{html.escape(title)}' src='data:image/png;base64,{img}'></div>"
        )
    out.append("</div>")
    groups = [ALL, *sorted({r["group"] for r in report.rows} - {ALL})]
    for g in groups:
        title = "All accounts" if g == ALL else _group_title(report, g)
        out.append(f"<h2>{html.escape(title)}</h2><table><tr>")
        out.extend(f"<th>{h}</th>" for _, h, _ in TABLE)
        out.append("</tr>")
        for r in (r for r in report.rows if r["group"] == g):
            out.append("<tr>")
            for key, _, kind in TABLE:
                v = r.get(key)
                why = r["no_data"].get(key, "")
                cls = " class='nodata'" if v is None else ""
                out.append(f"<td{cls} title='{html.escape(why)}'>{html.escape(fmt(v, kind))}</td>")
            out.append("</tr>")
        out.append("</table>")
    out.append("</body></html>")
    return "\n".join(out)
