"""Two-sample comparison of a mean metric (sessions per user, seconds on a guide) from per-arm sums.

Everything here works on sufficient statistics only: per arm the number of users ``n``, the sum
of the metric and the sum of its squares, which a warehouse returns with ``COUNT(*)``,
``SUM(v)`` and ``SUM(v * v)``. The scalar entry point :func:`compare_means` is a thin wrapper
over the vectorised helper :func:`_mean_arrays`, so calibration simulations exercise exactly the
code that produces real results.

This module also holds the pieces shared by :mod:`.ratio` and :mod:`.cuped`: input validation
of sums, the cancellation-safe centred sums of squares, the normal-theory difference interval
(:func:`_normal_diff_arrays`), the delta-method log-ratio interval for the relative lift
(:func:`_log_ratio_arrays`) and the JSON serialisation of the common result fields.

Numerical note (catastrophic cancellation): a centred sum of squares computed from raw sums,
``sum_sq - sum**2 / n``, subtracts two nearly equal numbers when the variance is small relative
to the squared mean (e.g. timestamps, or a metric of ~1e9 that varies by ~1). float64 cannot
resolve such a difference; rounding can even make it negative. We therefore clip: a centred sum
of squares at or below ``_CANCELLATION_RTOL`` (1e-10, about a million ulps) times the raw sum of
squares is treated as exactly 0 (i.e. data whose coefficient of variation is below ~1e-5 count
as constant). Negative values from rounding are never propagated.
"""
from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from numbers import Real
from typing import Any, NamedTuple

import numpy as np
from scipy.special import ndtr
from scipy.stats import t as student_t

from ..serialize import Interval, ResultModel
from .proportions import (
    STATUS_NOT_ENOUGH_DATA,
    STATUS_OK,
    _check_alpha,
    _check_count,
    _finite_or_none,
    _z_two_sided,
)

__all__ = ["MeanComparison", "MeanStats", "compare_means"]

METHOD_WELCH = "welch_t"

# Centred sums of squares at or below this fraction of the raw sum of squares are rounding noise
# (see the module docstring) and are set to 0.
_CANCELLATION_RTOL = 1e-10
# Raw sums that violate Cauchy-Schwarz by more than this relative margin cannot come from real
# data (summation rounding is far smaller), so they raise ValueError instead of being clipped.
_CONSISTENCY_RTOL = 1e-6


# --------------------------------------------------------------------------- validation (shared)


def _check_real(value: Any, name: str) -> float:
    """A finite real number (ints, floats, numpy scalars; not bools)."""
    if isinstance(value, bool) or not isinstance(value, Real):
        raise ValueError(f"{name} must be a finite real number, got {value!r}")
    f = float(value)
    if not math.isfinite(f):
        raise ValueError(f"{name} must be a finite real number, got {value!r}")
    return f


def _check_sum_of_squares(sum_sq: float, total: float, n: int, sq_name: str, sum_name: str) -> None:
    """sum_sq >= 0 and (Cauchy-Schwarz) total**2 <= n * sum_sq, up to rounding."""
    if sum_sq < 0:
        raise ValueError(f"{sq_name} must be >= 0, got {sum_sq!r}")
    if total * total > n * sum_sq * (1.0 + _CONSISTENCY_RTOL):
        raise ValueError(
            f"inconsistent sums: {sum_name}**2 ({total * total!r}) exceeds n * {sq_name} "
            f"({n * sum_sq!r}); a sum of squares can never be smaller than {sum_name}**2 / n"
        )


def _check_cross_product(sum_xy: float, sum_x2: float, sum_y2: float, xy_name: str) -> None:
    """(Cauchy-Schwarz) sum_xy**2 <= sum_x2 * sum_y2, up to rounding."""
    if sum_xy * sum_xy > sum_x2 * sum_y2 * (1.0 + _CONSISTENCY_RTOL):
        raise ValueError(
            f"inconsistent sums: {xy_name}**2 exceeds the product of the two sums of squares"
        )


def _check_empty(n: int, sums: dict[str, float], label: str) -> None:
    if n == 0 and any(v != 0.0 for v in sums.values()):
        raise ValueError(f"{label} has n == 0 but non-zero sums: {sums}")


