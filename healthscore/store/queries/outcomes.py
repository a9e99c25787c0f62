"""The inputs of outcomes: the paid periods the subscription rows describe (in every common
billing shape), the subscription changes they imply (churn, renewal, expansion,
contraction), the billing export's own "today", and the first product event.

The shapes (docs/outcomes.md): a row per renewal (ChurnSim), a row per subscription with
`status`, `canceled_at`, `end_date` (ended_at) and `current_period_end` (Stripe,
Chargebee, Recurly), open-ended active rows, trials (`trial_end`), pauses (`paused_at`,
`resumes_at`) and add-on rows that overlap.  Each is turned into *paid periods*:
(account_id, start_date, end_date, mrr) rows, a pause being a period with MRR 0.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd

from healthscore.store.queries._backend import Source, has_table, sql_frame, table
from healthscore.store.queries.span import NEVER_PAID_STATUSES, OBSERVED

__all__ = [
    "ENDED_STATUSES",
    "NEVER_PAID_STATUSES",
    "OPEN_END",
    "SNAPSHOT_COLUMNS",
    "BillingToday",
    "billing_today",
    "first_event_day",
    "subscription_changes",
    "subscription_rows",
]

# The end date given to open-ended subscriptions (inside pandas' datetime range).
OPEN_END = dt.date(2200, 1, 1)
# Statuses that say a row has ended (dated by end_date, canceled_at or current_period_end).
ENDED_STATUSES = ("canceled", "cancelled", "ended", "expired", "inactive")


# The snapshot columns (migration 035) and their types; a source without one reads NULL.
SNAPSHOT_COLUMNS = {
    "status": "VARCHAR",
    "canceled_at": "DATE",
    "current_period_end": "DATE",
    "trial_end": "DATE",
    "paused_at": "DATE",
    "resumes_at": "DATE",
}


def _col(name: str, present: set[str]) -> str:
    type_ = SNAPSHOT_COLUMNS[name]
    return f"CAST({name} AS {type_})" if name in present else f"CAST(NULL AS {type_})"


def _present(source: Source) -> set[str]:
    return set(table(source, "subscriptions").columns)


def _periods_sql(until: dt.date, present: set[str]) -> str:
    """DuckDB SQL of the paid periods known on `until` (columns account_id, start_date,
    end_date, mrr), from the subscription rows started on or before it.

    * The end is `end_date` when given; else a cancellation asked for on or before `until`
      ends the row at its `current_period_end` (a cancellation at the term end) or, without
      one, on `canceled_at`; else a row whose status says it ended ends at
      `current_period_end`; else the row is open (OPEN_END).  A cancellation asked for after
      `until` was not known then: the row is open on `until`.
    * A trial is not paid: the period starts at `trial_end`.  A trial that never reached
      it is no paid period at all (its end is then no churn).
    * A pause that began on or before `until` splits the row: paid up to `paused_at`,
      MRR 0 from then to `resumes_at` (or the end), paid again after.
    """
    u = f"DATE '{until.isoformat()}'"
    ended = ", ".join(f"'{s}'" for s in ENDED_STATUSES)
    never = ", ".join(f"'{s}'" for s in NEVER_PAID_STATUSES)

    def c(name: str) -> str:
        return _col(name, present)

    return f"""
WITH raw AS (
  SELECT CAST(account_id AS VARCHAR) AS account_id, CAST(start_date AS DATE) AS sd,
         CAST(end_date AS DATE) AS ed, coalesce(CAST(mrr AS DOUBLE), 0.0) AS mrr,
         lower({c("status")}) AS st, {c("canceled_at")} AS ca,
         {c("current_period_end")} AS cpe, {c("trial_end")} AS te,
         {c("paused_at")} AS pa, {c("resumes_at")} AS ra
  FROM subscriptions WHERE CAST(start_date AS DATE) <= {u}
), dated AS (
  SELECT account_id, mrr, pa, ra,
    CASE WHEN te IS NOT NULL AND te > sd THEN te ELSE sd END AS ps,
    CASE
      WHEN ed IS NOT NULL THEN ed
      WHEN ca IS NOT NULL AND ca <= {u} THEN
        CASE WHEN cpe IS NOT NULL AND cpe >= ca THEN cpe ELSE ca END
      WHEN st IN ({ended}) AND cpe IS NOT NULL THEN cpe
      ELSE DATE '{OPEN_END.isoformat()}'
    END AS pe
  FROM raw WHERE st IS NULL OR st NOT IN ({never})
), paused AS (
  SELECT *, CASE WHEN pa IS NOT NULL AND pa <= {u} AND pa >= ps AND pa < pe
                 THEN 1 ELSE 0 END AS has_pause
  FROM dated
), pieces AS (
  SELECT account_id, ps AS start_date, CASE WHEN has_pause = 1 THEN pa ELSE pe END AS end_date,
         mrr, 0 AS paused
  FROM paused
  UNION ALL
  SELECT account_id, pa, CASE WHEN ra IS NOT NULL AND ra < pe THEN ra ELSE pe END, 0.0, 1
  FROM paused WHERE has_pause = 1
  UNION ALL
  SELECT account_id, ra, pe, mrr, 0
  FROM paused WHERE has_pause = 1 AND ra IS NOT NULL AND ra > pa AND ra < pe
)
SELECT account_id, start_date, end_date, mrr FROM pieces
WHERE end_date > start_date AND start_date <= {u}
"""


def subscription_rows(source: Source, until: dt.date) -> pd.DataFrame:
    """The paid periods known on `until`: account_id (text), start_date, end_date (OPEN_END
    when open), mrr (a missing MRR and a pause are 0), ordered by account, start and end."""
    out = sql_frame(source, _periods_sql(until, _present(source)))
    out["mrr"] = out["mrr"].astype(float)
    return out.sort_values(["account_id", "start_date", "end_date"], kind="stable").reset_index(
        drop=True
    )


def first_event_day(source: Source) -> dt.date | None:
    """The day of the first product event (None when there is none)."""
    e = table(source, "events")
    return e.event_time.min().cast("date").to_pyarrow().as_py()  # type: ignore[no-any-return]


class BillingToday:
    """The billing export's own "today" and why (see docs/outcomes.md)."""

    def __init__(self, day: dt.date | None, reason: str) -> None:
        self.day = day
        self.reason = reason

    def __repr__(self) -> str:
        return f"BillingToday({self.day!r}, {self.reason!r})"


