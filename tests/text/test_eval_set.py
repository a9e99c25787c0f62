"""The labelled evaluation set is well formed, and ours beats plain VADER on its test split.

The figures themselves come from benchmarks/text_quality.py; this only guards the shape of
the data and against a rule change that makes the method worse than its baseline.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

from healthscore.text import THEMES, FeatureCatalog, analyze

DATA = Path(__file__).resolve().parents[2] / "benchmarks" / "data"


def _load(name: str) -> list[dict]:
    return [json.loads(x) for x in (DATA / name).read_text().splitlines() if x.strip()]


def test_the_set_is_well_formed() -> None:
    rows = _load("feedback_eval.jsonl")
    features = {r["feature"] for r in _load("feedback_eval_features.jsonl")}
    assert len(rows) >= 400
    assert len({r["id"] for r in rows}) == len(rows)
    for r in rows:
        assert r["source"] in {"nps", "csat", "ticket", "note"}
        assert r["sentiment"] in {"negative", "neutral", "positive"}
        assert set(r["themes"]) <= set(THEMES)
        assert set(r["features"]) <= features
        assert ("cancellation" in r["themes"]) == r["cancellation_intent"]
        assert ("competitor" in r["themes"]) == r["competitor_intent"]
        even = hashlib.sha256(r["id"].encode()).digest()[0] % 2 == 0
        assert r["split"] == ("tune" if even else "test")
    assert {r["split"] for r in rows} == {"tune", "test"}


def test_ours_beats_plain_vader_on_the_test_split() -> None:
    rows = [r for r in _load("feedback_eval.jsonl") if r["split"] == "test"]
    catalog = FeatureCatalog.from_records(_load("feedback_eval_features.jsonl"))
    vader = SentimentIntensityAnalyzer()

    def plain(text: str) -> str:
        c = vader.polarity_scores(text)["compound"]
        return "positive" if c >= 0.05 else "negative" if c <= -0.05 else "neutral"

    ours = [analyze(r["text"], features=catalog, source=r["source"]) for r in rows]
    acc = sum(a.sentiment == r["sentiment"] for a, r in zip(ours, rows, strict=True)) / len(rows)
    base = sum(plain(r["text"]) == r["sentiment"] for r in rows) / len(rows)
    assert acc > base + 0.15, (acc, base)
    gold = [r["cancellation_intent"] for r in rows]
    pred = [a.cancellation_intent for a in ours]
    tp = sum(g and p for g, p in zip(gold, pred, strict=True))
    assert tp / sum(gold) >= 0.8 and tp / max(sum(pred), 1) >= 0.7


def test_non_english_texts_are_flagged() -> None:
    for r in _load("feedback_eval_language.jsonl"):
        a = analyze(r["text"])
        assert a.sentiment == "unknown" and a.language == r["language"], r["id"]
