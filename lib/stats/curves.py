"""Retention curves, guide funnels and time to complete, from counts and sums.

Everything here works on sufficient statistics only: per day the users whose day is complete
and how many of them were active; per funnel step how many users reached it; for time to
complete the count, sum and sum of squares of the durations. Rates and their intervals come from
:func:`.proportions.proportion_ci` (Wilson) and comparisons from
:func:`.proportions.compare_proportions` (Wald difference, Katz log-ratio lift), so every rate in
a report is computed the same way.

Multiplicity: the per-day and per-step intervals are pointwise (each covers with probability
1 - alpha on its own). To make claims about several days or steps at once, adjust the p-values
with :mod:`.multiplicity`.
"""
from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from ..serialize import Interval, ResultModel
from ._common import (
    STATUS_NOT_ENOUGH_DATA,
    STATUS_OK,
    centred_ss,
    check_alpha,
    check_arm,
    check_count,
    check_real,
    check_sum_of_squares,
    t_ppf,
)
from .notes import NOTES_JSON, Note, NoteCode, Noted
from .proportions import ProportionComparison, compare_proportions, proportion_ci

__all__ = [
    "CurveComparison",
    "DropSummary",
    "Funnel",
    "FunnelComparison",
    "FunnelStep",
    "RetentionCurve",
    "RetentionPoint",
    "compare_curves",
    "compare_funnels",
    "funnel",
    "retention_curve",
    "time_to_complete",
]


def _rate_and_ci(x: int, n: int, alpha: float) -> tuple[float | None, tuple[float, float] | None]:
    if n == 0:
        return None, None
    return x / n, proportion_ci(x, n, alpha=alpha, method="wilson")


# --------------------------------------------------------------------------- retention curves


@dataclass(frozen=True)
class RetentionPoint(ResultModel):
    """Day-``day`` retention: ``active`` of the ``n`` users whose day ``day`` is complete.

    ``rate`` = active / n with its Wilson ``ci``; status "not_enough_data" (rate and ci None)
    when n == 0 (no user has reached that day yet).
    """

    day: int
    n: int
    active: int
    rate: float | None
    ci: Interval | None
    status: str = STATUS_OK


@dataclass(frozen=True)
class RetentionCurve(Noted, ResultModel):
    """A retention curve: one :class:`RetentionPoint` per day, in increasing day order.

    ``status`` is "ok" if any point has users, else "not_enough_data"; ``note`` lists the days
    skipped for having no matured users.
    """

    points: tuple[RetentionPoint, ...]
    alpha: float
    status: str = STATUS_OK
    notes: tuple[Note, ...] = ()

    @property
    def days(self) -> tuple[int, ...]:
        return tuple(p.day for p in self.points)


def retention_curve(
    days: Sequence[int], n_matured: Sequence[int], active: Sequence[int], alpha: float = 0.05
) -> RetentionCurve:
    """Share of users active on day d among the users whose day d is complete ("matured").

    Counting only matured users in the denominator avoids the downward bias of dividing by all
    users while recent cohorts have not yet lived to day d. Per day: rate = active / n_matured
    with the Wilson score interval (Wilson 1927; :func:`.proportions.proportion_ci`, equal to
    statsmodels ``proportion_confint(method='wilson')``).

    Days with n_matured == 0 are kept with status "not_enough_data" (rate and ci None) and listed
    in ``note``. Raises ValueError for unequal lengths, days not strictly increasing, negative or
    non-integral counts, and active > n_matured.
    """
    alpha = check_alpha(alpha)
    if not len(days) == len(n_matured) == len(active):
        raise ValueError(
            f"days, n_matured and active must have the same length, got "
            f"{len(days)}, {len(n_matured)} and {len(active)}"
        )
    dd = [check_count(d, f"days[{i}]") for i, d in enumerate(days)]
    for i in range(1, len(dd)):
        if dd[i] <= dd[i - 1]:
            raise ValueError(f"days must be strictly increasing, got {dd[i - 1]} then {dd[i]}")
    points = []
    empty = []
    for d, n, x in zip(dd, n_matured, active):
        a, m = check_arm(x, n, f"day {d}")
        rate, ci = _rate_and_ci(a, m, alpha)
        if m == 0:
            empty.append(d)
        points.append(RetentionPoint(d, m, a, rate, ci, STATUS_OK if m else STATUS_NOT_ENOUGH_DATA))
    notes = (Note.of(NoteCode.DAYS_WITHOUT_MATURED_USERS, days=tuple(empty)),) if empty else ()
    status = STATUS_OK if any(p.n > 0 for p in points) else STATUS_NOT_ENOUGH_DATA
    if not points:
        notes = (Note(NoteCode.NO_DAYS),)
    return RetentionCurve(tuple(points), alpha, status, notes)


