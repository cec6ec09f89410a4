"""Sequential testing with always-valid confidence sequences: look every day, stop when it is clear.

Method: the asymptotic confidence sequence (CS) of Waudby-Smith, Arbour, Sinha, Kennedy &
Ramdas, "Time-uniform central limit theory and asymptotic confidence sequences", Annals of
Statistics 52(6), 2024 (arXiv:2103.06476), Theorem 2.2 with the normal-mixture boundary, in the
form GrowthBook's gbstats uses for its sequential testing:

    rho          = sqrt( (-2 ln(alpha) + ln(-2 ln(alpha) + 1)) / N* )
    halfwidth(n) = s * sqrt( 2 (n rho^2 + 1) / (n^2 rho^2) * ln( sqrt(n rho^2 + 1) / alpha ) )

where n is the number of units observed so far (for a two-arm comparison: the users in BOTH
arms), s^2 the per-unit variance of the estimator, s^2 = SE(estimate)^2 * n, and N* the tuning
parameter: the sample size at which the sequence is tightest relative to a fixed-horizon CI
(GrowthBook's default is 5000). rho is chosen so that the boundary is tightest at n = N*.

Guarantee: with probability at least 1 - alpha (asymptotically), the interval
``estimate +/- halfwidth(n)`` covers the true effect at EVERY n simultaneously. So a team may
look at the result daily, or after every user, and stop the first time the interval excludes 0,
and the chance of a false positive over the whole experiment is still at most alpha. The price is
a wider interval than the fixed-horizon CI at any single look (see :func:`width_ratio`). By
contrast, re-running a fixed-horizon test at every look ("peeking") inflates the false-positive
rate far above alpha (about 0.25 with 28 daily looks at alpha 0.05).

Scalar entry points are thin wrappers over the vectorised :func:`_halfwidth_array`, which the
calibration simulations in ``tests/stats/test_sequential.py`` exercise directly.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache
from numbers import Real
from typing import Any, ClassVar

import numpy as np

from ..serialize import Interval, ResultModel
from ._common import (
    STATUS_NOT_ENOUGH_DATA,
    STATUS_OK,
    check_alpha,
    z_two_sided,
)
from .notes import NOTES_JSON, Note, NoteCode, Noted

__all__ = [
    "DEFAULT_TUNING",
    "METHOD",
    "SequentialResult",
    "sequential_rho",
    "confidence_sequence_halfwidth",
    "sequential_interval",
    "sequential_relative_interval",
    "width_ratio",
]

DEFAULT_TUNING = 5000
METHOD = "asymptotic confidence sequence (Waudby-Smith et al. 2024)"

STATUS_ZERO_VARIANCE = "zero_variance"  # standard error 0 with n > 0 (e.g. every rate is 0 or 1)
STATUS_UNDEFINED = "undefined"  # relative lift <= -100%: its log is undefined


# --------------------------------------------------------------------------- validation


def _check_tuning(tuning: Any) -> float:
    if type(tuning) in (float, int) and math.isfinite(tuning) and tuning > 0:  # common case, no ABC checks
        return float(tuning)
    if isinstance(tuning, bool) or not isinstance(tuning, Real) or not math.isfinite(float(tuning)) \
            or float(tuning) <= 0:
        raise ValueError(f"tuning must be a finite number > 0 (a sample size), got {tuning!r}")
    return float(tuning)


def _check_n(n: Any) -> float:
    if type(n) in (float, int) and math.isfinite(n) and n >= 0:  # common case, no ABC checks
        return float(n)
    if isinstance(n, bool) or not isinstance(n, Real) or not math.isfinite(float(n)) or float(n) < 0:
        raise ValueError(f"n must be a finite number >= 0 (units observed so far), got {n!r}")
    return float(n)


def _optional_number(value: Any, name: str) -> float | None:
    """None/NaN -> None (missing); a real number -> float; anything else ValueError."""
    if value is None:
        return None
    if type(value) is float:  # the common case, without the abstract-class checks
        return None if math.isnan(value) else value
    if isinstance(value, bool) or not isinstance(value, Real):
        raise ValueError(f"{name} must be a number or None, got {value!r}")
    v = float(value)
    return None if math.isnan(v) else v


# --------------------------------------------------------------------------- formula


def sequential_rho(alpha: float = 0.05, tuning: float = DEFAULT_TUNING) -> float:
    """rho = sqrt((-2 ln(alpha) + ln(-2 ln(alpha) + 1)) / tuning): the mixture parameter that
    makes the confidence sequence tightest at n = tuning (Waudby-Smith et al. 2024, eq. (15);
    gbstats ``sequential_rho``)."""
    alpha = check_alpha(alpha)
    tuning = _check_tuning(tuning)
    two_log = -2.0 * math.log(alpha)
    return math.sqrt((two_log + math.log(two_log + 1.0)) / tuning)


@lru_cache(maxsize=64)
def _rho_squared(alpha: float, tuning: float) -> float:
    return sequential_rho(alpha, tuning) ** 2


def _halfwidth_array(std_error: Any, n: Any, alpha: float, tuning: float) -> np.ndarray:
    """Elementwise CS halfwidth for arrays of standard errors and unit counts (all n > 0).

    s^2 = SE^2 n, so s * sqrt(2(n rho^2 + 1)/(n^2 rho^2) * ln(...)) is computed as
    SE * sqrt(2(n rho^2 + 1)/(n rho^2) * ln(sqrt(n rho^2 + 1)/alpha)) (identical, fewer roundings).
    """
    if type(std_error) is float and type(n) in (int, float):  # one look: numpy scalars, the same operations
        se, m = np.float64(std_error), np.float64(n)
    else:
        se = np.asarray(std_error, dtype=float)
        m = np.asarray(n, dtype=float)
    nr2 = m * _rho_squared(alpha, tuning)
    return se * np.sqrt(2.0 * (nr2 + 1.0) / nr2 * np.log(np.sqrt(nr2 + 1.0) / alpha))


def confidence_sequence_halfwidth(
    std_error: float, n: float, alpha: float = 0.05, tuning: float = DEFAULT_TUNING
) -> float:
    """Halfwidth of the (1 - alpha) asymptotic confidence sequence after n units.

    halfwidth = s sqrt(2(n rho^2 + 1)/(n^2 rho^2) ln(sqrt(n rho^2 + 1)/alpha)) with
    s^2 = std_error^2 * n and rho = :func:`sequential_rho` (module docstring). ``std_error`` is the
    usual (fixed-horizon) standard error of the estimate at this look and ``n`` the units behind it
    (both arms together for a difference). ValueError if n <= 0 or std_error is negative or not
    finite; std_error 0 gives 0.
    """
    se = _optional_number(std_error, "std_error")
    if se is None or not math.isfinite(se) or se < 0:
        raise ValueError(f"std_error must be a finite number >= 0, got {std_error!r}")
    m = _check_n(n)
    if m == 0:
        raise ValueError("n must be > 0: a confidence sequence needs at least one unit")
    alpha = check_alpha(alpha)
    tuning = _check_tuning(tuning)
    return float(_halfwidth_array(se, m, alpha, tuning))


def width_ratio(n: float, alpha: float = 0.05, tuning: float = DEFAULT_TUNING) -> float:
    """halfwidth(n) / (z_{1-alpha/2} SE): how much wider the CS is than the fixed-horizon CI.

    Independent of the data (SE cancels). Always > 1; smallest near n = tuning (minimum about 1.55
    at alpha 0.05, reached within a few percent of n = tuning), growing like sqrt(ln n) for large
    n and like sqrt(tuning / n) for small n.
    """
    alpha = check_alpha(alpha)
    return confidence_sequence_halfwidth(1.0, n, alpha, tuning) / z_two_sided(alpha)


# --------------------------------------------------------------------------- results


@dataclass(frozen=True)
class SequentialResult(Noted, ResultModel):
    """An always-valid interval at one look and whether the experiment may stop.

    ``ci`` is (lo, hi) or None when there is no interval (see ``status``); ``can_stop`` is True
    exactly when ``ci`` excludes the null value. ``halfwidth`` is on the scale the interval was
    built on (the effect for :func:`sequential_interval`, log(1 + lift) for
    :func:`sequential_relative_interval`). ``status``: "ok", "not_enough_data" (n == 0 or a
    missing estimate / standard error), "zero_variance" (standard error 0 with n > 0: no
    variation, e.g. every rate 0 or 1, so no honest interval) or "undefined" (relative lift
    <= -100%). ``note`` explains every status other than "ok".
    """

    ci: Interval | None
    can_stop: bool
    halfwidth: float | None
    tuning: float
    alpha: float
    status: str = STATUS_OK
    notes: tuple[Note, ...] = ()

    method: ClassVar[str] = METHOD  # the method named in the JSON form
    _json_fields = ("ci", "can_stop", "tuning", "method", "alpha", "halfwidth", "status", "note", NOTES_JSON)


def _no_interval(status: str, note: Note, alpha: float, tuning: float) -> SequentialResult:
    return SequentialResult(ci=None, can_stop=False, halfwidth=None, tuning=tuning, alpha=alpha,
                            status=status, notes=(note,))


def _prepare(estimate: Any, std_error: Any, n: Any, alpha: Any, tuning: Any, what: str
             ) -> tuple[float | None, float | None, float, float, float, SequentialResult | None]:
    """Validate; return (est, se, n, alpha, tuning, degenerate result or None)."""
    alpha = check_alpha(alpha)
    tuning = _check_tuning(tuning)
    m = _check_n(n)
    est = _optional_number(estimate, what)
    se = _optional_number(std_error, "std_error")
    if se is not None and se < 0:
        raise ValueError(f"std_error must be >= 0, got {std_error!r}")
    if est is not None and math.isinf(est):
        raise ValueError(f"{what} must be finite, got {estimate!r}")
    if m == 0:
        return est, se, m, alpha, tuning, _no_interval(
            STATUS_NOT_ENOUGH_DATA, Note(NoteCode.NO_UNITS), alpha, tuning)
    if est is None or se is None:
        missing = what.replace(" ", "_") if est is None else "standard_error"
        return est, se, m, alpha, tuning, _no_interval(
            STATUS_NOT_ENOUGH_DATA, Note.of(NoteCode.MISSING_INPUT, missing=missing), alpha, tuning)
    if math.isinf(se):
        return est, se, m, alpha, tuning, _no_interval(
            STATUS_NOT_ENOUGH_DATA, Note(NoteCode.INFINITE_STANDARD_ERROR), alpha, tuning)
    if se == 0.0:
        return est, se, m, alpha, tuning, _no_interval(
            STATUS_ZERO_VARIANCE, Note(NoteCode.ZERO_STANDARD_ERROR), alpha, tuning)
    return est, se, m, alpha, tuning, None


def sequential_interval(
    estimate: float | None,
    std_error: float | None,
    n: float,
    alpha: float = 0.05,
    tuning: float = DEFAULT_TUNING,
    null_value: float = 0.0,
) -> SequentialResult:
    """Always-valid (1 - alpha) interval ``estimate +/- halfwidth(n)`` at the current look.

    Method: asymptotic confidence sequence of Waudby-Smith, Arbour, Sinha, Kennedy & Ramdas
    (Ann. Statist. 2024; arXiv:2103.06476), as in GrowthBook's gbstats; see the module docstring
    for the formula. ``estimate`` is e.g. the difference of two rates, ``std_error`` its usual
    (fixed-horizon) standard error, ``n`` the units behind it so far (both arms together) and
    ``tuning`` the sample size at which the sequence is tightest.

    The interval is valid at every look simultaneously: the probability that it EVER fails to
    cover the true effect, over all looks, is at most alpha (asymptotically). So a team can look
    daily and stop as soon as it excludes ``null_value``: ``can_stop`` is True exactly then.

    Degenerate input never gives NaN: n == 0, or estimate / std_error None or NaN ->
    status "not_enough_data"; std_error 0 with n > 0 -> "zero_variance" (a zero-width interval
    would be a false certainty). In both cases ci and halfwidth are None and can_stop False.
    ValueError for negative n or std_error, an infinite estimate, alpha outside (0, 1) or
    tuning <= 0.
    """
    est, se, m, alpha, tuning, degenerate = _prepare(estimate, std_error, n, alpha, tuning, "estimate")
    null = _optional_number(null_value, "null_value")
    if null is None or math.isinf(null):
        raise ValueError(f"null_value must be a finite number, got {null_value!r}")
    if degenerate is not None:
        return degenerate
    assert est is not None and se is not None  # _prepare returns a degenerate result otherwise
    half = float(_halfwidth_array(se, m, alpha, tuning))
    lo, hi = est - half, est + half
    return SequentialResult(ci=(lo, hi), can_stop=bool(null < lo or null > hi), halfwidth=half,
                            tuning=tuning, alpha=alpha)


def sequential_relative_interval(
    rel_lift: float | None,
    se_log_ratio: float | None,
    n: float,
    alpha: float = 0.05,
    tuning: float = DEFAULT_TUNING,
    null_value: float = 0.0,
) -> SequentialResult:
    """Always-valid interval for a relative lift p1/p0 - 1, built on the log-ratio scale.

    The CS of :func:`sequential_interval` is applied to log(1 + rel_lift) with standard error
    ``se_log_ratio`` (e.g. the Katz SE, sqrt((1-p1)/(n1 p1) + (1-p0)/(n0 p0))) and mapped back:
    (exp(log(1 + rel_lift) - h) - 1, exp(log(1 + rel_lift) + h) - 1), h = halfwidth(n) on the log
    scale (``halfwidth`` holds h). Same time-uniform guarantee: look daily, stop when the interval
    excludes ``null_value`` (default 0, no lift). rel_lift <= -1 (treatment rate 0) has no
    log: status "undefined", ci None; other degenerate input as in :func:`sequential_interval`.
    An upper bound too large for a float is +inf in ``ci`` and makes ``to_dict()['ci']`` None.
    """
    est, se, m, alpha, tuning, degenerate = _prepare(rel_lift, se_log_ratio, n, alpha, tuning, "relative lift")
    null = _optional_number(null_value, "null_value")
    if null is None or math.isinf(null) or null <= -1.0:
        raise ValueError(f"null_value must be a finite relative lift > -1, got {null_value!r}")
    if degenerate is not None:
        return degenerate
    assert est is not None and se is not None  # _prepare returns a degenerate result otherwise
    if est <= -1.0:
        return _no_interval(STATUS_UNDEFINED, Note(NoteCode.LOG_RATIO_UNDEFINED), alpha, tuning)
    half = float(_halfwidth_array(se, m, alpha, tuning))
    centre = math.log1p(est)
    lo = math.expm1(centre - half)
    hi = math.expm1(centre + half) if centre + half < 709.0 else math.inf
    log_null = math.log1p(null)
    can_stop = log_null < centre - half or log_null > centre + half
    return SequentialResult(ci=(lo, hi), can_stop=bool(can_stop), halfwidth=half, tuning=tuning, alpha=alpha)
