"""Plan an experiment before it starts: how many users, how many days, what effect is detectable.

For the spec's primary metric (a conversion rate with the given baseline), its relative MDE,
alpha and power, :func:`plan_experiment` works out

* the users each arm needs for a fixed-horizon test (analyse once, at the end) and for the
  always-valid confidence sequence of :mod:`guidelab.stats.sequential` (look every day, stop as
  soon as the interval excludes 0);
* with k treatment arms each compared with the control, alpha / k per comparison (Bonferroni:
  conservative for the Holm adjustment the analysis applies);
* the arm sizes implied by the spec's weights: each comparison is planned at its real split
  (ratio = weight_treatment / weight_control), and the experiment needs
  max over arms of (users the arm needs / the arm's weight) users in total;
* days to decision at ``daily_users`` eligible users per day times the spec's coverage, plus the
  maturation time of the metric (N days for retention_dN / goal_dN, :func:`days_for_metric_lag`);
* given ``days``, the MDE detectable by a decision on that day (fixed and sequential).

Formulas: :mod:`guidelab.stats.power` (unpooled two-proportion normal approximation; Chow, Shao &
Wang sec. 4.2) and the confidence sequence of Waudby-Smith et al. (Ann. Statist. 2024).
"""
from __future__ import annotations

import json
import math
import unicodedata
from dataclasses import asdict, dataclass
from enum import Enum
from numbers import Real
from pathlib import Path
from typing import Any, ClassVar

from .catalog import MetricDef, parse_metric
from .experiment import ExperimentSpec, load_experiment
from .report.words import check_lang, metric_label, number, pct, plan_note_text, plan_words
from .serialize import JsonField, ResultModel
from .stats.power import (
    mde_for_sample_size,
    sample_size_two_proportions,
    sequential_mde_for_sample_size,
    sequential_sample_size_two_proportions,
    users_needed,
)
from .stats.sequential import DEFAULT_TUNING
from .stats.sequential import METHOD as SEQUENTIAL_METHOD

__all__ = [
    "ArmPlan",
    "ComparisonPlan",
    "PlanResult",
    "days_for_metric_lag",
    "plan_experiment",
    "mde_days_curve",
    "plan_from_cli",
]


# --------------------------------------------------------------------------- helpers


def days_for_metric_lag(metric: str | MetricDef) -> int:
    """Days a user's primary outcome needs to mature after assignment: :attr:`MetricDef.maturation_days`.

    N for every ``*_d<N>`` metric (retention_dN: active on day N, known once day N is over;
    goal_dN / support_dN: the N-day window; sessions_dN / active_days_dN: N complete days); every
    other metric (guide events, click_through) is known as it happens: 0. A decision on calendar
    day D therefore counts only users enrolled in the first D - N days. The analysis uses the same
    rule for its days still needed.
    """
    m = parse_metric(metric) if isinstance(metric, str) else metric
    return m.maturation_days


def _ceil(x: float) -> int:
    """Round up, without bumping an integer that carries rounding error (e.g. 6507.000000001)."""
    return max(0, math.ceil(x - 1e-9))


def _check_rate(value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, Real) or not (0.0 < float(value) < 1.0):
        raise ValueError(f"baseline_rate must be strictly between 0 and 1 (the control's rate), got {value!r}")
    return float(value)


def _check_daily(value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, Real) or not math.isfinite(float(value)) or float(value) <= 0:
        raise ValueError(f"daily_users must be a number > 0 (eligible users per day), got {value!r}")
    return float(value)


def _check_days(value: Any) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, Real) or float(value) != math.floor(float(value)) \
            or float(value) < 1:
        raise ValueError(f"days must be a whole number >= 1, got {value!r}")
    return int(value)


# --------------------------------------------------------------------------- results


