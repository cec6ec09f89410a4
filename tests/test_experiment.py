"""Experiment specs: the examples load; every kind of mistake names file, field and line."""
from __future__ import annotations

import textwrap

import pytest

from guidelab.errors import SpecError
from guidelab.experiment import check_experiment_id, load_experiment

BASE = """\
id: exp-one
hypothesis: A banner helps.
start: 2026-10-01
timezone: Asia/Tokyo
guides:
  - id: banner-a
    type: banner
    steps:
      - title: {ja: お知らせ, en: Notice}
        body: {ja: 本文, en: Body}
variants:
  - {key: control, guide: null, weight: 0.5}
  - {key: treatment, guide: banner-a, weight: 0.5}
metrics:
  primary: clicked
"""


def write(tmp_path, text, name="exp-one.yaml"):
    p = tmp_path / name
    p.write_text(textwrap.dedent(text), encoding="utf-8")
    return p


def test_examples_load(onboarding_spec, banner_spec):
    assert onboarding_spec.control_key == "holdout"
    assert onboarding_spec.treatment_keys == ["tour", "checklist"]
    assert onboarding_spec.guide_for("holdout") is None
    assert onboarding_spec.guide_for("tour").steps[0].title.get("ja") == "ようこそ！🎉"
    assert banner_spec.metrics.guardrails == ["dismissed"]
    assert onboarding_spec.hash_seed == onboarding_spec.id


def test_minimal_spec_defaults(tmp_path):
    spec = load_experiment(write(tmp_path, BASE))
    assert spec.control_key == "control" and spec.coverage == 1.0 and spec.alpha == 0.05


@pytest.mark.parametrize("old, new, field, line, words", [
    ("  - {key: treatment, guide: banner-a, weight: 0.5}", "  - {key: treatment, guide: banner-a, weight: 0.6}",
     "", None, "sum to 1"),
    ("guide: banner-a, weight", "guide: banner-b, weight", "", None, "banner-b"),
    ("  primary: clicked", "  primary: clicks", "metrics.primary", 15, "unknown metric"),
    ("timezone: Asia/Tokyo", "timezone: Mars/Olympus", "timezone", 4, "IANA"),
    ("timezone: Asia/Tokyo", "timezone: localtime", "timezone", 4, "IANA"),    # the host's zone file
    ("timezone: Asia/Tokyo", "timezone: posixrules", "timezone", 4, "IANA"),   # a file ZoneInfo opens, DuckDB does not know
    ("start: 2026-10-01", "start: 2026-13-01", "start", 3, "date"),
    ("{key: control, guide: null, weight: 0.5}", "{key: control, guide: null, weight: -0.5}",
     "variants[0].weight", 12, "greater than 0"),
    ("hypothesis: A banner helps.", "hypothesis: A banner helps.\ncolour: blue", "colour", 3, "unknown field"),
])
def test_errors_name_field_and_line(tmp_path, old, new, field, line, words):
    assert old in BASE
    with pytest.raises(SpecError) as e:
        load_experiment(write(tmp_path, BASE.replace(old, new)))
    problem = e.value.problems[0]
    assert problem.file.endswith("exp-one.yaml")
    assert words in problem.message or words in str(e.value)
    if field:
        assert problem.field == field
    if line:
        assert problem.line == line


@pytest.mark.parametrize("bad", ["../etc/passwd", "Exp", "a b", "", "x" * 64, "a/b", "-start", "名前", "a.b", "con", "lpt1"])
def test_experiment_ids_are_safe_file_names(bad):
    with pytest.raises(ValueError, match="is not a valid id"):
        check_experiment_id(bad)


@pytest.mark.parametrize("good", ["a", "tour-2026_11", "0x", "x" * 63, "console", "com10"])
def test_experiment_ids_follow_the_one_id_rule(good):
    from guidelab.guides import slug_problem

    assert check_experiment_id(good) == good and slug_problem(good) is None


def test_id_must_match_file_name(tmp_path):
    with pytest.raises(SpecError, match="must match the file name"):
        load_experiment(write(tmp_path, BASE, name="other.yaml"))


def test_goal_metric_needs_goal_event(tmp_path):
    with pytest.raises(SpecError, match="goal_event"):
        load_experiment(write(tmp_path, BASE.replace("primary: clicked", "primary: goal_d7")))


