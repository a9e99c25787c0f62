"""Outcomes derived from subscriptions: churn, renewal, expansion and contraction.

See docs/outcomes.md for the definitions.  Everything here respects an optional `as_of`:
only subscription rows that started on or before it are used and the "data end" is capped
at it, so the outcomes are exactly those that were knowable on that day.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import duckdb
import numpy as np
import pandas as pd

from healthscore.errors import NotEnoughData

__all__ = [
    "OUTCOME_KINDS",
    "Outcomes",
    "data_range",
    "derive_outcomes",
    "label_observations",
    "load_table",
]

OUTCOME_KINDS = ("churn", "renewal", "expansion", "contraction")
_OPEN_END = dt.date(2200, 1, 1)  # open-ended rows; inside pandas' datetime range
# Tables whose time column marks "we observed something on that day" (not future-dated plans).
_OBSERVED = {
    "events": "event_time",
    "subscriptions": "start_date",
    "tickets": "opened_at",
    "interactions": "occurred_at",
    "invoices": "issued_date",
}


def _sql(source: Any, query: str) -> pd.DataFrame:
    """Run SQL on a Store (DuckDB) or an Ibis backend."""
    con = getattr(source, "con", None)
    if isinstance(con, duckdb.DuckDBPyConnection):
        return con.execute(query).df()
    return source.sql(query).to_pandas()


def load_table(source: Any, query: str) -> pd.DataFrame:
    """Public wrapper of the SQL helper (a Store or an Ibis backend)."""
    return _sql(source, query)


def data_range(source: Any, as_of: dt.date | None = None) -> tuple[dt.date, dt.date]:
    """(first, last) day with observed data; `last` is the "data end" (capped at `as_of`)."""
    parts = " UNION ALL ".join(
        f"SELECT min(CAST({col} AS DATE)) lo, max(CAST({col} AS DATE)) hi FROM {t}"
        for t, col in _OBSERVED.items()
    )
    row = _sql(source, f"SELECT min(lo) lo, max(hi) hi FROM ({parts})").iloc[0]
    if pd.isna(row["lo"]):
        raise NotEnoughData("the store holds no events or subscriptions; import data first")
    lo, hi = pd.Timestamp(row["lo"]).date(), pd.Timestamp(row["hi"]).date()
    if as_of is not None:
        hi = min(hi, as_of)
    return lo, hi


@dataclass
class Outcomes:
    """Outcome events plus what is needed to label observations."""

    events: pd.DataFrame  # account_id, outcome, date, mrr_before, mrr_after
    subscriptions: pd.DataFrame  # account_id, start_date, end_date (open = 2200-01-01), mrr
    data_start: dt.date
    data_end: dt.date
    grace_days: int
    billing_end: dt.date  # latest subscription start seen: the billing data's "today"
    activity_start: dt.date | None = None  # first product event (None = no events)

    @property
    def observation_start(self) -> dt.date:
        """Where observation dates may begin: the later of data start and first activity."""
        return max(self.data_start, self.activity_start or self.data_start)

    @property
    def known_until(self) -> dt.date:
        """Churn dates up to this day are final (a renewal would already be visible)."""
        return min(self.data_end, self.billing_end) - dt.timedelta(days=self.grace_days)

    def of(self, kind: str) -> pd.DataFrame:
        return self.events[self.events["outcome"] == kind].reset_index(drop=True)

    def active_at(self, dates: list[dt.date]) -> pd.DataFrame:
        """(as_of, account_id) of accounts with a subscription row active on each date."""
        d = pd.DataFrame({"as_of": pd.to_datetime(pd.Series(dates)).dt.date})
        return _active(self.subscriptions, d)


def _active(subs: pd.DataFrame, d: pd.DataFrame) -> pd.DataFrame:
    con = duckdb.connect()
    con.register("subs", subs)
    con.register("d", d)
    out = con.execute(
        """SELECT DISTINCT d.as_of, s.account_id FROM d JOIN subs s
           ON s.start_date <= d.as_of AND d.as_of < s.end_date ORDER BY 1, 2"""
    ).df()
    con.close()
    out["as_of"] = pd.to_datetime(out["as_of"]).dt.date
    return out


_OUTCOME_SQL = """
WITH s AS (
  SELECT account_id, start_date AS s, end_date AS e, mrr,
         row_number() OVER (PARTITION BY account_id ORDER BY start_date, end_date) AS rn
  FROM subs
), o AS (
  SELECT *, max(e) OVER (PARTITION BY account_id ORDER BY s, e, rn
                         ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS prev_end
  FROM s
), f AS (
  SELECT *,
    CASE WHEN prev_end IS NULL OR s > prev_end + $grace THEN 1 ELSE 0 END AS new_spell,
    CASE WHEN prev_end IS NOT NULL AND s >= prev_end - 1 AND s <= prev_end + $grace
         THEN 1 ELSE 0 END AS is_renewal
  FROM o
), g AS (
  SELECT *, sum(new_spell) OVER (PARTITION BY account_id ORDER BY s, e, rn) AS spell FROM f
), spells AS (
  SELECT account_id, spell, min(s) AS spell_start, max(e) AS spell_end FROM g GROUP BY ALL
), pts AS (
  SELECT DISTINCT account_id, spell, s AS p FROM g
  UNION SELECT DISTINCT account_id, spell, e AS p FROM g WHERE e + $grace <= $billing_end
), lv AS (
  SELECT p.account_id, p.spell, p.p, coalesce(sum(g.mrr), 0) AS level
  FROM pts p LEFT JOIN g ON g.account_id = p.account_id AND g.s <= p.p AND p.p < g.e
  GROUP BY ALL
), lv2 AS (
  SELECT *, lag(level) OVER (PARTITION BY account_id, spell ORDER BY p) AS prev_level
  FROM lv WHERE level > 0
)
SELECT account_id, 'churn' AS outcome, spell_end AS date,
       NULL::DOUBLE AS mrr_before, 0.0 AS mrr_after
FROM spells WHERE spell_end + $grace <= $billing_end
UNION ALL
SELECT account_id, 'renewal', s, NULL, mrr FROM g WHERE is_renewal = 1
UNION ALL
SELECT account_id, CASE WHEN level > prev_level THEN 'expansion' ELSE 'contraction' END,
       p, prev_level, level
FROM lv2 WHERE prev_level IS NOT NULL AND abs(level - prev_level) > $tol * prev_level
ORDER BY 1, 3, 2
"""


def derive_outcomes(
    source: Any,
    *,
    grace_days: int = 7,
    mrr_tolerance: float = 0.01,
    as_of: dt.date | None = None,
) -> Outcomes:
    """Churn, renewal, expansion and contraction events from the subscriptions table.

    `source` is a Store or an Ibis backend.  Churn is only reported when its date plus the
    grace gap lies on or before the data end (later ends are right-censored).
    """
    data_start, data_end = data_range(source, as_of)
    cut = f"WHERE start_date <= DATE '{data_end}'"
    subs = _sql(
        source,
        f"SELECT CAST(account_id AS VARCHAR) account_id, CAST(start_date AS DATE) start_date, "
        f"coalesce(CAST(end_date AS DATE), DATE '{_OPEN_END}') end_date, "
        f"CAST(mrr AS DOUBLE) mrr FROM subscriptions {cut}",
    )
    subs["start_date"] = pd.to_datetime(subs["start_date"]).dt.date
    subs["end_date"] = pd.to_datetime(subs["end_date"]).dt.date
    subs["mrr"] = subs["mrr"].fillna(0.0)
    subs = subs[subs["end_date"] > subs["start_date"]].reset_index(drop=True)
    billing_end = min(max(subs["start_date"]), data_end) if len(subs) else data_start
    con = duckdb.connect()
    con.register("subs", subs)
    sql = (
        _OUTCOME_SQL.replace("$grace", f"INTERVAL {int(grace_days)} DAY")
        .replace("$billing_end", f"DATE '{billing_end}'")
        .replace("$tol", repr(float(mrr_tolerance)))
    )
    events = con.execute(sql).df()
    con.close()
    events["date"] = pd.to_datetime(events["date"]).dt.date
    events["mrr_before"] = events["mrr_before"].astype(float)
    events["mrr_after"] = events["mrr_after"].astype(float)
    first = _sql(source, "SELECT CAST(min(event_time) AS DATE) d FROM events")["d"].iloc[0]
    activity_start = None if pd.isna(first) else pd.Timestamp(first).date()
    return Outcomes(
        events, subs, data_start, data_end, int(grace_days), billing_end, activity_start
    )


def label_observations(
    outcomes: Outcomes,
    obs: pd.DataFrame,
    horizon_days: int,
    kind: str = "churn",
) -> np.ndarray:
    """1 where the account has an outcome of `kind` in (as_of, as_of + horizon]."""
    ev = outcomes.of(kind)[["account_id", "date"]]
    con = duckdb.connect()
    o = obs[["as_of", "account_id"]].reset_index(drop=True).assign(_i=lambda x: range(len(x)))
    con.register("o", o)
    con.register("ev", ev)
    hit = con.execute(
        f"""SELECT DISTINCT o._i FROM o JOIN ev ON ev.account_id = o.account_id
            AND ev.date > o.as_of AND ev.date <= o.as_of + INTERVAL {int(horizon_days)} DAY"""
    ).fetchnumpy()["_i"]
    con.close()
    y = np.zeros(len(o), dtype=int)
    y[np.asarray(hit, dtype=int)] = 1
    return y
