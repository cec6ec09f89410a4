"""The guide programme: every experiment together, and its global holdout.

Declared once, in ``experiments/policies/programme.yaml`` (beside the throttle policy; not in
``experiments/`` itself, where every YAML file is an experiment)::

    id: guide-programme            # the GrowthBook feature key of the holdout, and the data folder
    start: 2026-10-01              # experiments starting on or after this day respect the holdout
    timezone: Asia/Tokyo           # day boundaries of the programme report
    holdout: {share: 0.05, seed: guide-programme-holdout}
    metrics: [retention_d7, goal_d7]
    goal_event: project_created

**The holdout** is carved out of the hash space before any experiment's ranges, as a namespace
is: a user whose GrowthBook hash v2 under the holdout ``seed`` falls below ``share``
(``hash_v2(seed, user_id) < share``) is in the holdout and enters no experiment of the
programme (:func:`guidelab.abtest.assign` with ``programme=``). The GrowthBook export expresses
this as an experiment rule ``filters`` entry ``{seed, hashVersion: 2, ranges: [[share, 1]]}``
(the SDK's ``_isFilteredOut``), and the holdout itself as one more feature ``<id>`` with the
variations ``holdout`` / ``programme`` and weights ``[share, 1 - share]`` on the same seed, so
the SDK's tracking callback records every user's programme arm (``assignments`` rows with
``experiment = <id>``): the same hash, the same cut, never a different answer.

Experiments that started before ``start`` keep their users (carving them out now would move
users between arms): the holdout applies to experiments with ``spec.start >= programme.start``.

**An account holdout** (``unit: account_id``, as an experiment's ``unit``): the holdout hashes
that attribute instead of the user id (``hash_v2(seed, account_id) < share``; GrowthBook's
``attribute`` of the filter and ``hashAttribute`` of the programme feature), so whole accounts
are held out, whatever each experiment's own unit. A user without the attribute is filtered out
of every experiment rule by the SDK (an empty hash value) and gets no programme arm: counted as
``missing_unit`` by the programme analysis, said as such by ``guidelab eligible``.
"""
from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Annotated, Any
from zoneinfo import ZoneInfo

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from .catalog import parse_metric
from .errors import SpecError, clip
from .experiment import (
    UNIT_USER,
    AccountSimulationSpec,
    ExperimentSpec,
    MetricName,
    check_experiment_id,
    check_timezone,
    check_unit,
)
from .hashing import empty_rows, hash_v2, hash_v2_buckets
from .yamlio import load_model

__all__ = [
    "HOLDOUT_ARM",
    "PROGRAMME_ARM",
    "PROGRAMME_FILE",
    "HoldoutSpec",
    "ProgrammeSimulation",
    "ProgrammeSpec",
    "find_programme",
    "holdout_value",
    "in_holdout",
    "in_holdout_batch",
    "load_programme",
]

#: Where the programme is declared, relative to the experiments folder.
PROGRAMME_FILE = Path("policies") / "programme.yaml"
#: The two arms of the programme feature (GrowthBook variations) and of its assignment rows.
HOLDOUT_ARM = "holdout"
PROGRAMME_ARM = "programme"


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class HoldoutSpec(_Model):
    """The global holdout: ``share`` of users or accounts (hash v2 under ``seed`` below ``share``) see no guide.

    ``share`` is on GrowthBook's hash grid of 1/10000, so it holds whole buckets exactly.
    """

    share: float = Field(gt=0, le=0.5, description="share of users held out of every experiment (0.05 = 5%)")
    seed: Annotated[str, Field(min_length=1, max_length=200)] = Field(
        description="hash seed of the holdout; never reuse an experiment's seed, never change it while running")

    @field_validator("share")
    @classmethod
    def _grid(cls, v: float) -> float:
        if abs(v * 10000 - round(v * 10000)) > 1e-9:
            raise ValueError(f"expected a multiple of 0.0001 (GrowthBook's hash grid), got {v!r}")
        return v


