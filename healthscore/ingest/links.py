"""Accounts' ids in other tools: registered with the accounts, or learned from a file that
links them (a Stripe customer export carrying the CRM's account id, an e-mail or a name).

`account_external_ids` holds (account, source, external id).  An id already linked to
another account of the same source is not moved silently: it is reported and skipped.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from healthscore.errors import ImportRejected
from healthscore.ingest._sql import new_batch_id, ql, record_batch
from healthscore.ingest._tz import utc_session
from healthscore.ingest.prepare import ImportSpec, Prepared, column_text, prepare_source
from healthscore.ingest.readers import detect_format, open_source
from healthscore.ingest.report import ImportReport
from healthscore.ingest.resolve import failure_lines, resolve_refs
from healthscore.ingest.values import FieldSpec, field_sql
from healthscore.store.db import Store
from healthscore.store.schema import Column, Table

__all__ = ["LINKS_TABLE", "import_links", "register_ids"]

LINKS_TABLE = Table(
    "links",
    "Rows linking an account (by id, external id, name or e-mail) to its ids in a tool.",
    ("account_id",),
    (Column("account_id", "VARCHAR", True, "The account the row names."),),
)


def _refs(pr: Prepared) -> list[str]:
    """SQL of each account reference column a row offers, in the profile's order."""
    src = pr.original or pr.source
    acc_spec = pr.fields.get("account_id") or FieldSpec(columns=["account_id"])
    out = []
    for name in acc_spec.columns:
        one = FieldSpec(columns=[name], values=acc_spec.values)
        if column_text(src, name) is not None:
            out.append(field_sql(one, lambda n: column_text(src, n)))
    return out or ["CAST(NULL AS VARCHAR)"]


def _pairs_sql(pr: Prepared, spec: ImportSpec, width: int = 1) -> str:
    """(acc, ref_0 … ref_{width-1}, source, ext) text rows of one file: the first account
    reference, every reference column in turn (each is tried until one resolves), and
    each external id."""
    src = pr.original or pr.source
    refs = _refs(pr)
    refs += ["CAST(NULL AS VARCHAR)"] * (width - len(refs))
    acc = refs[0] if len(refs) == 1 else f"coalesce({', '.join(refs)})"
    listed = ", ".join(f"{r} AS ref_{i}" for i, r in enumerate(refs[:width]))
    arms = []
    for source, cols in spec.external_ids.items():
        present = [t for c in cols if (t := column_text(src, c)) is not None]
        if not present:
            continue
        ext = present[0] if len(present) == 1 else f"coalesce({', '.join(present)})"
        arms.append(
            f"SELECT {acc} AS acc, {listed}, {ql(source)} AS source, {ext} AS ext FROM ({src.fast})"
        )
    if not arms:
        nulls = ", ".join(f"NULL AS ref_{i}" for i in range(width))
        return f"SELECT NULL AS acc, {nulls}, NULL AS source, NULL AS ext WHERE FALSE"
    return " UNION ALL ".join(arms)


def _insert(con: duckdb.DuckDBPyConnection, pairs: str, batch_id: str) -> tuple[int, list[str]]:
    """Insert new (account, source, id) rows from `pairs` (columns account_id, source, ext)."""
    clash = con.execute(
        f"SELECT count(*), list(p.ext || ' (' || p.source || ') is ' || x.account_id || "
        f"', not ' || p.account_id)[1:3] FROM (SELECT DISTINCT * FROM ({pairs})) p "
        "JOIN account_external_ids x ON x.source = p.source AND x.external_id = p.ext "
        "AND x.account_id <> p.account_id"
    ).fetchone()
    warnings = []
    if clash and clash[0]:
        warnings.append(
            f"{clash[0]:,} external id(s) already belong to another account and were left "
            f"as they are: {'; '.join(clash[1])}"
        )
    n = con.execute(
        f"INSERT INTO account_external_ids SELECT DISTINCT p.account_id, p.source, p.ext, "
        f"{ql(batch_id)}, now() FROM ({pairs}) p WHERE p.account_id IS NOT NULL AND p.ext IS "
        "NOT NULL AND EXISTS (SELECT 1 FROM accounts a WHERE a.account_id = p.account_id) "
        "AND NOT EXISTS (SELECT 1 FROM account_external_ids x WHERE x.source = p.source AND "
        "x.external_id = p.ext)"
    ).fetchone()[0]  # type: ignore[index]
    return int(n), warnings