@dataclass(frozen=True)
class CurveComparison(Noted, ResultModel):
    """Treatment vs control retention, day by day: ``days[i]`` with ``comparisons[i]`` (a
    :class:`.proportions.ProportionComparison`: abs_diff with Wald CI, rel_lift with log-ratio
    CI, p_value). Pointwise, not simultaneous. ``note`` lists days found in only one curve."""

    days: tuple[int, ...]
    comparisons: tuple[ProportionComparison, ...]
    alpha: float
    notes: tuple[Note, ...] = ()

    _json_fields = ("points", "alpha", "note", NOTES_JSON)

    @property
    def points(self) -> list[dict[str, Any]]:
        """One JSON-ready row per day: ``day`` and the day's comparison."""
        return [{"day": int(d), **c.to_dict()} for d, c in zip(self.days, self.comparisons)]


def compare_curves(curve_t: RetentionCurve, curve_c: RetentionCurve, alpha: float = 0.05) -> CurveComparison:
    """Day-by-day difference of two retention curves on the days both contain.

    Each day is :func:`.proportions.compare_proportions` (active_t, n_t, active_c, n_c, alpha):
    the difference with the unpooled Wald interval and the relative lift (p_t/p_c - 1) with the
    Katz log interval; a day where an arm has no matured users has status "not_enough_data".
    Days in only one curve are left out and named in ``note``. Intervals are pointwise; use
    :mod:`.multiplicity` for claims across days.
    """
    alpha = check_alpha(alpha)
    for name, curve in (("curve_t", curve_t), ("curve_c", curve_c)):
        if not isinstance(curve, RetentionCurve):
            raise ValueError(f"{name} must be a RetentionCurve, got {type(curve).__name__}")
    by_day_c = {p.day: p for p in curve_c.points}
    days, comps = [], []
    for p in curve_t.points:
        q = by_day_c.get(p.day)
        if q is not None:
            days.append(p.day)
            comps.append(compare_proportions(p.active, p.n, q.active, q.n, alpha=alpha))
    only = sorted(set(curve_t.days) ^ set(curve_c.days))
    notes = (Note.of(NoteCode.DAYS_IN_ONE_CURVE, days=tuple(only)),) if only else ()
    return CurveComparison(tuple(days), tuple(comps), alpha, notes)


# --------------------------------------------------------------------------- funnels


@dataclass(frozen=True)
class FunnelStep(ResultModel):
    """One funnel step: ``reached`` users out of ``previous`` at the step before (``entered``
    for the first step).

    ``conversion`` = reached / previous (Wilson ``conversion_ci``), ``dropped`` = previous -
    reached and ``drop_share`` = dropped / previous; ``reach_rate`` = reached / entered (Wilson
    ``reach_ci``). Rates are None with status "not_enough_data" when their denominator is 0.
    """

    name: str
    reached: int
    previous: int
    conversion: float | None
    conversion_ci: Interval | None
    dropped: int
    drop_share: float | None
    reach_rate: float | None
    reach_ci: Interval | None
    status: str = STATUS_OK


@dataclass(frozen=True)
class DropSummary(ResultModel):
    """The step with the largest drop-out: its name, the users lost going into it, and that
    loss as a share of the users at the previous step."""

    step: str
    users: int
    share: float


