"""Only the ingest, store and metrics packages execute SQL; everything else asks them.

An AST scan of every other module for calls that run SQL (`.execute`, `.executemany`,
`.sql`, `.raw_sql`, the SQL-text helpers `load_table` / `sql_frame`), imports of a
database driver, and string literals that read as SQL statements.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import healthscore

PACKAGE = Path(healthscore.__file__).parent
# Packages that own SQL: the importers, the store and its queries, the metric library.
SQL_OWNERS = ("ingest", "store", "metrics")
_CALLS = {"execute", "executemany", "sql", "raw_sql"}
_HELPERS = {"load_table", "sql_frame"}
_DRIVERS = {"duckdb", "psycopg", "sqlglot", "sqlite3"}
_STATEMENT = re.compile(
    r"^\s*(SELECT\b.*\bFROM\b|WITH\s+\w+\s+AS\s*\(|INSERT\s+INTO\b|UPDATE\s+\w+\s+SET\b"
    r"|DELETE\s+FROM\b|(CREATE|DROP|ALTER)\s+(OR\s+REPLACE\s+)?(TEMP\w*\s+)?"
    r"(TABLE|VIEW|SCHEMA|INDEX|SEQUENCE)\b)",
    re.IGNORECASE | re.DOTALL,
)
# Modules that still pass SQL text, each waiting for its switch to the named queries of
# healthscore.store.queries: none now, and the test below keeps it so.
PENDING: set[str] = set()


def _name(f: ast.expr) -> str | None:
    if isinstance(f, ast.Name):
        return f.id
    return f.attr if isinstance(f, ast.Attribute) else None


def sql_uses(path: Path) -> list[str]:
    """'line: what' for every place `path` runs or spells SQL."""
    tree = ast.parse(path.read_text(), filename=str(path))
    found = []
    for node in ast.walk(tree):
        line = getattr(node, "lineno", 0)
        if isinstance(node, ast.Call):
            name = _name(node.func)
            if isinstance(node.func, ast.Attribute) and name in _CALLS:
                found.append(f"{line}: .{name}(...)")
            elif name in _HELPERS:
                found.append(f"{line}: {name}(...)")
        elif isinstance(node, ast.Import | ast.ImportFrom):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else []
            if isinstance(node, ast.ImportFrom) and node.module:
                names.append(node.module)
            found += [f"{line}: import {n}" for n in names if n.split(".")[0] in _DRIVERS]
        elif (
            isinstance(node, ast.Constant)
            and isinstance(node.value, str)
            and _STATEMENT.match(node.value)
        ):
            found.append(f"{line}: SQL text {node.value.strip()[:40]!r}")
    return sorted(found, key=lambda u: int(u.split(":")[0]))


def outside_owners() -> dict[str, list[str]]:
    """module (relative to the package) -> its SQL uses, for modules outside SQL_OWNERS."""
    out = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        rel = path.relative_to(PACKAGE).as_posix()
        if rel.split("/")[0] in SQL_OWNERS:
            continue
        if uses := sql_uses(path):
            out[rel] = uses
    return out


def test_no_module_outside_ingest_store_metrics_executes_sql() -> None:
    found = outside_owners()
    unexpected = {m: uses for m, uses in found.items() if m not in PENDING}
    assert not unexpected, f"SQL outside {', '.join(SQL_OWNERS)}: {unexpected}"
    # A pending module that no longer uses SQL leaves the list, so it cannot slip back.
    assert sorted(PENDING - set(found)) == []


PROBE = '''import duckdb
con.execute("x")
b.sql(q)
load_table(s, q)
Q = """
  select a from t"""
f"DELETE FROM {t} WHERE x"
ok = ("selected items from the list", "with scorecard", "Create an empty store")
'''


def test_the_scan_sees_sql(tmp_path: Path) -> None:
    probe = tmp_path / "probe.py"
    probe.write_text(PROBE)
    assert [u.split(":")[0] for u in sql_uses(probe)] == ["1", "2", "3", "4", "5", "7"]
