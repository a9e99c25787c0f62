"""Voice of the customer: NPS answers and their change, survey CSAT, response rate."""

from __future__ import annotations

from collections.abc import Sequence

import ibis
import pandas as pd

from healthscore.metrics._columns import KEY
from healthscore.metrics._context import Context
from healthscore.metrics._family import Family
from healthscore.metrics._helpers import div
from healthscore.metrics._run import Run
from healthscore.metrics.catalog import HI, MetricInfo, entries

__all__ = ["FAMILY"]

_m = entries("voice")


def catalog(ctx: Context, windows: Sequence[int]) -> list[MetricInfo]:
    return [
        _m("voice_nps_latest", "Latest NPS", "score", HI,
           "Latest NPS answer (0-10) on or before as_of."),
        _m("voice_nps_change", "NPS change", "points", HI,
           "Latest NPS answer minus the previous one."),
        _m("voice_csat_avg_180d", "Survey CSAT, last 180 days", "score", HI,
           "Average CSAT survey score (1-5) over 180 days."),
        _m("voice_survey_response_rate_365d", "Survey response rate, last 365 days", "share",
           HI, "Surveys answered / surveys sent in the last 365 days."),
    ]  # fmt: skip


def query(run: Run) -> pd.DataFrame | None:
    if not run.ctx.has("surveys"):
        return None
    s = run.table("surveys")
    answered = s.filter(s.responded_at.notnull() & s.score.notnull())
    a = run.by_date(answered, "responded_at")
    nps = a.filter(a.survey_type == "nps")
    rank = ibis.row_number().over(
        group_by=[nps.as_of, nps.account_id],
        order_by=[nps.responded_at.desc(), nps.response_id.desc()],
    )
    nps = nps.mutate(rk=rank).filter(lambda r: r.rk <= 1)
    nps = nps.group_by(["as_of", "account_id"]).agg(
        voice_nps_latest=nps.score.max(where=nps.rk == 0),
        nps_prev=nps.score.max(where=nps.rk == 1),
    )
    csat = a.filter((a.survey_type == "csat") & (a.responded_at >= a.s180))
    csat = csat.group_by(["as_of", "account_id"]).agg(voice_csat_avg_180d=csat.score.mean())
    sent = run.by_date(s.filter(s.sent_at.notnull()), "sent_at")
    sent = sent.filter(sent.sent_at >= sent.s365)
    rate = sent.group_by(["as_of", "account_id"]).agg(
        sent_n=sent.count(),
        answered_n=sent.count(
            where=sent.responded_at.notnull() & (sent.responded_at < sent.end_ts)
        ),
    )
    df = run.fetch(nps).merge(run.fetch(csat), on=KEY, how="outer")
    r = run.fetch(rate)
    r["voice_survey_response_rate_365d"] = div(r.pop("answered_n"), r.pop("sent_n"))
    df = df.merge(r, on=KEY, how="outer")
    df["voice_nps_change"] = df["voice_nps_latest"] - df.pop("nps_prev")
    return df


FAMILY = Family("voice", catalog, query)