@dataclass(frozen=True)
class Funnel(Noted, ResultModel):
    """A guide funnel: ``entered`` users, then ``steps`` in order.

    ``completion`` = last step's reached / entered with Wilson ``completion_ci``.
    ``largest_drop`` is the step losing the most users (ties: the earliest) and
    ``largest_relative_drop`` the step losing the largest share of its previous step (ties: the
    earliest); both None when no step loses anyone. ``status`` "not_enough_data" when no user
    entered (every rate None).
    """

    entered: int
    steps: tuple[FunnelStep, ...]
    completion: float | None
    completion_ci: Interval | None
    largest_drop: DropSummary | None
    largest_relative_drop: DropSummary | None
    alpha: float
    status: str = STATUS_OK
    notes: tuple[Note, ...] = ()

    @property
    def step_names(self) -> tuple[str, ...]:
        return tuple(s.name for s in self.steps)


def funnel(step_names: Sequence[str], reached: Sequence[int], entered: int, alpha: float = 0.05) -> Funnel:
    """Step-to-step conversion, drop-out and completion of a funnel from users reaching each step.

    ``entered`` users start the funnel (e.g. saw the guide); ``reached[i]`` of them reached step
    ``step_names[i]``. Rates use the Wilson interval (:func:`.proportions.proportion_ci`).
    Counting users who reached a step *or any later step* keeps the funnel monotone; a count that
    rises from one step to the next raises ValueError naming the step.

    Degenerate data: a step whose previous step has no users has conversion None and status
    "not_enough_data"; with entered == 0 the whole funnel is "not_enough_data" (every rate None,
    no largest drop). Raises ValueError for no steps, duplicate or empty names, unequal lengths,
    negative or non-integral counts, reached[0] > entered and any increase between steps.
    """
    alpha = check_alpha(alpha)
    names = [str(s) for s in step_names]
    if not names:
        raise ValueError("a funnel needs at least one step")
    if any(not s for s in names):
        raise ValueError("step names must be non-empty")
    if len(set(names)) != len(names):
        raise ValueError(f"step names must be unique, got {names}")
    if len(reached) != len(names):
        raise ValueError(f"step_names and reached must have the same length, got {len(names)} and {len(reached)}")
    n_in = check_count(entered, "entered")
    counts = [check_count(r, f"reached[{name!r}]") for name, r in zip(names, reached)]
    prev_name, prev = "entered", n_in
    for name, r in zip(names, counts):
        if r > prev:
            raise ValueError(
                f"step {name!r} has {r} users but {prev_name!r} has only {prev}: a funnel must be "
                "non-increasing (count users who reached the step or any later step)"
            )
        prev_name, prev = name, r

    steps = []
    prev = n_in
    for name, r in zip(names, counts):
        conv, conv_ci = _rate_and_ci(r, prev, alpha)
        reach, reach_ci = _rate_and_ci(r, n_in, alpha)
        steps.append(FunnelStep(
            name=name, reached=r, previous=prev, conversion=conv, conversion_ci=conv_ci,
            dropped=prev - r, drop_share=None if prev == 0 else (prev - r) / prev,
            reach_rate=reach, reach_ci=reach_ci,
            status=STATUS_OK if prev > 0 else STATUS_NOT_ENOUGH_DATA,
        ))
        prev = r

    notes: list[Note] = []
    largest = largest_rel = None
    losing = [s for s in steps if s.dropped > 0]
    if losing:
        # max() returns the first maximal element: ties go to the earliest step
        def share(s: FunnelStep) -> float:  # defined wherever users dropped (the previous step had users)
            return s.drop_share if s.drop_share is not None else 0.0

        a = max(losing, key=lambda s: s.dropped)
        b = max(losing, key=share)
        largest = DropSummary(a.name, a.dropped, share(a))
        largest_rel = DropSummary(b.name, b.dropped, share(b))
    elif n_in > 0:
        notes.append(Note(NoteCode.NO_STEP_LOSES_USERS))
    empty = [s.name for s in steps if s.previous == 0]
    if n_in == 0:
        notes.insert(0, Note(NoteCode.FUNNEL_EMPTY))
    elif empty:
        notes.append(Note.of(NoteCode.STEPS_WITHOUT_USERS, steps=tuple(repr(name) for name in empty)))
    completion, completion_ci = _rate_and_ci(counts[-1], n_in, alpha)
    return Funnel(
        entered=n_in, steps=tuple(steps), completion=completion, completion_ci=completion_ci,
        largest_drop=largest, largest_relative_drop=largest_rel, alpha=alpha,
        status=STATUS_OK if n_in > 0 else STATUS_NOT_ENOUGH_DATA, notes=tuple(notes),
    )


