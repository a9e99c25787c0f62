"""Portfolio KPIs: is the customer-success strategy working?

Logo churn, revenue retention (GRR, NRR, MRR movements), new and reactivated accounts,
CLTV, NPS, CSAT, adoption, self-service, time to first value and the score's bands, per
month or quarter and segment (or CSM coverage, observationally), with trends against the previous period and a year earlier.
Definitions: docs/kpis.md.
"""

from healthscore.portfolio.kpis import (
    ALL,
    COVERED,
    DEFAULT_CADENCE_DAYS,
    NOT_COVERED,
    GroupBy,
    InvalidKpiOption,
    KpiReport,
    UnknownSegment,
    portfolio_kpis,
)
from healthscore.portfolio.periods import Known, Period, PeriodKind
from healthscore.portfolio.report import render_kpi_html

__all__ = [
    "ALL",
    "COVERED",
    "DEFAULT_CADENCE_DAYS",
    "NOT_COVERED",
    "GroupBy",
    "InvalidKpiOption",
    "Known",
    "KpiReport",
    "Period",
    "PeriodKind",
    "UnknownSegment",
    "portfolio_kpis",
    "render_kpi_html",
]
