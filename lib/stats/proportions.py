"""Two-sample comparison of conversion rates from counts (successes, users per arm).

Everything here works on sufficient statistics only. The scalar entry points
(:func:`compare_proportions`, :func:`proportion_ci`) are thin wrappers over vectorised
helpers (:func:`_diff_wald_arrays`, :func:`_log_ratio_ci_arrays`) so the calibration
simulations exercise exactly the code that produces real results.
"""
from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from itertools import repeat
from typing import Literal, NamedTuple

import numpy as np
import numpy.typing as npt
from numpy.typing import ArrayLike
from scipy.special import gammaln

from ._common import (
    STATUS_NOT_ENOUGH_DATA,
    STATUS_OK,
    Comparison,
    LazyScipy,
    check_alpha,
    check_arm,
    z_two_sided,
)
from .notes import Note, NoteCode, arms_code

hypergeom = LazyScipy("scipy.stats", "hypergeom")  # imported on first use (scipy.stats: ~1 s)

__all__ = [
    "ProportionComparison", "compare_proportions", "proportion_ci",
    "ProportionArrays", "compare_proportions_arrays", "compare_proportions_many", "EXACT_MIN_EXPECTED",
]


# --------------------------------------------------------------------------- validation


# --------------------------------------------------------------------------- score statistics
#
# Every statistic below exists twice: a numpy version (``*_arrays``, elementwise over arrays, used by
# :func:`compare_proportions_arrays`, :func:`compare_proportions_many` and the calibration/enumeration
# tests) and a ``math`` version for one comparison (numpy on 1-element arrays costs ~1 us per operation,
# far too slow for a scalar call). The twins are bit-identical, not merely close: the same IEEE
# operations in the same order per element, powers and the transcendental functions through
# the C library in both (numpy's SIMD exp/log/cos may differ in the last bit), and one root finder
# (Anderson-Bjorck, :func:`_root_decreasing` and its elementwise twin :func:`_root_decreasing_arrays`,
# which takes the scalar search's steps per element). So a comparison computed in bulk equals the one
# computed alone, to the last bit; tests/stats/test_proportions.py checks it.

#: Use the exact test as well when the smallest expected cell count of the 2x2 table,
#: min(n1, n0) * min(K, N - K) / N (K successes among N users), is below this. Chosen from the
#: exact enumeration in tests/stats/test_proportions_enumeration.py (see docs/statistics.md).
EXACT_MIN_EXPECTED = 10.0

_Z_CAP = 1e12  # |z| where the restricted variance is 0 and the numerator is not: a finite "infinity"
_LOG_RATIO_SPAN = 40.0  # bracket for the log risk ratio: [log(rr_hat) - 40, log(rr_hat) + 40]
_SQRT2 = math.sqrt(2.0)

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]
IndexArray = npt.NDArray[np.intp]
#: f(t, idx): a score statistic at t for the elements idx (the root finder's function).
ArrayFunction = Callable[[FloatArray, IndexArray], FloatArray]
#: fisher(x1, n1, x0, n0, idx): the doubled one-sided Fisher p-values of the elements idx.
FisherFunction = Callable[[FloatArray, FloatArray, FloatArray, FloatArray, IndexArray], FloatArray]


def _pymax(a: FloatArray | float, b: FloatArray | float) -> FloatArray:
    """Python's ``max(a, b)`` elementwise (b if b > a else a: the same result for NaN and signed zeros)."""
    return np.where(b > a, b, a)


def _pymin(a: FloatArray | float, b: FloatArray | float) -> FloatArray:
    """Python's ``min(a, b)`` elementwise (b if b < a else a)."""
    return np.where(b < a, b, a)


def _math_map(fn: Callable[[float], float], x: FloatArray) -> FloatArray:
    """``fn`` (a ``math`` function) on every element of the 1-d float array x.

    The array twins call the C library through ``math`` exactly as the scalar functions do: numpy's
    own exp/log/cos may use SIMD kernels that differ in the last bit, and the twins must not."""
    return np.fromiter(map(fn, x.tolist()), dtype=np.float64, count=x.size)


def _pow_map(x: FloatArray, exponent: float) -> FloatArray:
    """``v ** exponent`` for every element as Python computes it for a float (the C library's pow;
    numpy's power may take another path), so the twins agree with the scalar functions' ``** 3``."""
    return np.fromiter(map(pow, x.tolist(), repeat(exponent)), dtype=np.float64, count=x.size)


