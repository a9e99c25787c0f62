"""Event types whose names slug alike get one metric each (issue 16, item 5).

`page_view`, `Page View` and `page_view_2` made `scorecard template` write one measure
twice, `scorecard check` pass, and `score` crash with TypeError."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import yaml

from healthscore.metrics import compute_metrics
from healthscore.metrics._context import _slugs
from healthscore.scoring import usage_template
from healthscore.scoring.model import parse_scorecard
from healthscore.scoring.run import compute_scores
from healthscore.store import open_store

TYPES = {"page_view": 1, "Page View": 2, "page_view_2": 3}


def test_clashing_slugs_are_unique_and_no_value_loses_its_own_spelling() -> None:
    pairs = _slugs(sorted(TYPES))
    assert len({s for _, s in pairs}) == 3
    assert dict(pairs)["page_view"] == "page_view"
    assert dict(pairs)["page_view_2"] == "page_view_2"
    assert dict(pairs)["Page View"] == "page_view_3"


def test_the_template_scores_each_event_type_once(tmp_path: Path) -> None:
    with open_store(tmp_path / "s.duckdb") as store:
        store.con.execute(
            "INSERT INTO accounts (account_id, start_date) VALUES ('a1', DATE '2025-01-01')"
        )
        key = 0
        for raw, n in TYPES.items():
            for _ in range(n):
                key += 1
                store.con.execute(
                    "INSERT INTO events (event_key, account_id, event_time, event_type) "
                    "VALUES (?, 'a1', TIMESTAMP '2025-03-01 10:00:00', ?)",
                    [key, raw],
                )
        text = usage_template(store)
        doc = yaml.safe_load(text)
        metrics = [m["metric"] for g in doc["groups"] for m in g["measures"]]
        assert len(metrics) == len(set(metrics))
        assert {"events_page_view_28d", "events_page_view_2_28d", "events_page_view_3_28d"} <= set(
            metrics
        )
        day = dt.date(2025, 3, 2)
        frame = compute_metrics(store.ibis(), [day]).iloc[0]
        # Each metric counts its own event type's rows.
        assert frame["events_page_view_28d"] == 1
        assert frame["events_page_view_3_28d"] == 2
        assert frame["events_page_view_2_28d"] == 3
        _frames, empty = compute_scores(store, [day], parse_scorecard(text, file="t.yaml"))
        assert not empty