# --------------------------------------------------------------------------- vectorised cores (shared)


def _check_pair_sums(obj: Any, a: str, b: str, label: str) -> None:
    """Validate and normalise the sums of two per-user quantities ``a`` and ``b`` on a frozen
    dataclass with fields n, sum_a, sum_b, sum_a2, sum_b2 and sum_ab (names built from a, b)."""
    n = _check_count(obj.n, "n")
    keys = (f"sum_{a}", f"sum_{b}", f"sum_{a}2", f"sum_{b}2", f"sum_{a}{b}" if hasattr(obj, f"sum_{a}{b}") else f"sum_{b}{a}")
    vals = {k: _check_real(getattr(obj, k), k) for k in keys}
    _check_empty(n, vals, label)
    _check_sum_of_squares(vals[f"sum_{a}2"], vals[f"sum_{a}"], n, f"sum_{a}2", f"sum_{a}")
    _check_sum_of_squares(vals[f"sum_{b}2"], vals[f"sum_{b}"], n, f"sum_{b}2", f"sum_{b}")
    _check_cross_product(vals[keys[4]], vals[f"sum_{a}2"], vals[f"sum_{b}2"], keys[4])
    object.__setattr__(obj, "n", n)
    for k, v in vals.items():
        object.__setattr__(obj, k, v)


def _check_centred(value: Any, name: str, n: int) -> float:
    """A centred sum of squares: finite, >= 0 (a rounding residue down to -1e-12 relative is 0)."""
    v = _check_real(value, name)
    if v < 0.0:
        raise ValueError(f"{name} must be >= 0 (a centred sum of squares), got {value!r}")
    if n == 0 and v != 0.0:
        raise ValueError(f"{name} must be 0 when n == 0, got {value!r}")
    return v


def _check_pair_centred(obj: Any, fields: tuple[str, str, str]) -> None:
    """Validate the optional centred moments (S_aa, S_bb, S_ab) of a pair dataclass: all three or
    none; S_aa, S_bb >= 0 and S_ab**2 <= S_aa S_bb up to rounding."""
    vals = [getattr(obj, f) for f in fields]
    if all(v is None for v in vals):
        return
    if any(v is None for v in vals):
        raise ValueError(f"give all of {', '.join(fields)} (centred moments) or none of them")
    saa = _check_centred(vals[0], fields[0], obj.n)
    sbb = _check_centred(vals[1], fields[1], obj.n)
    sab = _check_real(vals[2], fields[2])
    _check_cross_product(sab, saa, sbb, fields[2])
    for f, v in zip(fields, (saa, sbb, sab)):
        object.__setattr__(obj, f, v)


def _pair_moments(a: Any, b: Any) -> tuple[float, float, float]:
    """Two-pass centred moments of two equally long samples: Σ(a-ā)², Σ(b-b̄)², Σ(a-ā)(b-b̄)."""
    aa = np.asarray(a, dtype=float).ravel()
    ba = np.asarray(b, dtype=float).ravel()
    if aa.size == 0:
        return 0.0, 0.0, 0.0
    # a constant sample has exactly no spread (its float mean can differ from the value by an ulp)
    da = np.zeros_like(aa) if aa.min() == aa.max() else aa - aa.mean()
    db = np.zeros_like(ba) if ba.min() == ba.max() else ba - ba.mean()
    return float(np.dot(da, da)), float(np.dot(db, db)), float(np.dot(da, db))


def _merge_pair_moments(n_a: int, means_a: tuple[float, float], moments_a: tuple[float, float, float],
                        n_b: int, means_b: tuple[float, float], moments_b: tuple[float, float, float]
                        ) -> tuple[float, float, float]:
    """Centred moments (S_aa, S_bb, S_ab) of two groups together (Chan et al. 1979; Pebay 2008):
    S = S_1 + S_2 + d_a d_b n_1 n_2 / n, with d the difference of the group means."""
    n = n_a + n_b
    d0, d1 = means_b[0] - means_a[0], means_b[1] - means_a[1]
    w = n_a * n_b / n
    return (moments_a[0] + moments_b[0] + d0 * d0 * w, moments_a[1] + moments_b[1] + d1 * d1 * w,
            moments_a[2] + moments_b[2] + d0 * d1 * w)


