"""The experiment spec: which guides compete, how users are split, and how to judge them.

One YAML file per experiment in ``experiments/<id>.yaml``. Loading validates everything and
reports each problem with file, field path and line (see :mod:`guidelab.yamlio`).
"""
from __future__ import annotations

import datetime as dt
import functools
import re
from pathlib import Path
from typing import Annotated, Any, ClassVar, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from .catalog import GUIDE_EVENTS, MetricDef, parse_metric
from .errors import SpecError, clip
from .guides import Guide, Slug, _Errors, slug_problem
from .registry import entries as registry_entries
from .registry import metric_name_regex, metric_patterns
from .values import Bool
from .yamlio import load_model

EVENT_NAME = Annotated[str, Field(min_length=1, max_length=200)]


@functools.cache
def _zone_names() -> frozenset[str]:
    """The IANA names ZoneInfo lists, less ``localtime`` (the host's zone file, which the SQL engines
    do not know: a spec must name a zone that means the same everywhere)."""
    return frozenset(available_timezones() - {"localtime"})


def check_timezone(v: str) -> str:
    """A time zone field: an IANA name ZoneInfo lists (Asia/Tokyo, UTC); not a file such as
    ``posixrules`` that ZoneInfo opens but DuckDB and Spark do not know."""
    try:
        ZoneInfo(v)
        known = v in _zone_names()
    except (ZoneInfoNotFoundError, ValueError, OSError):
        known = False
    if not known:
        raise ValueError(f"unknown time zone {clip(v)}: expected an IANA name such as Asia/Tokyo or UTC") from None
    return v


def check_experiment_id(value: str) -> str:
    """Experiment ids become file names: the one id rule of :data:`guidelab.guides.SLUG_PATTERN`."""
    problem = slug_problem(value)
    if problem:
        raise ValueError(f"experiment id {clip(value)} is not a valid id: {problem}")
    return value


UNIT_USER = "user"
UNIT_PATTERN = re.compile(r"^[a-z][a-z0-9_]{0,62}$")
_RESERVED_UNITS = ("id", "user_id", "experiment", "variant", "assigned_at", "hash_value", "uk")


def check_unit(value: str) -> str:
    """The randomisation unit: ``user``, or an attribute name (lowercase letters, digits and
    underscores, starting with a letter, at most 63 characters) that is a column of the data
    contract's assignments (or users) table and GrowthBook's ``hashAttribute``."""
    if value == UNIT_USER:
        return value
    if not UNIT_PATTERN.match(value):
        raise ValueError(f"unit {clip(value)} is not an attribute name: expected user, or lowercase letters, digits "
                         "and underscores starting with a letter (at most 63), e.g. account_id")
    if value in _RESERVED_UNITS:
        hint = "write unit: user to randomise users" if value in ("id", "user_id") else "it is a column of the contract"
        raise ValueError(f"unit {value!r} cannot name the randomisation attribute: {hint}")
    return value


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Variant(_Model):
    """One arm: a guide to show, or no guide (``guide: null``) for a holdout control."""

    key: Slug
    guide: str | None = None
    weight: float = Field(gt=0, le=1)
    description: str | None = None


def _metric_name_schema(schema: dict[str, Any]) -> None:
    """The JSON Schema of a metric name, generated from the metric registry."""
    schema["pattern"] = metric_name_regex()
    schema["description"] = "a metric of the catalogue (docs/metrics.md): " + ", ".join(metric_patterns())


MetricName = Annotated[str, Field(json_schema_extra=_metric_name_schema)]


class MetricsSpec(_Model):
    """The pre-registered primary metric, plus secondary and guardrail metrics."""

    primary: MetricName
    secondary: list[MetricName] = []
    guardrails: list[MetricName] = []

    @field_validator("primary")
    @classmethod
    def _primary_known(cls, v: str) -> str:
        parse_metric(v)
        return v

    @field_validator("secondary", "guardrails")
    @classmethod
    def _known(cls, v: list[str]) -> list[str]:
        for name in v:
            parse_metric(name)
        if len(set(v)) != len(v):
            raise ValueError("a metric is listed twice")
        return v


