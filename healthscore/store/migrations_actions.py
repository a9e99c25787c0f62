"""Schema steps of the actions feature (names numbered 010-019).

Each step runs once per store, inside a transaction, and is recorded by name.  A step is
plain DDL on the DuckDB connection; it must not import healthscore.store.migrations.

* ``changes``: what change detection found on a run date (metric, before/after, size, start,
  evidence rows as JSON); a run replaces its date's rows.
* ``ctas``: calls-to-action, one row each, with their state, priority parts and outcome.
  ``held_back`` rows are the random hold-out: recorded, never shown.  No key constraints:
  DuckDB refuses some updates of indexed rows inside one transaction, and the one open CTA
  per account and reason is kept by the code that opens them.
* ``cta_events``: every change of a CTA, who and when, with the state before and after.
* ``cta_steps``: a CTA's playbook checklist; a step ticked records who and when.
* ``rule_state``: since when a rule's condition has held for an account (hold-N-days) and
  its firings (at-most-X-per-Y-days).
* ``contact_asks``: review and referral asks per contact, so nobody is asked twice within
  the cooldown.
* ``alert_runs``: one row per run of the rules (date, mode, counts, errors).
* ``plan_owners`` / ``milestone_rules``: the success-plan parts the goals and milestones
  tables lack: an owner per goal and milestone, and a metric condition that completes a
  milestone by itself.
* ``metric_history``: per scored date and account, the metrics change detection reads
  (`METRIC_HISTORY_COLUMNS`), written by every scoring run with its snapshots.
"""

from __future__ import annotations

from collections.abc import Callable

import duckdb


def _m010_changes(con: duckdb.DuckDBPyConnection) -> None:
    con.execute(
        """
        CREATE TABLE IF NOT EXISTS changes (
          detected_on DATE NOT NULL, account_id VARCHAR NOT NULL, metric VARCHAR NOT NULL,
          kind VARCHAR NOT NULL, direction VARCHAR NOT NULL, before_value DOUBLE,
          after_value DOUBLE, size DOUBLE, z DOUBLE, started DATE, evidence VARCHAR
        )"""
    )


def _m011_ctas(con: duckdb.DuckDBPyConnection) -> None:
    con.execute(
        """
        CREATE TABLE IF NOT EXISTS ctas (
          id BIGINT NOT NULL, account_id VARCHAR NOT NULL, rule VARCHAR NOT NULL,
          type VARCHAR NOT NULL, reason VARCHAR NOT NULL, evidence VARCHAR NOT NULL,
          owner VARCHAR, due DATE, priority DOUBLE NOT NULL, arr_at_stake DOUBLE,
          churn_probability DOUBLE, urgency DOUBLE, status VARCHAR NOT NULL,
          snoozed_until DATE, snooze_reason VARCHAR, outcome VARCHAR, note VARCHAR,
          opened_on DATE NOT NULL, last_fired_on DATE NOT NULL, closed_on DATE,
          fire_count INTEGER NOT NULL, held_back BOOLEAN NOT NULL, deferred BOOLEAN NOT NULL,
          critical BOOLEAN NOT NULL, effort_hours DOUBLE, outcome_kind VARCHAR,
          outcome_days INTEGER, band_at_open VARCHAR, score_at_open DOUBLE,
          usage_at_open DOUBLE, mode VARCHAR NOT NULL, version INTEGER NOT NULL,
          created_at TIMESTAMP NOT NULL, updated_at TIMESTAMP NOT NULL
        )"""
    )
    con.execute(
        """
        CREATE TABLE IF NOT EXISTS cta_events (
          cta_id BIGINT NOT NULL, happened_at TIMESTAMP NOT NULL, actor VARCHAR NOT NULL,
          action VARCHAR NOT NULL, before_state VARCHAR, after_state VARCHAR
        )"""
    )
    con.execute(
        """
        CREATE TABLE IF NOT EXISTS cta_steps (
          cta_id BIGINT NOT NULL, step_no INTEGER NOT NULL, title VARCHAR NOT NULL,
          owner VARCHAR, due DATE, template VARCHAR, done_at TIMESTAMP, done_by VARCHAR
        )"""
    )


