"""Effect by day since launch (or calendar day) and a test for novelty / primacy effects.

A new guide often gets clicked because it is new (novelty: the effect fades) or ignored until
users get used to it (primacy: the effect grows). :func:`daily_effects` computes the treatment
effect of every day and the cumulative effect up to every day from per-day counts;
:func:`novelty_test` fits a weighted least-squares line through the daily effects and
classifies a significant trend.

Works on sufficient statistics only: per day (successes_t, n_t, successes_c, n_c). For the
trend test the days must be independent samples, so count each user on ONE day only (e.g. the
day of first exposure, a daily cohort, or daily active users of that day's conversions); a
user counted on several days correlates the daily effects and makes the p-value too small.

The scalar entry points are thin wrappers over :func:`_daily_arrays` and :func:`_trend_test`,
which the calibration simulations also exercise.
"""
from __future__ import annotations

import datetime as _dt
import math
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import pairwise
from numbers import Integral
from typing import Any, NamedTuple

import numpy as np

from ..serialize import Interval, ResultModel
from ._common import (
    STATUS_NOT_ENOUGH_DATA,
    STATUS_OK,
    check_alpha,
    check_arm,
    t_ppf,
    t_sf,
)
from .notes import Note, NoteCode, Noted
from .proportions import ProportionComparison, compare_proportions

__all__ = ["DailyEffect", "DailyEffects", "NoveltyResult", "daily_effects", "novelty_test"]

NOVELTY = "novelty"
PRIMACY = "primacy"
STABLE = "stable"

Day = int | _dt.date

# A weighted residual sum of squares at or below this fraction of Σ w d² is rounding noise: the
# daily effects lie exactly on a line and the slope cannot be tested.
_EXACT_FIT_RTOL = 1e-20


# --------------------------------------------------------------------------- vectorised cores


class _DailyArrays(NamedTuple):
    abs_diff: np.ndarray  # p1 - p0, NaN where an arm is empty
    var: np.ndarray  # unpooled Wald variance, NaN where an arm is empty (0 where all rates 0/1)