def _pair_sums(a: Any, b: Any, a_name: str, b_name: str) -> dict[str, Any]:
    """n and the five sums of two equally long samples, keyed like the dataclass fields."""
    aa = np.asarray(a, dtype=float).ravel()
    ba = np.asarray(b, dtype=float).ravel()
    if aa.shape != ba.shape:
        raise ValueError(f"{a_name} and {b_name} must have the same length, got {aa.size} and {ba.size}")
    return {"n": int(aa.size), f"sum_{a_name}": float(aa.sum()), f"sum_{b_name}": float(ba.sum()),
            f"sum_{a_name}2": float(np.dot(aa, aa)), f"sum_{b_name}2": float(np.dot(ba, ba)),
            "sum_xy": float(np.dot(aa, ba))}


def _centred_ss(sum_sq: Any, total: Any, n: Any) -> np.ndarray:
    """Σ(v - v̄)² = Σv² - (Σv)²/n, elementwise, with the cancellation guard of the module docstring.

    Values at or below ``_CANCELLATION_RTOL * Σv²`` (including negative rounding residue) become 0.
    NaN where n == 0.
    """
    ss = np.asarray(sum_sq, dtype=float)
    s = np.asarray(total, dtype=float)
    m = np.asarray(n, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        css = ss - s * s / m
    return np.where(css <= _CANCELLATION_RTOL * ss, 0.0, css)


def _centred_cross(sum_xy: Any, sum_x: Any, sum_y: Any, n: Any, css_x: Any, css_y: Any) -> np.ndarray:
    """Σ(x - x̄)(y - ȳ) = Σxy - ΣxΣy/n, clamped to the Cauchy-Schwarz bound ±sqrt(css_x css_y).

    The clamp makes the cross product exactly 0 wherever either centred sum of squares was
    clipped to 0, so quadratic forms built from the three stay >= 0 up to rounding.
    """
    sxy = np.asarray(sum_xy, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        cross = sxy - np.asarray(sum_x, dtype=float) * np.asarray(sum_y, dtype=float) / np.asarray(n, dtype=float)
        bound = np.sqrt(np.asarray(css_x, dtype=float) * np.asarray(css_y, dtype=float))
    return np.clip(cross, -bound, bound)


class _NormalDiffArrays(NamedTuple):
    abs_diff: np.ndarray
    se: np.ndarray  # NaN where the variance of the difference is 0 or undefined
    ci_low: np.ndarray
    ci_high: np.ndarray
    p_value: np.ndarray


def _normal_diff_arrays(est: Any, var_est: Any, est_control: Any, var_est_control: Any, z: float) -> _NormalDiffArrays:
    """Wald interval and two-sided z-test for est - est_control from the variances of the two
    (independent) estimates, elementwise. se, interval and p are NaN where var sum is 0 or NaN."""
    e1 = np.asarray(est, dtype=float)
    e0 = np.asarray(est_control, dtype=float)
    v = np.asarray(var_est, dtype=float) + np.asarray(var_est_control, dtype=float)
    ok = v > 0.0  # False for NaN
    with np.errstate(divide="ignore", invalid="ignore"):
        diff = e1 - e0
        se = np.where(ok, np.sqrt(np.where(ok, v, 1.0)), np.nan)
        p_value = 2.0 * ndtr(-np.abs(diff) / se)  # ndtr = standard normal cdf
    return _NormalDiffArrays(diff, se, diff - z * se, diff + z * se, p_value)


class _LogRatioArrays(NamedTuple):
    rel_lift: np.ndarray  # est/est_control - 1, NaN where est_control == 0
    se_log_ratio: np.ndarray  # NaN where the log ratio or its variance is undefined
    ci_low: np.ndarray
    ci_high: np.ndarray


def _log_ratio_arrays(est: Any, var_est: Any, est_control: Any, var_est_control: Any, z: float) -> _LogRatioArrays:
    """Relative lift est/est_control - 1 with a delta-method interval on the log-ratio scale.

    var(log E) ≈ var(E)/E² (first-order delta method), the two arms independent, so
    se(log(E1/E0)) = sqrt(var(E1)/E1² + var(E0)/E0²) and the interval is
    exp(log(E1/E0) ± z·se) - 1 (normal quantile z). The log interval keeps the lower bound above
    -100% and is asymmetric like the sampling distribution of a ratio.

    NaN where undefined: est_control == 0 (no lift); est <= 0 or est_control <= 0 (log of a
    non-positive number); a zero or undefined variance.
    """
    e1 = np.asarray(est, dtype=float)
    e0 = np.asarray(est_control, dtype=float)
    v1 = np.asarray(var_est, dtype=float)
    v0 = np.asarray(var_est_control, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        rel_lift = np.where(e0 != 0.0, e1 / e0 - 1.0, np.nan)
        var_log = v1 / (e1 * e1) + v0 / (e0 * e0)
        ok = (e1 > 0.0) & (e0 > 0.0) & (var_log > 0.0) & np.isfinite(var_log)
        se = np.where(ok, np.sqrt(np.where(ok, var_log, 1.0)), np.nan)
        log_ratio = np.log(np.where(ok, e1 / e0, 1.0))
        low = np.where(ok, np.exp(log_ratio - z * se) - 1.0, np.nan)
        high = np.where(ok, np.exp(log_ratio + z * se) - 1.0, np.nan)
    return _LogRatioArrays(rel_lift, se, low, high)


class _MeanArrays(NamedTuple):
    mean: np.ndarray
    mean_control: np.ndarray
    variance: np.ndarray  # ddof=1, NaN where n < 2
    variance_control: np.ndarray
    abs_diff: np.ndarray
    se: np.ndarray  # Welch SE of the difference; NaN where undefined or 0
    df: np.ndarray  # Welch-Satterthwaite degrees of freedom
    ci_low: np.ndarray
    ci_high: np.ndarray
    p_value: np.ndarray
    rel: _LogRatioArrays


def _moments(n: Any, total: Any, sum_sq: Any, m2: Any = None) -> tuple[np.ndarray, np.ndarray]:
    """Mean (NaN where n == 0) and ddof=1 variance (NaN where n < 2). The centred sum of squares is
    ``m2`` where given (not NaN), else the cancellation-guarded Σv² - (Σv)²/n."""
    m = np.asarray(n, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        mean = np.asarray(total, dtype=float) / m
        var = np.where(m >= 2.0, _centred_or_raw(m2, _centred_ss(sum_sq, total, n)) / (m - 1.0), np.nan)
    return mean, var


def _centred_or_raw(centred: Any, fallback: Any) -> np.ndarray:
    """The centred second moment where given (not None; NaN entries mean "not given"), else the
    fallback computed from raw sums. See the centred-moment rule in :class:`MeanStats`."""
    if centred is None:
        return np.asarray(fallback, dtype=float)
    c = np.asarray(centred, dtype=float)
    return np.where(np.isnan(c), fallback, c)


def _mean_arrays(
    n: Any, total: Any, sum_sq: Any, n_control: Any, total_control: Any, sum_sq_control: Any, alpha: float,
    m2: Any = None, m2_control: Any = None,
) -> _MeanArrays:
    """Welch t interval / test for mean1 - mean0 and the log-ratio lift interval, elementwise.

    se² = s1²/n1 + s0²/n0; df = se⁴ / ((s1²/n1)²/(n1-1) + (s0²/n0)²/(n0-1)) (Welch 1947,
    Satterthwaite 1946); interval diff ± t_{1-α/2, df}·se. The relative lift uses
    var(mean) = s²/n in :func:`_log_ratio_arrays` with normal quantiles. Entries are NaN where
    undefined (n < 2 in an arm, zero variance in both arms).
    """
    n1 = np.asarray(n, dtype=float)
    n0 = np.asarray(n_control, dtype=float)
    m1, s1 = _moments(n1, total, sum_sq, m2)
    m0, s0 = _moments(n0, total_control, sum_sq_control, m2_control)
    with np.errstate(divide="ignore", invalid="ignore"):
        v1, v0 = s1 / n1, s0 / n0
        v = v1 + v0
        ok = v > 0.0
        df = np.where(ok, v * v / (v1 * v1 / (n1 - 1.0) + v0 * v0 / (n0 - 1.0)), np.nan)
        df_safe = np.where(ok, df, 1.0)
        se = np.where(ok, np.sqrt(np.where(ok, v, 1.0)), np.nan)
        diff = m1 - m0
        q = student_t.ppf(1.0 - alpha / 2.0, df_safe)
        half = np.where(ok, q * se, np.nan)
        p_value = np.where(ok, 2.0 * student_t.sf(np.abs(diff) / np.where(ok, se, 1.0), df_safe), np.nan)
    rel = _log_ratio_arrays(m1, v1, m0, v0, _z_two_sided(alpha))
    return _MeanArrays(m1, m0, s1, s0, diff, se, df, diff - half, diff + half, p_value, rel)


# --------------------------------------------------------------------------- result helpers (shared)


def _opt(x: Any) -> float | None:
    """A Python float, or None for None / NaN / inf."""
    return None if x is None else _finite_or_none(float(x))


#: The JSON keys every comparison of means, ratios and CUPED shares, in order.
_COMMON_JSON: tuple[str, ...] = (
    "n", "n_control", "estimate", "estimate_control", "se_estimate", "se_estimate_control", "abs_diff", "abs_ci",
    "se_abs_diff", "rel_lift", "rel_ci", "se_log_ratio", "p_value", "alpha", "method", "status", "note",
)


def _relative_fields(
    rel: _LogRatioArrays, est: float | None, est_control: float | None, what: str, notes: list[str]
) -> tuple[float | None, tuple[float, float] | None, float | None]:
    """(rel_lift, rel_ci, se_log_ratio) from 0-d helper output, appending a note for any None."""
    rel_lift = _opt(rel.rel_lift)
    if est is None or est_control is None:
        return None, None, None
    if est_control == 0.0:
        notes.append(f"control {what} is 0: relative lift undefined")
        return None, None, None
    if est < 0.0 or est_control < 0.0:
        notes.append(
            f"a {what} is negative: the log ratio is undefined, so rel_ci and se_log_ratio are None"
        )
        return rel_lift, None, None
    if est == 0.0:
        notes.append(
            f"treatment {what} is 0: relative lift is -100% and its log-ratio interval is undefined"
        )
        return rel_lift, None, None
    se_log = _opt(rel.se_log_ratio)
    lo, hi = _opt(rel.ci_low), _opt(rel.ci_high)
    if se_log is None or lo is None or hi is None:
        notes.append("the log-ratio variance is 0 or undefined: relative-lift interval undefined")
        return rel_lift, None, None
    return rel_lift, (lo, hi), se_log


def _point_lift(est: float | None, est_control: float | None) -> float | None:
    if est is None or est_control is None or est_control == 0.0:
        return None
    return _opt(est / est_control - 1.0)


def _arm_shortfall(counts: Iterable[tuple[str, bool]], what: str) -> str:
    bad = [label for label, short in counts if short]
    verb = "have" if len(bad) == 2 else "has"
    return f"{' and '.join(bad)} arm{'s' if len(bad) == 2 else ''} {verb} {what}"


# --------------------------------------------------------------------------- public API


@dataclass(frozen=True)
class MeanStats:
    """Sufficient statistics of a per-user metric in one arm: n, Σv, Σv² and (preferred) the
    centred sum of squares m2 = Σ(v - v̄)².

    Centred-moment rule: variances come from ``m2`` whenever it is given, never from
    Σv² - (Σv)²/n, which loses every digit when the values are large next to their spread (1e9 +
    noise of 1e-3: the raw formula's rounding error is ~100, the true m2 ~1e-6). Build with
    :meth:`from_moments` (n, mean, m2: from SQL ``COUNT(*), AVG(v), VAR_POP(v) * COUNT(*)``),
    :meth:`from_values` (two-pass, in memory) or :meth:`merge` (Chan et al. 1979 parallel update).
    Without m2 (raw sums only, ``SUM(v)``, ``SUM(v * v)``) the guarded raw formula of the module
    docstring is used. Raises ValueError for non-finite values, negative n, sum_sq or m2, non-zero
    sums with n == 0, and sums that violate sum**2 <= n * sum_sq beyond rounding.
    """

    n: int
    sum: float
    sum_sq: float
    m2: float | None = None

    def __post_init__(self) -> None:
        n = _check_count(self.n, "n")
        total = _check_real(self.sum, "sum")
        sum_sq = _check_real(self.sum_sq, "sum_sq")
        _check_empty(n, {"sum": total, "sum_sq": sum_sq}, "MeanStats")
        _check_sum_of_squares(sum_sq, total, n, "sum_sq", "sum")
        object.__setattr__(self, "n", n)
        object.__setattr__(self, "sum", total)
        object.__setattr__(self, "sum_sq", sum_sq)
        if self.m2 is not None:
            object.__setattr__(self, "m2", _check_centred(self.m2, "m2", n))

    @classmethod
    def from_moments(cls, n: int, mean: float, m2: float) -> MeanStats:
        """From centred statistics: n, the mean and m2 = Σ(v - mean)² (= n * population variance)."""
        n = _check_count(n, "n")
        mean = 0.0 if n == 0 else _check_real(mean, "mean")
        m2 = _check_centred(m2, "m2", n)
        return cls(n=n, sum=n * mean, sum_sq=m2 + n * mean * mean, m2=m2)

    @classmethod
    def from_values(cls, values: Any) -> MeanStats:
        """Convenience for samples held in memory: n, the sums and the two-pass centred m2."""
        v = np.asarray(values, dtype=float).ravel()
        return cls(n=int(v.size), sum=float(v.sum()), sum_sq=float(np.dot(v, v)), m2=_pair_moments(v, v)[0])

    def merge(self, other: MeanStats) -> MeanStats:
        """The statistics of both groups together (e.g. two days, two partitions): n and the sums
        add; m2 = m2_a + m2_b + (mean_b - mean_a)² n_a n_b / n (Chan, Golub & LeVeque 1979)."""
        if self.n == 0 or other.n == 0:
            return other if self.n == 0 else self
        n = self.n + other.n
        delta = other.sum / other.n - self.sum / self.n
        m2 = None
        if self.m2 is not None and other.m2 is not None:
            m2 = self.m2 + other.m2 + delta * delta * self.n * other.n / n
        return MeanStats(n=n, sum=self.sum + other.sum, sum_sq=self.sum_sq + other.sum_sq, m2=m2)

    @property
    def mean(self) -> float | None:
        """Σv / n, None when n == 0."""
        return self.sum / self.n if self.n > 0 else None

    @property
    def variance(self) -> float | None:
        """Sample variance (ddof=1) from m2 when given, else cancellation-guarded; None when n < 2."""
        if self.n < 2:
            return None
        if self.m2 is not None:
            return self.m2 / (self.n - 1)
        return float(_centred_ss(self.sum_sq, self.sum, self.n)) / (self.n - 1)


@dataclass(frozen=True)
class MeanComparison(ResultModel):
    """Treatment vs control on a mean metric: difference, relative lift, CIs, p-value.

    ``estimate``/``estimate_control`` are the arm means, ``se_estimate*`` their standard errors
    s/sqrt(n). ``se_abs_diff`` is the Welch SE of the difference and ``df`` its Welch-Satterthwaite
    degrees of freedom; ``se_log_ratio`` the delta-method SE of log(mean/mean_control).
    ``status`` is "ok" or "not_enough_data" (point estimates kept where defined, every
    inferential statistic None); ``note`` explains any None.
    """

    n: int
    n_control: int
    estimate: float | None
    estimate_control: float | None
    se_estimate: float | None
    se_estimate_control: float | None
    variance: float | None
    variance_control: float | None
    abs_diff: float | None
    abs_ci: Interval | None
    se_abs_diff: float | None
    df: float | None
    rel_lift: float | None
    rel_ci: Interval | None
    se_log_ratio: float | None
    p_value: float | None
    alpha: float
    method: str = METHOD_WELCH
    status: str = STATUS_OK
    note: str | None = None

    _json_fields = _COMMON_JSON + ("variance", "variance_control", "df")


def compare_means(treatment: MeanStats, control: MeanStats, alpha: float = 0.05) -> MeanComparison:
    """Compare the mean of a per-user metric between treatment and control.

    Methods:
      * abs_diff = mean_t - mean_c with Welch's unequal-variance t interval: se² = s_t²/n_t +
        s_c²/n_c, Welch-Satterthwaite df (Welch 1947); p_value is Welch's two-sided t-test with the
        same se and df, so abs_ci excludes 0 exactly when p_value < alpha. Equals
        ``scipy.stats.ttest_ind_from_stats(equal_var=False)`` and statsmodels
        ``CompareMeans.tconfint_diff(usevar='unequal')``.
      * rel_lift = mean_t/mean_c - 1 with a delta-method interval on the log scale:
        var(log mean) ≈ s²/(n·mean²), se_log_ratio = sqrt(s_t²/(n_t mean_t²) + s_c²/(n_c mean_c²)),
        interval exp(log(mean_t/mean_c) ± z·se_log_ratio) - 1 with NORMAL quantiles z (the delta
        method is itself a large-sample approximation, so a t quantile would be false precision).
      * Variances come from the centred m2 of each arm when given (:class:`MeanStats`), otherwise
        from raw sums with the cancellation guard of the module docstring (sum_sq - n·mean²
        clipped at 0; values below rounding resolution count as 0).

    Degenerate data (never NaN, inf or an exception):
      * n < 2 in an arm: status "not_enough_data" (no variance); means, abs_diff and rel_lift are
        still reported where defined (n >= 1), every interval, SE and p-value is None.
      * zero variance in both arms (every value identical within each arm): status
        "not_enough_data", point estimates kept: there is no sampling variability to test with.
        Zero variance in ONE arm is fine (Welch df becomes n - 1 of the other arm).
      * control mean 0: rel_lift, rel_ci, se_log_ratio None ("relative lift undefined").
      * a negative mean: rel_lift reported (if control != 0) but rel_ci and se_log_ratio None
        (log of a negative number); treatment mean 0: rel_lift -1.0, rel_ci None.
    """
    _check_stats(treatment, MeanStats, "treatment")
    _check_stats(control, MeanStats, "control")
    alpha = _check_alpha(alpha)
    n1, n0 = treatment.n, control.n
    arr = _mean_arrays(n1, treatment.sum, treatment.sum_sq, n0, control.sum, control.sum_sq, alpha,
                       treatment.m2, control.m2)
    m1, m0 = treatment.mean, control.mean
    var1, var0 = _opt(arr.variance), _opt(arr.variance_control)
    abs_diff = None if m1 is None or m0 is None else m1 - m0

    def not_enough(note: str) -> MeanComparison:
        return MeanComparison(
            n=n1, n_control=n0, estimate=m1, estimate_control=m0,
            se_estimate=None if var1 is None else math.sqrt(var1 / n1),
            se_estimate_control=None if var0 is None else math.sqrt(var0 / n0),
            variance=var1, variance_control=var0,
            abs_diff=abs_diff, abs_ci=None, se_abs_diff=None, df=None,
            rel_lift=_point_lift(m1, m0), rel_ci=None, se_log_ratio=None,
            p_value=None, alpha=alpha, status=STATUS_NOT_ENOUGH_DATA, note=note,
        )

    if n1 < 2 or n0 < 2:
        return not_enough(
            _arm_shortfall((("treatment", n1 < 2), ("control", n0 < 2)), "fewer than 2 users")
            + ": variance undefined"
        )
    if var1 == 0.0 and var0 == 0.0:
        return not_enough(
            "both arms have zero variance (every value identical within each arm): "
            "no sampling variability to test against"
        )

    notes: list[str] = []
    rel_lift, rel_ci, se_log = _relative_fields(arr.rel, m1, m0, "mean", notes)
    return MeanComparison(
        n=n1, n_control=n0, estimate=m1, estimate_control=m0,
        se_estimate=math.sqrt(var1 / n1), se_estimate_control=math.sqrt(var0 / n0),
        variance=var1, variance_control=var0,
        abs_diff=float(arr.abs_diff), abs_ci=(float(arr.ci_low), float(arr.ci_high)),
        se_abs_diff=float(arr.se), df=float(arr.df),
        rel_lift=rel_lift, rel_ci=rel_ci, se_log_ratio=se_log,
        p_value=float(arr.p_value), alpha=alpha,
        status=STATUS_OK, note="; ".join(notes) or None,
    )


def _check_stats(value: Any, cls: type, label: str) -> None:
    if not isinstance(value, cls):
        raise ValueError(f"{label} must be a {cls.__name__}, got {type(value).__name__}")
