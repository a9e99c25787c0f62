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

import yaml
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
    return ValueError(f"{_LOC_MARK}{json.dumps(list(loc))}{_LOC_MARK}{message}")


def _split_loc(msg: str) -> tuple[tuple[Any, ...] | None, str]:
    if _LOC_MARK not in msg:
        return None, msg
    _, loc, rest = msg.split(_LOC_MARK, 2)
    return tuple(json.loads(loc)), rest


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
        if sum(m.weight for m in self.measures) <= 0:
            raise ValueError(
                f"group {self.name!r}: measure weights sum to 0; give at least one a weight > 0"
            )
        labels = [m.label for m in self.measures]
        if dup := sorted({x for x in labels if labels.count(x) > 1}):
            raise ValueError(
                f"group {self.name!r}: measure {dup[0]!r} appears twice; give one a distinct `name`"
            )
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
                raise ValueError(f"{k}: weight {w:g} is not allowed (weights must be >= 0)")
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
        if bands[0].min != 0:
            raise _located((0, "min"), f"the first band ({bands[0].name}) must start at min: 0")
        for i, (a, b) in enumerate(itertools.pairwise(bands), 1):
            if b.min <= a.min:
                raise _located(
                    (i, "min"),
                    f"band {b.name!r} starts at {b.min:g}, not above {a.name!r} ({a.min:g}); "
                    "list bands from worst to best with strictly increasing `min`, "
                    "e.g. red 0, yellow 40, green 70",
                )
        names = [b.name for b in bands]
        if len(set(names)) != len(names):
            raise ValueError("band names must be unique")
        return bands

    @model_validator(mode="after")
    def _consistent(self) -> Scorecard:
        if sum(g.weight for g in self.groups) <= 0:
            raise _located(("groups",), "group weights sum to 0; give one group a weight > 0")
        names = [g.name for g in self.groups]
        if dup := sorted({x for x in names if names.count(x) > 1}):
            raise _located(("groups",), f"group {dup[0]!r} appears twice")
        labels = [m.label for g in self.groups for m in g.measures]
        if dup := sorted({x for x in labels if labels.count(x) > 1}):
            raise _located(
                ("groups",), f"measure {dup[0]!r} appears in two groups; give one a distinct `name`"
            )
        for seg, ov in self.segments.items():
            groups = {g.name: g for g in self.groups} | {g.name: g for g in ov.groups}
            for g in ov.weights:
                if g not in groups:
                    raise _located(
                        ("segments", seg, "weights", g),
                        f"segment {seg!r}: unknown group {g!r} in weights "
                        f"(groups: {', '.join(groups)})",
                    )
            seg_labels = {m.label for g in groups.values() for m in g.measures}
            for m in ov.measure_weights:
                if m not in seg_labels:
                    raise _located(
                        ("segments", seg, "measure_weights", m),
                        f"segment {seg!r}: unknown measure {m!r} in measure_weights",
                    )
            resolved = self._resolve_groups(seg, ov)
            if sum(g.weight for g in resolved) <= 0:
                raise _located(("segments", seg), f"segment {seg!r}: group weights sum to 0")
            for rg in resolved:
                if sum(m.weight for m in rg.measures) <= 0 and rg.weight > 0:
                    raise _located(
                        ("segments", seg),
                        f"segment {seg!r}, group {rg.name!r}: measure weights sum to 0",
                    )
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

    def resolve(self, segment: str | None) -> list[Group]:
        """The groups (with weights) that apply to accounts of `segment`."""
        if segment is not None and segment in self.segments:
            return self._resolve_groups(segment, self.segments[segment])
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
        """Raise UnknownMetric (with line) for a measure whose metric is in neither the
        catalogue nor `custom_metrics`."""
        known_set = set(known) | self.custom_metric_names()
        sections: list[tuple[tuple[Any, ...], list[Group]]] = [(("groups",), self.groups)]
        sections += [(("segments", s, "groups"), ov.groups) for s, ov in self.segments.items()]
        for prefix, groups in sections:
            for gi, g in enumerate(groups):
                for mi, m in enumerate(g.measures):
                    if m.metric not in known_set and not m.optional:
                        loc = (*prefix, gi, "measures", mi, "metric")
                        hint = _closest(m.metric, known_set)
                        fix = (
                            f"did you mean {hint!r}?"
                            if hint
                            else "run `healthscore metrics list` to see the catalogue"
                        )
                        raise UnknownMetric(
                            f"{self._where(loc)}{_dotted(loc)}: unknown metric {m.metric!r}; "
                            f"{fix} (or declare it under custom_metrics)"
                        )

    def _where(self, loc: tuple[Any, ...]) -> str:
        line = self.line_of(loc)
        return f"{self._file} line {line}, " if line else f"{self._file}, "


