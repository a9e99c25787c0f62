"""Satisfaction: NPS with its response rate, and CSAT per source (surveys, tickets).

NPS (Reichheld, 2003; Bain & Company's Net Promoter System): answers 9-10 are promoters,
0-6 detractors; NPS = % promoters - % detractors, from -100 to 100.  CSAT on the 1-5 scale:
the mean, and the share of satisfied answers (4 or 5, the "top two boxes").
"""

from __future__ import annotations

import math

import pandas as pd

from healthscore.portfolio._figures import Figures, ratio
from healthscore.portfolio.periods import Period

__all__ = ["DETRACTOR", "PROMOTER", "SATISFIED", "csat_figures", "nps_figures", "nps_se"]

PROMOTER = 9.0  # and above
DETRACTOR = 6.0  # and below
SATISFIED = 4.0  # and above, on 1-5


def _in(ts: pd.Series, period: Period) -> pd.Series:
    t = pd.to_datetime(ts)
    return (t >= pd.Timestamp(period.start)) & (t < pd.Timestamp(period.end))


def nps_se(promoters: int, detractors: int, n: int) -> float | None:
    """Standard error of an NPS (in points) from n answers: the NPS is the mean of a
    +1 / 0 / -1 variable, so its variance is p + d - (p - d)^2."""
    if n < 2:
        return None
    p, d = promoters / n, detractors / n
    return 100.0 * math.sqrt(max(p + d - (p - d) ** 2, 0.0) / n)


def nps_figures(surveys: pd.DataFrame, period: Period) -> Figures:
    """NPS, promoters, passives, detractors, answers and response rate of `period`.

    An answer counts in the period it was given; the response rate is over the NPS surveys
    *sent* in the period, answered by the newest data.
    """
    f = Figures()
    nps = surveys[surveys["survey_type"] == "nps"]
    answered = nps[nps["score"].notna() & nps["responded_at"].notna()]
    answered = answered[_in(answered["responded_at"], period)]
    n = len(answered)
    pro = int((answered["score"] >= PROMOTER).sum())
    det = int((answered["score"] <= DETRACTOR).sum())
    f.put("nps_responses", n)
    f.put("nps_promoters", pro)
    f.put("nps_detractors", det)
    f.put("nps_passives", n - pro - det)
    why = "no NPS answer in the period"
    share, _ = ratio(pro - det, n, why)
    f.put("nps", None if share is None else round(100.0 * share, 1), why)
    se = nps_se(pro, det, n)
    f.put("nps_se", se, "fewer than two NPS answers")
    sent = nps[nps["sent_at"].notna() & _in(nps["sent_at"], period)]
    rate, rate_why = ratio(
        int(sent["responded_at"].notna().sum()),
        len(sent),
        "no NPS survey with a send date was sent in the period",
    )
    f.put("nps_response_rate", rate, rate_why)
    return f


def _csat(scores: pd.Series, prefix: str, what: str) -> Figures:
    f = Figures()
    s = scores.dropna()
    f.put(f"{prefix}_responses", len(s))
    why = f"no {what} in the period"
    f.put(f"{prefix}_mean", float(s.mean()) if len(s) else None, why)
    sat, _ = ratio(int((s >= SATISFIED).sum()), len(s), why)
    f.put(f"{prefix}_satisfied", sat, why)
    return f


def csat_figures(surveys: pd.DataFrame, tickets: pd.DataFrame, period: Period) -> Figures:
    """CSAT of `period` per source: csat_survey_* (CSAT surveys answered in the period)
    and csat_ticket_* (ticket ratings, dated at resolution, else at opening)."""
    f = Figures()
    cs = surveys[(surveys["survey_type"] == "csat") & surveys["responded_at"].notna()]
    cs = cs[_in(cs["responded_at"], period)]
    f.update(_csat(cs["score"], "csat_survey", "CSAT survey answer"))
    when = tickets["resolved_at"].where(tickets["resolved_at"].notna(), tickets["opened_at"])
    tk = tickets[_in(when, period)] if len(tickets) else tickets
    f.update(_csat(tk["csat"], "csat_ticket", "rated ticket"))
    return f