def _diff_score_z_arrays(delta: ArrayLike, x1: ArrayLike, n1: ArrayLike, x0: ArrayLike, n0: ArrayLike) -> FloatArray:
    """Miettinen-Nurminen score statistic for H0: p1 - p0 = delta, elementwise (1-d float arrays).

    z = (p1_hat - p0_hat - delta) / sqrt(V), V = (p~1 (1-p~1)/n1 + p~0 (1-p~0)/n0) * N/(N-1), where
    p~ are the maximum-likelihood rates restricted to p1 - p0 = delta (closed-form cubic root,
    Miettinen & Nurminen 1985, appendix; Farrington & Manning 1990). The cubic's linear coefficient
    is (n0 delta - N - 2 x0) delta + K: statsmodels 0.14/0.15 ``score_test_proportions_2indep`` has
    x0 where n0 belongs (statsmodels issue #10269), so its diff test at delta != 0 and its score
    interval for the difference are off in small samples; the tests check this restricted MLE
    against a direct numerical maximisation of the likelihood instead.

    Bit-identical twin of the scalar :func:`_diff_score_z`: the same IEEE operations in the same
    order per element, the C library (through Python) for the powers, acos and cos
    (tests/stats/test_proportions.py checks equality).
    """
    x1, n1, x0, n0 = np.broadcast_arrays(*(np.asarray(v, dtype=float) for v in (x1, n1, x0, n0)))
    delta = np.broadcast_to(np.asarray(delta, dtype=float), x1.shape)
    nn, k = n1 + n0, x1 + x0
    prop0 = k / nn
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        cubic = np.flatnonzero(delta != 0.0)
        if cubic.size:
            d, _a1, b1, a0, b0 = delta[cubic], x1[cubic], n1[cubic], x0[cubic], n0[cubic]
            m, kk = nn[cubic], k[cubic]
            t3 = 3.0 * m
            t2 = (b1 + 2.0 * b0) * d - m - kk
            t1 = (b0 * d - m - 2.0 * a0) * d + kk
            t0 = a0 * d * (1.0 - d)
            u = t2 / t3
            q = _pow_map(u, 3.0) - t1 * t2 / (6.0 * m * m) + t0 / (2.0 * m)
            r = np.where(q != 0.0, np.copysign(np.sqrt(_pymax(_pow_map(u, 2.0) - t1 / t3, 0.0)), q), 0.0)
            cos_arg = np.where(r != 0.0, q / _pow_map(r, 3.0), 0.0)
            a = (math.pi + _math_map(math.acos, _pymin(1.0, _pymax(-1.0, cos_arg)))) / 3.0
            prop0[cubic] = 2.0 * r * _math_map(math.cos, a) - u
        prop0 = _pymin(_pymin(1.0, 1.0 - delta), _pymax(_pymax(0.0, -delta), prop0))
        prop1 = prop0 + delta
        var = (prop1 * (1.0 - prop1) / n1 + prop0 * (1.0 - prop0) / n0) * nn / (nn - 1.0)
        num = x1 / n1 - x0 / n0 - delta
        z = num / np.sqrt(var)
    return np.where(var > 0.0, z, np.where(num == 0.0, 0.0, np.copysign(_Z_CAP, num)))


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


def _ratio_score_z_arrays(log_rr: ArrayLike, x1: ArrayLike, n1: ArrayLike, x0: ArrayLike, n0: ArrayLike) -> FloatArray:
    """Miettinen-Nurminen score statistic for H0: p1 / p0 = rr (given as log rr), elementwise.

    z = (p1_hat - rr p0_hat) / sqrt(V), V = (p~1 (1-p~1)/n1 + rr^2 p~0 (1-p~0)/n0) * N/(N-1), with the
    restricted MLE p~0 the smaller root of N rr p^2 - (n1 rr + x1 + n0 + x0 rr) p + (x1 + x0) = 0,
    p~1 = rr p~0 (Miettinen & Nurminen 1985; Farrington & Manning 1990). The smaller root is written
    as 2c / (-b + disc): no cancellation when a*c is small. Bit-identical twin of the scalar
    :func:`_ratio_score_z` (``math.exp`` for rr).
    """
    x1, n1, x0, n0 = np.broadcast_arrays(*(np.asarray(v, dtype=float) for v in (x1, n1, x0, n0)))
    nn, k = n1 + n0, x1 + x0
    rr = _math_map(math.exp, np.broadcast_to(np.asarray(log_rr, dtype=float), x1.shape))
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        a = nn * rr
        b = -(n1 * rr + x1 + n0 + x0 * rr)
        disc = np.sqrt(_pymax(b * b - 4.0 * a * k, 0.0))
        prop0 = _pymin(1.0, _pymax(0.0, 2.0 * k / (-b + disc)))
        prop1 = _pymin(rr * prop0, 1.0)
        var = (prop1 * (1.0 - prop1) / n1 + rr * rr * prop0 * (1.0 - prop0) / n0) * nn / (nn - 1.0)
        num = x1 / n1 - rr * x0 / n0
        z = num / np.sqrt(var)
    return np.where(var > 0.0, z, np.where(num == 0.0, 0.0, np.copysign(_Z_CAP, num)))


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


