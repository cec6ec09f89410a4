"""YAML 1.2 scalars with the safe loader, duplicate-key refusal and line numbers kept."""
from __future__ import annotations

import datetime as dt

import pytest

from guidelab.errors import SpecError
from guidelab.yamlio import load_yaml


def _load(tmp_path, text):
    path = tmp_path / "x.yaml"
    path.write_text(text, encoding="utf-8")
    return load_yaml(path)


@pytest.mark.parametrize("text, expected", [
    ("NO", "NO"), ("no", "no"), ("yes", "yes"), ("Yes", "Yes"), ("on", "on"), ("off", "off"), ("y", "y"),
    ("true", True), ("False", False), ("TRUE", True),
    ("017", 17), ("0o17", 15), ("0x1F", 31), ("-3", -3), ("1:20", "1:20"),
    ("1.5", 1.5), ("1e3", 1000.0), (".5", 0.5), ("~", None), ("null", None),
    ("2026-10-01", dt.date(2026, 10, 1)), ("'NO'", "NO"),
])
def test_scalars_follow_yaml_1_2(tmp_path, text, expected):
    data, _ = _load(tmp_path, f"v: {text}\n")
    assert data["v"] == expected and type(data["v"]) is type(expected)


def test_on_is_a_key_not_a_boolean(tmp_path):
    data, lines = _load(tmp_path, "a: 1\non: page_view\n")
    assert data == {"a": 1, "on": "page_view"} and lines[("on",)] == 2


def test_duplicate_keys_are_still_refused_with_their_line(tmp_path):
    with pytest.raises(SpecError) as info:
        _load(tmp_path, "a: 1\nb: 2\na: 3\n")
    (problem,) = info.value.problems
    assert "duplicate key 'a' (first on line 1)" in problem.message and problem.line == 3


def test_arbitrary_objects_are_still_refused(tmp_path):
    with pytest.raises(SpecError):
        _load(tmp_path, "a: !!python/object/apply:os.system ['true']\n")


def test_equals_no_targets_the_text_no(tmp_path, root):
    import datetime as dt

    from guidelab.guides import evaluate_targeting, load_guide

    text = (root / "tests" / "fixtures" / "guides" / "modal.yaml").read_text(encoding="utf-8")
    text = text.replace("- {attribute: plan, in: [pro, enterprise]}", "- {attribute: country, equals: NO}")
    path = tmp_path / "g.yaml"
    path.write_text(text, encoding="utf-8")
    guide = load_guide(path)
    assert guide.targeting.all[0].equals == "NO"
    now = dt.datetime(2026, 10, 5, tzinfo=dt.timezone.utc)
    assert evaluate_targeting(guide.targeting, {"country": "NO", "app_version": "2.4.0"}, now)[0]
    assert not evaluate_targeting(guide.targeting, {"country": "JP", "app_version": "2.4.0"}, now)[0]
