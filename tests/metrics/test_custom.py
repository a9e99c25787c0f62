"""Custom metrics: values, and clear errors for unknown tables, columns and kinds."""

from __future__ import annotations

import pytest

from healthscore.errors import InvalidScorecard, UnknownMetric
from healthscore.metrics import CustomMetric, compute_metrics, metric_catalog

from .data import AS_OF


def test_custom_values(tiny_store):
    custom = [
        {
            "name": "logins_7d",
            "kind": "count",
            "table": "events",
            "where": {"event_type": "login"},
            "window_days": 7,
            "direction": "higher_is_better",
        },
        {
            "name": "bug_or_howto_90d",
            "kind": "count",
            "table": "tickets",
            "where": {"category": ["bug", "how-to"]},
            "window_days": 90,
        },
        {
            "name": "login_share_7d",
            "kind": "ratio",
            "numerator": "logins_7d",
            "denominator": "usage_events_7d",
        },
        {
            "name": "logins_change_7d",
            "kind": "pct_change",
            "table": "events",
            "where": {"event_type": "login"},
            "window_days": 7,
        },
        {
            "name": "days_since_call",
            "kind": "days_since",
            "table": "interactions",
            "where": {"kind": "call"},
        },
        {
            "name": "failed_attempts_ever",
            "kind": "sum",
            "table": "invoices",
            "value_column": "failed_attempts",
        },
    ]
    f = compute_metrics(tiny_store.ibis(), [AS_OF], custom=custom)
    a1 = f[f["account_id"] == "A1"].iloc[0]
    assert a1["logins_7d"] == 3.0
    assert a1["bug_or_howto_90d"] == 3.0
    assert a1["login_share_7d"] == pytest.approx(3 / 5)
    assert a1["logins_change_7d"] != a1["logins_change_7d"]  # no logins the week before: NaN
    assert a1["days_since_call"] == 16.0
    assert a1["failed_attempts_ever"] == 3.0  # V5 (4 attempts) is issued after as_of
    a2 = f[f["account_id"] == "A2"].iloc[0]
    assert a2["logins_7d"] == 0.0 and a2["days_since_call"] != a2["days_since_call"]
    cat = {m.name: m for m in metric_catalog(tiny_store.ibis(), custom=custom)}
    assert cat["logins_7d"].group == "custom"
    assert cat["logins_7d"].direction == "higher_is_better"


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        (
            {"name": "x", "kind": "median", "table": "events"},
            "unknown kind 'median'; allowed: count",
        ),
        ({"name": "x", "kind": "count", "table": "payments"}, "unknown table 'payments'; allowed:"),
        (
            {"name": "x", "kind": "count", "table": "events", "where": {"colour": "red"}},
            "unknown column 'colour' in 'where' of table 'events'",
        ),
        (
            {"name": "x", "kind": "sum", "table": "events", "value_column": "event_type"},
            "value_column 'event_type' is not a numeric column",
        ),
        ({"name": "x", "kind": "ratio", "numerator": "a"}, "needs 'numerator' and 'denominator'"),
        ({"name": "x", "kind": "pct_change", "table": "events"}, "needs 'window_days'"),
        ({"name": "Bad Name", "kind": "count", "table": "events"}, "custom metric 'Bad Name'"),
        ({"name": "x", "kind": "count", "table": "events; DROP TABLE events"}, "unknown table"),
    ],
)
def test_invalid_custom_metrics(spec, message):
    with pytest.raises(InvalidScorecard, match=message.replace("(", r"\(")):
        CustomMetric.parse(spec)


def test_ratio_of_unknown_metric(tiny_store):
    bad = {"name": "r", "kind": "ratio", "numerator": "nope_7d", "denominator": "usage_events_7d"}
    with pytest.raises(UnknownMetric, match="unknown metric 'nope_7d'"):
        compute_metrics(tiny_store.ibis(), [AS_OF], custom=[bad])


def test_duplicate_and_injection_safe(tiny_store):
    spec = {"name": "x", "kind": "count", "table": "events"}
    with pytest.raises(InvalidScorecard, match="defined twice"):
        compute_metrics(tiny_store.ibis(), [AS_OF], custom=[spec, spec])
    # Filter values are literals, never SQL: a quote in a value simply matches nothing.
    evil = {
        "name": "evil",
        "kind": "count",
        "table": "events",
        "where": {"event_type": "login' OR '1'='1"},
    }
    f = compute_metrics(tiny_store.ibis(), [AS_OF], custom=[evil])
    assert (f["evil"] == 0).all()
