"""The metric library: every vital sign, written once in Ibis, as of any date.

Runs unchanged on DuckDB (the store), PostgreSQL and Spark; see docs/metrics.md.
"""

from healthscore.metrics.catalog import CURRENT_STATE, DEFAULT_WINDOWS, GROUPS, MetricInfo
from healthscore.metrics.compute import compute_metrics, metric_catalog
from healthscore.metrics.custom import CUSTOM_KINDS, CUSTOM_TABLES, CustomMetric
from healthscore.store.engines import connect_engine, copy_store_to

__all__ = [
    "CURRENT_STATE",
    "CUSTOM_KINDS",
    "CUSTOM_TABLES",
    "DEFAULT_WINDOWS",
    "GROUPS",
    "CustomMetric",
    "MetricInfo",
    "compute_metrics",
    "connect_engine",
    "copy_store_to",
    "metric_catalog",
]