def _root_decreasing_arrays(f: ArrayFunction, lo: ArrayLike, hi: ArrayLike, target: ArrayLike,
                            guess: ArrayLike | None = None, f_lo: ArrayLike | None = None,
                            f_hi: ArrayLike | None = None) -> FloatArray:
    """Elementwise twin of :func:`_root_decreasing`: every element takes exactly the steps the scalar
    search takes (same bracket updates, same stopping rules, same extra bisection steps), so the
    roots are bit-identical. ``f(t, idx)`` is the function at ``t`` for the elements ``idx`` (only
    unfinished elements are evaluated); ``guess``, ``f_lo``, ``f_hi``: arrays with NaN for "none"."""
    lo = np.array(lo, dtype=float)
    hi = np.array(hi, dtype=float)
    size = lo.shape[0]
    target = np.array(np.broadcast_to(np.asarray(target, dtype=float), (size,)))
    out = np.full(size, np.nan)
    done = np.zeros(size, dtype=bool)
    g_lo, g_hi = np.full(size, np.nan), np.full(size, np.nan)
    has_lo, has_hi = np.zeros(size, dtype=bool), np.zeros(size, dtype=bool)
    if guess is not None:
        guess = np.broadcast_to(np.asarray(guess, dtype=float), (size,))
        idx = np.flatnonzero((lo < guess) & (guess < hi))
        if idx.size:
            g = f(guess[idx], idx) - target[idx]
            zero, pos = g == 0.0, g > 0.0
            neg = ~zero & ~pos
            out[idx[zero]] = guess[idx[zero]]
            done[idx[zero]] = True
            i = idx[pos]
            lo[i], g_lo[i], has_lo[i] = guess[i], g[pos], True
            i = idx[neg]
            hi[i], g_hi[i], has_hi[i] = guess[i], g[neg], True
    for has, g_end, known, end in ((has_lo, g_lo, f_lo, lo), (has_hi, g_hi, f_hi, hi)):
        need = ~done & ~has
        if known is not None:
            known = np.broadcast_to(np.asarray(known, dtype=float), (size,))
            given = need & ~np.isnan(known)
            g_end[given] = known[given] - target[given]
            need &= np.isnan(known)
        idx = np.flatnonzero(need)
        if idx.size:
            g_end[idx] = f(end[idx], idx) - target[idx]
    at_lo = ~done & (g_lo <= 0.0)
    out[at_lo] = lo[at_lo]
    done |= at_lo
    at_hi = ~done & (g_hi >= 0.0)
    out[at_hi] = hi[at_hi]
    done |= at_hi
    slow = np.zeros(size, dtype=np.int64)
    act = np.flatnonzero(~done)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        for _ in range(200):
            if not act.size:
                break
            l, h = lo[act], hi[act]
            width = h - l
            stop = width <= 4e-16 * _pymax(_pymax(1.0, np.abs(l)), np.abs(h))
            if stop.any():
                i = act[stop]
                out[i] = 0.5 * (lo[i] + hi[i])
                done[i] = True
                keep = ~stop
                act, l, h, width = act[keep], l[keep], h[keep], width[keep]
                if not act.size:
                    break
            gl, gh = g_lo[act], g_hi[act]
            t = h - gh * width / (gh - gl)
            t = np.where((l < t) & (t < h), t, 0.5 * (l + h))
            gt = f(t, act) - target[act]
            conv = np.abs(gt) < 1e-13
            if conv.any():
                out[act[conv]] = t[conv]
                done[act[conv]] = True
                keep = ~conv
                act, l, h, width, gl, gh, t, gt = (v[keep] for v in (act, l, h, width, gl, gh, t, gt))
            pos = gt > 0.0
            m = np.where(pos, 1.0 - gt / gl, 1.0 - gt / gh)
            scale = np.where(m > 0.0, m, 0.5)
            new_gh = np.where(pos, gh * scale, gt)
            new_gl = np.where(pos, gt, gl * scale)
            new_l = np.where(pos, t, l)
            new_h = np.where(pos, h, t)
            s = np.where(new_h - new_l > 0.5 * width, slow[act] + 1, 0)
            bis = np.flatnonzero(s == 3)  # three steps without halving the bracket: bisect once
            if bis.size:
                s[bis] = 0
                mid = 0.5 * (new_l[bis] + new_h[bis])
                gm = f(mid, act[bis]) - target[act[bis]]
                up = gm > 0.0
                new_l[bis] = np.where(up, mid, new_l[bis])
                new_gl[bis] = np.where(up, gm, new_gl[bis])
                new_h[bis] = np.where(up, new_h[bis], mid)
                new_gh[bis] = np.where(up, new_gh[bis], gm)
            lo[act], hi[act], g_lo[act], g_hi[act], slow[act] = new_l, new_h, new_gl, new_gh, s
    rest = ~done  # 200 steps without converging: the middle of the bracket, as in the scalar search
    out[rest] = 0.5 * (lo[rest] + hi[rest])
    return out


