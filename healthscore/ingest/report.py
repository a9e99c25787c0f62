"""What an import did, as every importer reports it."""

from __future__ import annotations

from dataclasses import dataclass, field

__all__ = ["ImportReport"]


@dataclass
class ImportReport:
    """What an import did; `problems` holds the first messages, `rows_rejected` the total."""

    kind: str
    batch_id: str
    files: list[str]
    rows_read: int = 0
    rows_inserted: int = 0
    rows_duplicate: int = 0
    rows_updated: int = 0
    rows_rejected: int = 0
    problems: list[str] = field(default_factory=list)
    problem_count: int = 0
    warnings: list[str] = field(default_factory=list)
    # How each file's columns fed the fields, as printed before the counts.
    mapping: dict[str, list[str]] = field(default_factory=dict)
    # Summaries: unresolved or ambiguous accounts, an empty file, rows filtered out.
    notes: list[str] = field(default_factory=list)
    profile: str | None = None
    source_name: str | None = None
    dry_run: bool = False

    def as_dict(self) -> dict[str, object]:
        return dict(self.__dict__)