# --- capping and post-stratification (issue 15; docs/statistics.md) ------------------------------
ATTRIBUTE_PATTERN = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,62}$")
MAX_ADJUST_FOR = 4


class CappingSpec(_Model):
    """Capping (winsorisation) of one mean metric: each user's value above the cap counts as the
    cap. ``quantile``: the cap is that quantile of the metric over every analysed user, all arms
    pooled (0.99: the 1% heaviest users are capped); ``value``: a fixed cap in the metric's unit.
    Exactly one of the two."""

    quantile: float | None = Field(None, gt=0.5, lt=1, description="cap at this quantile of all analysed users "
                                   "(arms pooled), e.g. 0.99")
    value: float | None = Field(None, gt=0, description="cap at this value of the metric, e.g. 50 sessions")

    @model_validator(mode="after")
    def _one(self) -> "CappingSpec":
        if (self.quantile is None) == (self.value is None):
            raise ValueError("give exactly one of quantile (e.g. 0.99) and value (e.g. 50)")
        return self

    @property
    def rule(self) -> str:
        return f"quantile {self.quantile:g}" if self.quantile is not None else f"value {self.value:g}"


def _check_adjust_for(v: list[str]) -> list[str]:
    for name in v:
        if not ATTRIBUTE_PATTERN.match(name):
            raise ValueError(f"{clip(name)} is not a column name: expected letters, digits and underscores "
                             "(a column of the users table, or new_user)")
    if len(set(v)) != len(v):
        raise ValueError("an attribute is listed twice")
    if len(v) > MAX_ADJUST_FOR:
        raise ValueError(f"at most {MAX_ADJUST_FOR} attributes: their cells multiply (small cells are pooled)")
    return v
# --- end of capping and post-stratification ---------------------------------------------------


class StatisticsSpec(_Model):
    """Which statistical methods the analysis uses; see ``docs/statistics.md``.

    ``sequential``: always-valid confidence sequences, so the team may look daily and stop
    when the primary metric's sequence excludes zero (``sequential_tuning`` = the sample size
    where the sequence is tightest). ``bayesian``: Beta-Binomial posteriors for proportions
    (chance to beat control, expected loss). ``cuped``: regression adjustment with the
    pre-assignment active days in the ``cuped_lookback_days`` before assignment.
    ``correction``: Holm (family-wise error) or Benjamini-Hochberg (false discovery rate).
    ``quantile_never_reached``: how a quantile metric of a time to an event counts the users who
    never reached it (``censored`` or ``reachers``; docs/statistics.md).
    """

    correction: Literal["holm", "bh", "none"] = "holm"
    sequential: Bool = False
    sequential_tuning: int = Field(5000, ge=100, le=100_000_000)
    bayesian: Bool = True
    prior: tuple[float, float] = (1.0, 1.0)
    cuped: Bool = False
    cuped_lookback_days: int = Field(14, ge=1, le=365)
    # capping and post-stratification (issue 15): see CappingSpec and docs/statistics.md
    capping: dict[str, CappingSpec] = Field(
        default_factory=dict, description="mean metrics to cap (winsorise), by name: {quantile: 0.99} or {value: 50}")
    adjust_for: list[str] = Field(
        default_factory=list, description="attributes known at assignment (users-table columns, or new_user) to "
        "post-stratify proportion and mean metrics on, e.g. [plan, platform]; combines with cuped")

    @field_validator("adjust_for")
    @classmethod
    def _adjust_for(cls, v: list[str]) -> list[str]:
        return _check_adjust_for(v)

    # quantile metrics (<base>_p<NN>, docs/metrics.md): users who never reached the event
    quantile_never_reached: Literal["censored", "reachers"] = Field(
        "censored", description="quantile metrics of a time to an event (days_to_goal_d<N>_p<NN>): users who never "
        "reached the event within the window count as later than any value (censored: the quantile is reported "
        "only when more than p of the users reached it) or are left out (reachers: the quantile among those who "
        "reached it, conditioned on reaching it, so descriptive)")

    @field_validator("prior")
    @classmethod
    def _prior(cls, v: tuple[float, float]) -> tuple[float, float]:
        if not (v[0] > 0 and v[1] > 0):
            raise ValueError(f"expected two positive Beta prior parameters [a, b], got {list(v)}")
        return v