def _root_decreasing(f: Callable[[float], float], lo: float, hi: float, target: float, guess: float | None = None,
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


def _pooled_score_p_arrays(x1: ArrayLike, n1: ArrayLike, x0: ArrayLike, n0: ArrayLike) -> FloatArray:
    """Two-sided p-value of the score test of p1 = p0 (pooled rate, MN factor N/(N-1)); 1 where the
    pooled rate is 0 or 1 (no evidence either way). Equals the MN test at delta = 0 and rr = 1."""
    return _math_map(math.erfc, np.abs(_diff_score_z_arrays(0.0, x1, n1, x0, n0)).ravel() / _SQRT2)


def _min_expected_arrays(x1: FloatArray, n1: FloatArray, x0: FloatArray, n0: FloatArray) -> FloatArray:
    """Smallest expected cell count of the 2x2 table under independence."""
    nn, k = n1 + n0, x1 + x0
    return np.minimum(n1, n0) * np.minimum(k, nn - k) / nn


def _fisher_doubled_p_arrays(x1: ArrayLike, n1: ArrayLike, x0: ArrayLike, n0: ArrayLike) -> FloatArray:
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


def _agree_with_test(low: FloatArray, high: FloatArray, reject: BoolArray,
                     estimate: FloatArray) -> tuple[FloatArray, FloatArray]:
    """Elementwise twin of :func:`_agree` (null value 0): where the test does not reject, the interval
    is widened to reach 0 (only ever active where the exact test overrules the score test, or at the
    root finder's last digit); where it rejects, the end on 0's side is moved off 0 by one ulp."""
    low = np.where(~reject, _pymin(low, 0.0), low)
    high = np.where(~reject, _pymax(high, 0.0), high)
    low = np.where(reject & (estimate > 0.0) & (low <= 0.0), math.nextafter(0.0, 1.0), low)
    high = np.where(reject & (estimate < 0.0) & (high >= 0.0), math.nextafter(0.0, -1.0), high)
    return low, high


def _standard_errors_arrays(x1: FloatArray, n1: FloatArray, x0: FloatArray,
                            n0: FloatArray) -> tuple[FloatArray, FloatArray]:
    """Elementwise twin of :func:`_standard_errors`. Unpooled Wald SE of p1 - p0 (Agresti-Caffo, one success and one failure added per arm, where
    that is 0) and the Katz SE of log(p1/p0) (NaN where x1 == 0, x0 == 0 or it is 0). Read by the
    sequential (always-valid) intervals, which are built on a normal estimate and its SE."""
    p1, p0 = x1 / n1, x0 / n0
    var = p1 * (1.0 - p1) / n1 + p0 * (1.0 - p0) / n0
    q1, q0 = (x1 + 1.0) / (n1 + 2.0), (x0 + 1.0) / (n0 + 2.0)
    var_ac = q1 * (1.0 - q1) / (n1 + 2.0) + q0 * (1.0 - q0) / (n0 + 2.0)
    se_abs = np.sqrt(np.where(var <= 0.0, var_ac, var))
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
CODE_EXACT_TEST = NoteCode.EXACT_TEST.value  # small expected counts: p_value = max(score, Fisher)
CODE_INTERVAL_WIDENED = NoteCode.INTERVAL_WIDENED.value  # score interval excluded 0, exact test did not reject
CODE_CONTROL_RATE_ZERO = NoteCode.CONTROL_RATE_ZERO.value
CODE_TREATMENT_RATE_ZERO = "treatment_rate_zero"  # a code without a note: rel_lift is -1, its interval defined
_NOTE_EXACT = Note(NoteCode.EXACT_TEST)
_NOTE_WIDENED = Note(NoteCode.INTERVAL_WIDENED)
_NOTE_CONTROL_ZERO = Note(NoteCode.CONTROL_RATE_ZERO)


@dataclass(frozen=True)
class ProportionComparison(Comparison):
    """Treatment vs control on a conversion rate: absolute and relative effect, CIs, p-value.

    ``status`` is "ok" or "not_enough_data" (an arm with no users: every statistic is None).
    ``notes`` explain any statistic that is None or computed by a fallback method (``note``: their
    English); ``codes`` are their codes, and "treatment_rate_zero" where the treatment rate is 0
    and the control's is not. ``method`` is "score" or "score+fisher" (exact test used too).
    ``se_abs_diff`` (unpooled Wald) and ``se_log_ratio`` (Katz) feed the sequential intervals.
    """

    successes: int
    successes_control: int
    rate: float | None
    rate_control: float | None
    p_value_score: float | None = None
    p_value_exact: float | None = None

    @property
    def codes(self) -> tuple[str, ...]:
        out = tuple(n.code.value for n in self.notes)
        if self.status == STATUS_OK and self.successes == 0 and self.successes_control > 0:
            out += (CODE_TREATMENT_RATE_ZERO,)
        return out

    _json_fields = ("n", "successes", "n_control", "successes_control", "rate", "rate_control", "abs_diff", "abs_ci",
                    "rel_lift", "rel_ci", "p_value", "alpha", "status", "note", "method", "p_value_score",
                    "p_value_exact", "se_abs_diff", "se_log_ratio", "codes")


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
    x1, n1 = check_arm(successes, n, "treatment")
    x0, n0 = check_arm(successes_control, n_control, "control")
    alpha = check_alpha(alpha)

    if n1 == 0 or n0 == 0:
        return ProportionComparison(
            n=n1, successes=x1, n_control=n0, successes_control=x0,
            rate=None, rate_control=None, abs_diff=None, abs_ci=None,
            rel_lift=None, rel_ci=None, p_value=None, alpha=alpha,
            method=METHOD_SCORE, status=STATUS_NOT_ENOUGH_DATA,
            notes=(Note.of(NoteCode.NO_USERS, arms=arms_code(n1 == 0, n0 == 0)),),
        )

    z = z_two_sided(alpha)
    notes: list[Note] = []
    f1, m1, f0, m0 = float(x1), float(n1), float(x0), float(n0)
    p1, p0 = x1 / n1, x0 / n0
    diff = p1 - p0
    p_score = math.erfc(abs(_diff_score_z(0.0, f1, m1, f0, m0)) / _SQRT2)
    nn, k = n1 + n0, x1 + x0
    p_exact: float | None = None
    if min(n1, n0) * min(k, nn - k) / nn < exact_min_expected:
        p_exact = _fisher_doubled_p(x1, n1, x0, n0)
        notes.append(_NOTE_EXACT)
    p_value = p_score if p_exact is None else max(p_score, p_exact)
    reject = p_value < alpha

    def fd(t: float) -> float:
        return _diff_score_z(t, f1, m1, f0, m0)

    se_abs, se_log = _standard_errors(f1, m1, f0, m0)
    lo = _root_decreasing(fd, -1.0, diff, z, diff - 1.1 * z * se_abs, f_hi=0.0)
    hi = _root_decreasing(fd, diff, 1.0, -z, diff + 1.1 * z * se_abs, f_lo=0.0)
    if p_exact is not None and not reject and p_score < alpha:
        notes.append(_NOTE_WIDENED)
    lo, hi = _agree(lo, hi, reject, diff)

    rel_lift: float | None = None
    rel_ci: tuple[float, float] | None = None
    if x0 == 0:
        notes.append(_NOTE_CONTROL_ZERO)
    else:
        rel_lift = p1 / p0 - 1.0

        def fr(t: float) -> float:
            return _ratio_score_z(t, f1, m1, f0, m0)

        if x1 == 0:
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
        status=STATUS_OK, notes=tuple(notes),
        method=METHOD_SCORE if p_exact is None else METHOD_SCORE_EXACT,
        p_value_score=p_score, p_value_exact=p_exact,
        se_abs_diff=se_abs, se_log_ratio=se_log,
    )


