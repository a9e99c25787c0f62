"""Custom metrics: a small declarative format compiled to Ibis expressions.

No SQL text is ever accepted: tables, columns and kinds are checked against the data model
and filter values travel as Ibis literals, so a scorecard cannot inject SQL.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from healthscore.errors import InvalidScorecard, UnknownMetric
from healthscore.metrics._columns import KEY, Columns
from healthscore.metrics._helpers import day_n, div, pct_change
from healthscore.metrics._run import Run
from healthscore.metrics.catalog import MetricInfo
from healthscore.store.schema import KINDS

__all__ = ["CUSTOM_KINDS", "CUSTOM_TABLES", "CustomMetric", "validate_custom"]

CUSTOM_KINDS = ("count", "sum", "ratio", "pct_change", "days_since")
# Tables with an account and a time column: the only ones a window makes sense on.
CUSTOM_TABLES = tuple(
    sorted(
        n
        for n, t in KINDS.items()
        if t.time_column and "account_id" in t.column_names and n != "accounts"
    )
)
_NUMERIC = ("DOUBLE", "BIGINT", "INTEGER", "UBIGINT")
Scalar = str | int | float | bool


class CustomMetric(BaseModel):
    """One custom metric, e.g. {name: exports_28d, kind: count, table: events,
    where: {event_type: export}, window_days: 28}."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(pattern=r"^[a-z][a-z0-9_]*$", max_length=80)
    kind: str
    table: str | None = None
    where: dict[str, Scalar | list[Scalar]] = Field(default_factory=dict)
    window_days: int | None = Field(default=None, gt=0, le=3660)
    value_column: str | None = None
    numerator: str | None = None
    denominator: str | None = None
    description: str = ""
    label: str = Field(default="", max_length=80)
    direction: Literal["higher_is_better", "lower_is_better"] | None = None
    unit: str = ""

    @model_validator(mode="after")
    def _check(self) -> CustomMetric:
        def bad(msg: str) -> InvalidScorecard:
            return InvalidScorecard(f"custom metric {self.name!r}: {msg}")

        if self.kind not in CUSTOM_KINDS:
            raise bad(f"unknown kind {self.kind!r}; allowed: {', '.join(CUSTOM_KINDS)}")
        if self.kind == "ratio":
            if not (self.numerator and self.denominator):
                raise bad("kind 'ratio' needs 'numerator' and 'denominator' (metric names)")
            if self.table or self.where or self.value_column:
                raise bad("kind 'ratio' combines two metrics; drop table/where/value_column")
            return self
        if self.numerator or self.denominator:
            raise bad("'numerator'/'denominator' only apply to kind 'ratio'")
        if self.table not in CUSTOM_TABLES:
            raise bad(f"unknown table {self.table!r}; allowed: {', '.join(CUSTOM_TABLES)}")
        cols = KINDS[self.table].column_names
        for col in self.where:
            if col not in cols:
                raise bad(
                    f"unknown column {col!r} in 'where' of table {self.table!r}; "
                    f"allowed: {', '.join(cols)}"
                )
        if self.kind == "sum" and not self.value_column:
            raise bad("kind 'sum' needs 'value_column'")
        if self.value_column is not None:
            if self.kind not in ("sum", "pct_change"):
                raise bad(f"'value_column' does not apply to kind {self.kind!r}")
            vcol = (
                KINDS[self.table].column(self.value_column) if self.value_column in cols else None
            )
            if vcol is None or vcol.type not in _NUMERIC:
                numeric = [c.name for c in KINDS[self.table].columns if c.type in _NUMERIC]
                raise bad(
                    f"value_column {self.value_column!r} is not a numeric column of "
                    f"{self.table!r}; allowed: {', '.join(numeric)}"
                )
        if self.kind == "pct_change" and not self.window_days:
            raise bad("kind 'pct_change' needs 'window_days'")
        return self

    @classmethod
    def parse(cls, data: Any) -> CustomMetric:
        """Validate a mapping (e.g. from scorecard YAML); errors become InvalidScorecard."""
        if isinstance(data, cls):
            return data
        try:
            return cls.model_validate(data)
        except ValidationError as exc:
            name = data.get("name", "?") if isinstance(data, dict) else "?"
            problems = "; ".join(
                f"{'.'.join(str(p) for p in e['loc']) or 'metric'}: {e['msg']}"
                for e in exc.errors()
            )
            raise InvalidScorecard(f"custom metric {name!r}: {problems}") from None

    def info(self) -> MetricInfo:
        """Its catalogue entry; the label defaults to the name in words ('Exports 28d')."""
        return MetricInfo(
            self.name,
            "custom",
            self.description or f"Custom {self.kind} metric.",
            self.direction,
            self.unit or ("%" if self.kind == "pct_change" else ""),
            self.label or self.name.replace("_", " ").capitalize(),
        )