class ProgrammeSimulation(_Model):
    """Ground truth of ``guidelab simulate-programme`` (one population across every experiment)."""

    retention: dict[int, float] = Field(default_factory=lambda: {1: 0.42, 7: 0.22, 30: 0.12},
                                        description="P(active on day N after programme entry) without any guide")
    goal: float = Field(0.25, ge=0, le=1, description="P(goal event within goal_window_days) without any guide")
    goal_window_days: int = Field(7, ge=1, le=90)
    reach: float = Field(0.6, gt=0, le=1, description="P(a user reaches a running experiment's assignment point)")
    interactions: list["SimulatedInteraction"] = []
    accounts: AccountSimulationSpec | None = Field(
        None, description="accounts of the simulated users (sizes and ICC of goal and engagement); a programme "
                          "with an attribute unit gets the defaults when omitted")

    @field_validator("retention")
    @classmethod
    def _curve(cls, v: dict[int, float]) -> dict[int, float]:
        if not v or any(d < 1 or not 0 <= p <= 1 for d, p in v.items()):
            raise ValueError("expected day >= 1: probability in [0, 1] pairs")
        return dict(sorted(v.items()))


class SimulatedInteraction(_Model):
    """A true interaction for the simulator: users in ``arms[0]`` of ``experiments[0]`` and in
    ``arms[1]`` of ``experiments[1]`` have their primary-event probability (click, answer) in
    the first experiment multiplied by ``multiplier``."""

    experiments: tuple[str, str]
    arms: tuple[str, str]
    multiplier: float = Field(gt=0, le=5)


ProgrammeSimulation.model_rebuild()


class ProgrammeSpec(_Model):
    """The programme of guide experiments: its global holdout and the programme report's metrics."""

    id: str
    name: dict[str, str] | str | None = None
    start: dt.date
    end: dt.date | None = None
    timezone: str = "UTC"
    unit: str = Field("user", description="what the holdout hashes: user (default, the user id), or the attribute "
                                         "whose value is hashed so that whole accounts are held out (e.g. account_id)")
    holdout: HoldoutSpec
    metrics: list[MetricName] = Field(default_factory=lambda: ["retention_d7", "goal_d7"], min_length=1)
    goal_event: str | None = None
    alpha: float = Field(0.05, gt=0, lt=0.5)
    interaction_alpha: float = Field(0.05, gt=0, lt=0.5, description="family-wise level of the interaction check (Holm)")
    simulation: ProgrammeSimulation | None = None

    @field_validator("id")
    @classmethod
    def _id(cls, v: str) -> str:
        return check_experiment_id(v)

    @field_validator("timezone")
    @classmethod
    def _tz(cls, v: str) -> str:
        return check_timezone(v)

    @field_validator("unit")
    @classmethod
    def _unit(cls, v: str) -> str:
        return check_unit(v)

    @field_validator("metrics")
    @classmethod
    def _metrics(cls, v: list[str]) -> list[str]:
        for name in v:
            m = parse_metric(name)
            if m.entry.family not in ("retention", "goal"):
                raise ValueError(f"{name!r}: the programme report measures retention_d<N> and goal_d<N> only")
        if len(set(v)) != len(v):
            raise ValueError("a metric is listed twice")
        return v

    @model_validator(mode="after")
    def _goal(self) -> "ProgrammeSpec":
        if any(parse_metric(m).entry.family == "goal" for m in self.metrics) and not self.goal_event:
            raise ValueError("goal_event: a goal_d<N> metric is used, so goal_event must name the product event")
        if self.end is not None and self.end < self.start:
            raise ValueError(f"end ({self.end}) is before start ({self.start})")
        return self

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def clustered(self) -> bool:
        """Whether the holdout hashes an attribute (whole accounts held out) rather than the user id."""
        return self.unit != UNIT_USER

    @property
    def hash_attribute(self) -> str:
        """GrowthBook's attribute of the holdout hash: ``id`` (the user id) or the unit attribute."""
        return "id" if self.unit == UNIT_USER else self.unit

    def applies_to(self, spec: ExperimentSpec) -> bool:
        """Whether the holdout carves ``spec``'s users out: it starts on or after the programme."""
        return spec.start >= self.start

    def display_name(self, lang: str = "en") -> str:
        if isinstance(self.name, dict):
            return self.name.get(lang) or next(iter(self.name.values()), self.id)
        return self.name or self.id

    def holdout_filter(self) -> dict[str, Any]:
        """The GrowthBook ``filters`` entry that keeps holdout users out of an experiment rule:
        a user stays in the rule when the holdout hash lies in ``[share, 1)``."""
        return {"seed": self.holdout.seed, "hashVersion": 2, "attribute": self.hash_attribute,
                "ranges": [[self.holdout.share, 1]]}


