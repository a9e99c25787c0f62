"""Importers: files (CSV, JSON Lines, Parquet), ChurnSim folders and trusted DataFrames.

Everything runs inside DuckDB (its own streaming readers), one transaction per import,
so a failed or killed import leaves the store exactly as it was.
"""

from healthscore.ingest.churnsim import import_churnsim
from healthscore.ingest.frames import load_frames
from healthscore.ingest.importer import (
    ImportReport,
    import_files,
    load_mapping_file,
    parse_mapping,
)
from healthscore.ingest.status import store_status

__all__ = [
    "ImportReport",
    "import_churnsim",
    "import_files",
    "load_frames",
    "load_mapping_file",
    "parse_mapping",
    "store_status",
]
