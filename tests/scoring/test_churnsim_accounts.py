"""A ChurnSim store (events + subscriptions only) is scored with the usage template and listed."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from healthscore.cli import app
from healthscore.store import open_store

SLICE = Path(__file__).parents[1] / "data" / "churnsim_slice" / "parquet"


def test_template_scores_a_churnsim_store_and_arr_comes_from_subscriptions(tmp_path: Path) -> None:
    db, card = str(tmp_path / "cs.duckdb"), str(tmp_path / "usage.yaml")
    run = CliRunner()
    for args in (
        ["import", "churnsim", str(SLICE), "--db", db],
        ["scorecard", "template", "--output", card, "--db", db],
        ["score", "--as-of", "2020-05-01", "--scorecard", card, "--db", db],
    ):
        r = run.invoke(app, args)
        assert r.exit_code == 0, (args, r.output)
    r = run.invoke(app, ["accounts", "--db", db, "--format", "json"])
    assert r.exit_code == 0, r.output

    rows = json.loads(r.output)
    with open_store(db) as s:
        active_mrr = dict(
            s.con.execute(
                "SELECT account_id, sum(mrr) FROM subscriptions "
                "WHERE start_date <= DATE '2020-05-01' AND end_date > DATE '2020-05-01' GROUP BY 1"
            ).fetchall()
        )
    assert len(rows) == len(active_mrr) > 50
    assert all(r["score"] is not None and r["band"] for r in rows)
    assert {r["account_id"]: r["arr"] for r in rows} == {
        a: round(12 * m, 2) for a, m in active_mrr.items()
    }
