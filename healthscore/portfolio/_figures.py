"""A figure is a number or "no data" with the reason: one small shape shared by every KPI."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

__all__ = ["Figures", "ratio"]


@dataclass
class Figures:
    """The figures of one period and group: values by name, and why any is missing."""

    values: dict[str, Any] = field(default_factory=dict)
    missing: dict[str, str] = field(default_factory=dict)

    def put(self, name: str, value: Any, reason: str | None = None) -> None:
        """Set `name`; a None value must come with the reason it is missing."""
        self.values[name] = value
        if value is None:
            self.missing[name] = reason or "no data"
        else:
            self.missing.pop(name, None)

    def update(self, other: Figures) -> None:
        self.values.update(other.values)
        for k in other.values:
            self.missing.pop(k, None)
        self.missing.update(other.missing)


def ratio(num: float, den: float, reason: str) -> tuple[float | None, str | None]:
    """num / den, or (None, reason) when the denominator is zero."""
    if not den:
        return None, reason
    return float(num) / float(den), None
