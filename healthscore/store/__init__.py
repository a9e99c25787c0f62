"""Storage: the data model, the embedded DuckDB store and its migrations."""

from healthscore.store.db import Store, open_store
from healthscore.store.schema import KINDS, Column, Table, kind

__all__ = ["KINDS", "Column", "Store", "Table", "kind", "open_store"]
