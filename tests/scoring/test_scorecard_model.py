"""Scorecard validation: every error names the file, the line and the fix."""

from __future__ import annotations

import re

import pytest

from healthscore.errors import InvalidScorecard, UnknownMetric
from healthscore.scoring.model import load_scorecard, parse_scorecard

VALID = """\
name: test card
version: 3
bands:
  - name: red
    min: 0
  - name: yellow
    min: 40
  - name: green
    min: 70
groups:
  - name: Usage
    weight: 2
    measures:
      - metric: logins
        normalize: {method: linear, lo: 0, hi: 20}
  - name: Support
    weight: 1
    measures:
      - metric: open_tickets
        normalize:
          method: thresholds
          points: [[0, 100], [5, 0]]
        weight: 1
segments:
  enterprise:
    weights: {Support: 3}
"""


def _err(text: str) -> str:
    with pytest.raises(InvalidScorecard) as exc:
        parse_scorecard(text, file="scorecard.yaml")
    return str(exc.value)


def test_valid_card_parses_and_versions_with_hash() -> None:
    card = parse_scorecard(VALID, file="scorecard.yaml")
    assert card.version == "3"  # YAML int becomes the string version
    assert re.fullmatch(r"3\+[0-9a-f]{8}", card.stored_version)
    # Any edit changes the stored version, even without a version bump.
    edited = parse_scorecard(VALID.replace("hi: 20", "hi: 25"))
    assert edited.stored_version != card.stored_version
    assert card.metrics() == {"logins", "open_tickets"}


def test_negative_weight_names_line_and_rule() -> None:
    msg = _err(VALID.replace("        weight: 1\n", "        weight: -2\n"))
    assert msg == (
        "scorecard.yaml line 23, groups.Support.measures.open_tickets.weight: "
        "got -2; a weight must be a number ≥ 0"
    )


def test_zero_sum_group_weights() -> None:
    text = VALID.replace("    weight: 2\n    measures", "    weight: 0\n    measures")
    text = text.replace("    weight: 1\n    measures", "    weight: 0\n    measures")
    msg = _err(text)
    assert msg.startswith("scorecard.yaml line 10, groups: ")
    assert "group weights sum to 0" in msg


def test_zero_sum_measure_weights_points_at_group() -> None:
    msg = _err(VALID.replace("        weight: 1\n", "        weight: 0\n"))
    assert msg.startswith("scorecard.yaml line 16, groups.Support: ")
    assert "measure weights sum to 0" in msg


def test_bad_band_order() -> None:
    msg = _err(VALID.replace("min: 70", "min: 30"))
    assert msg.startswith("scorecard.yaml line 9, bands.green.min: ")
    assert "band 'green' starts at 30, not above 'yellow' (40)" in msg
    assert "strictly increasing" in msg


def test_first_band_must_start_at_zero() -> None:
    assert _err(VALID.replace("min: 0", "min: 10")) == (
        "scorecard.yaml line 5, bands.red.min: got 10; the first band (red) must start at 0"
    )


def test_bad_yaml_reports_line() -> None:
    text = VALID.replace("    weight: 1\n", "    weight: [1\n")
    msg = _err(text)
    assert re.match(r"scorecard\.yaml line \d+: not valid YAML", msg)
    line = int(re.search(r"line (\d+)", msg).group(1))  # type: ignore[union-attr]
    assert 17 <= line <= 19


def test_unknown_method_and_unknown_key() -> None:
    msg = _err(VALID.replace("method: linear", "method: lineal"))
    assert msg.startswith(
        "scorecard.yaml line 15, groups.Usage.measures.logins.normalize: unknown method 'lineal'"
    )
    msg = _err(VALID.replace("        weight: 1\n", "        wieght: 1\n"))
    assert msg == (
        "scorecard.yaml line 23, groups.Support.measures.open_tickets.wieght: unknown key "
        "'wieght'; did you mean 'weight'? allowed keys: age_metric, decay, direction, "
        "max_age_days, metric, name, normalize, optional, weight"
    )


def test_every_problem_is_reported_at_once_with_line_value_and_rule() -> None:
    text = (
        VALID.replace("    weight: 2\n", "    weight: -3\n")  # line 12
        .replace("min: 70", "min: 130")  # line 9
        .replace("method: linear", "method: lineal")  # line 15
        .replace("        weight: 1\n", "        wieght: 1\n")  # line 23
        .replace("version: 3", "version: ''")  # line 2
    )
    with pytest.raises(InvalidScorecard) as exc:
        parse_scorecard(text, file="scorecard.yaml")
    expected = [
        "line 2, version: `version` must not be empty",
        "line 9, bands.green.min: got 130; a band's `min` must be a number < 100",
        "line 12, groups.Usage.weight: got -3; a weight must be a number ≥ 0",
        "line 15, groups.Usage.measures.logins.normalize: unknown method 'lineal'; "
        "use thresholds, linear, percentile or zscore",
        "line 23, groups.Support.measures.open_tickets.wieght: unknown key 'wieght'; "
        "did you mean 'weight'? allowed keys: age_metric, decay, direction, max_age_days, "
        "metric, name, normalize, optional, weight",
    ]
    assert exc.value.problems == expected
    assert str(exc.value) == "scorecard.yaml: 5 problems\n" + "\n".join(f"  {p}" for p in expected)