def _snapshot_sql(present: set[str]) -> str:
    flags = " OR ".join(
        f"{c} IS NOT NULL" for c in ("status", "canceled_at", "current_period_end") if c in present
    )
    return (
        "SELECT count(*) AS n, "
        f"sum(CASE WHEN end_date IS NULL {'OR ' + flags if flags else ''} THEN 1 ELSE 0 END) "
        "AS snapshot_rows, max(CAST(start_date AS DATE)) AS newest_start FROM subscriptions"
    )


_BATCH_SQL = """
SELECT max(CAST(coalesce(finished_at, started_at) AS DATE)) AS day FROM import_batches
WHERE kind = 'subscriptions' AND status LIKE 'committed%'
"""


def _newest_other_signal(source: Source) -> dt.date | None:
    """The newest day of any recorded signal but the subscriptions (None when none)."""
    newest = None
    for name, col in OBSERVED.items():
        if name == "subscriptions" or not has_table(source, name):
            continue
        t = table(source, name)
        day = t[col].max().cast("date").to_pyarrow().as_py()
        if day is not None and (newest is None or day > newest):
            newest = day
    return newest


def billing_today(source: Source, data_end: dt.date) -> BillingToday:
    """The day up to which the subscription rows tell what happened (docs/outcomes.md).

    A history of periods (every row ended, a row per renewal as ChurnSim writes) shows its
    renewals as rows: its today is the newest row's start (capped at the data end), the
    last day the billing system wrote; other signals may run on after it.  A one-row-per-subscription
    export (an open-ended row, or a status, canceled_at or current_period_end) is a snapshot
    of the billing system on the day it was exported, at the latest the day of its newest
    import: its today is that day, or the data end of the other signals when those stop
    earlier (a snapshot imported a month after the events it goes with is not read as a
    month without churn).  A snapshot's today is never its newest subscription start, which
    can be years old.
    """
    row = sql_frame(source, _snapshot_sql(_present(source))).iloc[0]
    if not int(row["n"]):
        return BillingToday(None, "no subscription rows")
    if not int(row["snapshot_rows"] or 0):
        # Renewals are rows here: the newest one written is the billing system's last day.
        # ChurnSim's events run a month past it, and every term ending in that month would
        # otherwise look like churn.
        newest = pd.Timestamp(row["newest_start"]).date()
        day = min(newest, data_end)
        return BillingToday(
            day,
            f"a history of renewal rows: churn is read up to its newest renewal, {day} "
            "(later renewals are not written yet)",
        )
    imported = None
    if has_table(source, "import_batches"):
        got = sql_frame(source, _BATCH_SQL).iloc[0]["day"]
        imported = None if pd.isna(got) else pd.Timestamp(got).date()
    other = _newest_other_signal(source)
    if imported is None:
        return BillingToday(
            data_end,
            f"a billing snapshot of unknown export day: read up to the data end, {data_end}",
        )
    if other is not None and other < imported:
        # The export came after the other signals stopped: read churn up to where they end
        # (a future row's start in `data_end` is not a day the billing system saw).
        day = min(data_end, other)
        return BillingToday(
            day,
            f"a billing snapshot imported on {imported}; the other signals end on {other}: "
            f"read up to {day}",
        )
    return BillingToday(imported, f"a billing snapshot imported on {imported}")


# Written in DuckDB's dialect; sqlglot turns it into the backend's.  `subs` is the paid
# periods of `_periods_sql`.
_CHANGES_SQL = """
WITH subs AS ({periods}), s AS (
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
SELECT account_id, 'renewal', s, CAST(NULL AS DOUBLE), mrr FROM g WHERE is_renewal = 1
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
    """Churn, renewal, expansion and contraction events of the paid periods known on
    `until`: account_id, outcome, date, mrr_before, mrr_after, ordered by account, date and
    outcome.

    Periods of an account that overlap or follow each other within `grace_days` form one
    spell (a pause keeps it going); a spell ends in churn once its end plus the grace lies
    on or before `billing_end` (later ends are right-censored).  A period starting within
    the grace of the previous end is a renewal.  A change of the MRR level inside a spell
    by more than `tolerance` (a fraction of the level before) is an expansion or a
    contraction; a pause (level 0) is neither.
    """
    sql = _CHANGES_SQL.format(
        periods=_periods_sql(until, _present(source)),
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
