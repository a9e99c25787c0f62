"""The metric catalogue's vocabulary: what describes a metric, the groups, the windows.

Each family declares its own entries (`healthscore.metrics.families`); `metric_catalog`
lists them in the order `compute_metrics` returns the columns, so a scorecard can be
validated against the catalogue before anything is computed.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

__all__ = [
    "CURRENT_STATE",
    "DEFAULT_WINDOWS",
    "GROUPS",
    "HI",
    "LO",
    "Direction",
    "MetricInfo",
    "entries",
]

DEFAULT_WINDOWS = (7, 28, 90)
GROUPS = (
    "usage",
    "adoption",
    "support",
    "voice",
    "sentiment",
    "relationship",
    "goals",
    "financial",
    "advocacy",
    "custom",
)
Direction = Literal["higher_is_better", "lower_is_better"] | None
HI: Direction = "higher_is_better"
LO: Direction = "lower_is_better"


@dataclass(frozen=True)
class MetricInfo:
    """One metric: its column name, group, meaning, direction, unit and a short label
    for listings and reports ("Logins per week, last 28 days")."""

    name: str
    group: str
    description: str
    direction: Direction
    unit: str
    label: str


# Metrics read from fields that hold only their current state (no history): right for
# today's score, a peek into the future for any past as_of (an account that later churned
# has no renewal date any more).  Models never train on them.
CURRENT_STATE = frozenset({"financial_days_to_renewal"})


def entries(group: str) -> Callable[[str, str, str, Direction, str], MetricInfo]:
    """A maker of `group`'s catalogue entries: (name, label, unit, direction, description)."""

    def entry(
        name: str, label: str, unit: str, direction: Direction, description: str
    ) -> MetricInfo:
        return MetricInfo(name, group, description, direction, unit, label)

    return entry
