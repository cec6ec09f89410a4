"""Two-sample comparison of conversion rates from counts (successes, users per arm).

Everything here works on sufficient statistics only. The scalar entry points
(:func:`compare_proportions`, :func:`proportion_ci`) are thin wrappers over vectorised
helpers (:func:`_diff_wald_arrays`, :func:`_log_ratio_ci_arrays`) so the calibration
simulations exercise exactly the code that produces real results.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache
from numbers import Integral, Real
from typing import Any, Literal, NamedTuple

import numpy as np
from scipy.special import erfc, gammaln
from scipy.stats import hypergeom, norm

from ..serialize import Interval, ResultModel

__all__ = [
    "ProportionComparison", "compare_proportions", "proportion_ci",
    "ProportionArrays", "compare_proportions_arrays", "EXACT_MIN_EXPECTED",
]

STATUS_OK = "ok"
STATUS_NOT_ENOUGH_DATA = "not_enough_data"


# --------------------------------------------------------------------------- validation


def _check_count(value: Any, name: str) -> int:
    """A non-negative whole number (ints, numpy ints and integral floats such as ``120.0``)."""
    if type(value) is int and value >= 0:  # the common case, without the abstract-class checks
        return value
    if isinstance(value, bool) or not isinstance(value, Real):
        raise ValueError(f"{name} must be a non-negative whole number, got {value!r}")
    if isinstance(value, Integral):
        count = int(value)
    else:
        f = float(value)
        if not math.isfinite(f) or f != math.floor(f):
            raise ValueError(f"{name} must be a non-negative whole number, got {value!r}")
        count = int(f)
    if count < 0:
        raise ValueError(f"{name} must be >= 0, got {count}")
    return count


def _check_arm(successes: Any, n: Any, label: str) -> tuple[int, int]:
    s = _check_count(successes, f"{label} successes")
    m = _check_count(n, f"{label} n")
    if s > m:
        raise ValueError(f"{label} successes ({s}) cannot exceed {label} n ({m})")
    return s, m


def _check_alpha(alpha: Any) -> float:
    if type(alpha) is float and 0.0 < alpha < 1.0:  # the common case, without the abstract-class checks
        return alpha
    if isinstance(alpha, bool) or not isinstance(alpha, Real) or not (0.0 < float(alpha) < 1.0):
        raise ValueError(f"alpha must be strictly between 0 and 1, got {alpha!r}")
    return float(alpha)


@lru_cache(maxsize=64)
def _z_two_sided(alpha: float) -> float:
    """Critical value z_{1-alpha/2} of the standard normal (cached: scipy's ppf costs ~150 us)."""
    return float(norm.ppf(1.0 - alpha / 2.0))


def _finite_or_none(x: float | None) -> float | None:
    if x is None:
        return None
    x = float(x)
    return x if math.isfinite(x) else None


# --------------------------------------------------------------------------- score statistics
#
# Every statistic below exists twice: a numpy version (``*_arrays``, elementwise over arrays, used by
# :func:`compare_proportions_arrays` and the calibration/enumeration tests) and a ``math`` version for
# one comparison (numpy on 1-element arrays costs ~1 us per operation, far too slow for a scalar call).
# tests/stats/test_proportions.py checks that the two give the same numbers.

#: Use the exact test as well when the smallest expected cell count of the 2x2 table,
#: min(n1, n0) * min(K, N - K) / N (K successes among N users), is below this. Chosen from the
#: exact enumeration in tests/stats/test_proportions_enumeration.py (see docs/statistics.md).
EXACT_MIN_EXPECTED = 10.0

_Z_CAP = 1e12  # |z| where the restricted variance is 0 and the numerator is not: a finite "infinity"
_BISECT_ITERS = 56  # interval ends to < 1e-15 on [-1, 1] and < 1e-15 * 40 on the log-ratio scale
_LOG_RATIO_SPAN = 40.0  # bracket for the log risk ratio: [log(rr_hat) - 40, log(rr_hat) + 40]
_SQRT2 = math.sqrt(2.0)


def _diff_score_z_arrays(delta, x1, n1, x0, n0):
    """Miettinen-Nurminen score statistic for H0: p1 - p0 = delta, elementwise.

    z = (p1_hat - p0_hat - delta) / sqrt(V), V = (p~1 (1-p~1)/n1 + p~0 (1-p~0)/n0) * N/(N-1), where
    p~ are the maximum-likelihood rates restricted to p1 - p0 = delta (closed-form cubic root,
    Miettinen & Nurminen 1985, appendix; Farrington & Manning 1990). The cubic's linear coefficient
    is (n0 delta - N - 2 x0) delta + K: statsmodels 0.14/0.15 ``score_test_proportions_2indep`` has
    x0 where n0 belongs (statsmodels issue #10269), so its diff test at delta != 0 and its score
    interval for the difference are off in small samples; the tests check this restricted MLE
    against a direct numerical maximisation of the likelihood instead.
    """
    nn, k = n1 + n0, x1 + x0
    with np.errstate(divide="ignore", invalid="ignore"):
        t3 = 3.0 * nn
        t2 = (n1 + 2.0 * n0) * delta - nn - k
        t1 = (n0 * delta - nn - 2.0 * x0) * delta + k
        t0 = x0 * delta * (1.0 - delta)
        q = (t2 / t3) ** 3 - t1 * t2 / (6.0 * nn**2) + t0 / (2.0 * nn)
        r = np.sign(q) * np.sqrt(np.maximum((t2 / t3) ** 2 - t1 / t3, 0.0))
        cos_arg = np.where(r != 0.0, q / r**3, 0.0)
        a = (np.pi + np.arccos(np.clip(cos_arg, -1.0, 1.0))) / 3.0
        prop0 = 2.0 * r * np.cos(a) - t2 / t3
        prop0 = np.where(delta == 0.0, k / nn, prop0)  # pooled rate (exact) under equality
        prop0 = np.clip(prop0, np.maximum(0.0, -delta), np.minimum(1.0, 1.0 - delta))
        prop1 = prop0 + delta
        var = (prop1 * (1.0 - prop1) / n1 + prop0 * (1.0 - prop0) / n0) * nn / (nn - 1.0)
        num = x1 / n1 - x0 / n0 - delta
        z = num / np.sqrt(var)
    return np.where(var > 0.0, z, np.where(num == 0.0, 0.0, np.sign(num) * _Z_CAP))


def _diff_score_z(delta: float, x1: float, n1: float, x0: float, n0: float) -> float:
    """Scalar twin of :func:`_diff_score_z_arrays` (same formula, ``math`` instead of numpy)."""
    nn, k = n1 + n0, x1 + x0
    if delta == 0.0:
        prop0 = k / nn
    else:
        t3 = 3.0 * nn
        t2 = (n1 + 2.0 * n0) * delta - nn - k
        t1 = (n0 * delta - nn - 2.0 * x0) * delta + k
        t0 = x0 * delta * (1.0 - delta)
        q = (t2 / t3) ** 3 - t1 * t2 / (6.0 * nn * nn) + t0 / (2.0 * nn)
        r = math.copysign(math.sqrt(max((t2 / t3) ** 2 - t1 / t3, 0.0)), q) if q != 0.0 else 0.0
        cos_arg = q / r**3 if r != 0.0 else 0.0
        a = (math.pi + math.acos(min(1.0, max(-1.0, cos_arg)))) / 3.0
        prop0 = 2.0 * r * math.cos(a) - t2 / t3
    prop0 = min(min(1.0, 1.0 - delta), max(max(0.0, -delta), prop0))
    prop1 = prop0 + delta
    var = (prop1 * (1.0 - prop1) / n1 + prop0 * (1.0 - prop0) / n0) * nn / (nn - 1.0)
    num = x1 / n1 - x0 / n0 - delta
    if var > 0.0:
        return num / math.sqrt(var)
    return 0.0 if num == 0.0 else math.copysign(_Z_CAP, num)


def _ratio_score_z_arrays(log_rr, x1, n1, x0, n0):
    """Miettinen-Nurminen score statistic for H0: p1 / p0 = rr (given as log rr), elementwise.

    z = (p1_hat - rr p0_hat) / sqrt(V), V = (p~1 (1-p~1)/n1 + rr^2 p~0 (1-p~0)/n0) * N/(N-1), with the
    restricted MLE p~0 the smaller root of N rr p^2 - (n1 rr + x1 + n0 + x0 rr) p + (x1 + x0) = 0,
    p~1 = rr p~0 (Miettinen & Nurminen 1985; Farrington & Manning 1990).
    """
    nn, k = n1 + n0, x1 + x0
    rr = np.exp(log_rr)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        a = nn * rr
        b = -(n1 * rr + x1 + n0 + x0 * rr)
        disc = np.sqrt(np.maximum(b * b - 4.0 * a * k, 0.0))
        # smaller root written as 2c / (-b + disc): no cancellation when a*c is small
        prop0 = np.clip(2.0 * k / (-b + disc), 0.0, 1.0)
        prop1 = np.minimum(rr * prop0, 1.0)
        var = (prop1 * (1.0 - prop1) / n1 + rr * rr * prop0 * (1.0 - prop0) / n0) * nn / (nn - 1.0)
        num = x1 / n1 - rr * x0 / n0
        z = num / np.sqrt(var)
    return np.where(var > 0.0, z, np.where(num == 0.0, 0.0, np.sign(num) * _Z_CAP))


def _ratio_score_z(log_rr: float, x1: float, n1: float, x0: float, n0: float) -> float:
    """Scalar twin of :func:`_ratio_score_z_arrays`."""
    nn, k = n1 + n0, x1 + x0
    rr = math.exp(log_rr)
    a = nn * rr
    b = -(n1 * rr + x1 + n0 + x0 * rr)
    disc = math.sqrt(max(b * b - 4.0 * a * k, 0.0))
    prop0 = min(1.0, max(0.0, 2.0 * k / (-b + disc)))
    prop1 = min(rr * prop0, 1.0)
    var = (prop1 * (1.0 - prop1) / n1 + rr * rr * prop0 * (1.0 - prop0) / n0) * nn / (nn - 1.0)
    num = x1 / n1 - rr * x0 / n0
    if var > 0.0:
        return num / math.sqrt(var)
    return 0.0 if num == 0.0 else math.copysign(_Z_CAP, num)


def _bisect_decreasing_arrays(f, lo, hi, target):
    """Where the decreasing f crosses target in [lo, hi], elementwise (f(lo) >= target >= f(hi))."""
    lo, hi = np.array(lo, dtype=float), np.array(hi, dtype=float)
    for _ in range(_BISECT_ITERS):
        mid = 0.5 * (lo + hi)
        above = f(mid) > target
        lo = np.where(above, mid, lo)
        hi = np.where(above, hi, mid)
    return 0.5 * (lo + hi)


def _root_decreasing(f, lo: float, hi: float, target: float, guess: float | None = None,
                     f_lo: float | None = None, f_hi: float | None = None) -> float:
    """Scalar twin of :func:`_bisect_decreasing_arrays`: the same root on the same bracket, found by
    the Anderson-Bjorck variant of regula falsi (superlinear, bracket kept, a bisection step after
    three steps that do not halve it); the bracket end if f does not cross target inside it.
    ``guess`` (a Wald-type interval end) narrows the bracket first; ``f_lo``/``f_hi`` are f at the
    ends when already known (f is 0 at the estimate). Far fewer evaluations than bisection."""
    g_lo = g_hi = None
    if guess is not None and lo < guess < hi:
        g_guess = f(guess) - target
        if g_guess == 0.0:
            return guess
        if g_guess > 0.0:
            lo, g_lo = guess, g_guess
        else:
            hi, g_hi = guess, g_guess
    if g_lo is None:
        g_lo = (f(lo) if f_lo is None else f_lo) - target
    if g_hi is None:
        g_hi = (f(hi) if f_hi is None else f_hi) - target
    if g_lo <= 0.0:
        return lo
    if g_hi >= 0.0:
        return hi
    slow = 0
    for _ in range(200):
        width = hi - lo
        if width <= 4e-16 * max(1.0, abs(lo), abs(hi)):
            break
        t = hi - g_hi * width / (g_hi - g_lo)
        if not (lo < t < hi):
            t = 0.5 * (lo + hi)
        g_t = f(t) - target
        if abs(g_t) < 1e-13:  # |z - z_crit| below 1e-13: t is the end to ~1e-13 standard errors
            return t
        if g_t > 0.0:  # root in (t, hi]
            m = 1.0 - g_t / g_lo
            g_hi = g_hi * (m if m > 0.0 else 0.5)
            lo, g_lo = t, g_t
        else:  # root in [lo, t)
            m = 1.0 - g_t / g_hi
            g_lo = g_lo * (m if m > 0.0 else 0.5)
            hi, g_hi = t, g_t
        slow = slow + 1 if hi - lo > 0.5 * width else 0
        if slow == 3:  # three steps without halving the bracket: bisect once
            slow = 0
            mid = 0.5 * (lo + hi)
            g_mid = f(mid) - target
            if g_mid > 0.0:
                lo, g_lo = mid, g_mid
            else:
                hi, g_hi = mid, g_mid
    return 0.5 * (lo + hi)


def _pooled_score_p_arrays(x1, n1, x0, n0):
    """Two-sided p-value of the score test of p1 = p0 (pooled rate, MN factor N/(N-1)); 1 where the
    pooled rate is 0 or 1 (no evidence either way). Equals the MN test at delta = 0 and rr = 1."""
    return erfc(np.abs(_diff_score_z_arrays(0.0, x1, n1, x0, n0)) / _SQRT2)


def _min_expected_arrays(x1, n1, x0, n0):
    """Smallest expected cell count of the 2x2 table under independence."""
    nn, k = n1 + n0, x1 + x0
    return np.minimum(n1, n0) * np.minimum(k, nn - k) / nn


def _fisher_doubled_p_arrays(x1, n1, x0, n0):
    """Fisher's exact test, two-sided as twice the smaller one-sided p-value (capped at 1).

    Conditional on the K = x1 + x0 successes, x1 ~ Hypergeometric(N, K, n1) (Fisher 1935). The
    doubled one-sided p-value keeps each one-sided error at most alpha/2 (a harm decision is
    one-sided); it equals ``2 * min(fisher_exact(..., 'less'), fisher_exact(..., 'greater'))``.
    """
    x1, n1, x0, n0 = (np.asarray(v, dtype=np.int64) for v in (x1, n1, x0, n0))
    nn, k = n1 + n0, x1 + x0
    low = hypergeom.cdf(x1, nn, k, n1)
    high = hypergeom.sf(x1 - 1, nn, k, n1)
    return np.minimum(1.0, 2.0 * np.minimum(low, high))


def _fisher_doubled_p(x1: int, n1: int, x0: int, n0: int) -> float:
    """Scalar twin of :func:`_fisher_doubled_p_arrays`: hypergeometric pmf summed over the support."""
    nn, k = n1 + n0, x1 + x0
    support = np.arange(max(0, n1 - (nn - k)), min(k, n1) + 1, dtype=float)
    log_pmf = (gammaln(k + 1) - gammaln(support + 1) - gammaln(k - support + 1)
               + gammaln(nn - k + 1) - gammaln(n1 - support + 1) - gammaln(nn - k - n1 + support + 1)
               - gammaln(nn + 1) + gammaln(n1 + 1) + gammaln(nn - n1 + 1))
    pmf = np.exp(log_pmf)
    low = float(pmf[support <= x1].sum())
    high = float(pmf[support >= x1].sum())
    return min(1.0, 2.0 * min(low, high))


# --------------------------------------------------------------------------- bulk API


class ProportionArrays(NamedTuple):
    """Elementwise results of :func:`compare_proportions_arrays` (NaN where undefined)."""

    abs_diff: np.ndarray  # p1 - p0
    abs_ci_low: np.ndarray  # Miettinen-Nurminen interval for p1 - p0 (inside [-1, 1])
    abs_ci_high: np.ndarray
    rel_lift: np.ndarray  # p1 / p0 - 1; NaN where p0 == 0
    rel_ci_low: np.ndarray  # MN score interval for p1 / p0, minus 1; NaN where p0 == 0
    rel_ci_high: np.ndarray
    p_value: np.ndarray  # two-sided; the decision p-value (score, or max(score, exact) where exact)
    p_value_score: np.ndarray  # two-sided MN score test of p1 = p0
    p_value_exact: np.ndarray  # doubled one-sided Fisher; NaN where the exact test is not used
    exact: np.ndarray  # bool: the exact test was used (smallest expected count < exact_min_expected)
    se_abs_diff: np.ndarray  # unpooled Wald SE of p1 - p0 (Agresti-Caffo where that is 0)
    se_log_ratio: np.ndarray  # Katz SE of log(p1/p0); NaN where undefined


def compare_proportions_arrays(
    successes: Any, n: Any, successes_control: Any, n_control: Any,
    alpha: float = 0.05, exact_min_expected: float = EXACT_MIN_EXPECTED,
) -> ProportionArrays:
    """:func:`compare_proportions` elementwise over numpy arrays of counts (broadcast), for bulk use.

    Same methods and numbers as the scalar function (checked in tests/stats/test_proportions.py).
    Counts must be whole numbers with 0 <= successes <= n (ValueError otherwise); entries where an
    arm has n == 0 are NaN everywhere (``status`` "not_enough_data" in the scalar function).
    Speed: about 20 us per comparison at 100,000 comparisons (interval ends by 56 bisection steps).
    """
    alpha = _check_alpha(alpha)
    x1, n1, x0, n0 = np.broadcast_arrays(*(np.asarray(v, dtype=float) for v in (successes, n, successes_control, n_control)))
    for v, name in ((x1, "successes"), (n1, "n"), (x0, "successes_control"), (n0, "n_control")):
        if not np.all(np.isfinite(v)) or np.any(v < 0) or np.any(v != np.floor(v)):
            raise ValueError(f"{name} must be non-negative whole numbers")
    if np.any(x1 > n1) or np.any(x0 > n0):
        raise ValueError("successes cannot exceed n in either arm")
    empty = (n1 == 0) | (n0 == 0)
    # compute on a safe copy (1 user, 0 successes in empty arms), NaN the result at the end
    n1s, n0s = np.where(empty, 1.0, n1), np.where(empty, 1.0, n0)
    x1s, x0s = np.where(empty, 0.0, x1), np.where(empty, 0.0, x0)
    z = _z_two_sided(alpha)

    p1, p0 = x1s / n1s, x0s / n0s
    diff = p1 - p0
    p_score = _pooled_score_p_arrays(x1s, n1s, x0s, n0s)
    exact = (_min_expected_arrays(x1s, n1s, x0s, n0s) < exact_min_expected) & ~empty
    p_exact = np.full(diff.shape, np.nan)
    if np.any(exact):
        p_exact[exact] = _fisher_doubled_p_arrays(x1s[exact], n1s[exact], x0s[exact], n0s[exact])
    p_value = np.where(exact, np.fmax(p_score, p_exact), p_score)
    reject = p_value < alpha

    def fd(t):
        return _diff_score_z_arrays(t, x1s, n1s, x0s, n0s)

    lo = _bisect_decreasing_arrays(fd, np.full(diff.shape, -1.0), diff, z)
    hi = _bisect_decreasing_arrays(fd, diff, np.full(diff.shape, 1.0), -z)
    lo, hi = _agree_with_test(lo, hi, 0.0, reject, diff)

    ratio_ok = x0s > 0
    with np.errstate(divide="ignore", invalid="ignore"):
        rel_lift = np.where(ratio_ok, p1 / np.where(ratio_ok, p0, 1.0) - 1.0, np.nan)
        log_rr = np.where(ratio_ok & (x1s > 0), np.log(np.where(ratio_ok & (x1s > 0), p1 / np.where(ratio_ok, p0, 1.0), 1.0)), 0.0)
        # with no treatment successes the upper end is bracketed around "half a success"
        anchor = np.where(x1s > 0, log_rr, np.log(0.5 / n1s / np.where(ratio_ok, p0, 1.0)))
        start = np.where(x1s > 0, log_rr, anchor - _LOG_RATIO_SPAN)

    def fr(t):
        return _ratio_score_z_arrays(t, x1s, n1s, np.where(ratio_ok, x0s, 1.0), n0s)

    r_lo = np.where(x1s > 0, _bisect_decreasing_arrays(fr, log_rr - _LOG_RATIO_SPAN, log_rr, z), -np.inf)
    r_hi = _bisect_decreasing_arrays(fr, start, anchor + _LOG_RATIO_SPAN, -z)
    r_lo, r_hi = _agree_with_test(np.exp(r_lo) - 1.0, np.exp(r_hi) - 1.0, 0.0, reject, rel_lift)
    r_lo, r_hi = np.where(ratio_ok, r_lo, np.nan), np.where(ratio_ok, r_hi, np.nan)

    se_abs, se_log = _standard_errors_arrays(x1s, n1s, x0s, n0s)
    nan = np.where(empty, np.nan, 0.0)
    return ProportionArrays(
        diff + nan, lo + nan, hi + nan, rel_lift + nan, r_lo + nan, r_hi + nan,
        p_value + nan, p_score + nan, p_exact, exact, se_abs + nan, se_log + nan,
    )


def _agree_with_test(low, high, null, reject, estimate):
    """Make the interval agree with the test at this alpha, elementwise.

    Where the test does not reject, the interval is widened to reach the null value (only ever
    active where the exact test overrules the score test, or at the root finder's last digit);
    where it rejects, the end on the null's side is moved off the null by at most one ulp.
    """
    low = np.where(~reject, np.minimum(low, null), low)
    high = np.where(~reject, np.maximum(high, null), high)
    up = reject & (estimate > null)
    down = reject & (estimate < null)
    low = np.where(up & (low <= null), np.nextafter(null, 1.0), low)
    high = np.where(down & (high >= null), np.nextafter(null, -1.0), high)
    return low, high


def _standard_errors_arrays(x1, n1, x0, n0):
    """Unpooled Wald SE of p1 - p0 (Agresti-Caffo, one success and one failure added per arm, where
    that is 0) and the Katz SE of log(p1/p0) (NaN where x1 == 0, x0 == 0 or it is 0). Read by the
    sequential (always-valid) intervals, which are built on a normal estimate and its SE."""
    p1, p0 = x1 / n1, x0 / n0
    var = p1 * (1.0 - p1) / n1 + p0 * (1.0 - p0) / n0
    q1, q0 = (x1 + 1.0) / (n1 + 2.0), (x0 + 1.0) / (n0 + 2.0)
    var_ac = q1 * (1.0 - q1) / (n1 + 2.0) + q0 * (1.0 - q0) / (n0 + 2.0)
    se_abs = np.sqrt(np.where(var > 0.0, var, var_ac))
    with np.errstate(divide="ignore", invalid="ignore"):
        var_log = 1.0 / x1 - 1.0 / n1 + 1.0 / x0 - 1.0 / n0
        ok = (x1 > 0) & (x0 > 0) & (var_log > 0)
        se_log = np.where(ok, np.sqrt(np.where(ok, var_log, 0.0)), np.nan)
    return se_abs, se_log


def _standard_errors(x1: float, n1: float, x0: float, n0: float) -> tuple[float, float | None]:
    """Scalar twin of :func:`_standard_errors_arrays` (None where the Katz SE is undefined)."""
    p1, p0 = x1 / n1, x0 / n0
    var = p1 * (1.0 - p1) / n1 + p0 * (1.0 - p0) / n0
    if var <= 0.0:
        q1, q0 = (x1 + 1.0) / (n1 + 2.0), (x0 + 1.0) / (n0 + 2.0)
        var = q1 * (1.0 - q1) / (n1 + 2.0) + q0 * (1.0 - q0) / (n0 + 2.0)
    se_log = None
    if x1 > 0 and x0 > 0:
        var_log = 1.0 / x1 - 1.0 / n1 + 1.0 / x0 - 1.0 / n0
        se_log = math.sqrt(var_log) if var_log > 0 else None
    return math.sqrt(var), se_log


# --------------------------------------------------------------------------- public API

METHOD_SCORE = "score"
METHOD_SCORE_EXACT = "score+fisher"

# codes (the report layer words them; ``note`` is the English for logs and JSON)
CODE_EXACT_TEST = "exact_test"  # small expected counts: p_value = max(score, Fisher)
CODE_INTERVAL_WIDENED = "interval_widened_to_exact_test"  # score interval excluded 0, exact test did not reject
CODE_CONTROL_RATE_ZERO = "relative_lift_undefined_control_rate_zero"
CODE_TREATMENT_RATE_ZERO = "treatment_rate_zero"


@dataclass(frozen=True)
class ProportionComparison(ResultModel):
    """Treatment vs control on a conversion rate: absolute and relative effect, CIs, p-value.

    ``status`` is "ok" or "not_enough_data" (an arm with no users: every statistic is None).
    ``note`` explains any statistic that is None or computed by a fallback method; ``codes`` are the
    same facts as stable codes. ``method`` is "score" or "score+fisher" (exact test used too).
    ``se_abs_diff`` (unpooled Wald) and ``se_log_ratio`` (Katz) feed the sequential intervals.
    """

    n: int
    successes: int
    n_control: int
    successes_control: int
    rate: float | None
    rate_control: float | None
    abs_diff: float | None
    abs_ci: Interval | None
    rel_lift: float | None
    rel_ci: Interval | None
    p_value: float | None
    alpha: float
    status: str = STATUS_OK
    note: str | None = None
    method: str = METHOD_SCORE
    p_value_score: float | None = None
    p_value_exact: float | None = None
    se_abs_diff: float | None = None
    se_log_ratio: float | None = None
    codes: tuple[str, ...] = ()


def _agree(low: float, high: float, reject: bool, estimate: float) -> tuple[float, float]:
    """Scalar twin of :func:`_agree_with_test` (null value 0)."""
    if not reject:
        return min(low, 0.0), max(high, 0.0)
    if estimate > 0.0 and low <= 0.0:
        low = math.nextafter(0.0, 1.0)
    if estimate < 0.0 and high >= 0.0:
        high = math.nextafter(0.0, -1.0)
    return low, high


def compare_proportions(
    successes: int, n: int, successes_control: int, n_control: int, alpha: float = 0.05,
    exact_min_expected: float = EXACT_MIN_EXPECTED,
) -> ProportionComparison:
    """Compare a treatment rate p1 = successes/n with a control rate p0 = successes_control/n_control.

    Methods (Miettinen & Nurminen 1985, "Comparative analysis of two rates", Stat Med 4:213-226):
      * p_value_score: two-sided score test of p1 = p0, variance from the pooled rate times the MN
        factor N/(N-1) (statsmodels ``test_proportions_2indep(method='score')``).
      * abs_diff = p1 - p0 with the Miettinen-Nurminen score interval: every delta whose restricted-MLE
        score test is not rejected (statsmodels ``confint_proportions_2indep(compare='diff',
        method='score')``). It lies inside [-1, 1] by construction.
      * rel_lift = p1/p0 - 1 with the MN score interval for the risk ratio, minus 1 (statsmodels
        ``confint_proportions_2indep(compare='ratio', method='score')`` minus 1). At delta = 0 and
        rr = 1 both score statistics equal the pooled one, so both intervals exclude "no effect"
        exactly when p_value_score < alpha.
      * small counts: when the smallest expected cell count min(n1, n0) min(K, N-K) / N is below
        ``exact_min_expected`` (default :data:`EXACT_MIN_EXPECTED` = 10, chosen from the exact
        enumeration in docs/statistics.md), Fisher's exact test (Fisher 1935) is run too, two-sided
        as twice the smaller one-sided p (so each one-sided error stays <= alpha/2), and
        p_value = max(p_value_score, p_value_exact) (method "score+fisher"). Its size is at most
        that of Fisher's test, so at most alpha.
      * agreement: abs_ci and rel_ci exclude 0 exactly when p_value < alpha. Where the exact test
        does not reject but the score interval excludes 0, the interval is widened to reach 0
        (code "interval_widened_to_exact_test"); a score interval ending within rounding of 0 is
        put on the side the test decides. Agreement holds at this ``alpha`` only: a p-value adjusted
        for multiplicity (Holm/BH) is not matched by these unadjusted intervals.
      * se_abs_diff (unpooled Wald SE; Agresti-Caffo where that is 0) and se_log_ratio (Katz) are
        reported for the sequential intervals, which need a normal estimate and its SE.

    Degenerate data (never NaN, inf or an exception):
      * an arm with n == 0: status "not_enough_data"; every statistic None, counts kept.
      * every rate 0 (or every rate 1): p_value 1 and a proper two-sided interval around 0.
      * control rate 0: rel_lift and rel_ci None, code "relative_lift_undefined_control_rate_zero"
        (a relative change against nothing is not a number; never +2,479,879%).
      * treatment rate 0, control > 0: rel_lift -1.0 and rel_ci (-1.0, upper end).
    """
    x1, n1 = _check_arm(successes, n, "treatment")
    x0, n0 = _check_arm(successes_control, n_control, "control")
    alpha = _check_alpha(alpha)

    if n1 == 0 or n0 == 0:
        empty = [name for name, m in (("treatment", n1), ("control", n0)) if m == 0]
        return ProportionComparison(
            n=n1, successes=x1, n_control=n0, successes_control=x0,
            rate=None, rate_control=None, abs_diff=None, abs_ci=None,
            rel_lift=None, rel_ci=None, p_value=None, alpha=alpha,
            status=STATUS_NOT_ENOUGH_DATA,
            note=f"{' and '.join(empty)} arm{'s have' if len(empty) == 2 else ' has'} no users",
        )

    z = _z_two_sided(alpha)
    notes: list[str] = []
    codes: list[str] = []
    f1, m1, f0, m0 = float(x1), float(n1), float(x0), float(n0)
    p1, p0 = x1 / n1, x0 / n0
    diff = p1 - p0
    p_score = math.erfc(abs(_diff_score_z(0.0, f1, m1, f0, m0)) / _SQRT2)
    nn, k = n1 + n0, x1 + x0
    p_exact: float | None = None
    if min(n1, n0) * min(k, nn - k) / nn < exact_min_expected:
        p_exact = _fisher_doubled_p(x1, n1, x0, n0)
        codes.append(CODE_EXACT_TEST)
        notes.append("small expected counts: p_value is the larger of the score and Fisher exact p-values")
    p_value = p_score if p_exact is None else max(p_score, p_exact)
    reject = p_value < alpha

    def fd(t: float) -> float:
        return _diff_score_z(t, f1, m1, f0, m0)

    se_abs, se_log = _standard_errors(f1, m1, f0, m0)
    lo = _root_decreasing(fd, -1.0, diff, z, diff - 1.1 * z * se_abs, f_hi=0.0)
    hi = _root_decreasing(fd, diff, 1.0, -z, diff + 1.1 * z * se_abs, f_lo=0.0)
    if p_exact is not None and not reject and p_score < alpha:
        codes.append(CODE_INTERVAL_WIDENED)
        notes.append("the exact test does not reject, so the intervals are widened to reach 0")
    lo, hi = _agree(lo, hi, reject, diff)

    rel_lift: float | None = None
    rel_ci: tuple[float, float] | None = None
    if x0 == 0:
        codes.append(CODE_CONTROL_RATE_ZERO)
        notes.append("control rate is 0: relative lift undefined")
    else:
        rel_lift = p1 / p0 - 1.0

        def fr(t: float) -> float:
            return _ratio_score_z(t, f1, m1, f0, m0)

        if x1 == 0:
            codes.append(CODE_TREATMENT_RATE_ZERO)
            anchor = math.log(0.5 / n1 / p0)  # upper end bracketed around "half a success"
            start = anchor - _LOG_RATIO_SPAN
            r_lo = -1.0
        else:
            anchor = start = math.log(p1 / p0)
            half = 1.1 * z * se_log if se_log is not None else None
            r_lo = math.exp(_root_decreasing(fr, anchor - _LOG_RATIO_SPAN, anchor, z,
                                             None if half is None else anchor - half, f_hi=0.0)) - 1.0
        r_hi = math.exp(_root_decreasing(fr, start, anchor + _LOG_RATIO_SPAN, -z,
                                         None if x1 == 0 or se_log is None else anchor + 1.1 * z * se_log,
                                         f_lo=None if x1 == 0 else 0.0)) - 1.0
        rel_ci = _agree(r_lo, r_hi, reject, rel_lift)

    return ProportionComparison(
        n=n1, successes=x1, n_control=n0, successes_control=x0,
        rate=p1, rate_control=p0,
        abs_diff=diff, abs_ci=(lo, hi),
        rel_lift=rel_lift, rel_ci=rel_ci,
        p_value=p_value, alpha=alpha,
        status=STATUS_OK, note="; ".join(notes) or None,
        method=METHOD_SCORE if p_exact is None else METHOD_SCORE_EXACT,
        p_value_score=p_score, p_value_exact=p_exact,
        se_abs_diff=se_abs, se_log_ratio=se_log,
        codes=tuple(codes),
    )


def proportion_ci(
    successes: int, n: int, alpha: float = 0.05, method: Literal["wilson", "wald"] = "wilson"
) -> tuple[float, float]:
    """Two-sided CI for one arm's rate successes/n.

    'wilson': Wilson score interval (Wilson 1927; statsmodels ``proportion_confint(method='wilson')``).
    'wald': normal approximation clipped to [0, 1] (statsmodels ``method='normal'``).
    n == 0 raises ValueError: with no users there is no rate to bound.
    """
    x, m = _check_arm(successes, n, "arm")
    alpha = _check_alpha(alpha)
    if m == 0:
        raise ValueError("n must be > 0 to compute a confidence interval for a rate")
    z = _z_two_sided(alpha)
    p = x / m
    if method == "wilson":
        z2 = z * z
        denom = 1.0 + z2 / m
        centre = (p + z2 / (2.0 * m)) / denom
        half = z * math.sqrt(p * (1.0 - p) / m + z2 / (4.0 * m * m)) / denom
        # at x = 0 (x = n) the lower (upper) bound is exactly 0 (1); avoid 1e-16 rounding residue
        low = 0.0 if x == 0 else max(0.0, centre - half)
        high = 1.0 if x == m else min(1.0, centre + half)
        return (low, high)
    if method == "wald":
        half = z * math.sqrt(p * (1.0 - p) / m)
        return (max(0.0, p - half), min(1.0, p + half))
    raise ValueError(f"method must be 'wilson' or 'wald', got {method!r}")