@dataclass(frozen=True)
class ComparisonPlan(ResultModel):
    """One treatment vs the control, planned at the spec's split (ratio = w_treatment / w_control).

    ``*_fixed`` for the fixed-horizon test, ``*_sequential`` for the confidence sequence. Users
    are counts per arm; ``users_*`` is what the whole experiment needs for this comparison.
    ``mde_*_at_days`` (only when ``days`` is given) is the relative effect detectable by a
    decision on that day, None when nothing is detectable (no matured users or too few).
    """

    treatment: str
    ratio: float
    n_control_fixed: int
    n_treatment_fixed: int
    users_fixed: int
    n_control_sequential: int
    n_treatment_sequential: int
    users_sequential: int
    mde_fixed_at_days: float | None = None
    mde_sequential_at_days: float | None = None


@dataclass(frozen=True)
class ArmPlan(ResultModel):
    """Users one arm needs (the most any of its comparisons needs) and gets at the spec's weights."""

    key: str
    role: str  # control | treatment
    weight: float
    needed_fixed: int
    needed_sequential: int
    assigned_fixed: int  # users_fixed * weight: what the arm receives when the plan is followed
    assigned_sequential: int


class PlanNoteCode(str, Enum):
    """Every code a plan's note can carry (words: ``PLAN["note.<code>"]`` of
    guidelab/report/words/en.py and ja.py)."""

    BONFERRONI = "bonferroni"
    LOWER_IS_BETTER = "lower_is_better"
    UNEQUAL_WEIGHTS = "unequal_weights"
    MATURATION = "maturation"
    SEQUENTIAL = "sequential"
    SCHEDULE = "schedule"
    SCHEDULE_TOO_SHORT = "schedule_too_short"
    NOTHING_MATURED = "nothing_matured"
    TOO_FEW_USERS = "too_few_users"


@dataclass(frozen=True)
class PlanNote:
    """One note of a plan: a code and its numbers (``(name, value)`` pairs); the report's words say it."""

    code: PlanNoteCode
    params: tuple[tuple[str, str | int | float], ...] = ()

    @classmethod
    def of(cls, code: PlanNoteCode, **params: str | int | float) -> PlanNote:
        return cls(code, tuple(params.items()))

    def as_json(self) -> dict[str, Any]:
        return {"code": self.code.value, **dict(self.params)}


def _said(lang: str) -> Any:
    def say(notes: tuple[PlanNote, ...]) -> list[str]:
        return [plan_note_text(n, lang) for n in notes]
    return say


