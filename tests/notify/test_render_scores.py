"""A digest never shows a score rounded up into the next band (59.96 red is 59, not 60)."""

from __future__ import annotations

from healthscore.notify.render import DIGEST_TOPIC, _html, digest_text


def test_a_band_change_shows_the_score_floored_into_its_band() -> None:
    payload = {
        "owner": "Dana",
        "period": "2026-10-31",
        "band_changes": [
            {"account_id": "A1", "name": "Acme", "from_band": "yellow", "to_band": "red",
             "score": 59.96},
        ],
    }  # fmt: skip
    text = digest_text(payload)
    assert "yellow -> red, score 59" in text and "score 60" not in text
    assert "score 60" not in _html(DIGEST_TOPIC, payload)
