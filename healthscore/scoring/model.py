"""The scorecard: one typed Pydantic model, loaded from YAML with line numbers kept.

Errors must point at the file, the line and the fix, because scorecards are edited by
CSM leaders in a text editor, not by engineers reading tracebacks.
"""

from __future__ import annotations

import hashlib
import itertools
import json
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    PrivateAttr,
    ValidationError,
    field_validator,
    model_validator,
)

from healthscore.errors import InvalidScorecard, UnknownMetric
from healthscore.yamlfile import line_for, load_with_lines

__all__ = [
    "DEFAULT_SCORECARD",
    "Band",
    "Group",
    "Linear",
    "Measure",
    "Percentile",
    "Scorecard",
    "SegmentOverride",
    "Thresholds",
    "ZScore",
    "load_scorecard",
    "parse_scorecard",
]

DEFAULT_SCORECARD = Path(__file__).with_name("default_scorecard.yaml")

Direction = Literal["higher_is_better", "lower_is_better"]


_LOC_MARK = "\x00"


def _located(loc: tuple[Any, ...], message: str) -> ValueError:
    """A ValueError that carries the YAML location a model-level check is about.

    Model validators report at the root; this lets the line-number mapping point at the
    offending key instead of line 1.
    """
    return _located_all([(loc, message)])


def _located_all(problems: list[tuple[tuple[Any, ...], str]]) -> ValueError:
    """One ValueError carrying several located problems, so a check reports them all."""
    payload = json.dumps([[list(loc), msg] for loc, msg in problems])
    return ValueError(f"{_LOC_MARK}{payload}{_LOC_MARK}")


