"""The demo's calls-to-action: the rules run over the scored portfolio.

Owned by the actions work; `build_and_score` calls it after the history is scored.  The
scored history is first replayed with a simulated team working the CTAs (see
`healthscore.demo._plays`), then the rules run on the last day as a daily job would.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from typing import Any

from healthscore.actions import effectiveness, list_ctas, load_rules, run_alerts
from healthscore.demo._plays import DEMO_HOLDOUT, SAVE_RATE, demo_rules, work_history
from healthscore.errors import HealthscoreError
from healthscore.store import Store


def raise_demo_ctas(store: Store, as_of: dt.date) -> dict[str, Any] | None:
    """Run the built-in rules as of `as_of`; a summary with printable `lines`, or None.

    A portfolio too small for the rules (no scores, no data) gets a line saying so rather
    than a failed demo."""
    try:
        return _raise(store, as_of)
    except HealthscoreError as exc:
        return {"as_of": as_of, "open": 0, "lines": [f"No calls-to-action were raised: {exc}"]}


def _raise(store: Store, as_of: dt.date) -> dict[str, Any] | None:
    rules = demo_rules(load_rules())
    worked = work_history(store, rules, as_of)
    run = run_alerts(store, as_of, rules)
    ctas = list_ctas(store)
    if not ctas and not worked.get("opened"):
        return None
    by_type = Counter(c.type for c in ctas)
    deferred = sum(c.deferred for c in ctas)
    lines = [
        f"Calls-to-action on {as_of}: {len(ctas)} open ("
        + ", ".join(f"{n} {t}" for t, n in sorted(by_type.items()))
        + f"), {deferred} deferred by capacity.",
    ]
    picks = ctas[:3]
    for rule in ("review_ask", "referral_ask"):
        first = next((c for c in ctas if c.rule == rule and not c.deferred), None) or next(
            (c for c in ctas if c.rule == rule), None
        )
        if first is not None and first not in picks:
            picks.append(first)
    for c in picks:
        lines.append(f"  #{c.id} {c.account_name}: {c.reason} - {'; '.join(c.evidence[:2])}")
    rep = effectiveness(store)
    overall = next((r for r in rep.rows if r.kind == "all"), None)
    risk = next((r for r in rep.rows if r.kind == "type" and r.group == "risk"), None)
    if worked.get("weeks"):
        lines.append(
            f"Simulated team: over {worked['weeks']} weeks the rules opened {worked['opened']} CTAs "
            f"({worked['held_back']} held back at random, {DEMO_HOLDOUT:.0%} per rule); CSMs "
            f"worked {worked['started']}, and a worked at-risk customer's churn was averted "
            f"with probability {SAVE_RATE:.0%} (the demo's hidden response)."
        )
    if overall is not None:
        lines.append(f"Effectiveness, all rules ({overall.outcome}): {overall.verdict}.")
    if risk is not None:
        lines.append(f"Effectiveness, risk CTAs: {risk.verdict}.")
    return {
        "as_of": as_of,
        "open": len(ctas),
        "by_type": dict(by_type),
        "deferred": deferred,
        "opened_today": run.opened,
        "history": worked,
        "effect": None if overall is None else overall.verdict,
        "lines": lines,
    }