class _Kernel(NamedTuple):
    """What :func:`compare_proportions` computes, elementwise, for arms with users (float arrays; NaN
    where the scalar function has None)."""

    diff: np.ndarray
    lo: np.ndarray
    hi: np.ndarray
    rel_lift: np.ndarray
    r_lo: np.ndarray
    r_hi: np.ndarray
    p_value: np.ndarray
    p_score: np.ndarray
    p_exact: np.ndarray
    exact: np.ndarray  # bool
    widened: np.ndarray  # bool
    se_abs: np.ndarray
    se_log: np.ndarray


def _exact_needed(x1: FloatArray, n1: FloatArray, x0: FloatArray, n0: FloatArray,
                  exact_min_expected: float) -> BoolArray:
    """min(n1, n0) * min(K, N - K) / N < exact_min_expected, decided as the scalar function decides it
    on Python ints (the product is exact in floats below 2**53; above it Python ints decide)."""
    nn, k = n1 + n0, x1 + x0
    prod = np.minimum(n1, n0) * np.minimum(k, nn - k)
    with np.errstate(divide="ignore", invalid="ignore"):
        out = prod / nn < exact_min_expected
    big = np.flatnonzero(prod >= 2.0**53)
    for i in big.tolist():
        a, b, c, d = int(x1[i]), int(n1[i]), int(x0[i]), int(n0[i])
        out[i] = min(b, d) * min(a + c, b + d - a - c) / (b + d) < exact_min_expected
    return out


