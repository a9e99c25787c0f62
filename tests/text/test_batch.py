"""Batch analysis of a store: every text kind, incremental, re-run on a new method or text."""

from __future__ import annotations

from healthscore.store.db import Store
from healthscore.text import method_version
from healthscore.text.batch import analyse_store


def _rows(store: Store) -> dict[tuple[str, str], dict]:
    df = store.con.execute("SELECT * FROM text_analysis").df()
    return {(r["source"], r["text_id"]): r for r in df.to_dict("records")}


def test_every_text_kind_is_analysed(text_store: Store) -> None:
    res = analyse_store(text_store)
    rows = _rows(text_store)
    # 7 surveys (one with an empty comment), 3 tickets, 2 notes.
    assert res.texts == 11 and res.analysed == 11 and len(rows) == 11
    assert ("surveys", "R6") not in rows
    assert rows[("tickets", "T1")]["label"] == "negative"
    assert rows[("tickets", "T1")]["features"] == "report_created"
    assert "HTML removed" in rows[("tickets", "T1")]["reason"]
    assert rows[("surveys", "R2")]["cancellation_intent"]
    assert rows[("surveys", "R2")]["detail"] == "nps"
    assert rows[("surveys", "R4")]["label"] == "unknown"
    assert rows[("surveys", "R4")]["language"] == "de"
    assert rows[("interactions", "I1")]["label"] == "negative"
    assert rows[("interactions", "I2")]["label"] == "positive"
    assert str(rows[("surveys", "R1")]["occurred_at"]) == "2024-06-10 09:00:00"
    assert {r["method"] for r in rows.values()} == {method_version()}
    assert res.labels["unknown"] == 1 and res.unknown_reasons == {"not English": 1}


def test_a_second_run_only_reads_what_changed(text_store: Store) -> None:
    analyse_store(text_store)
    again = analyse_store(text_store)
    assert again.analysed == 0 and again.unchanged == 11
    text_store.con.execute(
        "UPDATE surveys SET comment = 'Brilliant, thank you!' WHERE response_id = 'R1'"
    )
    text_store.con.execute("UPDATE text_analysis SET method = 'old' WHERE text_id = 'I2'")
    text_store.con.execute("DELETE FROM tickets WHERE ticket_id = 'T3'")
    res = analyse_store(text_store)
    assert res.analysed == 2 and res.removed == 1
    rows = _rows(text_store)
    assert rows[("surveys", "R1")]["label"] == "positive"
    assert rows[("interactions", "I2")]["method"] == method_version()
    assert ("tickets", "T3") not in rows
    assert analyse_store(text_store, full=True).analysed == 10