def _split_loc(msg: str) -> list[tuple[tuple[Any, ...] | None, str]]:
    if _LOC_MARK not in msg:
        return [(None, msg)]
    _, payload, _rest = msg.split(_LOC_MARK, 2)
    return [(tuple(loc), text) for loc, text in json.loads(payload)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Thresholds(_Strict):
    """Piecewise-linear map through [value, score] points; flat outside the first/last point."""

    method: Literal["thresholds"]
    points: list[tuple[float, float]] = Field(min_length=2)

    @field_validator("points")
    @classmethod
    def _ordered(cls, pts: list[tuple[float, float]]) -> list[tuple[float, float]]:
        xs = [p[0] for p in pts]
        if any(b <= a for a, b in itertools.pairwise(xs)):
            raise ValueError(
                "threshold values must be strictly increasing, e.g. [[0, 0], [5, 50], [20, 100]]"
            )
        if any(not 0 <= p[1] <= 100 for p in pts):
            raise ValueError("threshold scores must lie between 0 and 100")
        return pts


class Linear(_Strict):
    """Straight line from lo (worst or best, by direction) to hi; clamped to 0-100."""

    method: Literal["linear"]
    lo: float
    hi: float

    @model_validator(mode="after")
    def _range(self) -> Linear:
        if self.hi <= self.lo:
            raise ValueError(f"linear range needs lo < hi (got lo={self.lo:g}, hi={self.hi:g})")
        return self


class Percentile(_Strict):
    """Rank among the accounts of the same segment on the same date (0 = worst, 100 = best)."""

    method: Literal["percentile"]


class ZScore(_Strict):
    """Standard score within the segment, mapped through the normal CDF to 0-100."""

    method: Literal["zscore"]


Normalization = Annotated[Thresholds | Linear | Percentile | ZScore, Field(discriminator="method")]


class Measure(_Strict):
    """One metric of a group: how to turn it into 0-100 and how much it counts."""

    metric: str = Field(min_length=1)
    name: str | None = Field(default=None, description="Label; defaults to the metric name.")
    normalize: Normalization
    direction: Direction | None = Field(
        default=None, description="Defaults to the catalogue's direction for the metric."
    )
    weight: float = Field(default=1.0, ge=0)
    max_age_days: float | None = Field(default=None, gt=0)
    decay: Literal["linear", "exponential"] = "linear"
    age_metric: str | None = Field(
        default=None,
        description="Metric holding the input's age in days (default <metric>_age_days).",
    )
    optional: bool = Field(
        default=False,
        description="True: a metric this store's catalogue lacks (e.g. a judgement nobody "
        "records) counts as missing data instead of an error.",
    )

    @property
    def label(self) -> str:
        return self.name or self.metric

    @property
    def age_column(self) -> str:
        return self.age_metric or f"{self.metric}_age_days"


class Group(_Strict):
    name: str = Field(min_length=1)
    weight: float = Field(ge=0)
    description: str | None = None
    measures: list[Measure] = Field(min_length=1)

    @model_validator(mode="after")
    def _weights(self) -> Group:
        problems: list[tuple[tuple[Any, ...], str]] = []
        if sum(m.weight for m in self.measures) <= 0:
            problems.append(
                ((), "the measure weights sum to 0; give at least one measure a weight > 0")
            )
        labels = [m.label for m in self.measures]
        for dup in sorted({x for x in labels if labels.count(x) > 1}):
            i = len(labels) - 1 - labels[::-1].index(dup)
            problems.append(
                (("measures", i), f"measure {dup!r} appears twice; give one a distinct `name`")
            )
        if problems:
            raise _located_all(problems)
        return self


class Band(_Strict):
    name: str = Field(min_length=1)
    min: float = Field(ge=0, lt=100)


class SegmentOverride(_Strict):
    """Per-segment changes: group weights, measure weights, or whole replacement groups."""

    weights: dict[str, float] = Field(default_factory=dict, description="group name -> weight")
    measure_weights: dict[str, float] = Field(default_factory=dict, description="measure -> weight")
    groups: list[Group] = Field(default_factory=list, description="replace (or add) groups by name")

    @field_validator("weights", "measure_weights")
    @classmethod
    def _non_negative(cls, v: dict[str, float]) -> dict[str, float]:
        for k, w in v.items():
            if w < 0:
                raise _located((k,), f"got {w:g}; a weight must be a number ≥ 0")
        return v


class Scorecard(_Strict):
    """A versioned scorecard.  `resolve(segment)` gives the groups that apply to one segment."""

    name: str = Field(min_length=1)
    version: str = Field(min_length=1)
    description: str | None = None
    bands: list[Band] = Field(min_length=2)
    min_coverage: float = Field(
        default=0.3, ge=0, le=1, description="below this share of weight: no score"
    )
    groups: list[Group] = Field(min_length=1)
    segments: dict[str, SegmentOverride] = Field(default_factory=dict)
    custom_metrics: list[dict[str, Any]] = Field(default_factory=list)

    _source: str = PrivateAttr(default="")
    _file: str = PrivateAttr(default="<scorecard>")
    _lines: dict[tuple[Any, ...], int] = PrivateAttr(default_factory=dict)

    @field_validator("version", mode="before")
    @classmethod
    def _version_str(cls, v: Any) -> Any:
        return str(v) if isinstance(v, int | float) else v

    @field_validator("bands")
    @classmethod
    def _band_order(cls, bands: list[Band]) -> list[Band]:
        problems: list[tuple[tuple[Any, ...], str]] = []
        if bands[0].min != 0:
            problems.append(
                (
                    (0, "min"),
                    f"got {bands[0].min:g}; the first band ({bands[0].name}) must start at 0",
                )
            )
        for i, (a, b) in enumerate(itertools.pairwise(bands), 1):
            if b.min <= a.min:
                problems.append(
                    (
                        (i, "min"),
                        f"band {b.name!r} starts at {b.min:g}, not above {a.name!r} ({a.min:g}); "
                        "list bands from worst to best with strictly increasing `min`, "
                        "e.g. red 0, yellow 40, green 70",
                    )
                )
        names = [b.name for b in bands]
        for i, n in enumerate(names):
            if n in names[:i]:
                problems.append(
                    ((i, "name"), f"band {n!r} appears twice; band names must be unique")
                )
        if problems:
            raise _located_all(problems)
        return bands

    @model_validator(mode="after")
    def _consistent(self) -> Scorecard:
        problems: list[tuple[tuple[Any, ...], str]] = []
        if sum(g.weight for g in self.groups) <= 0:
            problems.append(
                (("groups",), "the group weights sum to 0; give one group a weight > 0")
            )
        names = [g.name for g in self.groups]
        for i, n in enumerate(names):
            if n in names[:i]:
                problems.append((("groups", i, "name"), f"group {n!r} appears twice"))
        seen: set[str] = set()
        for gi, g in enumerate(self.groups):
            for mi, m in enumerate(g.measures):
                if m.label in seen and m.label not in [x.label for x in g.measures[:mi]]:
                    problems.append(
                        (
                            ("groups", gi, "measures", mi),
                            f"measure {m.label!r} appears in two groups; give one a distinct "
                            "`name`",
                        )
                    )
                seen.add(m.label)
        for seg, ov in self.segments.items():
            groups = {g.name: g for g in self.groups} | {g.name: g for g in ov.groups}
            for gname in ov.weights:
                if gname not in groups:
                    problems.append(
                        (
                            ("segments", seg, "weights", gname),
                            f"segment {seg!r}: unknown group {gname!r} in weights "
                            f"(groups: {', '.join(groups)})",
                        )
                    )
            seg_labels = {m.label for g in groups.values() for m in g.measures}
            for mname in ov.measure_weights:
                if mname not in seg_labels:
                    problems.append(
                        (
                            ("segments", seg, "measure_weights", mname),
                            f"segment {seg!r}: unknown measure {mname!r} in measure_weights",
                        )
                    )
            resolved = self._resolve_groups(seg, ov)
            if sum(g.weight for g in resolved) <= 0:
                problems.append((("segments", seg), f"segment {seg!r}: group weights sum to 0"))
            for rg in resolved:
                if sum(m.weight for m in rg.measures) <= 0 and rg.weight > 0:
                    problems.append(
                        (
                            ("segments", seg),
                            f"segment {seg!r}, group {rg.name!r}: measure weights sum to 0",
                        )
                    )
        if problems:
            raise _located_all(problems)
        return self

    # -- derived views -------------------------------------------------------------------

    @property
    def source(self) -> str:
        return self._source

    @property
    def file(self) -> str:
        return self._file

    @property
    def content_hash(self) -> str:
        """sha256 of the YAML text (or of the canonical JSON when built in code)."""
        text = self._source or self.model_dump_json()
        return hashlib.sha256(text.encode()).hexdigest()

    @property
    def stored_version(self) -> str:
        """What score rows record: the declared version plus a short content hash.

        The hash catches the common mistake of editing a scorecard without bumping `version`.
        """
        return f"{self.version}+{self.content_hash[:8]}"

    def metrics(self) -> set[str]:
        """Every metric any segment of the scorecard reads."""
        out = {m.metric for g in self.groups for m in g.measures}
        for ov in self.segments.values():
            out |= {m.metric for g in ov.groups for m in g.measures}
        return out

    def custom_metric_names(self) -> set[str]:
        return {str(c["name"]) for c in self.custom_metrics if "name" in c}

    def _resolve_groups(self, segment: str, ov: SegmentOverride) -> list[Group]:
        replaced = {g.name: g for g in ov.groups}
        groups = [replaced.pop(g.name, g) for g in self.groups] + list(replaced.values())
        out = []
        for g in groups:
            measures = [
                m.model_copy(update={"weight": ov.measure_weights[m.label]})
                if m.label in ov.measure_weights
                else m
                for m in g.measures
            ]
            weight = ov.weights.get(g.name, g.weight)
            out.append(g.model_copy(update={"weight": weight, "measures": measures}))
        return out

    def segment_key(self, segment: str | None) -> str | None:
        """The override `segment` falls under, matched ignoring case and spacing (`SMB`
        and `Mid Market` as exported meet `smb:` and `mid-market:`), or None."""
        if segment is None:
            return None
        if segment in self.segments:
            return segment
        return _segment_keys(self).get(_fold(segment))

    def unmatched_segments(self, known: list[str]) -> list[str]:
        """Overrides no stored segment falls under (so they would never apply)."""
        used = {self.segment_key(k) for k in known}
        return [s for s in self.segments if s not in used]

    def resolve(self, segment: str | None) -> list[Group]:
        """The groups (with weights) that apply to accounts of `segment`."""
        key = self.segment_key(segment)
        if key is not None:
            return self._resolve_groups(key, self.segments[key])
        return list(self.groups)

    def band_of(self, score: float | None) -> str | None:
        if score is None:
            return None
        band = self.bands[0].name
        for b in self.bands:
            if score >= b.min:
                band = b.name
        return band

    @property
    def worst_band(self) -> str:
        return self.bands[0].name

    @property
    def best_band(self) -> str:
        return self.bands[-1].name

    def line_of(self, loc: Iterable[Any]) -> int | None:
        """Line (1-based) of the YAML node at `loc`, or of its nearest ancestor."""
        return _line_for(self._lines, tuple(loc))

    def check_metrics(self, known: Iterable[str]) -> None:
        """Raise UnknownMetric naming every measure whose metric is in neither the
        catalogue nor `custom_metrics`, each with its line."""
        known_set = set(known) | self.custom_metric_names()
        sections: list[tuple[tuple[Any, ...], list[Group]]] = [(("groups",), self.groups)]
        sections += [(("segments", s, "groups"), ov.groups) for s, ov in self.segments.items()]
        problems: list[str] = []
        for prefix, groups in sections:
            for gi, g in enumerate(groups):
                for mi, m in enumerate(g.measures):
                    if m.metric not in known_set and not m.optional:
                        loc = (*prefix, gi, "measures", mi, "metric")
                        hint = _closest(m.metric, known_set)
                        fix = (
                            f"did you mean {hint!r}?"
                            if hint
                            else "the metric catalogue lists the names this store offers"
                        )
                        problems.append(
                            f"{self._at(loc)}: unknown metric {m.metric!r}; "
                            f"{fix} (or declare it under custom_metrics)"
                        )
        if problems:
            raise UnknownMetric(_report(self._file, problems), problems=problems)

    def _at(self, loc: tuple[Any, ...]) -> str:
        line = self.line_of(loc)
        path = _dotted(loc, self.model_dump(include={"groups", "segments"}))
        return f"line {line}, {path}" if line else path


# -- loading ---------------------------------------------------------------------------


def _closest(name: str, known: Iterable[str]) -> str | None:
    import difflib

    hits = difflib.get_close_matches(name, sorted(known), n=1, cutoff=0.6)
    return hits[0] if hits else None


def _dotted(loc: tuple[Any, ...], data: Any = None) -> str:
    """`groups.Usage.measures.logins.weight`: list items by their name where they have one
    (groups and bands by `name`, measures by `name` or `metric`), else by `[index]`."""
    out = ""
    node = data
    for part in loc:
        item = (
            node[part]
            if isinstance(node, list) and isinstance(part, int) and part < len(node)
            else None
        )
        label = None
        if isinstance(item, dict):
            label = item.get("name") or item.get("metric")
        if isinstance(part, int):
            out += f".{label}" if isinstance(label, str) and label and out else f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
        if isinstance(node, list) and isinstance(part, int):
            node = item
        elif isinstance(node, dict):
            node = node.get(part)
        else:
            node = None
    return out


def _report(file: str, problems: list[str]) -> str:
    """One problem: `file line N, path: what`; several: a count, then one per line."""
    if len(problems) == 1:
        return (
            f"{file} {problems[0]}" if problems[0].startswith("line ") else f"{file}, {problems[0]}"
        )
    listed = "\n".join(f"  {p}" for p in problems)
    return f"{file}: {len(problems)} problems\n{listed}"


def _line_for(lines: Mapping[tuple[Any, ...], int], loc: tuple[Any, ...]) -> int | None:
    """A union member's tag is not a key in the file; skip it before looking up the line."""
    return line_for(lines, tuple(p for p in loc if not (isinstance(p, str) and p in _UNION_TAGS)))


_UNION_TAGS = {"thresholds", "linear", "percentile", "zscore"}


_FIELD_WORDS = {
    "weight": "a weight",
    "min": "a band's `min`",
    "min_coverage": "min_coverage (a share of the weight)",
    "max_age_days": "max_age_days",
}
_TYPE_WORDS = {
    "float_parsing": "a number",
    "float_type": "a number",
    "int_parsing": "a whole number",
    "int_type": "a whole number",
    "string_type": "text",
    "bool_parsing": "true or false",
    "bool_type": "true or false",
    "list_type": "a list (`- item` lines or [a, b])",
    "dict_type": "a mapping of `key: value` lines",
    "model_type": "a mapping of `key: value` lines",
    "tuple_type": "a pair [value, score]",
}
_BOUNDS = {
    "greater_than_equal": ("ge", "≥"),
    "greater_than": ("gt", ">"),
    "less_than_equal": ("le", "≤"),
    "less_than": ("lt", "<"),
}


def _shown(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        return f"{value:g}"
    return repr(value) if isinstance(value, str) else str(value)


def _explain(err: dict[str, Any], owner: type[BaseModel] | None) -> str:
    """pydantic's error in plain words: the value found, then what is allowed."""
    typ, msg, value, ctx = err["type"], err["msg"], err.get("input"), err.get("ctx") or {}
    field = next((p for p in reversed(err["loc"]) if isinstance(p, str)), "")
    what = _FIELD_WORDS.get(field, f"`{field}`" if field else "it")
    got = "" if isinstance(value, dict | list) or value is None else f"got {_shown(value)}; "
    if typ in _BOUNDS:
        key, sign = _BOUNDS[typ]
        return f"{got}{what} must be a number {sign} {_shown(ctx.get(key))}"
    if typ in _TYPE_WORDS:
        return f"{got}{what} must be {_TYPE_WORDS[typ]}"
    if typ == "extra_forbidden":
        allowed = sorted(owner.model_fields) if owner is not None else []
        hint = _closest(field, allowed) if allowed else None
        fix = f"did you mean {hint!r}? " if hint else ""
        keys = f"allowed keys: {', '.join(allowed)}" if allowed else "see docs/scorecards.md"
        return f"unknown key {field!r}; {fix}{keys}"
    if typ == "missing":
        return f"{what} is required here"
    if typ == "string_too_short":
        return f"{what} must not be empty"
    if typ == "too_short":
        n = ctx.get("min_length")
        if isinstance(value, str):
            return f"{what} must not be empty"
        return f"got {ctx.get('actual_length', 0)} item(s); {what} needs at least {n}"
    if typ == "literal_error":
        return f"{got}allowed: {ctx.get('expected')}"
    if typ == "union_tag_invalid":
        return f"unknown method {ctx.get('tag')!r}; use thresholds, linear, percentile or zscore"
    if typ == "union_tag_not_found":
        return "needs `method:` (thresholds, linear, percentile or zscore)"
    if msg.startswith("Value error, "):
        msg = msg[len("Value error, ") :]
    return f"{got}{msg}" if not msg.startswith("got ") else msg


def _owner(loc: tuple[Any, ...]) -> type[BaseModel] | None:
    """The model that holds the last key of `loc` (for the keys an unknown one could be)."""
    model: type[BaseModel] | None = Scorecard
    parts = list(loc[:-1])
    i = 0
    while model is not None and i < len(parts):
        part = parts[i]
        nxt = _CHILDREN.get((model.__name__, part)) if isinstance(part, str) else model
        if isinstance(part, str) and part in _UNION_TAGS:
            nxt = _NORMALIZERS[part]
        if nxt is None:
            return None
        if model is Scorecard and part == "segments":
            i += 1  # the segment's name
        model = nxt
        i += 1
    return model


def _raw_cross_problems(data: dict[str, Any]) -> list[tuple[tuple[Any, ...], str]]:
    """Groups named twice and segment weights naming no group, read off the raw YAML."""
    groups = data.get("groups")
    groups = groups if isinstance(groups, list) else []
    names: list[Any] = []
    out: list[tuple[tuple[Any, ...], str]] = []
    for i, g in enumerate(groups):
        n = g.get("name") if isinstance(g, dict) else None
        if isinstance(n, str) and n in names:
            out.append((("groups", i, "name"), f"group {n!r} appears twice"))
        names.append(n)
    segments = data.get("segments")
    for seg, ov in segments.items() if isinstance(segments, dict) else []:
        if not isinstance(ov, dict) or not isinstance(ov.get("weights"), dict):
            continue
        raw_own = ov.get("groups")
        own: list[Any] = raw_own if isinstance(raw_own, list) else []
        known = [n for n in names if isinstance(n, str)] + [
            g["name"] for g in own if isinstance(g, dict) and isinstance(g.get("name"), str)
        ]
        for gname in ov["weights"]:
            if gname not in known:
                out.append(
                    (
                        ("segments", seg, "weights", gname),
                        f"segment {seg!r}: unknown group {gname!r} in weights "
                        f"(groups: {', '.join(dict.fromkeys(known))})",
                    )
                )
    return out


def parse_scorecard(text: str, file: str = "<scorecard>") -> Scorecard:
    """Parse and validate scorecard YAML text; errors carry `file line N, path: problem`."""
    data, lines = load_with_lines(text, file, InvalidScorecard)
    if not isinstance(data, dict):
        raise InvalidScorecard(
            f"{file}: a scorecard is a YAML mapping with name, version, bands and groups"
        )
    try:
        card = Scorecard.model_validate(data)
    except ValidationError as exc:
        problems = []
        for err in exc.errors():
            base: tuple[Any, ...] = tuple(err["loc"])
            for inner, text in _split_loc(str(err["msg"])):
                loc = (*base, *inner) if inner is not None else base
                plain = dict(err, msg=text, loc=loc) if inner is not None else dict(err, msg=text)
                if inner is not None:
                    plain["type"] = "value_error"  # our own message, already in plain words
                    plain.pop("input", None)
                shown = tuple(p for p in loc if not (isinstance(p, str) and p in _UNION_TAGS))
                line = _line_for(lines, loc)
                path = _dotted(shown, data) or "scorecard"
                owner = _owner(loc) if plain["type"] == "extra_forbidden" else None
                at = f"line {line}, {path}" if line else path
                problems.append((line or 0, f"{at}: {_explain(plain, owner)}"))
        # Pydantic runs the cross-group checks only on a card whose fields are all valid;
        # the ones that need no valid field run here too, so one check shows everything.
        for loc, text in _raw_cross_problems(data):
            line = _line_for(lines, loc)
            path = _dotted(loc, data)
            found = (line or 0, f"{f'line {line}, {path}' if line else path}: {text}")
            if found not in problems:  # the model's own check may have run and said it
                problems.append(found)
        ordered = [p for _, p in sorted(problems, key=lambda x: x[0])]
        raise InvalidScorecard(_report(file, ordered), problems=ordered) from None
    card._source = text
    card._file = file
    card._lines = lines
    return card


def load_scorecard(path: str | Path | None = None) -> Scorecard:
    """Load a scorecard file (default: the commented one shipped with healthscore)."""
    p = Path(path) if path is not None else DEFAULT_SCORECARD
    try:
        text = p.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InvalidScorecard(f"{p}: no such scorecard file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise InvalidScorecard(f"{p}: cannot read scorecard ({exc})") from None
    return parse_scorecard(text, file=p.name if path is None else str(p))


# Which model a key's value is, for naming the keys allowed next to an unknown one.
_CHILDREN: dict[tuple[str, str], type[BaseModel]] = {
    ("Scorecard", "groups"): Group,
    ("Scorecard", "bands"): Band,
    ("Scorecard", "segments"): SegmentOverride,
    ("SegmentOverride", "groups"): Group,
    ("Group", "measures"): Measure,
    ("Measure", "normalize"): Measure,  # the method's own model follows as the union tag
}
_NORMALIZERS: dict[str, type[BaseModel]] = {
    "thresholds": Thresholds,
    "linear": Linear,
    "percentile": Percentile,
    "zscore": ZScore,
}


def _fold(segment: str) -> str:
    """A segment's matching form: lower case, spaces, `_` and `-` dropped."""
    return "".join(ch for ch in segment.lower() if ch not in " _-\t")


def _segment_keys(card: Scorecard) -> dict[str, str]:
    return {_fold(k): k for k in card.segments}