def holdout_value(programme: ProgrammeSpec, user_id: str, unit_id: str | None = None) -> str:
    """The value the holdout hashes for one user: the user id, or (``unit: account_id``) the
    user's value of the unit attribute, ``""`` when it is missing."""
    if not programme.clustered:
        return user_id
    if unit_id is not None and not isinstance(unit_id, str):
        raise TypeError(f"the programme's {programme.unit} must be a str or None, got {type(unit_id).__name__}")
    return unit_id or ""


def in_holdout(programme: ProgrammeSpec, user_id: str, unit_id: str | None = None) -> bool:
    """Whether one user is in the programme holdout: ``hash_v2(seed, value) < share``, the value
    being the user id or (``unit: account_id``) ``unit_id``, the user's account.

    An empty value counts as held out (GrowthBook filters out a user without a hash value, so
    they see no guide either); :func:`holdout_value` tells the two apart."""
    value = holdout_value(programme, user_id, unit_id)
    return value == "" or hash_v2(programme.holdout.seed, value) < programme.holdout.share


def in_holdout_batch(programme: ProgrammeSpec, user_ids: Any, *, buckets: np.ndarray | None = None) -> np.ndarray:
    """:func:`in_holdout` for a column of hashed values (the user ids, or with an attribute unit
    each user's account; null or empty counts as held out): a boolean array.

    ``buckets``: the values' :func:`guidelab.hashing.hash_v2_buckets` under the holdout seed, when
    the caller has them (read in one pass with the experiment's seed); ``hash < share`` is then
    looked up for each of the 10,000 buckets once, the same comparison of the same doubles."""
    import pyarrow as pa
    import pyarrow.compute as pc

    ids = user_ids if isinstance(user_ids, (pa.Array, pa.ChunkedArray)) else pa.array(list(user_ids), type=pa.string())
    ids = pc.fill_null(ids, "")
    if buckets is None:
        buckets = hash_v2_buckets([programme.holdout.seed], ids)[0]
    elif len(buckets) != len(ids):
        raise ValueError(f"buckets: {len(buckets):,} values for {len(ids):,} ids")
    held_bucket = np.arange(10_000, dtype=np.uint16) / 10_000.0 < programme.holdout.share
    held = held_bucket[buckets]
    empty = empty_rows(ids)
    if empty is not None:
        held |= empty
    return held


def load_programme(path: str | Path) -> ProgrammeSpec:
    """Load and validate a programme file (errors name file, line and field)."""
    return load_model(ProgrammeSpec, Path(path))


def find_programme(experiments_dir: str | Path) -> ProgrammeSpec | None:
    """The programme declared for the experiments in ``experiments_dir`` (``policies/programme.yaml``
    there), or None when there is none."""
    path = Path(experiments_dir) / PROGRAMME_FILE
    if not path.is_file():
        return None
    return load_programme(path)


def programme_for_spec(spec_path: str | Path) -> ProgrammeSpec | None:
    """The programme beside a spec file (``<spec folder>/policies/programme.yaml``), or None."""
    return find_programme(Path(spec_path).resolve().parent)


def check_programme_ids(programme: ProgrammeSpec, specs: list[ExperimentSpec], path: str | Path) -> None:
    """The programme's id keys its GrowthBook feature and data folder: no experiment may share it,
    nor the holdout seed an experiment's seed."""
    for s in specs:
        if s.id == programme.id:
            raise SpecError.single(Path(path), "id", f"programme id {clip(programme.id)} is also an experiment id: "
                                   "expected a distinct id (it names the holdout feature and the data folder)", 1)
        if s.hash_seed == programme.holdout.seed:
            raise SpecError.single(Path(path), "holdout.seed", f"holdout seed {clip(programme.holdout.seed)} is the "
                                   f"hash seed of experiment {clip(s.id)}: expected a seed of its own, else the "
                                   "holdout and that experiment's arms would be the same cut of the users", 1)
