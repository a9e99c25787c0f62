"""What a field's value is made of: source columns, value maps, constants, date formats,
number scaling and derived values, each compiled to one SQL expression over the source's
text.

Every expression yields text for the importer's usual typing and checks.  A value a map or
format cannot read is passed on *unchanged*, so the importer reports it with its line and
column instead of it silently becoming empty.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from healthscore.errors import ImportRejected
from healthscore.ingest._sql import ql

__all__ = ["DATE_FORMATS", "FieldSpec", "date_sql", "field_spec", "value_map_sql"]

# Named date formats (strptime patterns tried in order), plus epoch_s, epoch_ms and epoch.
_TIMES = ("%I:%M:%S %p", "%I:%M %p", "%H:%M:%S", "%H:%M")
DATE_FORMATS: dict[str, tuple[str, ...]] = {
    "iso": (),
    "us": tuple(f"%m/%d/%Y {t}" for t in _TIMES)
    + tuple(f"%m/%d/%y {t}" for t in _TIMES)
    + ("%m/%d/%Y", "%m/%d/%y", "%m-%d-%Y"),
    "dayfirst": tuple(f"%d/%m/%Y {t}" for t in _TIMES[2:])
    + tuple(f"%d.%m.%Y {t}" for t in _TIMES[2:])
    + ("%d/%m/%Y", "%d.%m.%Y", "%d-%m-%Y", "%d/%m/%y", "%d.%m.%y"),
}
_EPOCHS = ("epoch_s", "epoch_ms", "epoch")
_ISO_OUT = "%Y-%m-%dT%H:%M:%S.%f"


@dataclass
class FieldSpec:
    """How one field is filled. `columns`: source columns, first non-empty wins (a dotted
    name reads a key of a JSON column, e.g. `context.groupId`)."""

    columns: list[str] = field(default_factory=list)
    constant: str | None = None
    values: dict[str, str | None] = field(default_factory=dict)
    format: str | None = None
    scale: float | None = None
    times: str | None = None
    per: tuple[str, dict[str, float]] | None = None  # divide by the mapped value of a column
    when: tuple[str, list[str]] | None = None  # only when a column holds one of the values
    default: str | None = None
    join: str | None = None  # concatenate every present column with this separator

    def describe(self) -> str:
        """How the mapping printout shows this field."""
        if self.constant is not None and not self.columns:
            return f"constant {self.constant!r}"
        if self.join is not None:
            parts = [" + ".join(self.columns)]
        elif self.columns:
            parts = [" or ".join(self.columns)]
        else:
            parts = ["(no column in the file)"]
        if self.values:
            shown = ", ".join(
                f"{k}→{'empty' if v is None else v}" for k, v in list(self.values.items())[:4]
            )
            more = ", …" if len(self.values) > 4 else ""
            parts.append(f"values {shown}{more}")
        if self.format:
            parts.append(f"format {self.format}")
        if self.scale is not None:
            parts.append(f"× {self.scale:g}")
        if self.times:
            parts.append(f"× {self.times}")
        if self.per:
            parts.append(f"per {self.per[0]}")
        if self.when:
            parts.append(f"when {self.when[0]} in {', '.join(self.when[1])}")
        if self.default is not None:
            parts.append(f"default {self.default!r}")
        return "; ".join(parts)


def _text(v: Any) -> str | None:
    if v is None:
        return None
    if isinstance(v, bool):
        return "true" if v else "false"
    return str(v)


def field_spec(where: str, target: str, raw: Any) -> FieldSpec:
    """A FieldSpec from a profile's entry: a column name, a list of them, or a mapping."""
    if isinstance(raw, str):
        return FieldSpec(columns=[raw])
    if isinstance(raw, list) and all(isinstance(x, str) for x in raw):
        return FieldSpec(columns=list(raw))
    if not isinstance(raw, dict):
        raise ImportRejected(
            f"{where}: field {target!r}: expected a column name, a list of them, or a mapping "
            "with column, values, format, constant, scale, times, per, when or default"
        )
    known = {
        "column",
        "columns",
        "values",
        "format",
        "constant",
        "scale",
        "times",
        "per",
        "when",
        "default",
        "join",
    }
    if unknown := sorted(set(raw) - known):
        from healthscore.ingest.mapping import did_you_mean

        raise ImportRejected(
            f"{where}: field {target!r}: unknown key {unknown[0]!r}"
            f"{did_you_mean(unknown[0], known)}; known: {', '.join(sorted(known))}"
        )
    got = raw.get("columns", raw.get("column")) or []
    cols: list[Any] = [got] if isinstance(got, str) else list(got)

    spec = FieldSpec(columns=[str(c) for c in cols])
    spec.constant = _text(raw.get("constant"))
    if not spec.columns and spec.constant is None:
        raise ImportRejected(f"{where}: field {target!r}: give a column or a constant")
    values = raw.get("values") or {}
    if not isinstance(values, dict):
        raise ImportRejected(f"{where}: field {target!r}: values must map source to stored value")
    spec.values = {str(k): _text(v) for k, v in values.items()}
    if (fmt := raw.get("format")) is not None:
        fmt = ",".join(map(str, fmt)) if isinstance(fmt, list) else str(fmt)
        spec.format = check_format(fmt, f"{where}: field {target!r}")
    spec.join = _text(raw.get("join"))
    if (scale := raw.get("scale")) is not None:
        spec.scale = float(scale)
    spec.times = _text(raw.get("times"))
    if (per := raw.get("per")) is not None:
        if (
            not isinstance(per, dict)
            or "column" not in per
            or not isinstance(per.get("values"), dict)
        ):
            raise ImportRejected(
                f"{where}: field {target!r}: per needs column and values, e.g. "
                "{column: interval, values: {month: 1, year: 12}}"
            )
        spec.per = (str(per["column"]), {str(k): float(v) for k, v in per["values"].items()})
    if (when := raw.get("when")) is not None:
        if not isinstance(when, dict) or "column" not in when or "in" not in when:
            raise ImportRejected(
                f"{where}: field {target!r}: when needs column and in, e.g. "
                "{column: status, in: [canceled]}"
            )
        spec.when = (str(when["column"]), [str(x) for x in when["in"] or []])
    spec.default = _text(raw.get("default"))
    return spec


