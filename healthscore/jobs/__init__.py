"""Jobs a scheduler runs: `run_daily`, the one daily job (import, score, alerts, notify)."""

from __future__ import annotations

from healthscore.jobs.daily import EXIT_CODES, DailyFailed, DailyReport, StageResult, run_daily

__all__ = ["EXIT_CODES", "DailyFailed", "DailyReport", "StageResult", "run_daily"]
