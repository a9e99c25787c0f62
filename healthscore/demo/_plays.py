"""The demo's team at work: CSMs work the calls-to-action the rules raised over the scored
history, and the demo's customers respond.

This is a simulation, stated plainly so nobody mistakes it for evidence:

* The built-in rules are replayed week by week over the scored history whose 90-day
  outcomes are known (what a daily job would have raised), with a larger hold-out than the
  default (`DEMO_HOLDOUT`) so that a 500-account portfolio has enough held-back CTAs to
  compare, and a team that works through its queue (`HISTORY_HOURS` a week each).
* Each week the CSMs start every shown CTA that fits their capacity (deferred and held-back
  ones wait untouched) and close it two weeks later: lost if the customer left, otherwise
  done or saved, with a share closed as not valid.
* The hidden response: when a CSM works a risk CTA (a save play) of an account the
  generator had scheduled to churn within the rule's outcome window, that churn is averted
  with probability `SAVE_RATE` (its last subscription runs on).  The generator's usage after
  that date is not re-simulated.  Held-back and unworked CTAs get no such help, so the
  effectiveness report has a real, known effect to find.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Any

from healthscore.actions.facts import HISTORY_WEEKS, gather_facts, metric_labels
from healthscore.actions.holdout import draw
from healthscore.actions.lifecycle import apply_changes
from healthscore.actions.rules import RuleSet
from healthscore.actions.run import apply_rules, requeue
from healthscore.metrics import compute_metrics
from healthscore.store import Store
from healthscore.store.ctas import avert_churn, open_cta_rows
from healthscore.store.queries import read_snapshots, snapshot_dates

__all__ = ["DEMO_HOLDOUT", "SAVE_RATE", "work_history"]

DEMO_HOLDOUT = 0.3
SAVE_RATE = 0.8
HISTORY_HOURS = 40.0
WORK_DAYS = 14  # a worked CTA is closed two weeks after it was started
NOT_VALID = {"risk": 0.1, "opportunity": 0.05, "lifecycle": 0.05, "data-quality": 0.4}


def demo_rules(rules: RuleSet) -> RuleSet:
    """The built-in rules with the demo's larger hold-out where a rule has one."""
    return dataclasses.replace(
        rules,
        rules=tuple(
            dataclasses.replace(r, holdout=DEMO_HOLDOUT) if r.holdout > 0 else r
            for r in rules.rules
        ),
    )


def _history_rules(rules: RuleSet) -> RuleSet:
    """The replay's team works through its queue (`HISTORY_HOURS` a week each): the effect
    is then a property of the CTAs, not of a backlog nobody reaches.  The last day runs
    with the shipped capacity, so the deferral shows."""
    cap = dataclasses.replace(rules.capacity, per_week=HISTORY_HOURS, segments={})
    return dataclasses.replace(rules, capacity=cap)


def _at(day: dt.date, hour: int) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour))


def _work_week(store: Store, day: dt.date, rules: RuleSet) -> dict[str, int]:
    """The CSMs' week: start what fits, close what was started two weeks ago, and the
    customers' response to the work."""
    done = {"started": 0, "closed": 0, "saved": 0}
    outcome_days = {r.name: r.outcome_days for r in rules.rules}
    with store.transaction() as con:
        starts: list[tuple[dict[str, Any], dict[str, Any], str, str]] = []
        closes: list[tuple[dict[str, Any], dict[str, Any], str, str]] = []
        for row in open_cta_rows(con, "live"):
            if row["held_back"] or row["opened_on"] > day:
                continue
            owner = row["owner"] or "cs-team-pool"
            if row["status"] == "open" and not row["deferred"]:
                starts.append((row, {"status": "in_progress"}, owner, "updated"))
                helps = row["type"] == "risk"
                if helps and draw("save", row["account_id"], row["opened_on"]) < SAVE_RATE:
                    until = row["opened_on"] + dt.timedelta(days=outcome_days.get(row["rule"], 90))
                    if avert_churn(con, row["account_id"], row["opened_on"], until):
                        done["saved"] += 1
            elif row["status"] == "in_progress" and (day - row["opened_on"]).days >= WORK_DAYS:
                u = draw("close", row["account_id"], row["opened_on"])
                if u < NOT_VALID.get(row["type"], 0.1):
                    outcome = "not_valid"
                elif row["type"] == "risk":
                    outcome = "saved"
                else:
                    outcome = "done"
                note = "demo: worked by the CSM"
                closes.append(
                    (row, {"status": "closed", "outcome": outcome, "note": note}, owner, "closed")
                )
        apply_changes(con, starts, at=_at(day, 10), on=day, notify=False)
        apply_changes(con, closes, at=_at(day, 16), on=day, notify=False)
        done["started"], done["closed"] = len(starts), len(closes)
        requeue(con, "live", rules)
    return done


def work_history(store: Store, rules: RuleSet, last: dt.date) -> dict[str, Any]:
    """Replay the rules weekly over the scored history before `last`, with the CSMs
    working the CTAs; returns counts.  `last` itself is left to a normal run."""
    # The weeks whose CTAs' 90-day outcome is known by `last`: later ones could not be judged.
    days = [d for d in snapshot_dates(store) if d <= last - dt.timedelta(days=91)]
    rules = _history_rules(rules)
    if not days:
        return {"weeks": 0}
    grid = sorted({d - dt.timedelta(days=7 * k) for d in days for k in range(HISTORY_WEEKS + 1)})
    metrics = compute_metrics(store.ibis(), grid)
    snaps = read_snapshots(store)
    labels = metric_labels(store)
    from healthscore.predict.outcomes import derive_outcomes

    # Churn known at the start of the replay: what the cadence of CSM touches is judged on.
    known = derive_outcomes(store, as_of=days[0])
    totals = {
        "weeks": len(days),
        "opened": 0,
        "held_back": 0,
        "started": 0,
        "closed": 0,
        "saved": 0,
    }
    for day in days:
        facts = gather_facts(
            store,
            day,
            metrics=metrics,
            snapshots=snaps,
            outcomes=known,
            calibrate=False,
            labels=labels,
        )
        run = apply_rules(store, facts, rules, at=_at(day, 7), notify=False)
        totals["opened"] += run.opened
        totals["held_back"] += run.held_back
        for k, v in _work_week(store, day, rules).items():
            totals[k] += v
    _finish(store, days[-1] + dt.timedelta(days=WORK_DAYS))
    return totals


def _finish(store: Store, day: dt.date) -> None:
    """The replay's last work: what the CSMs had started, they finish."""
    with store.transaction() as con:
        rows = [r for r in open_cta_rows(con, "live") if r["status"] == "in_progress"]
        items = [
            (
                r,
                {
                    "status": "closed",
                    "outcome": "saved" if r["type"] == "risk" else "done",
                    "note": "demo: worked by the CSM",
                },
                r["owner"] or "cs-team-pool",
                "closed",
            )
            for r in rows
        ]
        apply_changes(con, items, at=_at(day, 16), on=day, notify=False)
