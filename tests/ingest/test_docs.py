"""docs/data-model.md is generated from the schema and must be kept in step with it."""

from __future__ import annotations

from pathlib import Path

from healthscore.ingest.docs import render_data_model
from healthscore.store import KINDS

DOC = Path(__file__).parents[2] / "docs" / "data-model.md"


def test_committed_data_model_doc_matches_schema() -> None:
    assert DOC.read_text(encoding="utf-8") == render_data_model(), (
        "docs/data-model.md is stale: run `python -m healthscore.ingest.docs > docs/data-model.md`"
    )


def test_doc_lists_every_field_and_choice() -> None:
    text = render_data_model()
    for t in KINDS.values():
        assert f"## `{t.name}`" in text
        for c in t.columns:
            assert f"| `{c.name}` | {c.type} |" in text
            for v in c.choices or ():
                assert f"`{v}`" in text