@dataclass(frozen=True)
class PlanResult(ResultModel):
    """The plan for one experiment; see :func:`plan_experiment`. ``to_dict`` / ``to_text``."""

    experiment_id: str
    name: str
    metric: str
    metric_label: str
    baseline_rate: float
    mde: float  # relative, signed: negative when the primary metric should go down
    target_rate: float
    alpha: float
    comparisons_count: int
    alpha_per_comparison: float
    correction: str | None  # "bonferroni" with 2+ treatments
    power: float
    tuning: float
    n_per_arm_fixed: int  # equal split, at alpha_per_comparison: the textbook number
    n_per_arm_sequential: int
    arms: tuple[ArmPlan, ...]
    comparisons: tuple[ComparisonPlan, ...]
    users_fixed: int  # users the experiment needs: max over arms of needed / weight
    users_sequential: int
    daily_users: float
    coverage: float
    daily_enrolled: float  # daily_users * coverage
    enrollment_days_fixed: float
    enrollment_days_sequential: float
    lag_days: int
    days_to_decision_fixed: int  # ceil(enrollment days) + lag
    days_to_decision_sequential: int
    days: int | None
    mde_fixed_at_days: float | None  # the weakest comparison's MDE (None: not detectable)
    mde_sequential_at_days: float | None
    note_codes: tuple[PlanNote, ...]
    name_ja: str = ""

    def _label(self, lang: str) -> str:
        return self.metric_label if lang == "en" else metric_label(self.metric, lang)

    @property
    def notes(self) -> list[str]:
        """The notes in English (``notes_ja``: in Japanese), said from :attr:`note_codes`."""
        return [plan_note_text(n, "en") for n in self.note_codes]

    @property
    def notes_ja(self) -> list[str]:
        return [plan_note_text(n, "ja") for n in self.note_codes]

    sequential_method: ClassVar[str] = SEQUENTIAL_METHOD
    _json_typed = False
    # the notes in words (English, Japanese) where they always were, then as codes
    _json_fields = (*(f for f in __annotations__ if f not in ("sequential_method", "_json_typed", "note_codes",
                                                              "name_ja")),
                    JsonField("notes", "note_codes", _said("en")), JsonField("notes_ja", "note_codes", _said("ja")),
                    "name_ja", "sequential_method",
                    JsonField("note_codes", convert=lambda notes: [n.as_json() for n in notes]))

    # ---- presentation -----------------------------------------------------------------
    def table_rows(self, lang: str = "en") -> list[tuple[str, str, str]]:
        """(row label, fixed horizon, sequential) as display strings: the table of :meth:`to_text`."""
        w = plan_words(lang)
        rows: list[tuple[str, str, str]] = []
        rows.append((w["row.per_arm"], number(self.n_per_arm_fixed), number(self.n_per_arm_sequential)))
        for a in self.arms:
            label = w["row.arm"].format(arm=a.key, role=w[f"role.{a.role}"], weight=pct(a.weight, 0))
            rows.append((label, number(a.needed_fixed), number(a.needed_sequential)))
        rows.append((w["row.users"], number(self.users_fixed), number(self.users_sequential)))
        rows.append((w["row.enrollment"], f"{self.enrollment_days_fixed:,.1f}", f"{self.enrollment_days_sequential:,.1f}"))
        if self.lag_days:
            lag = f"+{self.lag_days}"
            rows.append((w["row.maturation"].format(metric=self._label(lang)), lag, lag))
        rows.append((w["row.days"], number(self.days_to_decision_fixed), number(self.days_to_decision_sequential)))
        if self.days is not None:
            rows.append((w["row.mde"].format(days=self.days),
                         _mde_text(self.mde_fixed_at_days, w), _mde_text(self.mde_sequential_at_days, w)))
        return rows

    def to_text(self, lang: str = "en") -> str:
        """A readable plain-text plan: header, a fixed-vs-sequential table and notes."""
        w = plan_words(lang)
        out: list[str] = []
        out.append(w["title"].format(name=(self.name_ja or self.name) if lang == "ja" else self.name,
                                     experiment=self.experiment_id))
        out.append(w["metric_line"].format(metric=self._label(lang), baseline=pct(self.baseline_rate),
                                           mde=pct(self.mde, signed=True), target=pct(self.target_rate, 2)))
        split = (w["split"].format(k=self.comparisons_count, alpha_c=self.alpha_per_comparison)
                 if self.correction else "")
        out.append(w["alpha_line"].format(alpha=self.alpha, split=split, power=pct(self.power, 0)))
        out.append(w["traffic_line"].format(daily=number(self.daily_users), coverage=pct(self.coverage, 0),
                                            enrolled=self.daily_enrolled))
        head = ("", w["head.fixed"], w["head.sequential"].format(tuning=number(self.tuning)))
        out.append("")
        out.extend(_table([head, *self.table_rows(lang)]))
        if self.note_codes:
            out.append("")
            out.append(w["notes"])
            out.extend(f"- {plan_note_text(n, lang)}" for n in self.note_codes)
        return "\n".join(out) + "\n"


def _mde_text(m: float | None, words: dict[str, str]) -> str:
    if m is None:
        return words["not_detectable"]
    return pct(m, signed=True)


def _display_width(s: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in s)