# -- loading ---------------------------------------------------------------------------


def _closest(name: str, known: Iterable[str]) -> str | None:
    import difflib

    hits = difflib.get_close_matches(name, sorted(known), n=1, cutoff=0.6)
    return hits[0] if hits else None


def _dotted(loc: tuple[Any, ...]) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def _node_lines(node: yaml.Node, path: tuple[Any, ...], out: dict[tuple[Any, ...], int]) -> None:
    out[path] = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        for k, v in node.value:
            key = k.value
            out[(*path, key)] = k.start_mark.line + 1
            _node_lines(v, (*path, key), out)
            out[(*path, key)] = k.start_mark.line + 1  # a key's line, not its value's
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            _node_lines(item, (*path, i), out)


def _line_for(lines: Mapping[tuple[Any, ...], int], loc: tuple[Any, ...]) -> int | None:
    loc = tuple(p for p in loc if not (isinstance(p, str) and p in _UNION_TAGS))
    while loc:
        if loc in lines:
            return lines[loc]
        loc = loc[:-1]
    return lines.get(())


_UNION_TAGS = {"thresholds", "linear", "percentile", "zscore"}


def _explain(err: dict[str, Any]) -> str:
    typ, msg, value = err["type"], err["msg"], err.get("input")
    if typ == "greater_than_equal" and "weight" in map(str, err["loc"]):
        return f"{value!r} is not allowed (weights must be >= 0)"
    if typ == "extra_forbidden":
        return "unknown key; check its spelling against docs/scorecards.md"
    if typ == "missing":
        return "is required"
    if typ == "union_tag_invalid":
        tag = err.get("ctx", {}).get("tag")
        return f"unknown method {tag!r}; use thresholds, linear, percentile or zscore"
    if typ == "union_tag_not_found":
        return "needs `method:` (thresholds, linear, percentile or zscore)"
    if msg.startswith("Value error, "):
        msg = msg[len("Value error, ") :]
    shown = "" if isinstance(value, dict | list) or value is None else f"{value!r}: "
    return f"{shown}{msg}"


def parse_scorecard(text: str, file: str = "<scorecard>") -> Scorecard:
    """Parse and validate scorecard YAML text; errors carry `file line N, path: problem`."""
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{file} line {mark.line + 1}" if mark is not None else file
        problem = getattr(exc, "problem", None) or str(exc)
        raise InvalidScorecard(
            f"{where}: not valid YAML ({problem}); check indentation and quoting"
        ) from None
    if not isinstance(data, dict):
        raise InvalidScorecard(
            f"{file}: a scorecard is a YAML mapping with name, version, bands and groups"
        )
    lines: dict[tuple[Any, ...], int] = {}
    if root is not None:
        _node_lines(root, (), lines)
    try:
        card = Scorecard.model_validate(data)
    except ValidationError as exc:
        first: dict[str, Any] = dict(exc.errors()[0])
        loc: tuple[Any, ...] = tuple(first["loc"])
        inner, first["msg"] = _split_loc(str(first["msg"]))
        if inner is not None:
            loc = (*loc, *inner)
        line = _line_for(lines, loc)
        where = f"{file} line {line}" if line else file
        path = _dotted(tuple(p for p in loc if not (isinstance(p, str) and p in _UNION_TAGS)))
        more = f" (and {exc.error_count() - 1} more problem(s))" if exc.error_count() > 1 else ""
        raise InvalidScorecard(f"{where}, {path or 'scorecard'}: {_explain(first)}{more}") from None
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