def _compare_kernel(x1: FloatArray, n1: FloatArray, x0: FloatArray, n0: FloatArray, alpha: float,
                    exact_min_expected: float, fisher: FisherFunction) -> _Kernel:
    """The statistics of :func:`compare_proportions` for float arrays of counts with n1, n0 >= 1:
    the same operations per element as the scalar function (bit-identical, checked in
    tests/stats/test_proportions.py). ``fisher(x1, n1, x0, n0, idx)``: the doubled one-sided Fisher
    p-values of the elements ``idx`` (those with small expected counts)."""
    size = x1.shape[0]
    z = z_two_sided(alpha)
    with np.errstate(divide="ignore", invalid="ignore"):
        p1, p0 = x1 / n1, x0 / n0
        diff = p1 - p0
    p_score = _math_map(math.erfc, np.abs(_diff_score_z_arrays(0.0, x1, n1, x0, n0)) / _SQRT2)
    exact = _exact_needed(x1, n1, x0, n0, exact_min_expected)
    p_exact = np.full(size, np.nan)
    ex = np.flatnonzero(exact)
    if ex.size:
        p_exact[ex] = fisher(x1, n1, x0, n0, ex)
    p_value = np.where(exact, _pymax(p_score, p_exact), p_score)
    reject = p_value < alpha
    se_abs, se_log = _standard_errors_arrays(x1, n1, x0, n0)

    def fd(t: FloatArray, idx: IndexArray) -> FloatArray:
        return _diff_score_z_arrays(t, x1[idx], n1[idx], x0[idx], n0[idx])

    lo = _root_decreasing_arrays(fd, np.full(size, -1.0), diff, z, diff - 1.1 * z * se_abs, f_hi=0.0)
    hi = _root_decreasing_arrays(fd, diff, np.full(size, 1.0), -z, diff + 1.1 * z * se_abs, f_lo=0.0)
    widened = exact & ~reject & (p_score < alpha)
    lo, hi = _agree_with_test(lo, hi, reject, diff)

    rel_lift = np.full(size, np.nan)
    r_lo, r_hi = np.full(size, np.nan), np.full(size, np.nan)
    ok = np.flatnonzero(x0 > 0)
    if ok.size:
        a1, b1, a0, b0 = x1[ok], n1[ok], x0[ok], n0[ok]
        q1, q0 = p1[ok], p0[ok]
        rel = q1 / q0 - 1.0
        zero = a1 == 0
        log_ratio = _math_map(math.log, np.where(zero, 0.5 / b1 / q0, q1 / q0))
        anchor = log_ratio
        start = np.where(zero, anchor - _LOG_RATIO_SPAN, anchor)
        sl = se_log[ok]

        def fr(t: FloatArray, idx: IndexArray) -> FloatArray:
            return _ratio_score_z_arrays(t, a1[idx], b1[idx], a0[idx], b0[idx])

        low = np.full(ok.size, -1.0)
        pos = np.flatnonzero(~zero)
        if pos.size:
            sub = anchor[pos]

            def fr_pos(t: FloatArray, idx: IndexArray) -> FloatArray:
                return fr(t, pos[idx])

            low[pos] = _math_map(math.exp, _root_decreasing_arrays(
                fr_pos, sub - _LOG_RATIO_SPAN, sub, z, sub - 1.1 * z * sl[pos], f_hi=0.0)) - 1.0
        guess_hi = np.where(zero, np.nan, anchor + 1.1 * z * sl)
        high = _math_map(math.exp, _root_decreasing_arrays(
            fr, start, anchor + _LOG_RATIO_SPAN, -z, guess_hi, f_lo=np.where(zero, np.nan, 0.0))) - 1.0
        low, high = _agree_with_test(low, high, reject[ok], rel)
        rel_lift[ok], r_lo[ok], r_hi[ok] = rel, low, high
    return _Kernel(diff, lo, hi, rel_lift, r_lo, r_hi, p_value, p_score, p_exact, exact, widened, se_abs, se_log)