def validate_custom(items: Sequence[Any]) -> list[CustomMetric]:
    """Parse and check custom metrics (ratio inputs are checked at compute time)."""
    out = [CustomMetric.parse(i) for i in items]
    seen: set[str] = set()
    for c in out:
        if c.name in seen:
            raise InvalidScorecard(f"custom metric {c.name!r} is defined twice")
        seen.add(c.name)
    return out


def compute_custom(run: Run, frame: Columns, metrics: list[CustomMetric]) -> None:
    """Add one column per custom metric to `frame` (rows = (as_of, account))."""
    for c in metrics:
        if c.kind == "ratio":
            for ref in (c.numerator, c.denominator):
                if ref not in frame.columns or ref in ("as_of", "account_id"):
                    known = [m for m in frame.columns if not m.startswith(("prev_", "wk"))]
                    raise UnknownMetric(
                        f"custom metric {c.name!r}: unknown metric {ref!r} in ratio; "
                        f"define it first or use one of: {', '.join(sorted(known)[:40])}, ..."
                    )
            assert c.numerator is not None and c.denominator is not None
            frame[c.name] = div(frame[c.numerator], frame[c.denominator])
            continue
        assert c.table is not None
        if not run.ctx.has(c.table):
            frame[c.name] = float("nan")
            continue
        t = run.table(c.table)
        for col, val in c.where.items():
            vals = val if isinstance(val, list) else [val]
            t = t.filter(t[col].isin(vals))
        time_col = KINDS[c.table].time_column
        assert time_col is not None
        j = run.by_date(t.filter(t[time_col].notnull()), time_col)
        tc = j[time_col]
        is_date = tc.type().is_date()

        def since(days: int, tc: Any = tc, j: Any = j, is_date: bool = is_date) -> Any:
            return tc >= (j[f"d{days}"] if is_date else j[f"s{days}"])

        def until(days: int, tc: Any = tc, j: Any = j, is_date: bool = is_date) -> Any:
            return tc < (j[f"d{days}"] if is_date else j[f"s{days}"])

        w = c.window_days or 0  # 0 = no window (validated: pct_change always has one)
        val_expr: Any = j[c.value_column] if c.value_column else None
        if c.kind == "days_since":
            agg = j.group_by(KEY).agg(last=tc.max(where=since(w) if w else None))
            df = run.fetch(agg)
            df = df.merge(frame.keys_frame("as_of_n"), on=KEY, how="inner")
            df[c.name] = df["as_of_n"] - day_n(df.pop("last"))
            df = df[[*KEY, c.name]]
        else:
            cur = since(w) if w else None
            if c.kind == "count" or (c.kind == "pct_change" and val_expr is None):
                aggs = {"cur": j.count(where=cur)}
                if c.kind == "pct_change":
                    aggs["prev"] = j.count(where=since(2 * w) & until(w))
            else:
                aggs = {"cur": val_expr.sum(where=cur)}
                if c.kind == "pct_change":
                    aggs["prev"] = val_expr.sum(where=since(2 * w) & until(w))
            df = run.fetch(j.group_by(KEY).agg(**aggs))
            if c.kind == "pct_change":
                df[c.name] = pct_change(df["cur"].astype("float64"), df["prev"].fillna(0))
            else:
                df[c.name] = df["cur"].astype("float64")
            df = df[[*KEY, c.name]]
        frame.attach(df)
        if c.kind in ("count", "sum"):
            frame[c.name] = frame[c.name].fillna(0.0)