def test_model_level_problems_are_all_reported() -> None:
    text = (
        VALID.replace("min: 70", "min: 30")  # band order, line 9
        .replace("{Support: 3}", "{Suport: 3, Usage: 1}")  # unknown group, line 26
        .replace("  - name: Support\n", "  - name: Usage\n")  # duplicate group, line 16
    )
    # A field problem (the band order) does not hide the problems across groups and segments.
    cross = [
        "line 16, groups.Usage.name: group 'Usage' appears twice",
        "line 26, segments.enterprise.weights.Suport: segment 'enterprise': unknown group "
        "'Suport' in weights (groups: Usage)",
    ]
    band, *rest = _problems(text)
    assert band.startswith("line 9, bands.green.min: band 'green' starts at 30")
    assert rest == cross
    # With the fields valid, the model's own check reports the same two, once each.
    assert _problems(text.replace("min: 30", "min: 70")) == cross


def _problems(text: str) -> list[str]:
    with pytest.raises(InvalidScorecard) as exc:
        parse_scorecard(text, file="scorecard.yaml")
    return exc.value.problems


def test_every_unknown_metric_is_named() -> None:
    card = parse_scorecard(
        VALID.replace("metric: logins", "metric: login_count").replace(
            "metric: open_tickets", "metric: tickets_open"
        ),
        file="sc.yaml",
    )
    with pytest.raises(UnknownMetric) as exc:
        card.check_metrics({"logins_count", "open_tickets"})
    assert exc.value.problems == [
        "line 14, groups.Usage.measures.login_count.metric: unknown metric 'login_count'; "
        "did you mean 'logins_count'? (or declare it under custom_metrics)",
        "line 19, groups.Support.measures.tickets_open.metric: unknown metric 'tickets_open'; "
        "the metric catalogue lists the names this store offers (or declare it under "
        "custom_metrics)",
    ]
    assert str(exc.value).startswith("sc.yaml: 2 problems\n  line 14, ")


def test_linear_range_and_threshold_order() -> None:
    assert "lo < hi" in _err(VALID.replace("hi: 20", "hi: -1"))
    assert "strictly increasing" in _err(VALID.replace("[[0, 100], [5, 0]]", "[[5, 100], [0, 0]]"))


def test_segment_override_must_name_known_group() -> None:
    msg = _err(VALID.replace("{Support: 3}", "{Suport: 3}"))
    assert "unknown group 'Suport'" in msg
    assert msg.startswith("scorecard.yaml line 26, segments.enterprise.weights.Suport: ")


def test_unknown_metric_names_line_and_suggests() -> None:
    card = parse_scorecard(VALID.replace("metric: logins", "metric: login_count"), file="sc.yaml")
    with pytest.raises(UnknownMetric) as exc:
        card.check_metrics({"logins_count", "open_tickets"})
    assert str(exc.value).startswith(
        "sc.yaml line 14, groups.Usage.measures.login_count.metric: unknown metric 'login_count'"
    )
    assert "did you mean 'logins_count'?" in str(exc.value)


def test_custom_and_optional_metrics_pass_the_catalogue_check() -> None:
    text = VALID + "custom_metrics:\n  - {name: logins}\n"
    parse_scorecard(text).check_metrics({"open_tickets"})
    opt = VALID.replace(
        "      - metric: logins\n", "      - metric: logins\n        optional: true\n"
    )
    parse_scorecard(opt).check_metrics({"open_tickets"})


def test_segment_resolution_changes_only_that_segment() -> None:
    card = parse_scorecard(VALID)
    default = {g.name: g.weight for g in card.resolve(None)}
    ent = {g.name: g.weight for g in card.resolve("enterprise")}
    smb = {g.name: g.weight for g in card.resolve("smb")}
    assert default == {"Usage": 2, "Support": 1} == smb
    assert ent == {"Usage": 2, "Support": 3}


def test_band_of_boundaries() -> None:
    card = parse_scorecard(VALID)
    assert [card.band_of(x) for x in (0, 39.99, 40, 69.9, 70, 100)] == [
        "red",
        "red",
        "yellow",
        "yellow",
        "green",
        "green",
    ]
    assert card.band_of(None) is None


def test_missing_file() -> None:
    with pytest.raises(InvalidScorecard, match="no such scorecard file"):
        load_scorecard("/nonexistent/card.yaml")


def test_shipped_default_loads() -> None:
    card = load_scorecard()
    names = [g.name for g in card.groups]
    assert names == [
        "Product usage",
        "Support",
        "Relationship",
        "Voice of customer",
        "Financial",
        "Goals",
    ]
    assert {"enterprise", "smb"} <= set(card.segments)
