"""The shared YAML reader keeps each key's line and names the line of a syntax error."""

from __future__ import annotations

import pytest

from healthscore.yamlfile import line_for, load_with_lines


class Bad(Exception):
    pass


def test_lines_point_at_keys_and_list_items() -> None:
    data, lines = load_with_lines("name: x\ngroups:\n  - name: usage\n    weight: 2\n", "f.yaml", Bad)
    assert data == {"name": "x", "groups": [{"name": "usage", "weight": 2}]}
    assert lines[("groups",)] == 2
    assert lines[("groups", 0, "weight")] == 4
    # An unknown sub-path falls back to its nearest known parent.
    assert line_for(lines, ("groups", 0, "weight", "nope")) == 4


def test_a_syntax_error_names_the_file_line_and_a_hint() -> None:
    with pytest.raises(Bad, match=r"^f\.yaml line 4: not valid YAML .*check indentation"):
        load_with_lines("a: 1\nb:\n  - x\n  y: [\n", "f.yaml", Bad)


def test_an_empty_file_is_none_with_no_lines() -> None:
    assert load_with_lines("", "f.yaml", Bad) == (None, {})
