"""Named reads of the store, one concern per module, written in Ibis (or, for a chain of
window functions, DuckDB SQL that sqlglot turns into the backend's dialect) so they run
on the embedded DuckDB store and on PostgreSQL alike.

Every read takes a `Source`: a `Store`, or an Ibis backend holding the store's tables.

* `accounts`: the portfolio listing, lookup by id or name, segments and owners
* `scores`: score history, snapshot dates, one account's snapshot, groups and measures
* `span`: the first and newest day of data (the one definition of "the newest data")
* `outcomes`: subscription rows and the changes they imply, the first product event
* `activity`: days since each account's last activity
* `events`: event types and their counts
* `engagement`: latest NPS, advocacy, CSM interactions, first value, account starts
* `summary`: rows per table and the portfolio's headline numbers
"""

from healthscore.store.queries._backend import Source
from healthscore.store.queries.accounts import (
    account_exists,
    account_profile,
    account_segments,
    example_account,
    find_account,
    known_owners,
    known_segments,
    portfolio,
)
from healthscore.store.queries.activity import days_since_activity
from healthscore.store.queries.engagement import (
    account_starts,
    advocacy_counts,
    first_value_times,
    interaction_counts,
    latest_nps,
)
from healthscore.store.queries.events import event_type_counts
from healthscore.store.queries.outcomes import (
    first_event_day,
    subscription_changes,
    subscription_rows,
)
from healthscore.store.queries.scores import (
    account_snapshot,
    group_rows,
    known_bands,
    latest_snapshot_date,
    measure_rows,
    previous_score,
    read_snapshots,
    snapshot_dates,
)
from healthscore.store.queries.span import DataRange, data_range
from healthscore.store.queries.summary import portfolio_summary, row_count, row_counts

__all__ = [
    "DataRange",
    "Source",
    "account_exists",
    "account_profile",
    "account_segments",
    "account_snapshot",
    "account_starts",
    "advocacy_counts",
    "data_range",
    "days_since_activity",
    "event_type_counts",
    "example_account",
    "find_account",
    "first_event_day",
    "first_value_times",
    "group_rows",
    "interaction_counts",
    "known_bands",
    "known_owners",
    "known_segments",
    "latest_nps",
    "latest_snapshot_date",
    "measure_rows",
    "portfolio",
    "portfolio_summary",
    "previous_score",
    "read_snapshots",
    "row_count",
    "row_counts",
    "snapshot_dates",
    "subscription_changes",
    "subscription_rows",
]
