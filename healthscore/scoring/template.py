"""A usage-only scorecard written from the store's own event types.

Stores that hold only events and subscriptions (e.g. ChurnSim exports) have no support,
survey or CSM data, so the default scorecard would score them on a fraction of its weight.
This writes a scorecard over what they do have: how often each event type happens,
ranked against peers in the same segment.
"""

from __future__ import annotations

import json
import re

from healthscore.store import Store
from healthscore.store.queries.events import event_type_counts

__all__ = ["usage_template"]

_WINDOW = 28
# Event names that usually signal trouble: more of them should not raise the score.
_NEGATIVE = re.compile(
    r"(^|_)(dislike|unfriend|unfollow|cancel|churn|downgrade|error|fail|complain|unsubscribe|"
    r"delete|remove|block|report|refund|crash|abandon)"
)


def usage_template(store: Store, *, max_event_types: int = 8, name: str = "usage only") -> str:
    """YAML text of a commented usage-only scorecard for this store (validated on return)."""
    from healthscore.metrics._context import unique_slugs
    from healthscore.scoring.model import parse_scorecard

    counts = event_type_counts(store)
    # The metrics name event types from all of them (clashing slugs get suffixes), so the
    # template takes its names from the same mapping: one measure per event type.
    slugs = unique_slugs([raw for raw, _ in counts])
    types = counts[:max_event_types]
    lines = [
        "# Usage-only scorecard written by `healthscore scorecard template`",
        f"# for {store.path.name}.",
        "# It scores what an events + subscriptions store can tell: overall activity and the",
        f"# {len(types)} most frequent event types, each ranked against accounts of the same",
        "# segment (percentile).  Event types whose names suggest trouble (dislike, cancel,",
        "# error, ...) count lower-is-better; check those and every other direction, then",
        "# edit weights freely; see docs/scorecards.md.",
        f"name: {name}",
        'version: "1.0"',
        "bands:",
        "  - {name: red, min: 0}",
        "  - {name: yellow, min: 40}",
        "  - {name: green, min: 70}",
        "min_coverage: 0.3",
        "groups:",
        "  - name: Product usage",
        "    weight: 60",
        "    measures:",
        f"      - metric: usage_active_days_{_WINDOW}d",
        f"        name: active days ({_WINDOW}d)",
        "        normalize: {method: linear, lo: 0, hi: 20}",
        "        weight: 2",
        "      - metric: usage_weeks_active_share_12w",
        "        name: weeks active (12w)",
        "        normalize: {method: linear, lo: 0, hi: 1}",
        "      - metric: usage_days_since_last_activity",
        "        name: days since last activity",
        "        normalize: {method: thresholds, points: [[1, 100], [7, 80], [21, 30], [45, 0]]}",
        f"      - metric: usage_events_change_{_WINDOW}d",
        f"        name: activity trend ({_WINDOW}d vs previous)",
        "        normalize: {method: percentile}",
    ]
    if types:
        lines += [
            "  - name: Feature use",
            "    weight: 40",
            "    measures:",
        ]
        for raw, n in types:
            s = slugs[raw]
            lines += [
                f"      - metric: events_{s}_{_WINDOW}d   # {n:,} events in the store",
                f"        name: {json.dumps(f'{raw} events ({_WINDOW}d)')}",
                "        normalize: {method: percentile}",
            ]
            if _NEGATIVE.search(s):
                lines.append(
                    "        direction: lower_is_better   # the name suggests a bad sign; check"
                )
    text = "\n".join(lines) + "\n"
    parse_scorecard(text, file="template")  # never hand out a scorecard that does not load
    return text