def _table(rows: list[tuple[str, ...]]) -> list[str]:
    widths = [max(_display_width(r[i]) for r in rows) for i in range(len(rows[0]))]
    lines = []
    for j, r in enumerate(rows):
        cells = [r[0] + " " * (widths[0] - _display_width(r[0]))]
        cells += [" " * (widths[i] - _display_width(r[i])) + r[i] for i in range(1, len(r))]
        lines.append("  ".join(cells).rstrip())
        if j == 0:
            lines.append("  ".join("-" * w for w in widths))
    return lines


# --------------------------------------------------------------------------- planning


@dataclass(frozen=True)
class _Setup:
    spec: ExperimentSpec
    metric: MetricDef
    p0: float
    direction: int
    alpha_c: float
    tuning: float


def _setup(spec: ExperimentSpec, baseline_rate: Any, tuning: Any) -> _Setup:
    p0 = _check_rate(baseline_rate)
    metric = parse_metric(spec.metrics.primary)
    direction = 1 if metric.higher_is_better else -1
    k = len(spec.treatment_keys)
    return _Setup(spec, metric, p0, direction, spec.alpha / k, float(tuning))


def _comparisons(s: _Setup, effect: float) -> list[ComparisonPlan]:
    """Per-arm requirements of every treatment-vs-control comparison at the spec's split
    (:func:`guidelab.stats.power.users_needed`, the function the analysis' gate also calls)."""
    w = s.spec.weights
    wc = w[s.spec.control_key]
    k = len(s.spec.treatment_keys)
    out = []
    for t in s.spec.treatment_keys:
        r = w[t] / wc
        kw = dict(alpha=s.spec.alpha, comparisons=k, power=s.spec.power, ratio=r, tuning=s.tuning)
        nc_f, nt_f = users_needed(s.p0, effect, sequential=False, **kw)
        nc_s, nt_s = users_needed(s.p0, effect, sequential=True, **kw)
        out.append(ComparisonPlan(
            treatment=t, ratio=r,
            n_control_fixed=nc_f, n_treatment_fixed=nt_f, users_fixed=_ceil(max(nc_f / wc, nt_f / w[t])),
            n_control_sequential=nc_s, n_treatment_sequential=nt_s,
            users_sequential=_ceil(max(nc_s / wc, nt_s / w[t])),
        ))
    return out


def _mde_at_users(s: _Setup, users: float, comp: ComparisonPlan) -> tuple[float | None, float | None]:
    """(fixed, sequential) MDE of one comparison when the experiment has ``users`` matured users."""
    if users <= 0:
        return None, None
    nc = users * s.spec.weights[s.spec.control_key]
    kw = dict(alpha=s.alpha_c, power=s.spec.power, ratio=comp.ratio, direction=s.direction)
    return (mde_for_sample_size(s.p0, nc, **kw),
            sequential_mde_for_sample_size(s.p0, nc, tuning=s.tuning, **kw))


def _worst(values: list[float | None]) -> float | None:
    """The largest |MDE| over comparisons; None if any comparison can detect nothing."""
    if not values or any(v is None for v in values):
        return None
    return max(values, key=lambda v: abs(v))  # type: ignore[arg-type]