def _fisher_scalar_each(x1: FloatArray, n1: FloatArray, x0: FloatArray, n0: FloatArray, idx: IndexArray) -> FloatArray:
    """:func:`_fisher_doubled_p` (the scalar function's exact test) for the elements idx."""
    return np.array([_fisher_doubled_p(int(x1[i]), int(n1[i]), int(x0[i]), int(n0[i])) for i in idx.tolist()],
                    dtype=float)


def _fisher_vectorised(x1: FloatArray, n1: FloatArray, x0: FloatArray, n0: FloatArray, idx: IndexArray) -> FloatArray:
    """:func:`_fisher_doubled_p_arrays` (scipy's hypergeometric cdf/sf) for the elements idx."""
    return _fisher_doubled_p_arrays(x1[idx], n1[idx], x0[idx], n0[idx])


def _validated_arrays(successes: ArrayLike, n: ArrayLike, successes_control: ArrayLike,
                      n_control: ArrayLike) -> tuple[FloatArray, FloatArray, FloatArray, FloatArray]:
    x1, n1, x0, n0 = np.broadcast_arrays(*(np.asarray(v, dtype=float)
                                           for v in (successes, n, successes_control, n_control)))
    for v, name in ((x1, "successes"), (n1, "n"), (x0, "successes_control"), (n0, "n_control")):
        if not np.all(np.isfinite(v)) or np.any(v < 0) or np.any(v != np.floor(v)):
            raise ValueError(f"{name} must be non-negative whole numbers")
    if np.any(x1 > n1) or np.any(x0 > n0):
        raise ValueError("successes cannot exceed n in either arm")
    return x1, n1, x0, n0


def compare_proportions_arrays(
    successes: ArrayLike, n: ArrayLike, successes_control: ArrayLike, n_control: ArrayLike,
    alpha: float = 0.05, exact_min_expected: float = EXACT_MIN_EXPECTED,
) -> ProportionArrays:
    """:func:`compare_proportions` elementwise over numpy arrays of counts (broadcast), for bulk use.

    Same methods, same root finder and the same numbers as the scalar function, bit for bit
    (tests/stats/test_proportions.py), except ``p_value_exact``, which comes from scipy's
    hypergeometric cdf/sf here and from a summed pmf in the scalar function (they agree to ~1e-15;
    :func:`compare_proportions_many` uses the scalar function's exact test and is identical in
    every field). Counts must be whole numbers with 0 <= successes <= n (ValueError otherwise);
    entries where an arm has n == 0 are NaN everywhere (``status`` "not_enough_data" in the scalar
    function).
    """
    alpha = check_alpha(alpha)
    x1, n1, x0, n0 = _validated_arrays(successes, n, successes_control, n_control)
    shape = x1.shape
    x1, n1, x0, n0 = (v.ravel() for v in (x1, n1, x0, n0))
    empty = (n1 == 0) | (n0 == 0)
    # compute on a safe copy (1 user, 0 successes in empty arms), NaN the result at the end
    n1s, n0s = np.where(empty, 1.0, n1), np.where(empty, 1.0, n0)
    x1s, x0s = np.where(empty, 0.0, x1), np.where(empty, 0.0, x0)
    k = _compare_kernel(x1s, n1s, x0s, n0s, alpha, exact_min_expected, _fisher_vectorised)
    exact = k.exact & ~empty
    nan = np.where(empty, np.nan, 0.0)
    out = (k.diff + nan, k.lo + nan, k.hi + nan, k.rel_lift + nan, k.r_lo + nan, k.r_hi + nan,
           k.p_value + nan, k.p_score + nan, np.where(exact, k.p_exact, np.nan), exact, k.se_abs + nan,
           k.se_log + nan)
    return ProportionArrays(*(v.reshape(shape) for v in out))


