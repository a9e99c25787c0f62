"""Small lookups the web forms need: the judgement measures in use, an account's owner."""

from __future__ import annotations

from healthscore.store.queries._backend import Source, has_table, param_rows, table

__all__ = ["account_owner", "analysed_text_count", "judgement_measures"]


def judgement_measures(source: Source) -> list[str]:
    """Every judgement measure stored, sorted (what the judgement form offers)."""
    if not has_table(source, "judgements"):
        return []
    got = param_rows(source, "SELECT DISTINCT measure FROM judgements")
    return sorted(str(r["measure"]) for r in got if r["measure"])


def account_owner(source: Source, account_id: str) -> str | None:
    """The account's owner_csm (None: no owner, or no such account)."""
    got = param_rows(
        source,
        "SELECT owner_csm FROM accounts WHERE account_id = $account LIMIT 1",
        {"account": account_id},
    )
    return got[0]["owner_csm"] if got else None


def analysed_text_count(source: Source) -> int:
    """How many texts the text analysis has stored (0 before it first ran)."""
    if not has_table(source, "text_analysis"):
        return 0
    return int(table(source, "text_analysis").count().to_pyarrow().as_py())
