"""Import profiles: a named, versioned description of one tool's export.

A profile says which kind the rows are, which source columns feed which field (with value
maps, constants, date formats and derived values, see `values.py`), how rows name their
account, which external ids they carry and which rows of a mixed file belong (Segment's
track, identify and group calls share one file).  healthscore ships profiles for the
tools CS teams use (`healthscore/ingest/profiles/*.yaml`); a user writes their own YAML
beside their data, optionally `extends:` a shipped one, and passes `--profile ./my.yaml`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from healthscore.errors import ImportRejected
from healthscore.ingest.mapping import did_you_mean
from healthscore.ingest.resolve import RESOLVE_ORDER
from healthscore.ingest.values import FieldSpec, field_spec
from healthscore.store.schema import KINDS

__all__ = [
    "LINKS",
    "PROFILE_DIR",
    "Profile",
    "find_profile",
    "load_profile",
    "shipped_profiles",
]

PROFILE_DIR = Path(__file__).with_name("profiles")

# Not a table: rows that only link accounts to their ids in another tool.
LINKS = "links"

_KEYS = {
    "profile",
    "version",
    "kind",
    "tool",
    "export",
    "docs",
    "source",
    "columns",
    "account",
    "external_ids",
    "where",
    "extends",
    "description",
    "notes",
    "optional_columns",
}


@dataclass
class Profile:
    """One export's mapping; `fields` maps each field to how it is filled."""

    name: str
    version: int
    kind: str
    tool: str = ""
    export: str = ""
    docs: list[str] = field(default_factory=list)
    source: str | None = None
    fields: dict[str, FieldSpec] = field(default_factory=dict)
    account_by: tuple[str, ...] = RESOLVE_ORDER
    external_ids: dict[str, list[str]] = field(default_factory=dict)
    where: tuple[str, list[str]] | None = None
    path: Path | None = None

    @property
    def label(self) -> str:
        return f"{self.name}@{self.version}"


def shipped_profiles() -> list[Profile]:
    return [load_profile(p) for p in sorted(PROFILE_DIR.glob("*.yaml"))]


def _read(path: Path) -> dict[str, Any]:
    import yaml

    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ImportRejected(f"{path}: cannot read the profile: {exc.strerror}") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" line {mark.line + 1}" if mark is not None else ""
        raise ImportRejected(f"{path}{where}: not valid YAML; fix the profile") from None
    if not isinstance(data, dict):
        raise ImportRejected(f"{path}: a profile is a mapping with kind and columns")
    return data