def plan_experiment(
    spec: ExperimentSpec,
    baseline_rate: float,
    daily_users: float,
    days: int | None = None,
    tuning: float = DEFAULT_TUNING,
) -> PlanResult:
    """Sample size, days to decision and (given ``days``) detectable effect for ``spec``.

    ``baseline_rate``: the control's expected rate of the primary metric (e.g. 0.22 for 22%
    day-7 retention). ``daily_users``: eligible users arriving per day; the experiment enrolls
    ``daily_users * spec.coverage`` of them. ``days``: a decision date (calendar days from the
    start, maturation included) to report the MDE for. ``tuning``: N* of the confidence sequence
    (GrowthBook's default 5000; use the same value in the analysis).

    The planned effect is ``spec.mde`` in the metric's good direction (a decrease for
    ``dismissed``). Each treatment is compared with the control at alpha / k (k treatments,
    Bonferroni) at its real split; the experiment needs max over arms (users the arm needs / its
    weight) users. Enrollment days = users / (daily_users * coverage); days to decision =
    ceil(enrollment days) + :func:`days_for_metric_lag`. The sequential column is the horizon at
    which the confidence sequence excludes 0 with the planned power (one look there); the team
    may look every day before that and stops earlier when the effect is larger.
    ValueError for a baseline outside (0, 1), daily_users <= 0, days < 1 or an MDE that moves the
    rate outside (0, 1).
    """
    s = _setup(spec, baseline_rate, tuning)
    daily = _check_daily(daily_users)
    days = _check_days(days)
    effect = s.direction * spec.mde
    k = len(spec.treatment_keys)
    control = spec.control_key

    comps = _comparisons(s, effect)
    users_f = max(c.users_fixed for c in comps)
    users_s = max(c.users_sequential for c in comps)
    arms = []
    for v in spec.variants:
        if v.key == control:
            need_f = max(c.n_control_fixed for c in comps)
            need_s = max(c.n_control_sequential for c in comps)
        else:
            c = next(c for c in comps if c.treatment == v.key)
            need_f, need_s = c.n_treatment_fixed, c.n_treatment_sequential
        arms.append(ArmPlan(v.key, "control" if v.key == control else "treatment", v.weight,
                            need_f, need_s, math.floor(users_f * v.weight + 1e-9),
                            math.floor(users_s * v.weight + 1e-9)))

    enrolled = daily * spec.coverage
    lag = days_for_metric_lag(s.metric)
    enroll_f, enroll_s = users_f / enrolled, users_s / enrolled

    mde_f = mde_s = None
    if days is not None:
        matured_users = (days - lag) * enrolled
        pairs = [_mde_at_users(s, matured_users, c) for c in comps]
        comps = [ComparisonPlan(**{**asdict(c), "mde_fixed_at_days": f, "mde_sequential_at_days": q})
                 for c, (f, q) in zip(comps, pairs)]
        mde_f, mde_s = _worst([p[0] for p in pairs]), _worst([p[1] for p in pairs])

    notes = _notes(s, k, lag, days, enroll_f, enroll_s, mde_f)
    return PlanResult(
        experiment_id=spec.id, name=spec.display_name("en"), metric=s.metric.name,
        metric_label=s.metric.label("en"), baseline_rate=s.p0, mde=effect,
        target_rate=s.p0 * (1 + effect), alpha=spec.alpha, comparisons_count=k,
        alpha_per_comparison=s.alpha_c, correction="bonferroni" if k > 1 else None,
        power=spec.power, tuning=s.tuning,
        n_per_arm_fixed=sample_size_two_proportions(s.p0, effect, alpha=s.alpha_c, power=spec.power),
        n_per_arm_sequential=sequential_sample_size_two_proportions(
            s.p0, effect, alpha=s.alpha_c, power=spec.power, tuning=s.tuning),
        arms=tuple(arms), comparisons=tuple(comps), users_fixed=users_f, users_sequential=users_s,
        daily_users=daily, coverage=spec.coverage, daily_enrolled=enrolled,
        enrollment_days_fixed=enroll_f, enrollment_days_sequential=enroll_s, lag_days=lag,
        days_to_decision_fixed=_ceil(enroll_f) + lag, days_to_decision_sequential=_ceil(enroll_s) + lag,
        days=days, mde_fixed_at_days=mde_f, mde_sequential_at_days=mde_s,
        note_codes=tuple(notes), name_ja=spec.display_name("ja"),
    )


