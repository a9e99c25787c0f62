"""The scorecard preview re-scores stored inputs: it reproduces the stored scores, its
fast re-weighing equals the engine, and its backtest compares old and new cards against
the churn that followed."""

from __future__ import annotations

import numpy as np
import yaml

from healthscore.predict.preview_backtest import ChurnOutcomes
from healthscore.scoring import load_scorecard, parse_scorecard
from healthscore.scoring import preview_scorecard as _preview
from healthscore.scoring.engine import score_frame
from healthscore.scoring.history import snapshot_dates
from healthscore.scoring.model import Scorecard
from healthscore.scoring.preview import scoring_inputs
from healthscore.store import Store


def preview_scorecard(store: Store, card: Scorecard, **kw: object):  # type: ignore[no-untyped-def]
    return _preview(store, card, outcomes=ChurnOutcomes(), **kw)  # type: ignore[arg-type]


def _edited(card: Scorecard, edit: object) -> Scorecard:
    data = yaml.safe_load(card.source)
    edit(data)  # type: ignore[operator]
    data["version"] = "candidate"
    return parse_scorecard(yaml.safe_dump(data, sort_keys=False), "candidate.yaml")


def test_the_stored_inputs_reproduce_the_stored_scores(store: Store) -> None:
    latest = snapshot_dates(store)[-1]
    inputs = scoring_inputs(store, [latest], outcomes=ChurnOutcomes())
    assert inputs.reference is not None
    assert inputs.faithful == 1.0
    assert inputs.backtest_dates and max(inputs.backtest_dates) < latest
    assert inputs.labels is not None and inputs.labels["y"].sum() > 0


def test_reweighing_equals_the_engine(store: Store) -> None:
    """The numpy re-weighing of stored normalised values gives the engine's scores and
    bands for any weights and band limits, decayed judgements and segments included."""
    latest = snapshot_dates(store)[-1]
    inputs = scoring_inputs(store, [latest], outcomes=ChurnOutcomes())
    assert inputs.long is not None
    rng = np.random.default_rng(3)
    base = load_scorecard()

    def shuffle(d: dict) -> None:  # type: ignore[type-arg]
        for g in d["groups"]:
            g["weight"] = float(rng.integers(0, 40))
            for m in g["measures"]:
                m["weight"] = float(rng.integers(1, 6))
        d["bands"][1]["min"] = float(rng.integers(30, 70))
        d["bands"][2]["min"] = float(rng.integers(71, 95))

    for _ in range(3):
        card = _edited(base, shuffle)
        fast = inputs.long.reweigh(card)
        engine = score_frame(inputs.frame_for(card), card, inputs.segments, inputs.directions)
        both = fast.merge(
            engine.snapshots[["as_of", "account_id", "score", "band"]],
            on=["as_of", "account_id"],
            suffixes=("_fast", "_engine"),
        )
        assert len(both) == len(fast) == len(engine.snapshots)
        assert (both["score_fast"].isna() == both["score_engine"].isna()).all()
        assert np.nanmax(np.abs(both["score_fast"] - both["score_engine"])) < 1e-6
        assert (both["band_fast"].fillna("") == both["band_engine"].fillna("")).all()


def test_the_backtest_compares_old_and_new(store: Store) -> None:
    latest = snapshot_dates(store)[-1]
    card = load_scorecard()
    same = preview_scorecard(store, card, since=latest)
    assert same.source == "stored inputs" and same.band_moves == []
    assert same.backtest is not None
    assert same.backtest["old"] == same.backtest["new"]
    assert same.backtest["old"]["churners"] > 0 and same.backtest["old"]["auc"] is not None

    # Yellow from 70, green from 85: many more accounts are red, and more churners too.
    def stricter(d: dict) -> None:  # type: ignore[type-arg]
        d["bands"][1]["min"], d["bands"][2]["min"] = 70, 85

    strict = _edited(card, stricter)
    p = preview_scorecard(store, strict, since=latest)
    old, new = p.backtest["old"], p.backtest["new"]  # type: ignore[index]
    assert new["red_share"] > old["red_share"] and new["red_recall"] >= old["red_recall"]
    assert new["auc"] == old["auc"]  # bands alone do not change the ranking

    # Only the relationship group counts: the ranking itself changes.
    def relationship_only(d: dict) -> None:  # type: ignore[type-arg]
        for g in d["groups"]:
            g["weight"] = 1 if g["name"] == "Relationship" else 0

    p = preview_scorecard(store, _edited(card, relationship_only), since=latest)
    assert p.backtest is not None and p.backtest["new"]["auc"] != p.backtest["old"]["auc"]
    assert len(p.band_moves) > 0


def test_a_card_reading_other_metrics_recomputes_them(store: Store) -> None:
    latest = snapshot_dates(store)[-1]
    card = load_scorecard()

    def extra(d: dict) -> None:  # type: ignore[type-arg]
        d["groups"][0]["measures"].append(
            {
                "metric": "events_login_7d",
                "normalize": {"method": "linear", "lo": 0, "hi": 100},
            }
        )

    p = preview_scorecard(store, _edited(card, extra), since=latest)
    assert p.source == "recomputed metrics"
    assert p.backtest is None and "cannot use" in p.backtest_note
    assert p.latest == latest and p.accounts_compared > 0


def test_without_a_closed_outcome_window_the_preview_says_why(store: Store) -> None:
    """Only the newest weeks scored: no date's outcome window has closed yet."""
    dates = snapshot_dates(store)
    store.con.execute("DELETE FROM score_snapshots WHERE as_of < ?", [dates[-2]])
    p = preview_scorecard(store, load_scorecard(), since=dates[-1])
    assert p.backtest is None and "outcome window" in p.backtest_note
    assert p.source == "stored inputs"
