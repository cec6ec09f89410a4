"""JSON Schemas: generated from the models, committed under schemas/, and true to real files."""
from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import jsonschema
import pytest

from guidelab.cli import main
from guidelab.schemas import SCHEMA_NAMES, schema, schema_text
from guidelab.yamlio import load_yaml

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.parametrize("name", SCHEMA_NAMES)
def test_committed_schema_is_up_to_date(name):
    committed = ROOT / "schemas" / f"{name}.schema.json"
    assert committed.is_file(), f"run: guidelab schema --out schemas/ ({committed} missing)"
    assert committed.read_text(encoding="utf-8") == schema_text(name), \
        f"{committed} is stale: run guidelab schema --out schemas/"


@pytest.mark.parametrize("name", SCHEMA_NAMES)
def test_schema_is_valid_draft_2020_12(name):
    jsonschema.Draft202012Validator.check_schema(schema(name))


def _jsonable(x):
    if isinstance(x, (dt.date, dt.datetime)):
        return x.isoformat()
    if isinstance(x, dict):
        return {str(k): _jsonable(v) for k, v in x.items()}
    if isinstance(x, list):
        return [_jsonable(v) for v in x]
    return x


@pytest.mark.parametrize("spec", sorted((ROOT / "experiments").glob("*.yaml")), ids=lambda p: p.stem)
def test_example_specs_validate_against_the_experiment_schema(spec):
    data, _ = load_yaml(spec)  # YAML 1.2, as the YAML language server reads it
    jsonschema.validate(_jsonable(data), schema("experiment"))


def test_schema_catches_a_misspelt_field_an_editor_would_flag():
    data, _ = load_yaml(ROOT / "experiments" / "nps-survey-timing.yaml")
    data = _jsonable(data)
    data["hypotesis"] = data.pop("hypothesis")
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(data, schema("experiment"))


def test_policy_and_user_examples_validate():
    policy, _ = load_yaml(ROOT / "experiments" / "policies" / "throttle.yaml")
    jsonschema.validate(policy, schema("throttle-policy"))
    user = json.loads((ROOT / "tests" / "fixtures" / "eligibility" / "user.json").read_text(encoding="utf-8"))
    jsonschema.validate(user, schema("eligibility-input"))
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate({"user_id": "u1", "plan": "pro"}, schema("eligibility-input"))


def test_a_real_result_validates_against_the_result_schema(root):
    from guidelab.analysis import analyze_experiment
    from guidelab.experiment import load_experiment

    spec = load_experiment(root / "experiments" / "nps-survey-timing.yaml")
    doc = json.loads(analyze_experiment(spec, root / "data" / "sample" / spec.id).to_json())
    jsonschema.validate(doc, schema("result"))
    doc["decision"]["verdict"] = "MAYBE"
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(doc, schema("result"))


def test_cli_prints_a_schema_and_refuses_an_unknown_name(capsys):
    assert main(["schema", "throttle-policy"]) == 0
    printed = json.loads(capsys.readouterr().out)
    assert printed["properties"]["max_guides_per_period"]["default"] == 2
    with pytest.raises(SystemExit):
        main(["schema", "nope"])


def test_docs_show_the_language_server_line():
    text = (ROOT / "docs" / "inputs.md").read_text(encoding="utf-8")
    assert "# yaml-language-server: $schema=../schemas/experiment.schema.json" in text


def test_every_command_has_its_inputs_documented():
    import argparse

    from guidelab.cli import build_parser

    sub = next(a for a in build_parser()._actions if isinstance(a, argparse._SubParsersAction))
    text = (ROOT / "docs" / "inputs.md").read_text(encoding="utf-8")
    missing = [name for name in sub.choices if f"`guidelab {name}" not in text and f"guidelab {name} " not in text]
    assert not missing, f"docs/inputs.md does not describe: {missing}"
