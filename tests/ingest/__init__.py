"""Tests of healthscore.ingest."""
