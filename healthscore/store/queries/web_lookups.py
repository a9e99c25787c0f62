"""Small lookups the web forms need: the judgement measures in use, an account's owner."""

from __future__ import annotations

from healthscore.store.queries._backend import Source, has_table, table

__all__ = ["account_owner", "analysed_text_count", "judgement_measures"]


def judgement_measures(source: Source) -> list[str]:
    """Every judgement measure stored, sorted (what the judgement form offers)."""
    if not has_table(source, "judgements"):
        return []
    j = table(source, "judgements")
    got = j.select("measure").distinct().to_pyarrow().column("measure").to_pylist()
    return sorted(str(m) for m in got if m)


def account_owner(source: Source, account_id: str) -> str | None:
    """The account's owner_csm (None: no owner, or no such account)."""
    a = table(source, "accounts")
    got = a.filter(a.account_id == account_id).select("owner_csm").limit(1).to_pyarrow()
    values = got.column("owner_csm").to_pylist()
    return values[0] if values else None


def analysed_text_count(source: Source) -> int:
    """How many texts the text analysis has stored (0 before it first ran)."""
    if not has_table(source, "text_analysis"):
        return 0
    return int(table(source, "text_analysis").count().to_pyarrow().as_py())
