"""`healthscore metrics list`: the metric catalogue a scorecard can use."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Any

import typer

from healthscore.cli._app import metrics_app
from healthscore.cli._common import (
    DbOption,
    FormatOption,
    OutputFormat,
    current_app,
    emit,
    err,
)
from healthscore.metrics import GROUPS

COLUMNS = ("name", "group", "label", "unit", "direction", "description")


class Group(StrEnum):
    usage = "usage"
    adoption = "adoption"
    support = "support"
    voice = "voice"
    sentiment = "sentiment"
    relationship = "relationship"
    goals = "goals"
    financial = "financial"
    advocacy = "advocacy"
    custom = "custom"


assert tuple(Group) == GROUPS, "the --group choices are the catalogue's groups"


@metrics_app.command("list")
def metrics_list(
    ctx: typer.Context,
    group: Annotated[Group | None, typer.Option("--group", "-g", help="Only this group.")] = None,
    db: DbOption = None,
    fmt: FormatOption = OutputFormat.table,
) -> None:
    """Every metric this store can compute: name, group, label, unit, direction, description.

    Per-event-type metrics are listed for the event types the store holds, and the custom
    metrics of the scorecard in force with them.

    Example: healthscore metrics list --group usage --format csv
    """
    from healthscore.metrics import metric_catalog
    from healthscore.scoring.run import custom_metrics

    hs = current_app(ctx, db=db)
    backend = hs.engine if hs.engine is not None else hs.store.ibis()
    infos = metric_catalog(backend, custom=custom_metrics(hs.scorecard))
    rows = [_row(i) for i in infos if group is None or i.group == group.value]
    if fmt is not OutputFormat.table:
        emit(rows, fmt, columns=COLUMNS)
        return
    if not rows:
        err.print(f"no {group.value if group else ''} metric in this store")
        return
    emit(rows, fmt, columns=COLUMNS, title=f"{len(rows)} metrics")


def _row(info: Any) -> dict[str, Any]:
    return {
        "name": info.name,
        "group": info.group,
        # The catalogue's human label where it has one; the name otherwise.
        "label": info.label,
        "unit": info.unit,
        "direction": info.direction,
        "description": info.description,
    }
