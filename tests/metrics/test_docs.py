"""Every catalogue metric has an entry in docs/metrics.md (dynamic ones by their pattern)."""

from __future__ import annotations

import re
from pathlib import Path

from healthscore.metrics import metric_catalog
from healthscore.metrics._context import read_context

DOCS = Path(__file__).resolve().parents[2] / "docs" / "metrics.md"


def documented_names() -> set[str]:
    """Metric names in the tables of the catalogue section."""
    text = DOCS.read_text()
    section = text[text.index("## The catalogue") : text.index("## Custom metrics")]
    return set(re.findall(r"^\| `([^`]+)` \|", section, flags=re.M))


def patterns(name: str, ctx) -> set[str]:
    """The names a docs entry may use: literal, window as <w>, dynamic parts as placeholders."""
    out = {name}
    for _, s in ctx.event_types:
        out |= {n.replace(f"events_{s}_", "events_<type>_") for n in out}
    for _, s in ctx.categories:
        out |= {n.replace(f"support_share_{s}_", "support_share_<category>_") for n in out}
    for _, s in ctx.measures:
        out |= {re.sub(rf"^judgement_{s}(?=$|_age_days$)", "judgement_<measure>", n) for n in out}
    out |= {re.sub(r"_\d+d$", "_<w>d", n) for n in out}
    return out


def test_every_metric_is_documented(tiny_store):
    backend = tiny_store.ibis()
    ctx = read_context(backend)
    docs = documented_names()
    missing = [m.name for m in metric_catalog(backend) if not patterns(m.name, ctx) & docs]
    assert not missing, f"add these metrics to docs/metrics.md: {missing}"


def test_docs_do_not_list_unknown_metrics(tiny_store):
    backend = tiny_store.ibis()
    ctx = read_context(backend)
    known: set[str] = set()
    for m in metric_catalog(backend):
        known |= patterns(m.name, ctx)
    assert documented_names() <= known


def documented_rows() -> dict[str, tuple[str, str, str]]:
    """Metric name -> (label, unit, direction) as the catalogue tables show them."""
    text = DOCS.read_text()
    section = text[text.index("## The catalogue") : text.index("## Custom metrics")]
    out = {}
    for line in section.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) == 5 and cells[0].startswith("`"):
            out[cells[0].strip("`")] = (cells[1].replace("`", ""), cells[3], cells[4])
    return out


def shown(name: str, label: str, ctx, windowed: bool) -> tuple[str, str]:
    """The docs form of a catalogue name and label: dynamic parts as placeholders."""
    for raw, s in ctx.event_types:
        if name.startswith(f"events_{s}_"):
            name, label = (
                name.replace(f"events_{s}_", "events_<type>_"),
                label.replace(raw, "<type>"),
            )
    for raw, s in ctx.categories:
        if name.startswith(f"support_share_{s}_"):
            name = name.replace(f"support_share_{s}_", "support_share_<category>_")
            label = label.replace(f"'{raw}'", "'<category>'")
    for raw, s in ctx.measures:
        if re.match(rf"^judgement_{s}($|_age_days$)", name):
            name = re.sub(rf"^judgement_{s}", "judgement_<measure>", name)
            label = label.replace(f"'{raw}'", "'<measure>'")
    if windowed:
        name, label = re.sub(r"_7d$", "_<w>d", name), label.replace("7", "<w>")
    return name, label


def test_docs_show_each_metrics_label_unit_and_direction(tiny_store):
    backend = tiny_store.ibis()
    ctx = read_context(backend)
    # A metric whose name follows the windows is documented with <w>.
    fixed = {m.name for m in metric_catalog(backend, windows=(8,))}
    rows = documented_rows()
    wrong = []
    for m in metric_catalog(backend, windows=(7,)):
        name, label = shown(m.name, m.label, ctx, m.name not in fixed)
        direction = (m.direction or "—").replace("_", " ")
        if rows.get(name) != (label, m.unit, direction):
            wrong.append(f"{name}: docs {rows.get(name)}, catalogue {(label, m.unit, direction)}")
    assert not wrong, "docs/metrics.md disagrees with the catalogue:\n" + "\n".join(wrong)