def test_unsafe_yaml_is_refused(tmp_path):
    with pytest.raises(SpecError, match="invalid YAML"):
        load_experiment(write(tmp_path, "id: !!python/object/apply:os.system ['echo hi']\n"))


def test_simulation_variants_must_match(tmp_path):
    text = BASE + "simulation:\n  variants:\n    control: {}\n"
    with pytest.raises(SpecError, match="missing"):
        load_experiment(write(tmp_path, text))


def test_a_weights_error_points_at_the_variants_block(tmp_path, root):
    from guidelab.errors import SpecError
    from guidelab.experiment import load_experiment

    text = (root / "experiments" / "nps-survey-timing.yaml").read_text(encoding="utf-8")
    text = text.replace("weight: 0.5}", "weight: 0.6}", 1)
    path = tmp_path / "nps-survey-timing.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(SpecError) as info:
        load_experiment(path)
    (p,) = info.value.problems
    assert p.field == "variants" and p.line == text.splitlines().index("variants:") + 1
    assert "weights must sum to 1, they sum to 1.1 (day1 0.6, week1 0.5)" in p.message


# --- the randomisation unit ---

def test_unit_defaults_to_user_and_takes_an_attribute(tmp_path):
    spec = load_experiment(write(tmp_path, BASE))
    assert spec.unit == "user" and not spec.clustered and spec.hash_attribute == "id"
    spec = load_experiment(write(tmp_path, BASE + "unit: account_id\n"))
    assert spec.unit == "account_id" and spec.clustered and spec.hash_attribute == "account_id"


@pytest.mark.parametrize(("unit", "words"), [
    ("Account-ID", "not an attribute name"),
    ("1account", "not an attribute name"),
    ("account id", "not an attribute name"),
    ("a" * 64, "not an attribute name"),
    ("user_id", "write unit: user"),
    ("id", "write unit: user"),
    ("variant", "column of the contract"),
])
def test_a_bad_unit_names_the_field_and_line(tmp_path, unit, words):
    with pytest.raises(SpecError) as e:
        load_experiment(write(tmp_path, BASE + f"unit: {unit!r}\n"))
    assert "unit" in str(e.value) and words in str(e.value)
    assert "exp-one.yaml:16: unit" in str(e.value)  # the line of unit:


# --- capping and post-stratification (issue 15) ------------------------------------------------
CAPPED = BASE.replace("  primary: clicked\n", "  primary: clicked\n  secondary: [sessions_d7, retention_d7]\n")


def test_capping_and_adjust_for_load(tmp_path):
    spec = load_experiment(write(tmp_path, CAPPED + "statistics:\n  capping: {sessions_d7: {quantile: 0.99}}\n"
                                 "  adjust_for: [plan, platform, new_user]\n"))
    assert spec.statistics.capping["sessions_d7"].quantile == 0.99
    assert spec.statistics.capping["sessions_d7"].rule == "quantile 0.99"
    assert spec.statistics.adjust_for == ["plan", "platform", "new_user"]


@pytest.mark.parametrize("statistics, words", [
    ("  capping: {sessions_d7: {quantile: 0.99, value: 10}}", "exactly one of quantile"),
    ("  capping: {sessions_d7: {}}", "exactly one of quantile"),
    ("  capping: {sessions_d7: {quantile: 0.3}}", "greater than 0.5"),
    ("  capping: {sessions_d7: {value: -1}}", "greater than 0"),
    ("  capping: {retention_d7: {quantile: 0.99}}", "only mean metrics"),
    ("  capping: {sesions_d7: {quantile: 0.99}}", "unknown metric 'sesions_d7'"),
    ("  adjust_for: [plan, plan]", "listed twice"),
    ("  adjust_for: [\"plan; DROP\"]", "not a column name"),
    ("  adjust_for: [a, b, c, d, e]", "at most 4"),
])
def test_capping_and_adjust_for_errors(tmp_path, statistics, words):
    with pytest.raises(SpecError, match=words):
        load_experiment(write(tmp_path, CAPPED + "statistics:\n" + statistics + "\n"))


def test_capping_and_adjust_for_need_users_randomised(tmp_path):
    text = CAPPED + "unit: account_id\nstatistics:\n  adjust_for: [plan]\n"
    with pytest.raises(SpecError, match="not available when whole accounts are randomised"):
        load_experiment(write(tmp_path, text))