def load_profile(path: Path) -> Profile:
    """Read and check a profile file (its own, and the one it extends)."""
    data = _read(path)
    where = str(path)
    if unknown := sorted(set(data) - _KEYS):
        raise ImportRejected(
            f"{where}: unknown key {unknown[0]!r}{did_you_mean(unknown[0], _KEYS)}; "
            f"known: {', '.join(sorted(_KEYS))}"
        )
    base: Profile | None = None
    if ext := data.get("extends"):
        base = find_profile(str(ext), data.get("kind"))
    kind_name = data.get("kind", base.kind if base else None)
    if kind_name not in KINDS and kind_name != LINKS:
        raise ImportRejected(
            f"{where}: kind {kind_name!r} is not a kind{did_you_mean(str(kind_name), KINDS)}; "
            f"expected one of: {', '.join([*KINDS, LINKS])}"
        )
    fields_: dict[str, FieldSpec] = dict(base.fields) if base else {}
    cols = data.get("columns") or {}
    if not isinstance(cols, dict):
        raise ImportRejected(f"{where}: columns must map each field to its source")
    names = [*KINDS[kind_name].column_names, "account_id"] if kind_name in KINDS else ["account_id"]
    for target, raw in cols.items():
        if target not in names:
            raise ImportRejected(
                f"{where}: columns: {target!r} is not a field of {kind_name}"
                f"{did_you_mean(str(target), names)}; fields: {', '.join(dict.fromkeys(names))}"
            )
        if raw is None:
            fields_.pop(target, None)  # an extending profile may drop a field
            continue
        fields_[target] = field_spec(where, target, raw)
    # Fields some stores have and others not yet (a newer schema's columns): used when
    # the kind has them, skipped without a word otherwise.
    optional = data.get("optional_columns") or {}
    if not isinstance(optional, dict):
        raise ImportRejected(f"{where}: optional_columns must map each field to its source")
    for target, raw in optional.items():
        if target in names and raw is not None:
            fields_[target] = field_spec(where, target, raw)
    account = data.get("account") or {}
    by = tuple(account.get("by", base.account_by if base else RESOLVE_ORDER))
    if bad := [b for b in by if b not in RESOLVE_ORDER]:
        raise ImportRejected(
            f"{where}: account.by: {bad[0]!r} is not a way to find an account"
            f"{did_you_mean(bad[0], RESOLVE_ORDER)}; use some of: {', '.join(RESOLVE_ORDER)}"
        )
    ext_ids = dict(base.external_ids) if base else {}
    for k, v in (data.get("external_ids") or {}).items():
        ext_ids[str(k)] = [str(x) for x in v] if isinstance(v, list) else [str(v)]
    flt = data.get("where")
    where_ = base.where if base else None
    if flt is not None:
        if not isinstance(flt, dict) or "column" not in flt or "in" not in flt:
            raise ImportRejected(
                f"{where}: where needs column and in, e.g. {{column: type, in: [track]}}"
            )
        where_ = (str(flt["column"]), [str(x) for x in flt["in"]])
    docs = data.get("docs", base.docs if base else [])
    return Profile(
        name=str(data.get("profile", path.stem)),
        version=int(data.get("version", 1)),
        kind=str(kind_name),
        tool=str(data.get("tool", base.tool if base else "")),
        export=str(data.get("export", base.export if base else "")),
        docs=[docs] if isinstance(docs, str) else list(docs),
        source=data.get("source", base.source if base else None),
        fields=fields_,
        account_by=by,
        external_ids=ext_ids,
        where=where_,
        path=path,
    )


def find_profile(name: str, kind_name: str | None = None) -> Profile:
    """A profile by file path, by shipped name (`stripe-subscriptions`), or by tool name
    plus the kind being imported (`stripe` for subscriptions)."""
    p = Path(name)
    if p.suffix in (".yaml", ".yml") or p.exists():
        if not p.exists():
            raise ImportRejected(f"{name}: no such profile file")
        prof = load_profile(p)
    else:
        shipped = {f.stem: f for f in PROFILE_DIR.glob("*.yaml")}
        if name in shipped:
            prof = load_profile(shipped[name])
        else:
            tool = [
                q
                for q in shipped_profiles()
                if q.tool.lower() == name.lower() or q.name.split("-")[0] == name.lower()
            ]
            fits = [q for q in tool if kind_name in (None, q.kind)]
            if len(fits) == 1:
                prof = fits[0]
            elif len(fits) > 1:
                raise ImportRejected(
                    f"profile {name!r} has several exports for {kind_name}: "
                    f"{', '.join(q.name for q in fits)}; name one"
                )
            elif tool:
                raise ImportRejected(
                    f"profile {name!r} has no export of {kind_name}; its profiles: "
                    + ", ".join(f"{q.name} ({q.kind})" for q in tool)
                )
            else:
                raise ImportRejected(
                    f"unknown profile {name!r}{did_you_mean(name, shipped)}; shipped: "
                    f"{', '.join(sorted(shipped))} (or give a path to your own .yaml)"
                )
    if kind_name is not None and prof.kind != kind_name:
        raise ImportRejected(
            f"profile {prof.name} describes {prof.kind}, not {kind_name}; "
            f"import it as: healthscore import {prof.kind} FILE --profile {name}"
        )
    return prof
