"""explain: sentiment over time, what customers said, and flagged intent beside the score."""

from __future__ import annotations

from healthscore.scoring.explain import explain
from healthscore.store.db import Store

from .data import AS_OF


def test_explain_shows_what_customers_said(analysed_store: Store) -> None:
    from healthscore.scoring import score

    score(analysed_store, AS_OF)
    ex = explain(analysed_store, "A1", AS_OF)
    v = ex.voice
    assert [m["month"] for m in v["months"]] == ["2024-06"]
    assert v["months"][0]["texts"] == 4 and v["months"][0]["negative"] == 4
    neg = v["quotes"]["negative"]
    assert [q["text_id"] for q in neg] == ["T1", "I1", "R2"]
    assert neg[0]["source"] == "ticket" and neg[0]["date"] == "2024-06-05"
    assert neg[2]["source"] == "NPS survey"
    assert v["quotes"]["positive"] == []
    (flag,) = v["intent"]
    assert flag["kind"] == "cancellation" and "another direction" in flag["evidence"]
    lines = ex.voice_lines()
    assert lines[0].startswith("What customers said")
    assert any(line.strip().startswith("FLAG cancellation intent") for line in lines)
    assert ex.as_dict()["voice"]["intent"][0]["expires_on"] == "2024-09-18"


def test_neutral_texts_give_no_quotes_and_no_texts_no_voice(analysed_store: Store) -> None:
    import datetime as dt

    from healthscore.scoring import score

    from .data import insert

    insert(analysed_store, {
        "accounts": [{"account_id": "A4", "name": "Quiet Co"}],
        "subscriptions": [{"subscription_id": "S4", "account_id": "A4", "product": "p",
                           "start_date": dt.date(2024, 1, 1), "mrr": 100.0}],
    })  # fmt: skip
    score(analysed_store, AS_OF)
    # A3: a German comment (unknown, left out) and a neutral how-to ticket.
    v = explain(analysed_store, "A3", AS_OF).voice
    assert v["months"] == [{"month": "2024-06", "texts": 1, "avg_score": 0.0, "negative": 0}]
    assert v["quotes"] == {"negative": [], "positive": []} and v["intent"] == []
    quiet = explain(analysed_store, "A4", AS_OF)
    assert quiet.voice == {} and quiet.voice_lines() == []


def test_explain_in_the_terminal_prints_what_customers_said(analysed_store: Store) -> None:
    from typer.testing import CliRunner

    from healthscore.app import App
    from healthscore.cli import app as cli
    from healthscore.config import load_settings
    from healthscore.scoring import score

    score(analysed_store, AS_OF)
    hs = App(load_settings({}, db=analysed_store.path), store=analysed_store)
    result = CliRunner().invoke(cli, ["explain", "A1", "--as-of", AS_OF.isoformat()], obj=hs)
    assert result.exit_code == 0, result.output
    assert "What customers said" in result.output
    flagged = [line for line in result.output.splitlines() if "FLAG cancellation intent" in line]
    assert len(flagged) == 1 and "another direction" in flagged[0]