def compare_proportions_many(
    successes: ArrayLike, n: ArrayLike, successes_control: ArrayLike, n_control: ArrayLike,
    alpha: float = 0.05, exact_min_expected: float = EXACT_MIN_EXPECTED,
) -> list[ProportionComparison]:
    """``[compare_proportions(...) for each element]`` computed together: the same objects, equal in
    every field and bit (the score statistics, the root finder and the exact test are the scalar
    function's, elementwise), at a fraction of the cost for many comparisons. 1-d sequences of
    counts; ValueError as :func:`compare_proportions_arrays` for invalid counts."""
    alpha = check_alpha(alpha)
    x1, n1, x0, n0 = (v.ravel() for v in _validated_arrays(successes, n, successes_control, n_control))
    ok = np.flatnonzero((n1 > 0) & (n0 > 0))
    k = _compare_kernel(x1[ok], n1[ok], x0[ok], n0[ok], alpha, exact_min_expected, _fisher_scalar_each)
    ints = [v.astype(np.int64).tolist() for v in (x1, n1, x0, n0)]
    out: list[ProportionComparison | None] = [None] * x1.size
    cols = [v.tolist() for v in (k.diff, k.lo, k.hi, k.rel_lift, k.r_lo, k.r_hi, k.p_value, k.p_score, k.p_exact,
                                 k.exact, k.widened, k.se_abs, k.se_log)]
    new = object.__new__
    for i, (diff, lo, hi, rel, r_lo, r_hi, p_value, p_score, p_exact, exact, widened, se_abs, se_log) in zip(
            ok.tolist(), zip(*cols)):
        a, b, c, d = ints[0][i], ints[1][i], ints[2][i], ints[3][i]
        notes: tuple[Note, ...] = ()
        if exact or widened or c == 0:
            notes = tuple(n for n, on in ((_NOTE_EXACT, exact), (_NOTE_WIDENED, widened), (_NOTE_CONTROL_ZERO, c == 0))
                          if on)
        # the frozen dataclass's fields set directly (its __init__ costs more than the statistics here)
        obj = new(ProportionComparison)
        obj.__dict__.update(
            n=b, successes=a, n_control=d, successes_control=c, rate=a / b, rate_control=c / d,
            abs_diff=diff, abs_ci=(lo, hi), rel_lift=None if c == 0 else rel, rel_ci=None if c == 0 else (r_lo, r_hi),
            p_value=p_value, alpha=alpha, status=STATUS_OK, notes=notes,
            method=METHOD_SCORE_EXACT if exact else METHOD_SCORE, p_value_score=p_score,
            p_value_exact=p_exact if exact else None, se_abs_diff=se_abs,
            se_log_ratio=None if se_log != se_log else se_log)
        out[i] = obj
    for i in range(x1.size):
        if out[i] is None:
            out[i] = compare_proportions(ints[0][i], ints[1][i], ints[2][i], ints[3][i], alpha, exact_min_expected)
    return out  # type: ignore[return-value]


def proportion_ci(
    successes: int, n: int, alpha: float = 0.05, method: Literal["wilson", "wald"] = "wilson"
) -> tuple[float, float]:
    """Two-sided CI for one arm's rate successes/n.

    'wilson': Wilson score interval (Wilson 1927; statsmodels ``proportion_confint(method='wilson')``).
    'wald': normal approximation clipped to [0, 1] (statsmodels ``method='normal'``).
    n == 0 raises ValueError: with no users there is no rate to bound.
    """
    x, m = check_arm(successes, n, "arm")
    alpha = check_alpha(alpha)
    if m == 0:
        raise ValueError("n must be > 0 to compute a confidence interval for a rate")
    z = z_two_sided(alpha)
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