def _m012_rule_state(con: duckdb.DuckDBPyConnection) -> None:
    con.execute(
        """
        CREATE TABLE IF NOT EXISTS rule_state (
          rule VARCHAR NOT NULL, account_id VARCHAR NOT NULL, mode VARCHAR NOT NULL,
          holds_since DATE, last_seen DATE
        )"""
    )
    con.execute(
        """
        CREATE TABLE IF NOT EXISTS rule_fires (
          rule VARCHAR NOT NULL, account_id VARCHAR NOT NULL, mode VARCHAR NOT NULL,
          fired_on DATE NOT NULL, cta_id BIGINT
        )"""
    )
    con.execute(
        """
        CREATE TABLE IF NOT EXISTS contact_asks (
          contact_id VARCHAR NOT NULL, account_id VARCHAR NOT NULL, kind VARCHAR NOT NULL,
          asked_on DATE NOT NULL, cta_id BIGINT, mode VARCHAR NOT NULL
        )"""
    )
    con.execute(
        """
        CREATE TABLE IF NOT EXISTS alert_runs (
          as_of DATE NOT NULL, mode VARCHAR NOT NULL, ran_at TIMESTAMP NOT NULL,
          rules INTEGER, fired INTEGER, opened INTEGER, updated INTEGER, resolved INTEGER,
          held_back INTEGER, errors VARCHAR, capacity VARCHAR
        )"""
    )


def _m013_plans(con: duckdb.DuckDBPyConnection) -> None:
    con.execute(
        """
        CREATE TABLE IF NOT EXISTS plan_owners (
          kind VARCHAR NOT NULL, item_id VARCHAR NOT NULL, owner VARCHAR
        )"""
    )
    con.execute(
        """
        CREATE TABLE IF NOT EXISTS milestone_rules (
          milestone_id VARCHAR NOT NULL, metric VARCHAR NOT NULL, op VARCHAR NOT NULL,
          value DOUBLE NOT NULL, completed_by_rule_on DATE
        )"""
    )


def _m014_cta_churn_source(con: duckdb.DuckDBPyConnection) -> None:
    """Where a CTA's churn probability came from: the churn model or the calibrated score."""
    con.execute("ALTER TABLE ctas ADD COLUMN IF NOT EXISTS churn_source VARCHAR")


# The metrics change detection follows (healthscore.actions.changes.KEY_METRICS, less the
# score, which has its own history) and first value.  Part of migration 015: a new column
# needs a migration of its own.
METRIC_HISTORY_COLUMNS = (
    "is_active",
    "usage_active_days_28d",
    "usage_events_28d",
    "usage_active_users_28d",
    "usage_logins_per_week_28d",
    "adoption_breadth_90d",
    "support_tickets_28d",
    "voice_nps_latest",
    "adoption_ttfv_reached",
)


def _m015_metric_history(con: duckdb.DuckDBPyConnection) -> None:
    """The few metrics change detection reads, kept by every scoring run for its dates, so
    an alerts run computes the full metric set for one date instead of for thirteen."""
    cols = ", ".join(f"{c} DOUBLE" for c in METRIC_HISTORY_COLUMNS)
    con.execute(
        f"CREATE TABLE IF NOT EXISTS metric_history (as_of DATE NOT NULL, "
        f"account_id VARCHAR NOT NULL, {cols})"
    )


MIGRATIONS: list[tuple[str, Callable[[duckdb.DuckDBPyConnection], None]]] = [
    ("010_changes", _m010_changes),
    ("011_ctas", _m011_ctas),
    ("012_rule_state", _m012_rule_state),
    ("013_plans", _m013_plans),
    ("014_cta_churn_source", _m014_cta_churn_source),
    ("015_metric_history", _m015_metric_history),
]
