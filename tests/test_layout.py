"""The package's shape: imports go one way, and only the data packages speak SQL.

Both checks read the source with `ast`, so they see function-level and TYPE_CHECKING imports
too: a circle hidden inside a function still ties two modules together.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import healthscore

ROOT = Path(healthscore.__file__).parent
# The packages whose job is to talk to a database in its own language.
SQL_PACKAGES = ("ingest", "store", "metrics")
SQL_CALLS = {"execute", "executemany", "sql", "raw_sql", "query"}


def _module_name(path: Path) -> str:
    rel = path.relative_to(ROOT.parent).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _modules() -> dict[str, Path]:
    return {_module_name(p): p for p in sorted(ROOT.rglob("*.py"))}


def _resolve(name: str, modules: dict[str, Path]) -> str | None:
    """The module file an imported name lives in (a submodule if it is one)."""
    while name and name not in modules:
        name = name.rpartition(".")[0]
    return name or None


def _imports(mod: str, path: Path, modules: dict[str, Path]) -> set[str]:
    tree = ast.parse(path.read_text(), filename=str(path))
    is_pkg = path.name == "__init__.py"
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            targets = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = mod.split(".") if is_pkg else mod.split(".")[:-1]
                base = base[: len(base) - node.level + 1]
                prefix = ".".join([*base, node.module] if node.module else base)
            else:
                prefix = node.module or ""
            targets = [f"{prefix}.{a.name}" for a in node.names] + [prefix]
        else:
            continue
        for t in targets:
            if t.startswith("healthscore") and (hit := _resolve(t, modules)) and hit != mod:
                found.add(hit)
    # `from healthscore.x import y` names both the package and y; keep the most specific.
    return {m for m in found if not any(o.startswith(m + ".") and o in found for o in found)}


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on: set[str] = set()
    out: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on.add(v)
        for w in graph.get(v, ()):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(sorted(comp))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return out


def import_graph() -> dict[str, set[str]]:
    modules = _modules()
    return {m: _imports(m, p, modules) for m, p in modules.items()}


def test_the_checker_finds_a_circle() -> None:
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert _cycles({"a": {"b"}, "b": set()}) == []


def test_the_import_graph_has_no_circle() -> None:
    graph = import_graph()
    assert len(graph) > 50  # the whole package was read
    assert _cycles(graph) == []


def _sql_calls(source: str, label: str) -> list[str]:
    """Calls such as `con.execute("SELECT ...")` or `backend.sql(query)`: SQL handed over as text."""
    hits: list[tuple[int, str]] = []
    for node in ast.walk(ast.parse(source, filename=label)):
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr in SQL_CALLS
            and node.args
            and isinstance(node.args[0], ast.Constant | ast.JoinedStr | ast.BinOp | ast.Name)
        ):
            hits.append((node.lineno, f"{label}:{node.lineno} .{node.func.attr}(...)"))
    return [h for _, h in sorted(hits)]


def _sql_in(paths: list[Path]) -> list[str]:
    return [h for p in paths for h in _sql_calls(p.read_text(), str(p.relative_to(ROOT.parent)))]


def test_the_sql_finder_sees_text_and_ignores_expressions() -> None:
    source = (
        "def f(con, t, q):\n"
        "    con.execute('SELECT 1').fetchall()\n"
        "    con.sql(f'SELECT {q}')\n"
        "    con.execute(q)\n"
        "    return t.filter(t.a > 1).execute()\n"
    )
    assert _sql_calls(source, "x.py") == [
        "x.py:2 .execute(...)",
        "x.py:3 .sql(...)",
        "x.py:4 .execute(...)",
    ]


@pytest.mark.parametrize(
    "package",
    sorted(
        p.name
        for p in ROOT.iterdir()
        if p.is_dir() and (p / "__init__.py").exists() and p.name not in SQL_PACKAGES
    ),
)
def test_no_sql_text_outside_the_data_packages(package: str) -> None:
    assert _sql_in(sorted((ROOT / package).rglob("*.py"))) == []


def test_no_sql_text_in_top_level_modules() -> None:
    assert _sql_in(sorted(ROOT.glob("*.py"))) == []


def _environment_reads(source: str) -> list[int]:
    """Lines that read the process environment (`os.environ`, `os.getenv`)."""
    lines = []
    for node in ast.walk(ast.parse(source)):
        if (
            isinstance(node, ast.Attribute)
            and node.attr in {"environ", "getenv", "environb"}
            and isinstance(node.value, ast.Name)
            and node.value.id == "os"
        ):
            lines.append(node.lineno)
    return sorted(lines)


def test_only_the_settings_loader_reads_the_environment() -> None:
    assert _environment_reads("import os\nx = os.environ.get('A')\ny = os.getenv('B')\n") == [2, 3]
    readers = {
        str(p.relative_to(ROOT.parent)): lines
        for p in sorted(ROOT.rglob("*.py"))
        if (lines := _environment_reads(p.read_text()))
    }
    assert set(readers) <= {"healthscore/config.py"}, readers


# The one direction imports go: a package may import only from layers before its own.
# docs/architecture.md draws the same picture.
LAYERS: list[set[str]] = [
    {"errors", "yamlfile", "singleflight"},
    {"config", "store"},
    {"store.queries", "ingest", "metrics"},
    {"text"},
    {"portfolio"},
    {"scoring"},
    {"predict"},
    {"actions", "auth"},
    {"notify"},
    {"jobs"},
    {"demo"},
    {"app"},
    {"web"},
    {"api", "cli"},
]


def _package(module: str) -> str:
    parts = module.split(".")
    if parts[1:3] == ["store", "queries"]:
        return "store.queries"
    return parts[1] if len(parts) > 1 else "healthscore"


def test_packages_import_only_from_earlier_layers() -> None:
    layer = {p: i for i, names in enumerate(LAYERS) for p in names}
    upward = sorted(
        f"{a} -> {b}"
        for a, targets in import_graph().items()
        for b in targets
        if _package(a) != _package(b)
        and _package(a) in layer
        and layer[_package(b)] >= layer[_package(a)]
    )
    assert upward == []
    packages = {_package(m) for m in import_graph()} - {"healthscore"}
    assert packages <= set(layer), packages - set(layer)
