"""The families: one module each, in catalogue order, each declaring only its own group's
metrics, every one with a label; and no import circle inside healthscore.metrics."""

from __future__ import annotations

import ast
from pathlib import Path

import healthscore.metrics
from healthscore.metrics import GROUPS, CustomMetric, metric_catalog
from healthscore.metrics._context import read_context
from healthscore.metrics.compute import _FAMILIES

PACKAGE = Path(healthscore.metrics.__file__).parent


def test_one_family_per_group_in_catalogue_order():
    assert tuple(f.name for f in _FAMILIES) == GROUPS[:-1]
    modules = sorted(p.stem for p in (PACKAGE / "families").glob("[!_]*.py"))
    assert modules == sorted(GROUPS[:-1])


def test_each_family_declares_its_own_group(tiny_store):
    ctx = read_context(tiny_store.ibis())
    for family in _FAMILIES:
        entries = family.catalog(ctx, (7, 28, 90))
        assert entries, family.name
        assert {m.group for m in entries} == {family.name}


def test_every_metric_has_a_label(tiny_store):
    custom = [
        CustomMetric(name="exports_28d", kind="count", table="events", window_days=28),
        CustomMetric(name="qbr_age", kind="days_since", table="interactions", label="QBR age"),
    ]
    catalog = metric_catalog(tiny_store.ibis(), custom=custom)
    assert len({m.name for m in catalog}) == len(catalog)
    unlabelled = [m.name for m in catalog if not m.label.strip()]
    assert not unlabelled
    labels = {m.name: m.label for m in catalog}
    assert labels["usage_logins_per_week_28d"] == "Logins per week, last 28 days"
    assert labels["events_login_7d"] == "login events, last 7 days"
    assert labels["exports_28d"] == "Exports 28d"
    assert labels["qbr_age"] == "QBR age"


def _imports(path: Path) -> set[str]:
    """Modules of healthscore.metrics that `path` imports anywhere: at the top, inside a
    function or under TYPE_CHECKING."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom):
            assert node.level == 0, f"{path}: relative import"
            names |= {f"{node.module}.{a.name}" for a in node.names} | {str(node.module)}
    return {n for n in names if n.startswith("healthscore.metrics")}


def test_no_import_circle():
    modules: dict[str, Path] = {}
    for p in PACKAGE.rglob("*.py"):
        parts = list(p.relative_to(PACKAGE.parent.parent).with_suffix("").parts)
        modules[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = p

    def resolve(name: str) -> str:
        while name not in modules:
            name = name.rpartition(".")[0]
        return name

    graph = {}
    for mod, path in modules.items():
        found = {resolve(n) for n in _imports(path)} - {mod}
        # `from a.b import c` names a.b and a.b.c: keep the module actually imported.
        graph[mod] = {m for m in found if not any(o.startswith(m + ".") for o in found)}
    done: set[str] = set()

    def visit(mod: str, path: tuple[str, ...]) -> None:
        for dep in graph[mod]:
            assert dep not in path, "import circle: " + " -> ".join([*path, dep])
            if dep not in done:
                visit(dep, (*path, dep))
        done.add(mod)

    for mod in graph:
        visit(mod, (mod,))
