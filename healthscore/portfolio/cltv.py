"""Customer lifetime value: average MRR x gross margin x expected lifetime.

The expected lifetime is 1 / the monthly logo churn rate (the mean of a geometric
lifetime with that monthly hazard; Skok, "SaaS Metrics 2.0", and most SaaS references).
The rate is pooled over the trailing twelve months (churned accounts / account-periods
at risk), so one quiet month does not make the lifetime infinite, and converted to a
monthly rate when periods are quarters: ``r_month = 1 - (1 - r_period) ** (1 / 3)``.
"""

from __future__ import annotations

from collections.abc import Sequence

from healthscore.portfolio._figures import Figures

__all__ = ["cltv_figures", "monthly_rate"]


def monthly_rate(rate: float, months: int) -> float:
    """The monthly churn rate equivalent to `rate` over `months` months."""
    return 1.0 - (1.0 - rate) ** (1.0 / months)


def cltv_figures(
    trailing: Sequence[Figures],
    months_per_period: int,
    *,
    gross_margin: float | None = None,
) -> Figures:
    """arpa, churn_rate_monthly_ttm, lifetime_months and cltv of the last of `trailing`
    (the retention figures of the periods of the trailing twelve months, oldest first)."""
    f = Figures()
    current = trailing[-1]
    start_n = current.values.get("accounts_start") or 0
    arpa = current.values["mrr_start"] / start_n if start_n else None
    f.put("arpa", arpa, "no account active at the period's start")
    at_risk = sum(t.values.get("accounts_start") or 0 for t in trailing)
    churned = sum(t.values.get("churned") or 0 for t in trailing)
    if not at_risk:
        why = "no account active in the trailing twelve months"
        for k in ("churn_rate_monthly_ttm", "lifetime_months", "cltv"):
            f.put(k, None, why)
        return f
    rate = monthly_rate(churned / at_risk, months_per_period)
    f.put("churn_rate_monthly_ttm", rate)
    if rate <= 0:
        why = "no churn in the trailing twelve months: 1 / churn rate is unbounded"
        f.put("lifetime_months", None, why)
        f.put("cltv", None, why)
        return f
    f.put("lifetime_months", 1.0 / rate)
    margin = 1.0 if gross_margin is None else float(gross_margin)
    f.put("cltv", None if arpa is None else arpa * margin / rate, "no average MRR")
    return f
