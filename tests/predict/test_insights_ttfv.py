"""Time to first value is only reported for accounts whose start the usage history covers."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from healthscore.predict.insights import compute_insights as insights
from healthscore.store import open_store


def test_ttfv_leaves_out_accounts_older_than_the_usage_history(demo_copy: Path) -> None:
    with open_store(demo_copy) as s:
        res = insights(s)["time_to_first_value"]
        history_start = s.con.execute("SELECT min(event_time)::DATE FROM events").fetchone()[0]
        older, total = s.con.execute(
            "SELECT count(*) FILTER (WHERE start_date < ?), count(*) FROM accounts",
            [history_start],
        ).fetchone()
    assert res["available"]
    assert older > 0  # the demo has customers from before its event history
    assert res["excluded_before_history"] == older
    assert res["history_start"] == str(history_start)
    overall = pd.DataFrame(res["overall"])
    assert overall["accounts"].sum() == total - older