def _daily_arrays(successes: Any, n: Any, successes_control: Any, n_control: Any) -> _DailyArrays:
    """p1 - p0 and its unpooled variance p1(1-p1)/n1 + p0(1-p0)/n0, elementwise (as in
    :func:`.compare_proportions`)."""
    x1 = np.asarray(successes, dtype=float)
    n1 = np.asarray(n, dtype=float)
    x0 = np.asarray(successes_control, dtype=float)
    n0 = np.asarray(n_control, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        p1, p0 = x1 / n1, x0 / n0
        var = p1 * (1.0 - p1) / n1 + p0 * (1.0 - p0) / n0
    return _DailyArrays(p1 - p0, var)


class _Trend(NamedTuple):
    slope: float
    slope_se: float
    p_value: float  # NaN when slope_se == 0
    intercept: float
    mean_effect: float  # inverse-variance weighted mean of the daily effects
    df: int


def _trend_test(day_index: np.ndarray, effect: np.ndarray, var: np.ndarray) -> _Trend:
    """WLS of the daily effect on the day index with weights 1/var (k >= 3 days, var > 0).

    What statsmodels ``WLS(effect, [1, day], weights=1/var).fit()`` computes (tests compare the
    two): least squares on the rows scaled by sqrt(w) (numpy ``lstsq``); the residual scale is
    estimated (s^2 = Σ w r^2 / (k - 2)), cov = s^2 (X'WX)^-1, and the slope is tested with Student's
    t on k - 2 df. Written here because importing statsmodels (with pandas) costs every report about
    a second of CPU. When the effects lie exactly on a line (residual SS at rounding level) slope_se
    is 0 and p_value NaN.
    """
    w = 1.0 / var
    root_w = np.sqrt(w)
    design = np.column_stack([root_w, root_w * day_index.astype(float)])
    params, *_ = np.linalg.lstsq(design, root_w * effect, rcond=None)
    ssr = float(np.sum(w * (effect - params[0] - params[1] * day_index) ** 2))
    df = len(effect) - 2
    # effects exactly on a line (or all equal): the residual sum of squares is rounding noise
    exact = not (ssr > _EXACT_FIT_RTOL * float(np.sum(w * effect * effect)))
    slope_se = 0.0 if exact else math.sqrt(ssr / df * float(np.linalg.inv(design.T @ design)[1, 1]))
    p_value = math.nan if exact else float(2.0 * t_sf(abs(float(params[1])) / slope_se, df))
    mean_effect = float(np.sum(w * effect) / np.sum(w))
    return _Trend(float(params[1]), slope_se, p_value, float(params[0]), mean_effect, df)


def _classify(trend: _Trend, alpha: float) -> str:
    if not (trend.p_value < alpha):
        return STABLE
    return NOVELTY if trend.slope * trend.mean_effect < 0.0 else PRIMACY


# --------------------------------------------------------------------------- results


@dataclass(frozen=True)
class DailyEffect(ResultModel):
    """One day: the effect among that day's users and the cumulative effect up to that day.

    ``se`` is the Wald SE of ``daily.abs_diff`` (None when the day has an empty arm or every
    rate is 0 or 1); ``day_index`` is the day since launch (int days) or since the first
    calendar day given.
    """

    day: Day
    day_index: int
    daily: ProportionComparison
    se: float | None
    cumulative: ProportionComparison


@dataclass(frozen=True)
class DailyEffects(Noted, ResultModel):
    """Per-day and cumulative effects in day order (see :func:`daily_effects`)."""

    days: tuple[DailyEffect, ...]
    alpha: float
    notes: tuple[Note, ...] = ()


@dataclass(frozen=True)
class NoveltyResult(Noted, ResultModel):
    """Weighted linear trend of the daily effect and its classification.

    ``classification`` is "novelty" (significant trend towards zero: slope sign opposite to the
    weighted mean effect), "primacy" (significant trend away from zero: the effect grows),
    "stable" (no significant trend) or None when the test cannot be run (status
    "not_enough_data": fewer than 3 usable days, or the effects lie exactly on a line).
    ``slope`` is the change of the absolute difference per day.
    """

    classification: str | None
    slope: float | None
    slope_se: float | None
    slope_ci: Interval | None
    p_value: float | None
    intercept: float | None
    mean_effect: float | None
    df: int | None
    days_used: int
    days_skipped: tuple[Day, ...]
    alpha: float
    status: str = STATUS_OK
    notes: tuple[Note, ...] = ()
# --------------------------------------------------------------------------- public API


def _day_indices(days: Sequence[Any]) -> list[int]:
    """Day since launch for int days, days since the first date for datetime.date days."""
    if all(isinstance(d, Integral) and not isinstance(d, bool) for d in days):
        idx = [int(d) for d in days]
    elif all(isinstance(d, _dt.date) for d in days):
        as_dates = [d.date() if isinstance(d, _dt.datetime) else d for d in days]
        idx = [(d - as_dates[0]).days for d in as_dates]
    else:
        raise ValueError("days must be all ints (day since launch) or all datetime.date (calendar days)")
    if any(b <= a for a, b in pairwise(idx)):
        raise ValueError("days must be strictly increasing (one row per day, in order)")
    return idx


def daily_effects(
    days: Sequence[Day],
    successes_t: Sequence[int],
    n_t: Sequence[int],
    successes_c: Sequence[int],
    n_c: Sequence[int],
    alpha: float = 0.05,
) -> DailyEffects:
    """Absolute effect per day and cumulative effect up to each day.

    ``days`` are ints (day since launch, e.g. 0..27) or ``datetime.date`` calendar days, strictly
    increasing; gaps are allowed (the day index keeps the real spacing). The other sequences give
    each day's counts per arm.

    Methods: per day :func:`.compare_proportions` on that day's counts (Wald difference,
    unpooled variance) plus its SE; cumulative: :func:`.compare_proportions` on the counts summed
    over all days up to and including that day. The cumulative intervals are fixed-horizon
    intervals: looking at them every day and stopping when one excludes 0 inflates the false
    positive rate (use :mod:`.sequential` for that).

    Degenerate days (an arm with n == 0) get status "not_enough_data" and se None; they are
    skipped by :func:`novelty_test`. A day where every rate is 0 or 1 has se None too.
    """
    alpha = check_alpha(alpha)
    cols: list[list[Any]] = [list(days), list(successes_t), list(n_t), list(successes_c), list(n_c)]
    k = len(cols[0])
    if k == 0:
        raise ValueError("daily_effects needs at least one day")
    if any(len(c) != k for c in cols[1:]):
        raise ValueError(f"days and the four count sequences must have the same length, got {[len(c) for c in cols]}")
    idx = _day_indices(cols[0])

    out: list[DailyEffect] = []
    cx1 = cn1 = cx0 = cn0 = 0
    for i in range(k):
        x1, n1 = check_arm(cols[1][i], cols[2][i], f"day {cols[0][i]} treatment")
        x0, n0 = check_arm(cols[3][i], cols[4][i], f"day {cols[0][i]} control")
        cx1, cn1, cx0, cn0 = cx1 + x1, cn1 + n1, cx0 + x0, cn0 + n0
        daily = compare_proportions(x1, n1, x0, n0, alpha=alpha)
        se: float | None = None
        if daily.status == STATUS_OK:
            var = float(_daily_arrays(x1, n1, x0, n0).var)
            se = math.sqrt(var) if var > 0.0 else None
        out.append(DailyEffect(
            day=cols[0][i], day_index=idx[i], daily=daily, se=se,
            cumulative=compare_proportions(cx1, cn1, cx0, cn0, alpha=alpha),
        ))
    empty = [str(d.day) for d in out if d.daily.status != STATUS_OK]
    notes = (Note.of(NoteCode.DAYS_WITH_EMPTY_ARM, days=tuple(empty)),) if empty else ()
    return DailyEffects(days=tuple(out), alpha=alpha, notes=notes)


def novelty_test(daily: DailyEffects, alpha: float | None = None) -> NoveltyResult:
    """Test for a trend in the daily effect: novelty (fading), primacy (growing) or stable.

    Method: weighted least squares of the daily absolute difference d_t on the day index t with
    weights 1/SE_t^2 (a fixed-effect meta-regression of the daily estimates; statsmodels
    ``WLS``). The residual scale is estimated, so day-to-day variation of the effect beyond
    sampling noise (weekday effects) widens the slope's SE instead of producing false alarms;
    the slope is tested with Student's t on (days - 2) df. The weighted mean effect is
    Σ w d / Σ w. Classification at ``alpha`` (default: the alpha of ``daily``): p < alpha and
    slope sign opposite to the mean effect -> "novelty"; p < alpha and the same sign ->
    "primacy"; otherwise "stable". A linear trend is a simple summary: it detects an effect
    that decays (e.g. exponentially) but does not describe its shape; look at the daily chart.

    Days with an empty arm or a zero SE (every rate 0 or 1) are skipped and listed. Fewer than
    3 usable days, or daily effects exactly on a line (residual variance 0): status
    "not_enough_data", classification None.
    """
    if not isinstance(daily, DailyEffects):
        raise ValueError(  # noqa: TRY004 (house style: ValueError)
            f"daily must be a DailyEffects (from daily_effects), got {type(daily).__name__}"
        )
    alpha = daily.alpha if alpha is None else check_alpha(alpha)

    used = [d for d in daily.days if d.se is not None and d.daily.abs_diff is not None]
    skipped = tuple(d.day for d in daily.days if d.se is None or d.daily.abs_diff is None)
    notes: list[Note] = []
    if skipped:
        notes.append(Note.of(NoteCode.DAYS_SKIPPED, n=len(skipped)))

    def empty(reason: Note, **fields: Any) -> NoveltyResult:
        base: dict[str, Any] = {
            "classification": None, "slope": None, "slope_se": None, "slope_ci": None,
            "p_value": None, "intercept": None, "mean_effect": None, "df": None,
        }
        base.update(fields)
        return NoveltyResult(
            **base, days_used=len(used), days_skipped=skipped, alpha=alpha,
            status=STATUS_NOT_ENOUGH_DATA, notes=(*notes, reason),
        )

    if len(used) < 3:
        return empty(Note.of(NoteCode.TOO_FEW_DAYS, n=len(used)))

    x = np.array([d.day_index for d in used], dtype=float)
    c = np.array([(d.daily.successes, d.daily.n, d.daily.successes_control, d.daily.n_control) for d in used])
    y, var = _daily_arrays(c[:, 0], c[:, 1], c[:, 2], c[:, 3])
    trend = _trend_test(x, y, var)
    if not math.isfinite(trend.p_value):
        return empty(
            Note(NoteCode.EFFECTS_ON_A_LINE),
            slope=trend.slope, intercept=trend.intercept, mean_effect=trend.mean_effect, df=trend.df,
        )
    half = float(t_ppf(1.0 - alpha / 2.0, trend.df)) * trend.slope_se
    return NoveltyResult(
        classification=_classify(trend, alpha),
        slope=trend.slope, slope_se=trend.slope_se, slope_ci=(trend.slope - half, trend.slope + half),
        p_value=trend.p_value, intercept=trend.intercept, mean_effect=trend.mean_effect, df=trend.df,
        days_used=len(used), days_skipped=skipped, alpha=alpha, status=STATUS_OK,
        notes=tuple(notes),
    )
