"""HTML report of the portfolio KPIs (filled in below)."""

from __future__ import annotations

from typing import Any


def render_kpi_html(report: Any) -> str:
    raise NotImplementedError