class OverExposureSpec(_Model):
    """Guardrail over-exposure: a user shown more than ``max_guides`` distinct guides (any live
    guide, this experiment's or not) within ``period_days`` after assignment is over-exposed."""

    max_guides: int = Field(3, ge=1, le=100)
    period_days: int = Field(7, ge=1, le=90)


class NamespaceSpec(_Model):
    """GrowthBook namespace: experiments in the same namespace with disjoint ranges never share
    a user. ``range`` is [start, end) within [0, 1] of the namespace hash (GrowthBook: hash v1 of
    "__" + id)."""

    id: Annotated[str, Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$")]
    range: tuple[float, float]

    @field_validator("range")
    @classmethod
    def _range(cls, v: tuple[float, float]) -> tuple[float, float]:
        if not (0 <= v[0] < v[1] <= 1):
            raise ValueError(f"expected [start, end) with 0 <= start < end <= 1, got {list(v)}")
        return v


class VariantTruth(_Model):
    """True behaviour of one arm, for the simulator (probabilities per user)."""

    #: A plausible NPS answer distribution (scores 0..10): 28% detractors, 38% promoters (NPS +0.10).
    DEFAULT_NPS_SCORES: ClassVar[tuple[float, ...]] = (
        0.02, 0.01, 0.02, 0.03, 0.04, 0.08, 0.08, 0.14, 0.20, 0.16, 0.22)

    shown: float = Field(0.9, ge=0, le=1)       # P(shown | arm has a guide)
    open: float = Field(0.0, ge=0, le=1)        # P(opened | shown)
    click: float = Field(0.0, ge=0, le=1)       # P(clicked | opened)
    dismiss: float = Field(0.0, ge=0, le=1)     # P(dismissed | shown, not clicked)
    complete: float = Field(0.0, ge=0, le=1)    # one-step guide: P(completed | clicked);
    #                                             2+ steps: P(completed | reached the last step)
    step_continue: float = Field(0.8, ge=0, le=1)  # P(reach step k+1 | reached step k), openers of 2+ step guides
    respond: float = Field(0.3, ge=0, le=1)     # survey guides: P(answered | shown)
    nps_scores: list[float] | None = None       # survey guides: P(score 0..10) of an answer (11 values, sum 1)
    opt_out: float = Field(0.0, ge=0, le=1)     # P(opted_out, "don't show again" | shown)
    support: float = Field(0.0, ge=0, le=1)     # P(support contact within goal_window_days)
    goal: float = Field(0.1, ge=0, le=1)        # P(goal event within goal_window_days)
    retention_lift: float = Field(0.0, gt=-1, le=1)  # relative change of every day's activity
    sessions_lift: float = Field(0.0, gt=-1, le=5)  # relative change of sessions per active day
    impressions: float = Field(0.0, ge=0, le=50)    # extra impressions per shown user (mean, Poisson)

    @field_validator("nps_scores")
    @classmethod
    def _nps_scores(cls, v: list[float] | None) -> list[float] | None:
        if v is None:
            return v
        if len(v) != 11:
            raise ValueError(f"expected 11 probabilities, for the scores 0 to 10, got {len(v)}")
        if any(not 0 <= p <= 1 for p in v):
            raise ValueError("expected probabilities in [0, 1]")
        if abs(sum(v) - 1) > 1e-6:
            raise ValueError(f"expected probabilities summing to 1, they sum to {sum(v):.6g}")
        return v

    @property
    def nps_distribution(self) -> tuple[float, ...]:
        """P(score 0..10) of a survey answer: ``nps_scores`` or the default distribution."""
        return tuple(self.nps_scores) if self.nps_scores is not None else self.DEFAULT_NPS_SCORES


class AccountSimulationSpec(_Model):
    """Simulated accounts for a spec randomised by account: sizes (users per account) drawn from a
    log-normal with ``median_users`` and ``sigma`` (log scale), clipped to 1..``max_users``, and
    ``icc``: the intra-class correlation of the goal (a Beta-Binomial account rate; exactly
    ``icc`` within an arm) and of the engagement class behind daily activity."""

    median_users: float = Field(4.0, ge=1, le=1000)
    sigma: float = Field(1.2, ge=0, le=3)
    max_users: int = Field(500, ge=1, le=100_000)
    icc: float = Field(0.1, gt=0, lt=1)


class SimulationSpec(_Model):
    """Ground truth the simulator writes data from, so estimates can be checked against it."""

    #: Simulated user attributes usable in ``segment_lift``: value -> share of users.
    SEGMENT_ATTRIBUTES: ClassVar[dict[str, dict[str, float]]] = {
        "platform": {"web": 0.7, "mobile": 0.3},
        "locale": {"ja": 0.6, "en": 0.4},
        "plan": {"free": 0.8, "pro": 0.2},
        "new_user": {"new": 0.6, "existing": 0.4},
    }

    retention: dict[int, float] = Field(
        default_factory=lambda: {1: 0.40, 7: 0.22, 30: 0.12},
        description="control's probability of being active on day N; interpolated between days",
    )
    goal_window_days: int = Field(7, ge=1, le=365)
    novelty_boost: float = Field(0.0, ge=0, le=5)       # extra open/click odds on day 0 of the experiment
    novelty_half_life_days: float = Field(3.0, gt=0)
    sessions_per_active_day: float = Field(1.0, ge=1, le=20)  # mean activity rows on an active day
    pre_period_days: int = Field(0, ge=0, le=365)  # days of activity written before each assignment
    pre_period_activity: float = Field(0.3, ge=0, le=1)  # mean daily activity before assignment
    other_guides_per_user: float = Field(0.0, ge=0, le=10)  # Poisson mean of OTHER guides shown per user
    segment_lift: dict[str, dict[str, float]] = Field(
        default_factory=dict,
        description="{attribute: {value: multiplier}} of every variant's retention_lift for those users",
    )
    accounts: AccountSimulationSpec = AccountSimulationSpec()  # used when the spec randomises by account
    variants: dict[str, VariantTruth]

    @field_validator("retention")
    @classmethod
    def _curve(cls, v: dict[int, float]) -> dict[int, float]:
        if not v:
            raise ValueError("expected at least one day: probability pair")
        for day, p in v.items():
            if day < 1 or not 0 <= p <= 1:
                raise ValueError(f"day {day}: expected day >= 1 and probability in [0, 1]")
        return dict(sorted(v.items()))

    @field_validator("segment_lift")
    @classmethod
    def _segment_lift(cls, v: dict[str, dict[str, float]]) -> dict[str, dict[str, float]]:
        known = cls.SEGMENT_ATTRIBUTES
        for attr, by_value in v.items():
            if attr not in known:
                raise ValueError(f"unknown attribute {clip(attr)}: expected one of {', '.join(known)}")
            for value, mult in by_value.items():
                if value not in known[attr]:
                    raise ValueError(f"{attr}: unknown value {clip(value)}, expected one of {', '.join(known[attr])}")
                if not 0 <= mult <= 10:
                    raise ValueError(f"{attr}.{value}: expected a multiplier of retention_lift in [0, 10], got {mult}")
        return v


class ExperimentSpec(_Model):
    """An A/B(/n) test of in-app guides. See ``experiments/README.md`` for every field."""

    id: str
    name: dict[str, str] | str | None = None
    hypothesis: str | dict[str, str] = Field(min_length=1)
    owner: str | None = None
    guides: list[Guide] = []
    variants: list[Variant] = Field(min_length=2)
    control: str | None = None
    coverage: float = Field(1.0, gt=0, le=1)
    seed: str | None = None
    hash_version: int = Field(2, ge=2, le=2)
    unit: str = Field("user", description="the randomisation unit: user (default), or the attribute whose value is "
                      "hashed instead of the user id, e.g. account_id to randomise whole accounts "
                      "(GrowthBook hashAttribute); the data contract then carries that column")
    version: int = Field(1, ge=1, description="assignment version: bump it to allow users to move arms")
    namespace: NamespaceSpec | None = None
    start: dt.date
    end: dt.date | None = None
    timezone: str = "UTC"
    data_timezone: str | None = Field(None, description="zone of zoneless timestamps in the data (default: they are an error)")
    metrics: MetricsSpec
    alpha: float = Field(0.05, gt=0, lt=0.5)
    power: float = Field(0.8, gt=0.5, lt=1)
    mde: float = Field(0.05, gt=0, le=10, description="minimum detectable effect, relative lift (0.05 = +5%)")
    goal_event: str | None = None
    event_names: dict[EVENT_NAME, str] = {}
    statistics: StatisticsSpec = StatisticsSpec()
    segments: list[str] = Field(default_factory=list, description="users-table columns (or new_user) to split effects by")
    guardrail_margins: dict[str, float] = Field(default_factory=dict, description="tolerated harm per guardrail, absolute")
    guardrail_ceilings: dict[str, float] = Field(
        default_factory=dict,
        description="guide-only guardrails (dismissed, opted_out, ...) against a no-guide control: the highest "
                    "acceptable rate among a guide arm's users")
    baseline: float | None = Field(None, gt=0, description="the control's expected primary value, for the "
                                   "planned sample (default: the control's observed value)")
    planned_users: int | None = Field(None, ge=1, description="users per arm at the decision look (fixed "
                                      "horizon); default: planned from alpha/k, weights, power and the MDE")
    support_event: str | None = None
    over_exposure: OverExposureSpec = OverExposureSpec()
    simulation: SimulationSpec | None = None

    @field_validator("id")
    @classmethod
    def _id(cls, v: str) -> str:
        return check_experiment_id(v)

    @field_validator("unit")
    @classmethod
    def _unit(cls, v: str) -> str:
        return check_unit(v)

    @field_validator("timezone", "data_timezone")
    @classmethod
    def _tz(cls, v: str | None) -> str | None:
        return v if v is None else check_timezone(v)

    @field_validator("event_names")
    @classmethod
    def _event_names(cls, v: dict[str, str]) -> dict[str, str]:
        allowed = set(GUIDE_EVENTS) | {"goal", "activity", "support"}
        for team_name, ours in v.items():
            if ours not in allowed:
                raise ValueError(
                    f"{clip(team_name)} maps to {clip(ours)}: expected one of {', '.join(sorted(allowed))}"
                )
        return v

    @model_validator(mode="after")
    def _cross_checks(self) -> "ExperimentSpec":
        # Problems located at their field, so the error names the line of the variants block
        # (or the variant, or control:), not the top of the file.
        errors = _Errors()
        keys = [v.key for v in self.variants]
        if len(set(keys)) != len(keys):
            errors.add(("variants",), f"keys must be unique, got {keys}")
        total = sum(v.weight for v in self.variants)
        if abs(total - 1.0) > 1e-6:
            errors.add(("variants",), f"weights must sum to 1, they sum to {total:.6g} "
                       f"({', '.join(f'{v.key} {v.weight:g}' for v in self.variants)})")
        if self.control is not None and self.control not in keys:
            errors.add(("control",), f"{clip(self.control)} is not a variant key; expected one of {keys}")
        guide_ids = [g.id for g in self.guides]
        if len(set(guide_ids)) != len(guide_ids):
            errors.add(("guides",), "guide ids must be unique")
        for i, v in enumerate(self.variants):
            if v.guide is not None and v.guide not in guide_ids:
                errors.add(("variants", i, "guide"),
                           f"variant {clip(v.key)} shows guide {clip(v.guide)}, which is not defined under guides: "
                           f"expected one of {guide_ids or '(none defined)'} or null for a holdout")
        if self.end is not None and self.end < self.start:
            errors.add(("end",), f"end ({self.end}) is before start ({self.start})")
        errors.raise_if_any("ExperimentSpec")
        all_metrics = [self.metrics.primary, *self.metrics.secondary, *self.metrics.guardrails]
        if len(set(all_metrics)) != len(all_metrics):
            raise ValueError("metrics: the primary metric must not be repeated as secondary or guardrail")
        used = {parse_metric(m).entry for m in all_metrics}
        for entry in (e for e in registry_entries() if e in used and e.requires):  # in catalogue order
            if not getattr(self, entry.requires):  # type: ignore[arg-type]
                raise ValueError(f"{entry.requires}: a {entry.pattern} metric is used, so {entry.requires} must name "
                                 "the product event")
        unknown_margins = set(self.guardrail_margins) - set(self.metrics.guardrails)
        if unknown_margins:
            raise ValueError(f"guardrail_margins: {sorted(unknown_margins)} are not guardrail metrics of this spec")
        if any(m < 0 for m in self.guardrail_margins.values()):
            raise ValueError("guardrail_margins: margins are tolerated harm, expected values >= 0")
        self._check_guide_only_metrics(keys)
        self._check_capping_and_strata()
        self._check_quantile_metrics()
        if len(set(self.segments)) != len(self.segments):
            raise ValueError("segments: a segment is listed twice")
        if self.simulation is not None:
            missing = set(keys) - set(self.simulation.variants)
            extra = set(self.simulation.variants) - set(keys)
            if missing or extra:
                raise ValueError(
                    f"simulation.variants: expected exactly the variant keys {keys}"
                    + (f"; missing {sorted(missing)}" if missing else "")
                    + (f"; unknown {sorted(extra)}" if extra else "")
                )
        return self

    def _check_guide_only_metrics(self, keys: list[str]) -> None:
        """Metrics only a guide can produce are 0 by construction in a no-guide (``guide: null``)
        control, so as a guardrail every guide would look harmful and the experiment could never
        pass: such a guardrail is judged against its ``guardrail_ceilings`` entry instead."""
        control = self.control or keys[0]
        holdout = next((v for v in self.variants if v.key == control), None)
        unknown = set(self.guardrail_ceilings) - set(self.metrics.guardrails)
        if unknown:
            raise ValueError(f"guardrail_ceilings: {sorted(unknown)} are not guardrail metrics of this spec")
        if any(not 0 < c < 1 for c in self.guardrail_ceilings.values()):
            raise ValueError("guardrail_ceilings: a ceiling is the highest acceptable rate, expected 0 < value < 1")
        if holdout is None or holdout.guide is not None:
            return
        for name in self.metrics.guardrails:
            m = parse_metric(name)
            if m.guide_only and name not in self.guardrail_ceilings:
                raise ValueError(
                    f"metrics.guardrails: {name!r} can only happen when a guide is shown, and the control "
                    f"{control!r} shows no guide (guide: null), so its rate there is 0 by construction and "
                    f"every guide would look harmed: the experiment could never pass. Declare the highest "
                    f"acceptable rate among a guide arm's users, e.g. guardrail_ceilings: {{{name}: 0.3}}, "
                    f"or make a guide arm the control.")
            if m.guide_only and m.kind != "proportion":
                raise ValueError(f"guardrail_ceilings: {name!r} is not a rate; a ceiling applies to rates only")
            if name in self.guardrail_margins and m.guide_only:
                raise ValueError(f"guardrail_margins: {name!r} is judged against its ceiling (the control "
                                 f"{control!r} shows no guide); give guardrail_ceilings only")

    def _check_capping_and_strata(self) -> None:
        """``statistics.capping`` names mean metrics of the catalogue (applied to those among the
        spec's metrics, so a metric swapped out keeps its rule harmlessly); capping and
        ``adjust_for`` are user-level, so they need ``unit: user``."""
        st = self.statistics
        for name in st.capping:
            try:
                kind = parse_metric(name).kind
            except ValueError as exc:
                raise ValueError(f"statistics.capping: {exc}") from None
            if kind != "mean":
                raise ValueError(f"statistics.capping: {name!r} is a {kind}: only mean metrics (per-user counts "
                                 "and amounts) can be capped")
        if self.clustered and (st.capping or st.adjust_for):
            field = "capping" if st.capping else "adjust_for"
            raise ValueError(f"statistics.{field}: not available when whole accounts are randomised (unit: "
                             f"{self.unit}); the adjustment is per user")

    def _check_quantile_metrics(self) -> None:
        """Quantile metrics (``<base>_p<NN>``) compare users: secondary or guardrail metrics of a spec
        that randomises users (the rank interval assumes independent users; the plan has no sample
        size for a quantile)."""
        if parse_metric(self.metrics.primary).kind == "quantile":
            raise ValueError(f"metrics.primary: {self.metrics.primary!r} is a quantile metric; a quantile can be a "
                             "secondary metric or a guardrail (the plan has no sample size for a quantile yet): "
                             "choose a rate or a mean as the primary metric")
        quantiles = [m for m in [*self.metrics.secondary, *self.metrics.guardrails] if parse_metric(m).kind == "quantile"]
        if quantiles and self.clustered:
            raise ValueError(f"metrics: {', '.join(quantiles)} are quantile metrics, whose intervals assume "
                             f"independent users, and this spec randomises by {self.unit}: remove them or "
                             "randomise users")

    def notices(self) -> list[str]:
        """What ``guidelab validate`` points out without refusing the spec: a capping rule for a
        metric the spec does not use (a typo of the intended metric, or a metric swapped out)."""
        used = {self.metrics.primary, *self.metrics.secondary, *self.metrics.guardrails}
        return [f"statistics.capping: {name} is not among this spec's metrics, so its cap is not used"
                for name in self.statistics.capping if name not in used]

    # --- derived views -------------------------------------------------------------
    @property
    def control_key(self) -> str:
        return self.control or self.variants[0].key

    @property
    def clustered(self) -> bool:
        """Whether the randomisation unit is an attribute (an account) rather than the user."""
        return self.unit != UNIT_USER

    @property
    def hash_attribute(self) -> str:
        """GrowthBook's ``hashAttribute``: ``id`` (the user id) or the unit attribute."""
        return "id" if self.unit == UNIT_USER else self.unit

    @property
    def hash_seed(self) -> str:
        return self.seed if self.seed is not None else self.id

    @property
    def variant_keys(self) -> list[str]:
        return [v.key for v in self.variants]

    @property
    def treatment_keys(self) -> list[str]:
        return [k for k in self.variant_keys if k != self.control_key]

    @property
    def weights(self) -> dict[str, float]:
        return {v.key: v.weight for v in self.variants}

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    def guide_for(self, variant_key: str) -> Guide | None:
        gid = next(v.guide for v in self.variants if v.key == variant_key)
        return next((g for g in self.guides if g.id == gid), None) if gid else None

    def metric_defs(self) -> list[tuple[MetricDef, str]]:
        """Every metric with its role: primary, secondary or guardrail."""
        out = [(parse_metric(self.metrics.primary), "primary")]
        out += [(parse_metric(m), "secondary") for m in self.metrics.secondary]
        out += [(parse_metric(m), "guardrail") for m in self.metrics.guardrails]
        return out

    def hypothesis_text(self, lang: str = "en") -> str:
        if isinstance(self.hypothesis, dict):
            return self.hypothesis.get(lang) or next(iter(self.hypothesis.values()), "")
        return self.hypothesis

    def display_name(self, lang: str = "en") -> str:
        if isinstance(self.name, dict):
            return self.name.get(lang) or next(iter(self.name.values()), self.id)
        return self.name or self.id


def load_experiment(path: str | Path) -> ExperimentSpec:
    """Load and validate ``experiments/<id>.yaml``; the id must match the file name."""
    path = Path(path)
    spec = load_model(ExperimentSpec, path)
    if path.stem != spec.id:
        raise SpecError.single(path, "id", f"id {clip(spec.id)} must match the file name ({clip(path.stem)}.yaml)", 1)
    return spec


def dump_spec_dict(spec: ExperimentSpec) -> dict[str, Any]:
    """The spec as plain JSON-ready data."""
    return spec.model_dump(mode="json")
