"""Turn one opened file into what the importer reads: which column feeds which field, and,
when a profile or option transforms values, a SQL view of the file with those fields.

Plain renames keep the file as DuckDB reads it (the bulk path stays as fast as before);
value maps, constants, date formats, derived values and row filters wrap its SELECT in one
projection, still streamed by DuckDB, never row by row in Python.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from healthscore.errors import ImportRejected
from healthscore.ingest._sql import qi, ql
from healthscore.ingest.mapping import _find, match_columns, norm
from healthscore.ingest.readers import LINE, Source
from healthscore.ingest.resolve import RESOLVE_ORDER
from healthscore.ingest.values import FieldSpec, field_sql
from healthscore.store.schema import Table

__all__ = ["ImportSpec", "Prepared", "prepare_source"]


@dataclass
class ImportSpec:
    """Everything beyond plain column names: a profile's fields and the command line's
    maps, value maps, constants and date formats."""

    fields: dict[str, FieldSpec] = field(default_factory=dict)
    values: dict[str, dict[str, str | None]] = field(default_factory=dict)
    formats: dict[str, str] = field(default_factory=dict)  # field -> date format
    date_format: str | None = None  # for every date field without its own
    constants: dict[str, str] = field(default_factory=dict)
    account_by: tuple[str, ...] = RESOLVE_ORDER
    external_ids: dict[str, list[str]] = field(default_factory=dict)  # source -> columns
    where: tuple[str, list[str]] | None = None
    source_name: str | None = None
    profile: str | None = None

    @property
    def transforms(self) -> bool:
        return bool(self.values or self.formats or self.date_format or self.constants)


@dataclass
class Prepared:
    source: Source
    mapping: dict[str, str]  # source column (of `source`) -> field
    lines: list[str]  # the mapping as printed: field <- where it comes from
    unused: list[str]
    original: Source | None = None  # the file as read, before any projection
    fields: dict[str, FieldSpec] = field(default_factory=dict)


def column_text(src: Source, name: str) -> str | None:
    """SQL text of a source column (or a key of a JSON column: `context.groupId`)."""
    found = _find(name, src.columns)
    if found is not None:
        if src.columns[found] == "JSON":  # a JSON Lines value: its text, not its JSON
            return f"nullif(trim({qi(found)} ->> '$'), '')"
        return f"nullif(trim(CAST({qi(found)} AS VARCHAR)), '')"
    head, _, rest = name.partition(".")
    if rest and (col := _find(head, src.columns)) is not None:
        path = "$" + "".join(
            f"[{p}]" if p.isdigit() else '."' + p.replace('"', '\\"') + '"' for p in rest.split(".")
        )
        doc = (
            qi(col)
            if src.columns[col] == "JSON"
            else f"try_cast(CAST({qi(col)} AS VARCHAR) AS JSON)"  # text that is no JSON: NULL
        )
        return f"nullif(trim(json_extract_string({doc}, {ql(path)})), '')"
    return None


def _used_columns(spec: FieldSpec, src: Source) -> list[str]:
    names = [
        *spec.columns,
        spec.times or "",
        spec.per[0] if spec.per else "",
        spec.when[0] if spec.when else "",
    ]
    out = []
    for n in names:
        if not n:
            continue
        f = _find(n, src.columns) or _find(n.partition(".")[0], src.columns)
        if f is not None:
            out.append(f)
    return out


def _present(fs: FieldSpec, src: Source) -> FieldSpec:
    """`fs` naming only the columns this file has (what the mapping printout shows)."""
    cols: list[str] = []
    for c in fs.columns:
        if column_text(src, c) is None:
            continue
        shown = _find(c, src.columns) or c
        if shown not in cols:
            cols.append(shown)
    return replace(fs, columns=cols)


def prepare_source(
    table: Table, src: Source, spec: ImportSpec, explicit: dict[str, str]
) -> Prepared:
    """The source the importer reads, its column mapping, and the mapping's printout."""
    fields: dict[str, FieldSpec] = {}
    for target, fs in spec.fields.items():
        if target not in table.column_names:
            continue
        given = fs.constant is not None or fs.default is not None
        if given or any(column_text(src, c) is not None for c in fs.columns):
            fields[target] = fs
    taken = {c for fs in fields.values() for c in _used_columns(fs, src)}
    explicit_targets = set(explicit.values())
    for t in explicit_targets:
        fields.pop(t, None)  # the command line wins over the profile
    taken = {c for fs in fields.values() for c in _used_columns(fs, src)}
    matched = match_columns(
        table,
        src.columns,
        explicit,
        label=src.label,
        taken=taken,
        provided=set(fields) | set(spec.constants),
    )
    for s, t in matched.items():
        fields[t] = FieldSpec(columns=[s])
    for t, const in spec.constants.items():
        if t not in table.column_names:
            from healthscore.ingest.mapping import did_you_mean

            raise ImportRejected(
                f'--set {t}={const}: "{t}" is not a field of {table.name}'
                f"{did_you_mean(t, table.column_names)}"
            )
        fields[t] = FieldSpec(constant=const)
    for t, vmap in spec.values.items():
        if t not in fields:
            from healthscore.ingest.mapping import did_you_mean

            raise ImportRejected(
                f'--value {t}:…: "{t}" is not a field this file fills'
                f"{did_you_mean(t, list(fields) or table.column_names)}"
            )
        fields[t] = replace(fields[t], values={**fields[t].values, **vmap})
    for t, fmt in spec.formats.items():
        if t not in fields:
            from healthscore.ingest.mapping import did_you_mean

            raise ImportRejected(
                f'--date-format {t}={fmt}: "{t}" is not a field this file fills'
                f"{did_you_mean(t, list(fields) or table.column_names)}"
            )
        fields[t] = replace(fields[t], format=fmt)
    if spec.date_format:
        for c in table.columns:
            if c.type in ("DATE", "TIMESTAMP") and c.name in fields and not fields[c.name].format:
                fields[c.name] = replace(fields[c.name], format=spec.date_format)
    used = {c for fs in fields.values() for c in _used_columns(fs, src)}
    unused = [c for c in src.columns if c not in used]
    order = {c: i for i, c in enumerate(table.column_names)}
    lines = [
        f"{t} ← {_present(fields[t], src).describe()}"
        for t in sorted(fields, key=order.__getitem__)
    ]
    plain = spec.where is None and all(
        fs.columns
        and len(fs.columns) == 1
        and _find(fs.columns[0], src.columns) is not None
        and fs == FieldSpec(columns=fs.columns)
        for fs in fields.values()
    )
    if plain:
        mapping = {_find(fs.columns[0], src.columns): t for t, fs in fields.items()}
        return Prepared(
            src, {k: v for k, v in mapping.items() if k is not None}, lines, unused, src, fields
        )
    # A projection of the file: every field by its own name, then the untouched columns.
    exprs = [LINE]
    cols: dict[str, str] = {}
    for t, fs in fields.items():
        exprs.append(f"{field_sql(fs, lambda n: column_text(src, n))} AS {qi(t)}")
        cols[t] = "VARCHAR"
    targets = {norm(t) for t in fields}
    for name in unused:
        if norm(name) in targets or name.lower() in (t.lower() for t in cols):
            continue  # would shadow a field
        exprs.append(qi(name))
        cols[name] = src.columns[name]
    filt = ""
    if spec.where is not None:
        wcol = column_text(src, spec.where[0])
        if wcol is None:
            raise ImportRejected(
                f"{src.label}: the profile keeps rows by column {spec.where[0]!r}, "
                f"which the file lacks (columns: {', '.join(src.columns)})"
            )
        allowed = ", ".join(ql(x.lower()) for x in spec.where[1])
        filt = f" WHERE lower({wcol}) IN ({allowed})"
        lines.append(f"rows kept: {spec.where[0]} in {', '.join(spec.where[1])}")
    proj = ", ".join(exprs)
    wrapped = replace(
        src,
        columns=cols,
        select=f"SELECT {proj} FROM ({src.select}){filt}",
        fast=f"SELECT {proj} FROM ({src.fast}){filt}",
    )
    return Prepared(wrapped, {t: t for t in fields}, lines, unused, src, fields)
