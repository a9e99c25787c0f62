"""Importers: files (CSV, JSON Lines, Parquet), ChurnSim folders and trusted DataFrames.

Everything runs inside DuckDB (its own streaming readers), one transaction per import,
so a failed or killed import leaves the store exactly as it was.
"""

from healthscore.ingest.frames import load_frames

__all__ = ["load_frames"]
