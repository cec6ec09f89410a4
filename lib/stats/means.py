"""Two-sample comparison of a mean metric (sessions per user, seconds on a guide) from per-arm sums.

Everything here works on sufficient statistics only: per arm the number of users ``n``, the sum
of the metric and the sum of its squares, which a warehouse returns with ``COUNT(*)``,
``SUM(v)`` and ``SUM(v * v)``. The scalar entry point :func:`compare_means` is a thin wrapper
over the vectorised helper :func:`_mean_arrays`, so calibration simulations exercise exactly the
code that produces real results.

The pieces it shares with :mod:`.ratio` and :mod:`.cuped` (validation of sums, the
cancellation-safe centred sums of squares, the normal-theory difference and log-ratio intervals,
the result base) live in :mod:`._common`.

Numerical note (catastrophic cancellation): a centred sum of squares computed from raw sums,
``sum_sq - sum**2 / n``, subtracts two nearly equal numbers when the variance is small relative
to the squared mean (e.g. timestamps, or a metric of ~1e9 that varies by ~1). float64 cannot
resolve such a difference; rounding can even make it negative. We therefore clip: a centred sum
of squares at or below ``CANCELLATION_RTOL`` (1e-10, about a million ulps) times the raw sum of
squares is treated as exactly 0 (i.e. data whose coefficient of variation is below ~1e-5 count
as constant). Negative values from rounding are never propagated.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, NamedTuple

import numpy as np
from numpy.typing import ArrayLike

from ._common import (
    COMMON_JSON,
    STATUS_NOT_ENOUGH_DATA,
    STATUS_OK,
    EstimateComparison,
    LogRatioArrays,
    arm_shortfall,
    centred_or_raw,
    centred_ss,
    check_alpha,
    check_centred,
    check_count,
    check_empty,
    check_real,
    check_stats,
    check_sum_of_squares,
    finite_or_none,
    log_ratio_arrays,
    pair_moments,
    point_lift,
    relative_fields,
    t_ppf,
    t_sf,
    z_two_sided,
)
from .notes import Note, NoteCode

__all__ = ["MeanComparison", "MeanStats", "compare_means"]

METHOD_WELCH = "welch_t"


# --------------------------------------------------------------------------- vectorised core


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
    rel: LogRatioArrays


def _moments(n: ArrayLike, total: ArrayLike, sum_sq: ArrayLike, m2: ArrayLike | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Mean (NaN where n == 0) and ddof=1 variance (NaN where n < 2). The centred sum of squares is
    ``m2`` where given (not NaN), else the cancellation-guarded Σv² - (Σv)²/n."""
    m = np.asarray(n, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        mean = np.asarray(total, dtype=float) / m
        var = np.where(m >= 2.0, centred_or_raw(m2, centred_ss(sum_sq, total, n)) / (m - 1.0), np.nan)
    return mean, var


def _mean_arrays(
    n: ArrayLike, total: ArrayLike, sum_sq: ArrayLike, n_control: ArrayLike, total_control: ArrayLike, sum_sq_control: ArrayLike, alpha: float,
    m2: ArrayLike | None = None, m2_control: ArrayLike | None = None,
) -> _MeanArrays:
    """Welch t interval / test for mean1 - mean0 and the log-ratio lift interval, elementwise.

    se² = s1²/n1 + s0²/n0; df = se⁴ / ((s1²/n1)²/(n1-1) + (s0²/n0)²/(n0-1)) (Welch 1947,
    Satterthwaite 1946); interval diff ± t_{1-α/2, df}·se. The relative lift uses
    var(mean) = s²/n in :func:`log_ratio_arrays` with normal quantiles. Entries are NaN where
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
        q = t_ppf(1.0 - alpha / 2.0, df_safe)
        half = np.where(ok, q * se, np.nan)
        p_value = np.where(ok, 2.0 * t_sf(np.abs(diff) / np.where(ok, se, 1.0), df_safe), np.nan)
    rel = log_ratio_arrays(m1, v1, m0, v0, z_two_sided(alpha))
    return _MeanArrays(m1, m0, s1, s0, diff, se, df, diff - half, diff + half, p_value, rel)


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
        n = check_count(self.n, "n")
        total = check_real(self.sum, "sum")
        sum_sq = check_real(self.sum_sq, "sum_sq")
        check_empty(n, {"sum": total, "sum_sq": sum_sq}, "MeanStats")
        check_sum_of_squares(sum_sq, total, n, "sum_sq", "sum")
        object.__setattr__(self, "n", n)
        object.__setattr__(self, "sum", total)
        object.__setattr__(self, "sum_sq", sum_sq)
        if self.m2 is not None:
            object.__setattr__(self, "m2", check_centred(self.m2, "m2", n))

    @classmethod
    def from_moments(cls, n: int, mean: float, m2: float) -> MeanStats:
        """From centred statistics: n, the mean and m2 = Σ(v - mean)² (= n * population variance)."""
        n = check_count(n, "n")
        mean = 0.0 if n == 0 else check_real(mean, "mean")
        m2 = check_centred(m2, "m2", n)
        return cls(n=n, sum=n * mean, sum_sq=m2 + n * mean * mean, m2=m2)

    @classmethod
    def from_values(cls, values: Any) -> MeanStats:
        """Convenience for samples held in memory: n, the sums and the two-pass centred m2."""
        v = np.asarray(values, dtype=float).ravel()
        return cls(n=int(v.size), sum=float(v.sum()), sum_sq=float(np.dot(v, v)), m2=pair_moments(v, v)[0])

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
        return float(centred_ss(self.sum_sq, self.sum, self.n)) / (self.n - 1)


@dataclass(frozen=True)
class MeanComparison(EstimateComparison):
    """Treatment vs control on a mean metric: difference, relative lift, CIs, p-value.

    ``estimate``/``estimate_control`` are the arm means, ``se_estimate*`` their standard errors
    s/sqrt(n). ``se_abs_diff`` is the Welch SE of the difference and ``df`` its Welch-Satterthwaite
    degrees of freedom; ``se_log_ratio`` the delta-method SE of log(mean/mean_control).
    ``status`` is "ok" or "not_enough_data" (point estimates kept where defined, every
    inferential statistic None); ``note`` explains any None.
    """

    variance: float | None
    variance_control: float | None
    df: float | None

    _json_fields = COMMON_JSON + ("variance", "variance_control", "df")


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
    check_stats(treatment, MeanStats, "treatment")
    check_stats(control, MeanStats, "control")
    alpha = check_alpha(alpha)
    n1, n0 = treatment.n, control.n
    arr = _mean_arrays(n1, treatment.sum, treatment.sum_sq, n0, control.sum, control.sum_sq, alpha,
                       treatment.m2, control.m2)
    m1, m0 = treatment.mean, control.mean
    var1, var0 = finite_or_none(arr.variance), finite_or_none(arr.variance_control)
    abs_diff = None if m1 is None or m0 is None else m1 - m0

    def not_enough(note: Note) -> MeanComparison:
        return MeanComparison(
            n=n1, n_control=n0, estimate=m1, estimate_control=m0,
            se_estimate=None if var1 is None else math.sqrt(var1 / n1),
            se_estimate_control=None if var0 is None else math.sqrt(var0 / n0),
            variance=var1, variance_control=var0,
            abs_diff=abs_diff, abs_ci=None, se_abs_diff=None, df=None,
            rel_lift=point_lift(m1, m0), rel_ci=None, se_log_ratio=None,
            p_value=None, alpha=alpha, method=METHOD_WELCH, status=STATUS_NOT_ENOUGH_DATA, notes=(note,),
        )

    if n1 < 2 or n0 < 2:
        return not_enough(
            arm_shortfall(NoteCode.TOO_FEW_USERS, n1 < 2, n0 < 2)
        )
    if var1 == 0.0 and var0 == 0.0:
        return not_enough(
            Note(NoteCode.ZERO_VARIANCE_BOTH_ARMS)
        )

    notes: list[Note] = []
    rel_lift, rel_ci, se_log = relative_fields(arr.rel, m1, m0, "mean", notes)
    assert var1 is not None and var0 is not None  # both arms have n >= 2 here
    return MeanComparison(
        n=n1, n_control=n0, estimate=m1, estimate_control=m0,
        se_estimate=math.sqrt(var1 / n1), se_estimate_control=math.sqrt(var0 / n0),
        variance=var1, variance_control=var0,
        abs_diff=float(arr.abs_diff), abs_ci=(float(arr.ci_low), float(arr.ci_high)),
        se_abs_diff=float(arr.se), df=float(arr.df),
        rel_lift=rel_lift, rel_ci=rel_ci, se_log_ratio=se_log,
        p_value=float(arr.p_value), alpha=alpha,
        method=METHOD_WELCH, status=STATUS_OK, notes=tuple(notes),
    )


