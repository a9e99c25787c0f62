"""From signals to action: change detection, rules that raise calls-to-action (CTAs), their
lifecycle, playbooks, the capacity-aware queue, hold-outs and the effectiveness report, and
success plans.  See docs/actions.md."""

from healthscore.actions.api import (
    AlertRun,
    assign_cta,
    close_cta,
    cta_history,
    default_as_of,
    get_cta,
    list_ctas,
    resolve_rules,
    run_alerts,
    snooze_cta,
    tick_step,
    update_cta,
)
from healthscore.actions.model import (
    CTA_TYPES,
    OUTCOMES,
    STATUSES,
    Cta,
    CtaNotFound,
    IllegalTransition,
    InvalidRules,
    NotFound,
    PlanNotFound,
    Step,
    StepNotFound,
)
from healthscore.actions.rules import RuleSet, load_rules, parse_rules

__all__ = [
    "CTA_TYPES",
    "OUTCOMES",
    "STATUSES",
    "AlertRun",
    "Cta",
    "CtaNotFound",
    "IllegalTransition",
    "InvalidRules",
    "NotFound",
    "PlanNotFound",
    "RuleSet",
    "Step",
    "StepNotFound",
    "assign_cta",
    "close_cta",
    "cta_history",
    "default_as_of",
    "get_cta",
    "list_ctas",
    "load_rules",
    "parse_rules",
    "resolve_rules",
    "run_alerts",
    "snooze_cta",
    "tick_step",
    "update_cta",
]