def register_ids(
    con: duckdb.DuckDBPyConnection, pr: Prepared, spec: ImportSpec, report: ImportReport
) -> None:
    """After an accounts import: each account's ids in other tools, from its own row."""
    pairs = f"SELECT acc AS account_id, source, ext FROM ({_pairs_sql(pr, spec)})"
    n, warnings = _insert(con, pairs, report.batch_id)
    report.warnings.extend(warnings)
    if n:
        report.notes.append(f"{n:,} external id(s) registered ({', '.join(spec.external_ids)})")


def import_links(
    store: Store,
    paths: Sequence[Path],
    spec: ImportSpec,
    *,
    mapping: dict[str, str] | None = None,
    fmt: str | None = None,
    quarantine: bool = False,
    dry_run: bool = False,
) -> ImportReport:
    """Register external ids from a file whose rows name an existing account.

    References resolve as everywhere (id, external id, name, e-mail); unresolved or
    ambiguous ones refuse the file (with `quarantine`: are left out and reported)."""
    if not spec.external_ids:
        raise ImportRejected("import links: the profile names no external_ids to register")
    report = ImportReport("links", new_batch_id(), [Path(p).name for p in paths])
    report.profile, report.source_name = spec.profile, spec.source_name
    started = datetime.now(UTC)
    with utc_session(store.con):
        prepared = []
        for p in paths:
            src = open_source(store.con, Path(p), detect_format(Path(p), fmt))
            pr = prepare_source(LINKS_TABLE, src, spec, dict(mapping or {}))
            if "account_id" not in pr.fields:
                raise ImportRejected(
                    f"{src.label}: no column names the account (map one to account_id)"
                )
            report.mapping[src.label] = pr.lines + [
                f"external id {s} ← {' or '.join(c)}" for s, c in spec.external_ids.items()
            ]
            prepared.append(pr)
        width = max(len(_refs(pr)) for pr in prepared)
        pairs = " UNION ALL ".join(f"({_pairs_sql(pr, spec, width)})" for pr in prepared)
        con = store.con
        con.execute(f"CREATE OR REPLACE TEMP TABLE _links AS {pairs}")
        report.rows_read = int(con.execute("SELECT count(*) FROM _links").fetchone()[0])  # type: ignore[index]
        refs = " UNION ALL ".join(f"SELECT ref_{i} AS ref FROM _links" for i in range(width))
        resolve_refs(con, refs, spec.account_by)
        # Each row takes the first of its references that resolves to exactly one account;
        # an id already linked for the source needs no resolving.
        picks = ", ".join(
            f"(SELECT r.account_id FROM _resolved r WHERE r.ref = l.ref_{i} AND r.n = 1)"
            for i in range(width)
        )
        con.execute(
            f"CREATE OR REPLACE TEMP TABLE _links AS SELECT l.*, coalesce({picks}) AS "
            "account_id, EXISTS (SELECT 1 FROM account_external_ids x WHERE x.source = "
            "l.source AND x.external_id = l.ext) AS known FROM _links l"
        )
        failed = (
            "SELECT acc AS ref FROM _links WHERE acc IS NOT NULL AND account_id IS NULL "
            "AND NOT known"
        )
        lines = failure_lines(con, failed, "account", spec.account_by)
        bad = int(con.execute(f"SELECT count(*) FROM ({failed})").fetchone()[0])  # type: ignore[index]
        report.notes.extend(lines)
        report.rows_rejected = bad
        if lines and not (quarantine or dry_run):
            raise ImportRejected(
                "links import rejected; nothing was registered:\n  " + "\n  ".join(lines)
            )
        try:
            _write(store, report, started, dry_run)
        except _Rollback:
            report.dry_run = True
        con.execute("DROP TABLE IF EXISTS _links")
    return report


class _Rollback(Exception):
    """A dry run: undo what was written."""


def _write(store: Store, report: ImportReport, started: datetime, dry_run: bool) -> None:
    bad = report.rows_rejected
    with store.transaction() as tx:
        resolved = "SELECT account_id, source, ext FROM _links WHERE account_id IS NOT NULL"
        n, warnings = _insert(tx, resolved, report.batch_id)
        report.warnings.extend(warnings)
        report.rows_inserted = n
        report.rows_duplicate = report.rows_read - n - bad
        if dry_run:
            raise _Rollback
        record_batch(
            tx,
            report.batch_id,
            "links",
            ", ".join(report.files),
            started,
            rows_read=report.rows_read,
            rows_inserted=n,
            rows_duplicate=report.rows_duplicate,
            rows_rejected=bad,
            status="committed_with_quarantine" if bad else "committed",
            profile=report.profile,
            source_name=report.source_name,
        )
