"""Named reads of the store, one concern per module, written in Ibis so they run on the
embedded DuckDB store and on PostgreSQL alike.

Every read takes a `Source`: a `Store` or an Ibis backend holding the store's tables.
"""

from healthscore.store.queries._backend import Source
from healthscore.store.queries.accounts import example_account

__all__ = ["Source", "example_account"]
