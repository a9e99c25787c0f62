"""Finding the account a row names, the way real exports name it.

Tools do not share an account id.  An incoming reference resolves, in this order:

1. ``id``: an account id as stored;
2. ``external_id``: an id registered for an account by any source (a Stripe customer id,
   a CRM id, a Segment groupId, a domain), see ``account_external_ids``;
3. ``name``: the account's name, ignoring case and runs of spaces;
4. ``email``: a contact's e-mail address, giving that contact's account.

The first step that finds anything decides: one account resolves the reference; two or
more make it *ambiguous* (never guessed); none leaves it *unresolved*.  Both are reported
one line per kind of failure, with counts and examples, and the rows are refused (or
quarantined), never dropped.
"""

from __future__ import annotations

from dataclasses import dataclass

import duckdb

from healthscore.ingest._sql import ql

__all__ = ["RESOLVE_ORDER", "Resolution", "resolve_refs"]

RESOLVE_ORDER: tuple[str, ...] = ("id", "external_id", "name", "email")

_WHAT = {
    "id": "account id",
    "external_id": "external id",
    "name": "account name",
    "email": "contact e-mail",
}


def _name_key(v: str) -> str:
    return f"lower(regexp_replace(trim({v}), '\\s+', ' ', 'g'))"


def _candidates(step: str) -> str:
    """SQL of (ref, account_id) pairs one step finds for the refs in `_refs`."""
    if step == "id":
        return "SELECT r.ref, a.account_id FROM _refs r JOIN accounts a ON a.account_id = r.ref"
    if step == "external_id":
        return (
            "SELECT r.ref, x.account_id FROM _refs r JOIN account_external_ids x "
            "ON x.external_id = r.ref JOIN accounts a ON a.account_id = x.account_id"
        )
    if step == "name":
        return (
            f"SELECT r.ref, a.account_id FROM _refs r JOIN accounts a "
            f"ON {_name_key('a.name')} = {_name_key('r.ref')}"
        )
    return (
        "SELECT r.ref, c.account_id FROM _refs r JOIN contacts c "
        "ON lower(trim(c.email)) = lower(trim(r.ref)) AND contains(r.ref, '@') "
        "JOIN accounts a ON a.account_id = c.account_id"
    )


@dataclass
class Resolution:
    """How the distinct references of one import resolved."""

    resolved: int = 0
    # (step that found several, ref, accounts) for ambiguous references
    ambiguous: list[tuple[str, str, list[str]]] | None = None


def resolve_refs(
    con: duckdb.DuckDBPyConnection, refs_sql: str, by: tuple[str, ...] = RESOLVE_ORDER
) -> None:
    """Resolve the distinct references `refs_sql` yields (one column `ref`) into `_resolved`
    (ref, account_id, step, n): n = 1 resolved, n > 1 ambiguous (account_id NULL), no row =
    unresolved."""
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE _refs AS SELECT DISTINCT ref FROM ({refs_sql}) WHERE ref IS NOT NULL"
    )
    con.execute(
        "CREATE OR REPLACE TEMP TABLE _resolved (ref VARCHAR, account_id VARCHAR, step VARCHAR, "
        "n INTEGER, accounts VARCHAR[])"
    )
    for step in by:
        con.execute(
            f"INSERT INTO _resolved SELECT ref, CASE WHEN count(DISTINCT account_id) = 1 THEN "
            f"min(account_id) END, {ql(step)}, count(DISTINCT account_id), "
            f"list(DISTINCT account_id ORDER BY account_id) FROM ({_candidates(step)}) c "
            f"WHERE ref NOT IN (SELECT ref FROM _resolved) GROUP BY ref"
        )


def failure_lines(
    con: duckdb.DuckDBPyConnection, counted_sql: str, column: str, by: tuple[str, ...]
) -> list[str]:
    """One line per kind of failure (unresolved, ambiguous by step), with counts and
    examples.  `counted_sql` yields one `ref` per row, so rows are counted."""
    lines: list[str] = []
    ways = ", ".join(_WHAT[b] for b in by)
    row = con.execute(
        f"SELECT count(*), count(DISTINCT ref), list(DISTINCT ref ORDER BY ref)[1:3] FROM "
        f"({counted_sql}) s WHERE ref NOT IN (SELECT ref FROM _resolved)"
    ).fetchone()
    if row and row[0]:
        shown = ", ".join(f'"{v}"' for v in row[2])
        lines.append(
            f'column "{column}": {row[0]:,} row(s) name {row[1]:,} account(s) found by no '
            f"{ways}, e.g. {shown} (import those accounts first, or register their ids: "
            "import links FILE --profile …)"
        )
    for step, rows, refs, examples in con.execute(
        f"SELECT r.step, count(*), count(DISTINCT s.ref), "
        f"list(DISTINCT s.ref || ' → ' || array_to_string(r.accounts[1:3], ', '))[1:3] "
        f"FROM ({counted_sql}) s JOIN _resolved r USING (ref) WHERE r.n > 1 "
        f"GROUP BY r.step ORDER BY r.step"
    ).fetchall():
        shown = "; ".join(sorted(examples))
        lines.append(
            f'column "{column}": {rows:,} row(s) with {refs:,} value(s) match several '
            f"accounts by {_WHAT[step]} ({shown}); nothing was guessed: use the account id "
            "or register an external id"
        )
    return lines
