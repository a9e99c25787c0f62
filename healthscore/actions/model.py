"""What a call-to-action is: the `Cta` record, its steps, its types, states and outcomes,
and the errors the actions layer raises."""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass, field
from typing import Any

from healthscore.errors import HealthscoreError

__all__ = [
    "CTA_TYPES",
    "OUTCOMES",
    "STATUSES",
    "Cta",
    "CtaNotFound",
    "IllegalTransition",
    "InvalidRules",
    "NotFound",
    "PlanNotFound",
    "Step",
    "StepNotFound",
]

CTA_TYPES = ("risk", "opportunity", "lifecycle", "data-quality")
STATUSES = ("open", "in_progress", "snoozed", "closed")
# What a CSM closes a CTA with; "auto_resolved" is written by a rule whose condition recovered.
OUTCOMES = ("done", "saved", "lost", "not_valid")
AUTO_RESOLVED = "auto_resolved"
SYSTEM = "healthscore"


class NotFound(HealthscoreError):
    """An id that names nothing (the REST layer answers 404)."""


class CtaNotFound(NotFound):
    def __init__(self, cta_id: object):
        super().__init__(f"no call-to-action with id {cta_id}; list them with their ids first")
        self.cta_id = cta_id


class PlanNotFound(NotFound):
    """A goal or milestone id that names nothing."""


class StepNotFound(NotFound):
    """A playbook step number the CTA does not have."""


class IllegalTransition(HealthscoreError):
    """A lifecycle change the state machine does not allow (e.g. snoozing a closed CTA)."""


class InvalidRules(HealthscoreError):
    """A rules file is malformed; `problems` lists each with its line."""

    def __init__(self, message: str, problems: list[str] | None = None):
        super().__init__(message)
        self.problems = problems or [message]


@dataclass
class Step:
    """One checklist item of a CTA's playbook."""

    step_no: int
    title: str
    owner: str | None
    due: dt.date | None
    template: str | None = None
    done_at: dt.datetime | None = None
    done_by: str | None = None

    @property
    def done(self) -> bool:
        return self.done_at is not None


@dataclass
class Cta:
    """A call-to-action as CSMs, the web app and the REST API see it.

    ``priority = arr_at_stake x churn_probability x urgency``; the three parts are kept so
    the ranking can be explained.  ``deferred`` means the owner's weekly capacity is used
    up by higher-priority CTAs: the CTA waits in the backlog, it is not dropped.
    """

    id: int
    account_id: str
    account_name: str | None
    rule: str
    type: str
    reason: str
    evidence: list[str]
    owner: str | None
    due: dt.date | None
    priority: float
    arr_at_stake: float | None
    churn_probability: float | None
    urgency: float | None
    status: str
    snoozed_until: dt.date | None = None
    snooze_reason: str | None = None
    outcome: str | None = None
    note: str | None = None
    opened_on: dt.date | None = None
    last_fired_on: dt.date | None = None
    closed_on: dt.date | None = None
    fire_count: int = 1
    deferred: bool = False
    critical: bool = False
    version: int = 1
    steps: list[Step] = field(default_factory=list)
    # Where churn_probability came from: the churn model, or the calibrated score (and why).
    churn_source: str | None = None

    def as_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["steps"] = [asdict(s) for s in self.steps]
        return d

    def payload(self) -> dict[str, Any]:
        """The fields a notification carries (the outbox payload)."""
        return {
            "id": self.id,
            "account_id": self.account_id,
            "account_name": self.account_name,
            "owner": self.owner,
            "type": self.type,
            "rule": self.rule,
            "reason": self.reason,
            "evidence": list(self.evidence),
            "priority": round(self.priority, 2),
            "critical": self.critical,
            "due": self.due,
            "status": self.status,
            "outcome": self.outcome,
        }
