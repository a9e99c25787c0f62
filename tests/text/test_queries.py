"""Reads of the analysis: quotes, intent flags and their decay, sentiment history."""

from __future__ import annotations

import datetime as dt

import pandas as pd

from healthscore.store.db import Store
from healthscore.store.queries.texts import (
    account_quotes,
    intent_flags,
    sentiment_history,
    text_rows,
)

from .data import AS_OF, insert, ts


def test_text_rows_join_a_tickets_subject_and_body(text_store: Store) -> None:
    rows = text_rows(text_store).set_index(["source", "text_id"])
    assert rows.loc[("tickets", "T3"), "text"] == (
        "Reports slow\nThe report builder takes forever to load."
    )
    assert ("surveys", "R6") not in rows.index  # blank comment
    assert set(rows.index.get_level_values(0)) == {"surveys", "tickets", "interactions"}


def test_account_quotes_most_negative_and_positive(analysed_store: Store) -> None:
    q = account_quotes(analysed_store, "A1", limit=2, as_of=AS_OF)
    assert list(q["side"]) == ["negative", "negative"]
    assert list(q["text_id"]) == ["T1", "I1"]  # the two most negative
    assert q["score"].is_monotonic_increasing
    q2 = account_quotes(analysed_store, "A2", as_of=AS_OF)
    assert set(q2[q2["side"] == "positive"]["text_id"]) == {"R3", "I2", "R5"}
    # Nothing after as_of, nothing older than `days`.
    assert "R7" not in set(q2["text_id"])
    assert "R5" not in set(account_quotes(analysed_store, "A2", as_of=AS_OF, days=30)["text_id"])
    assert account_quotes(analysed_store, "NOPE").empty


def test_intent_flags_decay_unless_repeated(analysed_store: Store) -> None:
    flags = intent_flags(analysed_store, AS_OF)
    assert list(flags["account_id"]) == ["A1"]
    f = flags.iloc[0]
    assert f["kind"] == "cancellation" and f["text_id"] == "R2" and f["mentions"] == 1
    assert "another direction" in f["evidence"]
    assert f["expires_on"] == dt.date(2024, 9, 18)
    # Before the text: no flag; 90 days on: still; 91 days on: decayed.
    assert intent_flags(analysed_store, dt.date(2024, 6, 19)).empty

    def a1(day: dt.date, **kw: int) -> pd.DataFrame:
        return intent_flags(analysed_store, day, accounts=["A1"], **kw)

    assert list(a1(dt.date(2024, 9, 17))["text_id"]) == ["R2"]
    assert a1(dt.date(2024, 9, 18)).empty
    assert not a1(dt.date(2024, 9, 18), decay_days=120).empty
    # A repeat restarts the span.
    insert(analysed_store, {"interactions": [{
        "interaction_id": "I9", "account_id": "A1", "kind": "call",
        "occurred_at": ts("2024-09-01 10:00"),
        "notes": "Sponsor confirmed they will not renew the contract."}]})  # fmt: skip
    from healthscore.text.batch import analyse_store

    analyse_store(analysed_store)
    both = a1(dt.date(2024, 9, 10))
    assert list(both["text_id"]) == ["I9"] and both.iloc[0]["mentions"] == 2
    later = a1(dt.date(2024, 10, 1))  # R2 alone would have lapsed on 09-18
    assert list(later["text_id"]) == ["I9"] and later.iloc[0]["expires_on"] == dt.date(2024, 11, 30)
    # The future text of A2 shows only from its own day.
    assert "A2" in set(intent_flags(analysed_store, dt.date(2024, 7, 2))["account_id"])


def test_sentiment_history(analysed_store: Store) -> None:
    h = sentiment_history(analysed_store, "A1", as_of=AS_OF)
    assert list(h["source"]) == ["tickets", "surveys", "interactions", "surveys"]
    assert pd.to_datetime(h["occurred_at"]).is_monotonic_increasing
    assert (h["label"] != "unknown").all()
