"""Each built-in rule on small hand-made facts: it fires where it should, not where it
should not, and says why in words."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from healthscore.actions import load_rules
from healthscore.actions.engine import evaluate_rule
from healthscore.store import Store

from .conftest import AS_OF, add_accounts, change, make_facts

RULES = load_rules()


def fire(rule: str, facts) -> dict:  # type: ignore[no-untyped-def]
    return evaluate_rule(RULES.rule(rule), facts)


def test_usage_drop_fires_on_a_detected_drop_only(shared_store: Store) -> None:
    ch = pd.DataFrame(
        [
            change("A", "usage_active_days_28d", "drop", "down", 18, 6),
            change("B", "usage_active_days_28d", "spike", "up", 6, 18),
        ]
    )
    f = fire("usage_drop", make_facts(shared_store, {"A": {}, "B": {}, "C": {}}, changes=ch))
    assert set(f) == {"A"}
    assert f["A"].evidence == ["active days (28d) dropped from 18 to 6 (-67 %) since 2026-10-24"]


def test_login_consistency(shared_store: Store) -> None:
    ch = pd.DataFrame([change("A", "usage_logins_per_week_28d", "decline", "down", 10, 4)])
    rows = {
        "A": {},
        "B": {"usage_consistency_12w": 0.2, "usage_weeks_active_share_12w": 0.5},
        "C": {"usage_consistency_12w": 0.9, "usage_weeks_active_share_12w": 1.0},
    }
    assert set(fire("login_consistency", make_facts(shared_store, rows, changes=ch))) == {"A", "B"}


def test_adoption_stalling_is_judged_against_the_segment(shared_store: Store) -> None:
    rows = {
        f"E{i}": {"segment": "enterprise", "adoption_breadth_90d": 0.5 + i / 100} for i in range(10)
    }
    rows["S0"] = {"segment": "smb", "adoption_breadth_90d": 0.1}  # alone in its segment: not bottom
    rows["S1"] = {"segment": "smb", "adoption_breadth_90d": 0.9}
    f = fire("adoption_stalling", make_facts(shared_store, rows))
    assert set(f) == {"E0", "E1"}
    assert "bottom" in f["E0"].evidence[0] and "enterprise" in f["E0"].evidence[0]


def test_ticket_spike_and_slow_resolution(shared_store: Store) -> None:
    ch = pd.DataFrame(
        [
            change("A", "support_tickets_28d", "spike", "up", 1, 6),
            change("B", "support_tickets_28d", "spike", "up", 0, 2),
        ]
    )
    rows = {
        "A": {"support_tickets_28d": 6},
        "B": {"support_tickets_28d": 2},  # a spike from nothing to 2 is below the floor of 3
        "C": {"support_median_resolution_hours_90d": 120},
    }
    facts = make_facts(shared_store, rows, changes=ch)
    assert set(fire("ticket_spike", facts)) == {"A"}
    slow = fire("slow_resolution", facts)
    assert set(slow) == {"C"} and "120" in slow["C"].evidence[0]


def test_nps_detractor_quotes_the_answer_and_nps_falling(shared_store: Store) -> None:
    add_accounts(shared_store, ["A", "B"])
    shared_store.con.execute(
        "INSERT INTO contacts (contact_id, account_id, name) VALUES ('c1', 'A', 'Kim Lee')"
    )
    shared_store.con.execute(
        "INSERT INTO surveys (response_id, account_id, contact_id, survey_type, responded_at, score, comment) VALUES "
        "('r1', 'A', 'c1', 'nps', TIMESTAMP '2026-10-25 10:00:00', 3, 'too slow'),"
        "('r2', 'B', NULL, 'nps', TIMESTAMP '2026-08-01 10:00:00', 2, NULL)"  # too old
    )
    rows = {"A": {}, "B": {}, "C": {"voice_nps_change": -4, "voice_nps_latest": 7}}
    facts = make_facts(shared_store, rows)
    det = fire("nps_detractor", facts)
    assert set(det) == {"A"}
    assert det["A"].evidence == ["NPS 3 from Kim Lee on 2026-10-25: 'too slow'"]
    assert set(fire("nps_falling", facts)) == {"C"}


def test_onboarding_stalled_uses_the_segment_window(shared_store: Store) -> None:
    start = pd.Timestamp(AS_OF - dt.timedelta(days=50))
    rows = {
        "ENT": {
            "segment": "enterprise",
            "start_date": start,
            "adoption_ttfv_reached": 0,
        },  # 60 d window
        "SMB": {"segment": "smb", "start_date": start, "adoption_ttfv_reached": 0},  # 30 d window
        "OK": {"segment": "smb", "start_date": start, "adoption_ttfv_reached": 1},
    }
    f = fire("onboarding_stalled", make_facts(shared_store, rows))
    assert set(f) == {"SMB"}
    assert f["SMB"].evidence[0] == "no first value yet"


def test_milestone_overdue(shared_store: Store) -> None:
    add_accounts(shared_store, ["A", "B"])
    shared_store.con.execute(
        "INSERT INTO milestones (milestone_id, account_id, title, due_date, completed_date) VALUES "
        "('m1', 'A', 'Data connected', DATE '2026-10-01', NULL),"
        "('m2', 'B', 'Team trained', DATE '2026-10-01', DATE '2026-09-30')"
    )
    f = fire("milestone_overdue", make_facts(shared_store, {"A": {}, "B": {}}))
    assert set(f) == {"A"}
    assert f["A"].evidence == ["milestone 'Data connected' was due 2026-10-01, 30 days ago"]


def test_payment_issue_late_or_failed(shared_store: Store) -> None:
    add_accounts(shared_store, ["A", "B", "C"])
    shared_store.con.execute(
        "INSERT INTO invoices (invoice_id, account_id, issued_date, due_date, paid_date, amount, failed_attempts) VALUES "
        "('i1', 'A', DATE '2026-09-20', DATE '2026-10-10', NULL, 1000, 0),"  # unpaid, 21 days late
        "('i2', 'B', DATE '2026-10-01', DATE '2026-10-20', DATE '2026-10-21', 500, 2),"  # failed attempts
        "('i3', 'C', DATE '2026-10-01', DATE '2026-10-20', DATE '2026-10-22', 500, 0)"  # 2 days late: minor
    )
    f = fire("payment_issue", make_facts(shared_store, {"A": {}, "B": {}, "C": {}}))
    assert set(f) == {"A", "B"}
    assert f["A"].evidence == ["invoice i1 of 1,000 due 2026-10-10 is unpaid, 21 days late"]
    assert "2 failed payment attempt(s)" in f["B"].evidence[0]


def test_red_renewal_within_90_days(shared_store: Store) -> None:
    soon = pd.Timestamp(AS_OF + dt.timedelta(days=45))
    rows = {
        "A": {"band": "red", "score": 40, "renewal_date": soon},
        "B": {"band": "red", "score": 40, "renewal_date": pd.Timestamp("2027-12-31")},
        "C": {"band": "green", "score": 90, "renewal_date": soon},
    }
    f = fire("red_renewal", make_facts(shared_store, rows))
    assert set(f) == {"A"}
    assert f["A"].evidence == ["band red (score 40)", f"renews on {soon.date()}, in 45 days"]
    assert RULES.rule("red_renewal").critical and RULES.rule("red_renewal").holdout == 0


def test_touch_overdue_uses_the_cadence(shared_store: Store) -> None:
    rows = {
        "A": {"relationship_days_since_last_touch": 45},
        "B": {"relationship_days_since_last_touch": 5},
    }
    f = fire("touch_overdue", make_facts(shared_store, rows))
    assert set(f) == {"A"}  # no interactions in this store: the default 30-day cadence applies
    assert "last CSM touch 45 days ago" in f["A"].evidence[0] and "default" in f["A"].evidence[0]


def test_judgement_disagrees_either_way(shared_store: Store) -> None:
    rows = {
        "HIGH": {"judgement_relationship_quality": 5, "score": 40},  # CSM sees it better
        "LOW": {"judgement_relationship_quality": 1, "score": 85},  # CSM sees it worse
        "AGREE": {"judgement_relationship_quality": 4, "score": 75},
    }
    f = fire("judgement_disagrees", make_facts(shared_store, rows))
    assert set(f) == {"HIGH", "LOW"}
    assert "60 points better" in f["HIGH"].evidence[0]
    assert "85 points worse" in f["LOW"].evidence[0]


def test_expansion_ready(shared_store: Store) -> None:
    rows = {
        "A": {"usage_active_users_per_seat_28d": 1.0, "adoption_breadth_90d": 0.8, "score": 88},
        "B": {"usage_active_users_per_seat_28d": 1.0, "adoption_breadth_90d": 0.8, "score": 60},
        "C": {"usage_active_users_per_seat_28d": 0.5, "adoption_breadth_90d": 0.8, "score": 90},
    }
    assert set(fire("expansion_ready", make_facts(shared_store, rows))) == {"A"}


def test_referral_ask_targets_promoters_who_never_referred(shared_store: Store) -> None:
    rows = {
        "A": {"voice_nps_latest": 10, "advocacy_referrals": 0},
        "B": {"voice_nps_latest": 10, "advocacy_referrals": 2},
        "C": {"voice_nps_latest": 6, "advocacy_referrals": 0},
    }
    f = fire("referral_ask", make_facts(shared_store, rows))
    assert set(f) == {"A"}
    assert f["A"].evidence == ["Latest NPS 10 (at least 9)", "has never referred anyone"]


def test_review_ask_fires_on_the_moment_whatever_the_sentiment(shared_store: Store) -> None:
    add_accounts(shared_store, ["HAPPY", "ANGRY", "QUIET"])
    shared_store.con.execute(
        "INSERT INTO tickets (ticket_id, account_id, contact_id, opened_at, resolved_at, status, csat, subject) VALUES "
        "('t1', 'HAPPY', 'h1', TIMESTAMP '2026-10-20 09:00:00', TIMESTAMP '2026-10-30 09:00:00', 'resolved', 5, 'Export'),"
        "('t2', 'ANGRY', 'a1', TIMESTAMP '2026-10-20 09:00:00', TIMESTAMP '2026-10-30 11:00:00', 'resolved', 1, 'Outage'),"
        "('t3', 'QUIET', 'q1', TIMESTAMP '2026-09-01 09:00:00', TIMESTAMP '2026-09-02 09:00:00', 'resolved', 5, 'Old')"
    )
    rows = {
        "HAPPY": {"voice_nps_latest": 10, "support_csat_avg_90d": 5},
        "ANGRY": {"voice_nps_latest": 0, "support_csat_avg_90d": 1},  # asked all the same
        "QUIET": {"voice_nps_latest": 10},
    }
    f = fire("review_ask", make_facts(shared_store, rows))
    assert set(f) == {"HAPPY", "ANGRY"}
    assert f["ANGRY"].contacts == ["a1"]
    assert f["ANGRY"].evidence == ["ticket t2 'Outage' resolved on 2026-10-30"]


@pytest.mark.parametrize("rule", [r.name for r in RULES.rules])
def test_every_builtin_rule_runs_on_an_empty_portfolio_day(shared_store: Store, rule: str) -> None:
    # Every metric a rule names exists (as NaN) and nothing fires on accounts without data.
    def names(conds: list) -> list:  # type: ignore[type-arg]
        out = []
        for c in conds:
            ((kind, spec),) = c.items()
            if kind in ("all", "any"):
                out += names(spec)
            elif kind == "not":
                out += names([spec])
            elif kind in ("metric", "segment_rank"):
                out.append(spec.get("name") or spec.get("metric"))
        return out

    cols = {n: float("nan") for r in RULES.rules for n in names(list(r.when))}
    cols |= {"relationship_days_since_last_touch": 1.0, "voice_nps_change": float("nan")}
    facts = make_facts(shared_store, {"EMPTY": {k: v for k, v in cols.items() if k}})
    assert fire(rule, facts) == {}


def test_cancellation_and_competitor_intent_quote_the_sentence(shared_store: Store) -> None:
    shared_store.con.execute(
        "INSERT INTO text_analysis (source, text_id, account_id, occurred_at, label, "
        "cancellation_intent, competitor_intent, evidence, text_hash, method, analysed_at) "
        "SELECT *, 'h', 'm', now()::TIMESTAMP FROM (VALUES "
        "('tickets', 'k1', 'QUIT', TIMESTAMP '2026-10-28 10:00:00', 'negative', true, false, "
        "'We will not renew in March.'),"
        "('surveys', 'k2', 'SHOP', TIMESTAMP '2026-10-20 10:00:00', 'negative', false, true, "
        "'We are piloting Acme.'),"
        "('tickets', 'k3', 'OLDQ', TIMESTAMP '2026-08-01 10:00:00', 'negative', true, false, 'Cancel.'))"
    )
    facts = make_facts(shared_store, {"QUIT": {}, "SHOP": {}, "OLDQ": {}})
    quit_ = fire("cancellation_intent", facts)
    assert set(quit_) == {"QUIT"}
    assert quit_["QUIT"].evidence == [
        "cancellation intent in tickets on 2026-10-28: 'We will not renew in March.'"
    ]
    assert RULES.rule("cancellation_intent").critical
    assert set(fire("competitor_intent", facts)) == {"SHOP"}
