"""Storage: the data model, the embedded DuckDB store, its migrations, the writes of score
history (`scores`) and the named reads everything else asks (`queries`)."""

from healthscore.store.db import Store, open_store
from healthscore.store.schema import KINDS, Column, Table, kind

__all__ = ["KINDS", "Column", "Store", "Table", "kind", "open_store"]