def _notes(s: _Setup, k: int, lag: int, days: int | None, enroll_f: float, enroll_s: float,
           mde_f: float | None) -> list[PlanNote]:
    """What a reader of the plan must know, as codes and numbers (worded by the report's words)."""
    spec = s.spec
    out: list[PlanNote] = []
    if k > 1:
        out.append(PlanNote.of(PlanNoteCode.BONFERRONI, k=k, alpha_c=s.alpha_c))
    if s.direction < 0:
        out.append(PlanNote.of(PlanNoteCode.LOWER_IS_BETTER, metric=s.metric.name, mde=spec.mde))
    if len({round(w, 12) for w in spec.weights.values()}) > 1:
        out.append(PlanNote(PlanNoteCode.UNEQUAL_WEIGHTS))
    if lag:
        out.append(PlanNote.of(PlanNoteCode.MATURATION, metric=s.metric.name, lag=lag))
    out.append(PlanNote.of(PlanNoteCode.SEQUENTIAL, method=SEQUENTIAL_METHOD, tuning=s.tuning))
    if spec.end is not None:
        run = (spec.end - spec.start).days + 1
        out.append(PlanNote.of(PlanNoteCode.SCHEDULE_TOO_SHORT if enroll_f > run else PlanNoteCode.SCHEDULE,
                               run=run, start=spec.start.isoformat(), end=spec.end.isoformat(),
                               enroll_fixed=enroll_f, enroll_sequential=enroll_s))
    if days is not None and days <= lag:
        out.append(PlanNote.of(PlanNoteCode.NOTHING_MATURED, days=days, lag=lag))
    elif days is not None and mde_f is None:
        out.append(PlanNote.of(PlanNoteCode.TOO_FEW_USERS, days=days))
    return out


def mde_days_curve(
    spec: ExperimentSpec,
    baseline_rate: float,
    daily_users: float,
    mdes: list[float] | None = None,
    tuning: float = DEFAULT_TUNING,
) -> list[dict[str, Any]]:
    """Days to decision (fixed and sequential) for a range of relative MDEs: rows for a chart.

    Default MDEs: 0.5x to 3x the spec's mde. Same rules as :func:`plan_experiment` (direction,
    alpha split, weights, coverage, lag); MDEs that move the rate outside (0, 1) are skipped.
    Each row: mde (signed), users_fixed, users_sequential, days_fixed, days_sequential.
    """
    s = _setup(spec, baseline_rate, tuning)
    enrolled = _check_daily(daily_users) * spec.coverage
    lag = days_for_metric_lag(s.metric)
    if mdes is None:
        mdes = [round(spec.mde * f, 6) for f in (0.5, 0.6, 0.75, 0.9, 1.0, 1.25, 1.5, 2.0, 2.5, 3.0)]
    rows = []
    for m in mdes:
        effect = s.direction * abs(float(m))
        if not (0.0 < s.p0 * (1 + effect) < 1.0) or effect == 0:
            continue
        comps = _comparisons(s, effect)
        uf, us = max(c.users_fixed for c in comps), max(c.users_sequential for c in comps)
        rows.append({"mde": effect, "users_fixed": uf, "users_sequential": us,
                     "days_fixed": _ceil(uf / enrolled) + lag, "days_sequential": _ceil(us / enrolled) + lag})
    return rows


def plan_from_cli(
    spec_path: str | Path,
    baseline_rate: float,
    daily_users: float,
    days: int | None = None,
    lang: str = "en",
    as_json: bool = False,
) -> str:
    """What ``guidelab plan SPEC --baseline B --daily-users U [--days D] [--json]`` prints.

    Loads and validates the spec (SpecError on a bad file), plans it and returns the plain-text
    plan in ``lang`` or, with ``as_json``, the JSON of :meth:`PlanResult.to_dict`. ValueError for
    bad numbers (see :func:`plan_experiment`).
    """
    check_lang(lang)
    spec = load_experiment(spec_path)
    result = plan_experiment(spec, baseline_rate, daily_users, days)
    if as_json:
        return json.dumps(result.to_dict(), indent=2, ensure_ascii=False, allow_nan=False) + "\n"
    return result.to_text(lang)
