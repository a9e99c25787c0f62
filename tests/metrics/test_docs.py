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
