"""The inputs of outcomes: subscription rows, the subscription changes they imply (churn,
renewal, expansion, contraction), and the first product event."""

from __future__ import annotations

import datetime as dt

import ibis
import pandas as pd

from healthscore.store.queries._backend import Source, frame, sql_frame, table

__all__ = ["OPEN_END", "first_event_day", "subscription_changes", "subscription_rows"]

# The end date given to open-ended subscriptions (inside pandas' datetime range).
OPEN_END = dt.date(2200, 1, 1)


def subscription_rows(source: Source, until: dt.date) -> pd.DataFrame:
    """Subscriptions started on or before `until`: account_id (text), start_date, end_date
    (OPEN_END when open), mrr (float; NULL stays NaN), in stored order."""
    s = table(source, "subscriptions")
    return frame(
        s.filter(s.start_date.cast("date") <= ibis.date(until)).select(
            account_id=s.account_id.cast("string"),
            start_date=s.start_date.cast("date"),
            end_date=ibis.coalesce(s.end_date.cast("date"), ibis.date(OPEN_END)),
            mrr=s.mrr.cast("float64"),
        )
    )


def first_event_day(source: Source) -> dt.date | None:
    """The day of the first product event (None when there is none)."""
    e = table(source, "events")
    return e.event_time.min().cast("date").to_pyarrow().as_py()  # type: ignore[no-any-return]


# Written in DuckDB's dialect; sqlglot turns it into the backend's.  `subs` is the rows
# `subscription_rows` returns, with a missing MRR as 0 and empty rows (end <= start) dropped.
_CHANGES_SQL = """
WITH subs AS (
  SELECT * FROM (
    SELECT CAST(account_id AS VARCHAR) AS account_id, CAST(start_date AS DATE) AS start_date,
           coalesce(CAST(end_date AS DATE), DATE '{open_end}') AS end_date,
           coalesce(CAST(mrr AS DOUBLE), 0.0) AS mrr
    FROM subscriptions WHERE CAST(start_date AS DATE) <= DATE '{until}'
  ) AS c WHERE end_date > start_date
), s AS (
  SELECT account_id, start_date AS s, end_date AS e, mrr,
         row_number() OVER (PARTITION BY account_id ORDER BY start_date, end_date) AS rn
  FROM subs
), o AS (
  SELECT *, max(e) OVER (PARTITION BY account_id ORDER BY s, e, rn
                         ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS prev_end
  FROM s
), f AS (
  SELECT *,
    CASE WHEN prev_end IS NULL OR s > prev_end + {grace} THEN 1 ELSE 0 END AS new_spell,
    CASE WHEN prev_end IS NOT NULL AND s >= prev_end - 1 AND s <= prev_end + {grace}
         THEN 1 ELSE 0 END AS is_renewal
  FROM o
), g AS (
  SELECT *, sum(new_spell) OVER (PARTITION BY account_id ORDER BY s, e, rn) AS spell FROM f
), spells AS (
  SELECT account_id, spell, min(s) AS spell_start, max(e) AS spell_end
  FROM g GROUP BY account_id, spell
), pts AS (
  SELECT DISTINCT account_id, spell, s AS p FROM g
  UNION SELECT DISTINCT account_id, spell, e AS p FROM g WHERE e + {grace} <= {billing_end}
), lv AS (
  SELECT p.account_id, p.spell, p.p, coalesce(sum(g.mrr), 0) AS level
  FROM pts p LEFT JOIN g ON g.account_id = p.account_id AND g.s <= p.p AND p.p < g.e
  GROUP BY p.account_id, p.spell, p.p
), lv2 AS (
  SELECT *, lag(level) OVER (PARTITION BY account_id, spell ORDER BY p) AS prev_level
  FROM lv WHERE level > 0
)
SELECT account_id, 'churn' AS outcome, spell_end AS date,
       CAST(NULL AS DOUBLE) AS mrr_before, 0.0 AS mrr_after
FROM spells WHERE spell_end + {grace} <= {billing_end}
UNION ALL
SELECT account_id, 'renewal', s, NULL, mrr FROM g WHERE is_renewal = 1
UNION ALL
SELECT account_id, CASE WHEN level > prev_level THEN 'expansion' ELSE 'contraction' END,
       p, prev_level, level
FROM lv2 WHERE prev_level IS NOT NULL AND abs(level - prev_level) > {tolerance} * prev_level
"""


def subscription_changes(
    source: Source,
    *,
    until: dt.date,
    grace_days: int,
    billing_end: dt.date,
    tolerance: float,
) -> pd.DataFrame:
    """Churn, renewal, expansion and contraction events of the subscriptions started on or
    before `until`: account_id, outcome, date, mrr_before, mrr_after, ordered by account,
    date and outcome.

    Rows of an account that overlap or follow each other within `grace_days` form one spell;
    a spell ends in churn once its end plus the grace lies on or before `billing_end`
    (later ends are right-censored).  A row starting within the grace of the previous end
    is a renewal.  A change of the MRR level inside a spell by more than `tolerance`
    (a fraction of the level before) is an expansion or a contraction.
    """
    sql = _CHANGES_SQL.format(
        open_end=OPEN_END.isoformat(),
        until=until.isoformat(),
        grace=f"INTERVAL {int(grace_days)} DAY",
        billing_end=f"DATE '{billing_end.isoformat()}'",
        tolerance=repr(float(tolerance)),
    )
    out = sql_frame(source, sql)
    out["date"] = pd.to_datetime(out["date"]).dt.date
    out["mrr_before"] = out["mrr_before"].astype(float)
    out["mrr_after"] = out["mrr_after"].astype(float)
    # Sorted here rather than in SQL: a backend need not keep a subquery's order.
    return out.sort_values(["account_id", "date", "outcome"], kind="stable").reset_index(drop=True)
