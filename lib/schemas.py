"""JSON Schemas of every input and output a command takes, generated from the models.

``guidelab schema NAME`` prints one; ``schemas/<name>.schema.json`` in the repository holds the
same text (a test checks they are up to date; ``guidelab schema --out schemas/`` regenerates them). An editor with
the YAML language server checks and completes a spec that starts with, for example::

    # yaml-language-server: $schema=../schemas/experiment.schema.json

The input schemas come straight from the pydantic models that validate the files
(:class:`~guidelab.experiment.ExperimentSpec`, :class:`~guidelab.guides.Guide`,
:class:`~guidelab.throttle.ThrottlePolicy`, :class:`~guidelab.eligibility.UserContext`). The
result JSON is written from dataclasses by ``to_dict``; its shape is described here by
:class:`ResultDocument` and a test validates real results against it.
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Callable, Literal

from pydantic import BaseModel, ConfigDict

from .errors import GuidelabError

__all__ = ["SCHEMA_NAMES", "ResultDocument", "schema", "schema_text", "write_schemas"]


class _Open(BaseModel):
    model_config = ConfigDict(extra="allow")


class ResultReasonCode(_Open):
    """A reason as data: its code and the numbers the sentence is made from."""

    code: str


class ResultNote(_Open):
    """A note on a statistic as data: its code (guidelab.stats.notes.NoteCode) and parameters;
    ``note`` is their English."""

    code: str


class ResultArm(BaseModel):
    model_config = ConfigDict(extra="forbid")

    variant: str
    verdict: Literal["KEEP", "KILL", "CONTINUE", "INVESTIGATE"]
    reasons: list[str]
    days_needed: float | None = None


class ResultDecision(BaseModel):
    """The verdict of the experiment and of each treatment arm, with reasons in words (en, ja) and as codes."""

    model_config = ConfigDict(extra="forbid")

    mode: Literal["fixed", "sequential"] = "fixed"
    verdict: Literal["KEEP", "KILL", "CONTINUE", "INVESTIGATE"]
    reasons: list[str]
    reasons_ja: list[str] = []
    arm: str | None
    days_needed: float | None = None
    arms: list[ResultArm] = []
    reason_codes: list[ResultReasonCode] = []


class ResultSRM(BaseModel):
    """Sample-ratio check: chi-square against the planned weights."""

    model_config = ConfigDict(extra="forbid")

    p_value: float | None
    counts: dict[str, int]
    expected: dict[str, float]
    statistic: float | None
    df: int


class ResultQuantile(BaseModel):
    """A quantile metric (kind "quantile"): the p-quantile per arm with its rank interval (an end
    null: unbounded, never-reached users above it, or too few users) and how never-reached users counted."""

    model_config = ConfigDict(extra="forbid")

    p: float
    censoring: Literal["censored", "reachers"]
    estimate: float | None
    estimate_control: float | None
    ci: list[float | None] | None
    ci_control: list[float | None] | None
    n_eligible: int
    n_eligible_control: int
    n_reached: int
    n_reached_control: int


class ResultMetric(_Open):
    """One metric, one treatment arm against the control. Rates, differences and lifts are fractions."""

    metric: str
    role: Literal["primary", "secondary", "guardrail"]
    kind: Literal["proportion", "mean", "ratio", "quantile"] = "proportion"
    variant: str
    control: str
    n: int | None
    n_control: int | None
    successes: int | None = None
    successes_control: int | None = None
    rate: float | None = None
    rate_control: float | None = None
    mean: float | None = None
    mean_control: float | None = None
    ratio: float | None = None
    ratio_control: float | None = None
    abs_diff: float | None
    abs_ci: list[float | None] | None
    rel_lift: float | None
    rel_ci: list[float | None] | None
    p_value: float | None
    p_value_adjusted: float | None
    significant: bool | None = None
    status: str | None = None
    note: str | None = None
    notes: list[ResultNote] = []
    higher_is_better: bool
    randomised: bool
    ci_method: str
    sequential: dict[str, Any] | None = None
    bayes: dict[str, Any] | None = None
    cuped: dict[str, Any] | None = None
    clustered: dict[str, Any] | None = None
    capping: dict[str, Any] | None = None             # statistics.capping (docs/statistics.md)
    poststratification: dict[str, Any] | None = None  # statistics.adjust_for (docs/statistics.md)
    quantile: ResultQuantile | None = None


class ResultDataCheck(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str
    code: str | None
    passed: bool
    severity: str
    detail: str | dict[str, Any] | None


class ResultDocument(BaseModel):
    """``reports/<id>.json`` and ``guidelab analyze --json``: the result of one analysis."""

    model_config = ConfigDict(extra="allow", title="guidelab result")

    schema_version: int
    experiment: str
    as_of: str | None
    decision: ResultDecision
    srm: ResultSRM
    metrics: list[ResultMetric]
    data_checks: list[ResultDataCheck] = []
    assigned: dict[str, int] = {}
    accounts: dict[str, int] | None = None
    control: str | None = None
    alpha: float
    mde: float | None = None
    methods: dict[str, Any] = {}
    analyses: dict[str, Any] = {}


def _experiment() -> type[BaseModel]:
    from .experiment import ExperimentSpec

    return ExperimentSpec


def _guide() -> type[BaseModel]:
    from .guides import Guide

    return Guide


def _policy() -> type[BaseModel]:
    from .throttle import ThrottlePolicy

    return ThrottlePolicy


def _programme() -> type[BaseModel]:
    from .programme import ProgrammeSpec

    return ProgrammeSpec


def _user() -> type[BaseModel]:
    from .eligibility import UserContext

    return UserContext


_MODELS: dict[str, tuple[Callable[[], type[BaseModel]], str, str]] = {
    "experiment": (_experiment, "validation", "an experiment spec, experiments/<id>.yaml"),
    "guide": (_guide, "validation", "a guide (one entry of an experiment's guides:, or a guide YAML file)"),
    "throttle-policy": (_policy, "validation", "the global throttle policy (guidelab eligible --policy FILE)"),
    "programme": (_programme, "validation", "the guide programme and its global holdout, "
                  "experiments/policies/programme.yaml"),
    "eligibility-input": (_user, "validation", "one user for guidelab eligible --user (inline JSON or a .json file)"),
    "result": (lambda: ResultDocument, "serialization", "the result JSON (reports/<id>.json, guidelab analyze --json)"),
}
SCHEMA_NAMES = tuple(_MODELS)


def schema(name: str) -> dict[str, Any]:
    """The JSON Schema (draft 2020-12) of one input or output, by name (see :data:`SCHEMA_NAMES`)."""
    if name not in _MODELS:
        raise GuidelabError(f"schema: unknown name {name!r}; expected one of: {', '.join(SCHEMA_NAMES)}")
    model_fn, mode, description = _MODELS[name]
    out = model_fn().model_json_schema(mode=mode)  # type: ignore[arg-type]
    head = {"$schema": "https://json-schema.org/draft/2020-12/schema",
            "$id": f"https://guidelab.invalid/schemas/{name}.schema.json",
            "description": description}
    out.pop("description", None)
    return {**head, **out}


def schema_text(name: str) -> str:
    """The schema as the text committed under ``schemas/`` (stable key order, UTF-8, newline at the end)."""
    return json.dumps(schema(name), ensure_ascii=False, indent=2) + "\n"


def write_schemas(out_dir: str | Path) -> list[Path]:
    """Write ``<out_dir>/<name>.schema.json`` for every name."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = []
    for name in SCHEMA_NAMES:
        path = out_dir / f"{name}.schema.json"
        path.write_text(schema_text(name), encoding="utf-8")
        paths.append(path)
    return paths