def value_map_sql(v: str, values: Mapping[str, str | None]) -> str:
    """Map values case- and space-insensitively; others pass unchanged."""
    if not values:
        return v
    arms = " ".join(
        f"WHEN {ql(k.strip().lower())} THEN {'NULL' if to is None else ql(to)}"
        for k, to in values.items()
    )
    return f"(CASE lower(trim({v})) {arms} ELSE {v} END)"


def date_sql(v: str, fmt: str) -> str:
    """Text in `fmt` to ISO 8601 text (UTC); unreadable text passes unchanged.

    `fmt` may list formats tried in turn, `epoch,us`: exports mix them (an API gives epoch
    seconds where a CSV export gives a US date); ISO text always passes through."""
    parts = [f.strip() for f in fmt.split(",") if f.strip() and f.strip() != "iso"]
    if not parts:
        return v
    return f"coalesce({', '.join(_parsed(v, f) for f in parts)}, {v})"


def _parsed(v: str, fmt: str) -> str:
    """ISO text of `v` read in one format, or NULL."""
    if fmt in _EPOCHS:
        num = f"try_cast({v} AS DOUBLE)"
        if fmt == "epoch_s":
            micros = f"{num} * 1e6"
        elif fmt == "epoch_ms":
            micros = f"{num} * 1e3"
        else:  # 13 digits are milliseconds, 10 seconds (anything after 2001 either way)
            micros = f"CASE WHEN abs({num}) >= 1e11 THEN {num} * 1e3 ELSE {num} * 1e6 END"
        ts = f"make_timestamp(CAST({micros} AS BIGINT))"
        return f"strftime({ts}, {ql(_ISO_OUT)})"
    pats = DATE_FORMATS.get(fmt, (fmt,))
    listed = "[" + ", ".join(ql(p) for p in pats) + "]"
    return f"strftime(try_strptime(trim({v}), {listed}), {ql(_ISO_OUT)})"


def check_format(fmt: str, where: str) -> str:
    """`fmt` when every format it lists is known, else an error naming the choices."""
    for f in fmt.split(","):
        f = f.strip()
        if f not in DATE_FORMATS and f not in _EPOCHS and "%" not in f:
            raise ImportRejected(
                f"{where}: unknown date format {f!r}; use one of "
                f"{', '.join([*DATE_FORMATS, *_EPOCHS])} or a strptime pattern such as "
                "%d/%m/%Y (several, comma-separated, are tried in turn)"
            )
    return fmt


def field_sql(spec: FieldSpec, col: Callable[[str], str | None]) -> str:
    """The SQL text of a field; `col(name)` gives a source column's text SQL (or None)."""
    # Names that find the same column (`firstname`, `First Name`) count once.
    present = list(dict.fromkeys(s for n in spec.columns if (s := col(n)) is not None))
    if present and spec.join is not None and len(present) > 1:
        v = f"nullif(concat_ws({ql(spec.join)}, {', '.join(present)}), '')"
    elif present:
        v = present[0] if len(present) == 1 else f"coalesce({', '.join(present)})"
    else:
        v = "CAST(NULL AS VARCHAR)"
    v = value_map_sql(v, spec.values)
    if spec.format:
        v = date_sql(v, spec.format)
    num = f"try_cast({v} AS DOUBLE)"
    factors = []
    if spec.scale is not None:
        factors.append(repr(spec.scale))
    if spec.times and (t := col(spec.times)) is not None:
        factors.append(f"coalesce(try_cast({t} AS DOUBLE), 1)")
    if spec.per and (p := col(spec.per[0])) is not None:
        per = value_map_sql(p, {k: str(x) for k, x in spec.per[1].items()})
        factors.append(f"(1.0 / try_cast({per} AS DOUBLE))")
    if factors:  # unreadable numbers pass unchanged; an unknown `per` value leaves it empty
        product = f"CAST(round({num} * {' * '.join(factors)}, 6) AS VARCHAR)"
        v = f"(CASE WHEN {num} IS NULL THEN {v} ELSE {product} END)"
    if spec.when and (w := col(spec.when[0])) is not None:
        allowed = ", ".join(ql(x.strip().lower()) for x in spec.when[1])
        v = f"(CASE WHEN lower(trim({w})) IN ({allowed}) THEN {v} END)"
    fallback = spec.constant if spec.constant is not None else spec.default
    if fallback is not None:
        v = f"coalesce({v}, {ql(fallback)})" if present else ql(fallback)
    return v
