"""Named domain errors.  The CLI prints their message as one clean line and exits non-zero.

Every message says what is wrong, where, and how to fix it.
"""

from __future__ import annotations

__all__ = [
    "HealthscoreError",
    "ImportRejected",
    "InvalidScorecard",
    "InvalidSettings",
    "NotEnoughData",
    "NotEnoughOutcomes",
    "StoreError",
    "UnknownKind",
    "UnknownMetric",
]


class HealthscoreError(Exception):
    """Base class: a user-facing problem with a message that explains the fix."""

    exit_code = 1


class StoreError(HealthscoreError):
    """The store cannot be opened, is from a newer version, or is empty."""


class InvalidSettings(HealthscoreError):
    """A HEALTHSCORE_* variable or option holds a value that cannot be used."""


class UnknownKind(HealthscoreError):
    def __init__(self, name: str, known: list[str]):
        super().__init__(f"unknown data kind {name!r}; expected one of: {', '.join(known)}")
        self.name = name


class ImportRejected(HealthscoreError):
    """An import failed validation; nothing was written."""

    def __init__(self, message: str, problems: list[str] | None = None):
        super().__init__(message)
        self.problems = problems or []


class InvalidScorecard(HealthscoreError):
    """A scorecard file is malformed; the message names the file, line and fix.

    `problems` lists every problem found (``line N, path: what was found; what is allowed``).
    """

    def __init__(self, message: str, problems: list[str] | None = None):
        super().__init__(message)
        self.problems = problems or [message]


class UnknownMetric(InvalidScorecard):
    pass


class NotEnoughData(HealthscoreError):
    """The store holds too little data for what was asked (e.g. as-of before any data)."""


class NotEnoughOutcomes(NotEnoughData):
    """Too few labelled outcomes to train or evaluate a model."""
