"""YAML read with the line of every key kept, for the files people edit by hand.

Scorecards, rule files and notification channels are written by CS-ops in an editor, so a
problem must name the line it is on.  PyYAML's composed node tree carries the marks; this
module reads both the data and a map from each key path to its line, once, for all three.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import yaml

__all__ = ["Lines", "line_for", "load_with_lines"]

# A key path (("groups", 0, "weight"), say) to its 1-based line in the file.
Lines = dict[tuple[Any, ...], int]


def load_with_lines(
    text: str,
    file: str,
    error: Callable[[str], Exception],
    hint: str = "check indentation and quoting",
) -> tuple[Any, Lines]:
    """The parsed data and its key lines; a syntax error raises `error(message)`.

    The message reads ``file line N: not valid YAML (problem); hint``, so a user sees where
    the parser gave up and what usually causes it.
    """
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{file} line {mark.line + 1}" if mark is not None else file
        problem = getattr(exc, "problem", None) or str(exc)
        tail = f"; {hint}" if hint else ""
        raise error(f"{where}: not valid YAML ({problem}){tail}") from None
    lines: Lines = {}
    if root is not None:
        _node_lines(root, (), lines)
    return data, lines


def line_for(lines: Mapping[tuple[Any, ...], int], loc: tuple[Any, ...]) -> int | None:
    """The line of `loc`, or of its nearest enclosing key that has one."""
    while loc:
        if loc in lines:
            return lines[loc]
        loc = loc[:-1]
    return lines.get(())


def _node_lines(node: yaml.Node, path: tuple[Any, ...], out: Lines) -> None:
    # A mapping value is reported at its key's line, which is where a person looks.
    out[path] = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        for k, v in node.value:
            _node_lines(v, (*path, k.value), out)
            out[(*path, k.value)] = k.start_mark.line + 1
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            _node_lines(item, (*path, i), out)
