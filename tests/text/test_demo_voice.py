"""The demo speaks: its texts carry the patterns, driven by hidden health, and are read."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from healthscore.demo import _text as T
from healthscore.demo.build import build_demo
from healthscore.demo.voice import analyse_demo_texts
from healthscore.store import open_store
from healthscore.text import analyze


def test_the_words_follow_health() -> None:
    rng = np.random.default_rng(1)
    lost = [T.nps_comment(rng, 1.0, "report_created") for _ in range(200)]
    happy = [T.nps_comment(rng, 10.0, "report_created") for _ in range(200)]
    read_lost = [analyze(t) for t in lost]
    read_happy = [analyze(t) for t in happy]
    assert sum(a.sentiment == "negative" for a in read_lost) > 170
    assert sum(a.sentiment == "positive" for a in read_happy) > 170
    # A few of the unhappiest announce they are leaving or looking elsewhere.
    intent = sum(a.cancellation_intent for a in read_lost)
    assert 20 < intent < 150
    assert any(a.competitor_intent for a in read_lost)
    assert not any(a.cancellation_intent for a in read_happy)
    # Detractors name the feature that hurts.
    assert sum("reports" in t for t in lost) > 40
    notes = {T.judgement_note(rng, "neg") for _ in range(100)}
    assert any("Champion left" in n for n in notes)
    assert all(analyze(n).sentiment == "negative" for n in notes)


def test_the_same_draws_as_before() -> None:
    """Text functions draw as often as they always did: the simulated numbers stay put."""
    a, b = np.random.default_rng(5), np.random.default_rng(5)
    T.ticket_text(a, "bug", "report_created", "neg")
    for _ in range(5):  # subject, opener, task, when, who
        b.integers(0, 4)
    assert a.integers(0, 10**9) == b.integers(0, 10**9)


def test_the_demo_store_is_read_before_scoring(tmp_path: Path) -> None:
    store = open_store(tmp_path / "demo.duckdb")
    try:
        build_demo(store, n_accounts=25, months=6)
        voice = analyse_demo_texts(store)
        assert voice is not None and voice["texts"] > 100
        assert voice["lines"][0].startswith(f"Read {voice['texts']:,} texts")
        counts = dict(
            store.con.execute("SELECT label, count(*) FROM text_analysis GROUP BY label").fetchall()
        )
        assert counts.get("negative", 0) > 0 and counts.get("positive", 0) > 0
        tagged = store.con.execute(
            "SELECT count(*) FROM text_analysis WHERE features <> ''"
        ).fetchone()
        assert tagged is not None and tagged[0] > 0
    finally:
        store.close()