@dataclass(frozen=True)
class FunnelComparison(ResultModel):
    """Treatment vs control funnels with the same steps.

    ``completion``: last step reached / entered. ``step_reach[i]``: reached / entered at step i.
    ``step_conversion[i]``: reached / previous step at step i. All are
    :class:`.proportions.ProportionComparison`. Only ``completion`` and ``step_reach`` compare
    randomised groups; see :func:`compare_funnels` on ``step_conversion``.
    """

    step_names: tuple[str, ...]
    completion: ProportionComparison
    step_reach: tuple[ProportionComparison, ...]
    step_conversion: tuple[ProportionComparison, ...]
    alpha: float


def compare_funnels(t: Funnel, c: Funnel, alpha: float = 0.05) -> FunnelComparison:
    """Compare a treatment funnel with a control funnel (same step names, same order).

    Every comparison is :func:`.proportions.compare_proportions` (unpooled Wald difference,
    Katz log-ratio lift): completion (last step / entered), per-step reach (step / entered) and
    per-step conversion (step / previous step).

    Caution: a step conversion conditions on reaching the previous step, which the treatment
    itself can change (a guide that pushes more, less engaged users to step 2 can lower the
    step-3 conversion while raising completion). Those differences describe where the funnels
    differ; only completion and reach compare the randomised groups and support causal claims.
    Raises ValueError when the step names differ.
    """
    alpha = check_alpha(alpha)
    for name, f in (("t", t), ("c", c)):
        if not isinstance(f, Funnel):
            raise ValueError(f"{name} must be a Funnel, got {type(f).__name__}")
    if t.step_names != c.step_names:
        raise ValueError(f"funnels have different steps: {list(t.step_names)} vs {list(c.step_names)}")
    completion = compare_proportions(t.steps[-1].reached, t.entered, c.steps[-1].reached, c.entered, alpha=alpha)
    reach = tuple(
        compare_proportions(a.reached, t.entered, b.reached, c.entered, alpha=alpha)
        for a, b in zip(t.steps, c.steps)
    )
    conv = tuple(
        compare_proportions(a.reached, a.previous, b.reached, b.previous, alpha=alpha)
        for a, b in zip(t.steps, c.steps)
    )
    return FunnelComparison(t.step_names, completion, reach, conv, alpha)


# --------------------------------------------------------------------------- time to complete


def time_to_complete(
    sum_seconds: float, sum_sq_seconds: float, n: int, alpha: float = 0.05
) -> tuple[float | None, tuple[float, float] | None]:
    """Mean time to complete a guide and its t-interval, from ``n``, Σs and Σs² of the durations.

    mean = Σs/n; s² = (Σs² - (Σs)²/n)/(n-1) (cancellation-guarded as in :mod:`.means`);
    interval mean ± t_{1-α/2, n-1} · s/sqrt(n) (Student 1908), which relies on the central limit
    theorem: durations are right-skewed, so use it for tens of completions or more, and cap
    outliers in SQL (e.g. ``LEAST(seconds, 3600)``), since one abandoned tab can dominate a mean.
    Only users who completed are counted; for time to complete with non-completers as censored,
    use :mod:`.survival`.

    Returns (None, None) when n == 0 and (mean, None) when n == 1 (no variance); a zero variance
    gives the point interval (mean, mean). Raises ValueError for inconsistent sums (see
    :class:`.means.MeanStats`).
    """
    m = check_count(n, "n")
    total = check_real(sum_seconds, "sum_seconds")
    sum_sq = check_real(sum_sq_seconds, "sum_sq_seconds")
    alpha = check_alpha(alpha)
    if m == 0:
        if total != 0.0 or sum_sq != 0.0:
            raise ValueError("n == 0 but the sums are non-zero")
        return None, None
    check_sum_of_squares(sum_sq, total, m, "sum_sq_seconds", "sum_seconds")
    mean = total / m
    if m == 1:
        return mean, None
    var = float(centred_ss(sum_sq, total, m)) / (m - 1)
    half = float(t_ppf(1.0 - alpha / 2.0, m - 1)) * math.sqrt(var / m)
    return mean, (mean - half, mean + half)
