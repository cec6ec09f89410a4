"""CUPED: variance reduction with a pre-assignment covariate (regression adjustment).

Method (Deng, Xu, Kohavi & Walker 2013, "Improving the Sensitivity of Online Controlled
Experiments by Utilizing Pre-Experiment Data", WSDM): with y the outcome and x a covariate
measured BEFORE assignment (e.g. active days in the 14 days before the user was randomised),
compare adjusted means

    ŷ_j = ȳ_j - θ (x̄_j - x̄),        x̄ = mean of x over both arms,

whose difference ŷ_1 - ŷ_0 = (ȳ_1 - ȳ_0) - θ (x̄_1 - x̄_0) is unbiased for the treatment effect
for ANY fixed θ because randomisation makes E[x̄_1 - x̄_0] = 0, and has the smallest variance at
θ = cov(y, x)/var(x), where the variance of the difference shrinks by about ρ² (ρ = corr(y, x)).

Choice of θ: the POOLED WITHIN-ARM slope, θ = (S_xy,1 + S_xy,0) / (S_xx,1 + S_xx,0) with S the
centred (co)sums of squares within each arm. Reasons: (1) it is exactly the slope of the OLS
regression y ~ 1 + treatment + x (ANCOVA), so the adjusted difference equals that regression's
treatment coefficient to rounding; (2) unlike the overall (pooled-data) covariance it is not
contaminated by the treatment effect itself (the overall covariance contains a between-arm term
(ȳ_1 - ȳ_0)(x̄_1 - x̄_0)·n_1 n_0 / n). The difference between the two is O(1/n) and negligible
in practice; Deng et al. use the overall one.

Variance (θ treated as fixed, as in Deng et al.; its estimation error is O(1/n) in the
variance): var(ŷ_j) = (s²_y,j - 2θ s_xy,j + θ² s²_x,j)/n_j, the per-arm sample variance of the
residual y - θx, so unequal variances between arms are allowed (Welch-type). Intervals use normal
quantiles. The relative lift ŷ_1/ŷ_0 - 1 gets a delta-method log-ratio interval with
var(log ŷ_j) = var(ŷ_j)/ŷ_j²; the shared term θ x̄ is treated as fixed (its contribution to the
log ratio is proportional to 1/ŷ_1 - 1/ŷ_0 and vanishes for small lifts).

Everything works on sufficient statistics (per arm: n, Σy, Σy², Σx, Σx², Σxy; one SQL row).
:func:`compare_cuped` wraps the vectorised :func:`_cuped_arrays`, which the simulations call.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, NamedTuple

import numpy as np
from numpy.typing import ArrayLike

from ._common import (
    CANCELLATION_RTOL,
    COMMON_JSON,
    STATUS_NOT_ENOUGH_DATA,
    STATUS_OK,
    EstimateComparison,
    LogRatioArrays,
    NormalDiffArrays,
    PairedStats,
    arm_shortfall,
    centred_cross,
    centred_or_raw,
    centred_ss,
    check_alpha,
    check_stats,
    finite_or_none,
    log_ratio_arrays,
    normal_diff_arrays,
    point_lift,
    relative_fields,
    z_two_sided,
)
from .notes import Note, NoteCode

__all__ = ["CovariateStats", "CupedComparison", "compare_cuped"]

METHOD_CUPED = "cuped"
METHOD_FALLBACK = "cuped_fallback_unadjusted"

_FALLBACK_NO_X_VARIANCE = 1
_FALLBACK_PERFECT_FIT = 2


@dataclass(frozen=True)
class CovariateStats(PairedStats):
    """Sufficient statistics of outcome y and pre-assignment covariate x in one arm.

    The fields, :meth:`merge` and checks are those of :class:`~._common.PairedStats` (x first:
    ``CovariateStats(n, sum_x, sum_y, sum_x2, sum_y2, sum_xy, m2_x, m2_y, c_xy)``, best given by
    keyword); the constructors below take the outcome first. From SQL (one row per user):
    ``COUNT(*) AS n, SUM(y) AS sum_y, SUM(y*y) AS sum_y2, SUM(x) AS sum_x, SUM(x*x) AS sum_x2,
    SUM(x*y) AS sum_xy``. Users with no pre-period history should enter with x = 0 (and, ideally,
    a flag metric of their own), not be dropped.
    """

    @classmethod
    def from_moments(cls, n: int, mean_y: float, mean_x: float,  # type: ignore[override]
                     m2_y: float, m2_x: float, c_xy: float) -> CovariateStats:
        """From centred statistics, the outcome first (SQL: ``COUNT(*), AVG(y), AVG(x),
        VAR_POP(y) * COUNT(*), VAR_POP(x) * COUNT(*), COVAR_POP(x, y) * COUNT(*)``)."""
        return super().from_moments(n, mean_x=mean_x, mean_y=mean_y, m2_x=m2_x, m2_y=m2_y, c_xy=c_xy)

    @classmethod
    def from_values(cls, y: Any, x: Any) -> CovariateStats:  # type: ignore[override]
        """Convenience for samples in memory, the outcome first: sums and two-pass centred moments."""
        return super().from_values(x, y)


class _CupedArrays(NamedTuple):
    mean_y: np.ndarray  # unadjusted arm means
    mean_y_control: np.ndarray
    theta: np.ndarray  # 0 where the comparison fell back to unadjusted
    adjusted: np.ndarray  # ȳ_j - θ(x̄_j - x̄)
    adjusted_control: np.ndarray
    var_adjusted: np.ndarray  # variance of the adjusted arm mean
    var_adjusted_control: np.ndarray
    var_unadjusted: np.ndarray  # s²_y / n
    var_unadjusted_control: np.ndarray
    fallback: np.ndarray  # 0 none, 1 var(x) == 0, 2 zero residual variance in both arms
    variance_reduction: np.ndarray  # 1 - var(adjusted diff)/var(unadjusted diff); NaN if undefined
    diff: NormalDiffArrays  # on the adjusted means
    abs_diff_unadjusted: np.ndarray
    rel: LogRatioArrays  # on the adjusted means


def _residual_ss(syy: np.ndarray, sxy: np.ndarray, sxx: np.ndarray, theta: np.ndarray) -> np.ndarray:
    """Σ((y - ȳ) - θ(x - x̄))² = S_yy - 2θ S_xy + θ² S_xx, clipped at 0 against rounding."""
    q = syy - 2.0 * theta * sxy + theta * theta * sxx
    return np.where(q <= CANCELLATION_RTOL * (syy + theta * theta * sxx), 0.0, q)


def _cuped_arrays(
    n: ArrayLike, sum_y: ArrayLike, sum_y2: ArrayLike, sum_x: ArrayLike, sum_x2: ArrayLike, sum_xy: ArrayLike,
    n_control: ArrayLike, sum_y_control: ArrayLike, sum_y2_control: ArrayLike, sum_x_control: ArrayLike,
    sum_x2_control: ArrayLike, sum_xy_control: ArrayLike, z: float,
    centred: tuple[Any, Any, Any] = (None, None, None), centred_control: tuple[Any, Any, Any] = (None, None, None),
) -> _CupedArrays:
    """CUPED with the pooled within-arm θ, elementwise over arrays of per-arm sums (n >= 2).

    Falls back to θ = 0 (the unadjusted comparison) where the covariate has no within-arm
    variance (θ undefined) or where the residual variance is 0 in both arms while y varies (the
    adjusted variance would be a spurious 0).
    """
    n1 = np.asarray(n, dtype=float)
    n0 = np.asarray(n_control, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        my1, my0 = np.asarray(sum_y, dtype=float) / n1, np.asarray(sum_y_control, dtype=float) / n0
        mx1, mx0 = np.asarray(sum_x, dtype=float) / n1, np.asarray(sum_x_control, dtype=float) / n0
        syy1, syy0 = centred_ss(sum_y2, sum_y, n1), centred_ss(sum_y2_control, sum_y_control, n0)
        sxx1, sxx0 = centred_ss(sum_x2, sum_x, n1), centred_ss(sum_x2_control, sum_x_control, n0)
        sxy1 = centred_cross(sum_xy, sum_x, sum_y, n1, sxx1, syy1)
        sxy0 = centred_cross(sum_xy_control, sum_x_control, sum_y_control, n0, sxx0, syy0)
        # centred moments (S_yy, S_xx, S_xy) where given: the centred-moment rule of MeanStats
        syy1, sxx1, sxy1 = (centred_or_raw(c, r) for c, r in zip(centred, (syy1, sxx1, sxy1)))
        syy0, sxx0, sxy0 = (centred_or_raw(c, r) for c, r in zip(centred_control, (syy0, sxx0, sxy0)))

        sxx = sxx1 + sxx0
        no_x_var = ~(sxx > 0.0)
        theta = np.where(no_x_var, 0.0, (sxy1 + sxy0) / np.where(no_x_var, 1.0, sxx))
        q1, q0 = _residual_ss(syy1, sxy1, sxx1, theta), _residual_ss(syy0, sxy0, sxx0, theta)
        perfect = ~no_x_var & (q1 == 0.0) & (q0 == 0.0) & ((syy1 > 0.0) | (syy0 > 0.0))
        theta = np.where(perfect, 0.0, theta)
        q1 = np.where(perfect, syy1, q1)
        q0 = np.where(perfect, syy0, q0)
        fallback = np.where(no_x_var, _FALLBACK_NO_X_VARIANCE, np.where(perfect, _FALLBACK_PERFECT_FIT, 0))

        xbar = (np.asarray(sum_x, dtype=float) + np.asarray(sum_x_control, dtype=float)) / (n1 + n0)
        adj1 = my1 - theta * (mx1 - xbar)
        adj0 = my0 - theta * (mx0 - xbar)
        va1, va0 = q1 / ((n1 - 1.0) * n1), q0 / ((n0 - 1.0) * n0)
        vu1, vu0 = syy1 / ((n1 - 1.0) * n1), syy0 / ((n0 - 1.0) * n0)
        vu = vu1 + vu0
        vr = np.where(fallback > 0, 0.0, np.where(vu > 0.0, 1.0 - (va1 + va0) / vu, np.nan))
    return _CupedArrays(
        my1, my0, theta, adj1, adj0, va1, va0, vu1, vu0, fallback, vr,
        normal_diff_arrays(adj1, va1, adj0, va0, z), my1 - my0,
        log_ratio_arrays(adj1, va1, adj0, va0, z),
    )


@dataclass(frozen=True)
class CupedComparison(EstimateComparison):
    """Treatment vs control on a mean metric, CUPED-adjusted with a pre-assignment covariate.

    ``estimate``/``estimate_control`` are the ADJUSTED arm means ȳ_j - θ(x̄_j - x̄) and
    ``se_estimate*`` their SEs; ``abs_diff``, ``abs_ci``, ``se_abs_diff``, ``p_value``, ``rel_*``
    refer to the adjusted means. ``theta`` is the pooled within-arm slope (0 on fallback),
    ``variance_reduction`` = 1 - var(adjusted diff)/var(unadjusted diff) (≈ ρ²; can be slightly
    negative when the covariate is uninformative and arm sizes differ), ``abs_diff_unadjusted`` =
    ȳ_1 - ȳ_0. ``method`` is "cuped", or "cuped_fallback_unadjusted" when no adjustment was
    possible. ``status`` is "ok" or "not_enough_data"; ``note`` explains any None or fallback.
    """

    theta: float | None
    variance_reduction: float | None
    abs_diff_unadjusted: float | None

    _json_fields = COMMON_JSON + ("theta", "variance_reduction", "abs_diff_unadjusted")


def compare_cuped(treatment: CovariateStats, control: CovariateStats, alpha: float = 0.05) -> CupedComparison:
    """Compare the mean of y between arms with CUPED adjustment by a pre-assignment covariate x.

    Methods (Deng, Xu, Kohavi & Walker 2013; details in the module docstring):
      * θ = pooled within-arm cov(y, x)/var(x) (= the OLS slope of y ~ treatment + x);
        adjusted means ŷ_j = ȳ_j - θ(x̄_j - x̄) with x̄ over both arms.
      * var(ŷ_j) = (s²_y,j - 2θ s_xy,j + θ² s²_x,j)/n_j (θ treated as fixed).
      * abs_diff = ŷ_1 - ŷ_0, Wald interval and two-sided z-test with normal quantiles on
        se_abs_diff = sqrt(var(ŷ_1) + var(ŷ_0)).
      * rel_lift = ŷ_1/ŷ_0 - 1 with the delta-method log-ratio interval,
        se_log_ratio² = var(ŷ_1)/ŷ_1² + var(ŷ_0)/ŷ_0² (adjusted control mean in the denominator).
      * variance_reduction = 1 - se_abs_diff² / (s²_y,1/n_1 + s²_y,0/n_0).

    Degenerate data (never NaN, inf or an exception):
      * n < 2 in an arm: "not_enough_data"; estimates are the UNADJUSTED means where defined,
        theta and variance_reduction None.
      * var(x) = 0 within both arms (the covariate carries no information; e.g. no user has any
        pre-period activity): θ = 0, i.e. the unadjusted comparison (same normal-quantile
        formulas), variance_reduction 0, method "cuped_fallback_unadjusted", noted.
      * the covariate fits y exactly in both arms (zero residual variance while y varies): same
        fallback, noted (a zero SE would be an artefact).
      * y constant within both arms: "not_enough_data" with the point estimates.
      * adjusted control mean 0 / negative / treatment 0: rel_lift or rel_ci None as in
        :func:`~guidelab.stats.means.compare_means`, noted.
    """
    check_stats(treatment, CovariateStats, "treatment")
    check_stats(control, CovariateStats, "control")
    alpha = check_alpha(alpha)
    t, c = treatment, control
    m1, m0 = t.mean_y, c.mean_y
    unadj_diff = None if m1 is None or m0 is None else m1 - m0

    def not_enough(note: Note, se1: float | None = None, se0: float | None = None) -> CupedComparison:
        return CupedComparison(
            n=t.n, n_control=c.n, estimate=m1, estimate_control=m0,
            se_estimate=se1, se_estimate_control=se0,
            abs_diff=unadj_diff, abs_ci=None, se_abs_diff=None,
            rel_lift=point_lift(m1, m0), rel_ci=None, se_log_ratio=None,
            p_value=None, alpha=alpha, theta=None, variance_reduction=None,
            abs_diff_unadjusted=unadj_diff, method=METHOD_CUPED, status=STATUS_NOT_ENOUGH_DATA, notes=(note,),
        )

    if t.n < 2 or c.n < 2:
        return not_enough(
            arm_shortfall(NoteCode.TOO_FEW_USERS_UNADJUSTED, t.n < 2, c.n < 2)
        )

    arr = _cuped_arrays(
        t.n, t.sum_y, t.sum_y2, t.sum_x, t.sum_x2, t.sum_xy,
        c.n, c.sum_y, c.sum_y2, c.sum_x, c.sum_x2, c.sum_xy, z_two_sided(alpha),
        (t.m2_y, t.m2_x, t.c_xy), (c.m2_y, c.m2_x, c.c_xy),
    )
    if float(arr.var_unadjusted) == 0.0 and float(arr.var_unadjusted_control) == 0.0:
        return not_enough(
            Note(NoteCode.ZERO_VARIANCE_OUTCOME),
            0.0, 0.0,
        )

    notes: list[Note] = []
    method = METHOD_CUPED
    fallback = int(arr.fallback)
    if fallback == _FALLBACK_NO_X_VARIANCE:
        method = METHOD_FALLBACK
        notes.append(Note(NoteCode.COVARIATE_NO_VARIANCE))
    elif fallback == _FALLBACK_PERFECT_FIT:
        method = METHOD_FALLBACK
        notes.append(Note(NoteCode.COVARIATE_PERFECT_FIT))
    adj1, adj0 = float(arr.adjusted), float(arr.adjusted_control)
    if m0 == 0.0:
        # Every control value is 0 (e.g. dismissals in a no-guide holdout): the adjusted control
        # mean is a residue of theta times the covariate's imbalance, not a base for a lift.
        notes.append(Note(NoteCode.CONTROL_MEAN_ZERO_UNADJUSTED))
        rel_lift, rel_ci, se_log = None, None, None
    else:
        rel_lift, rel_ci, se_log = relative_fields(arr.rel, adj1, adj0, "adjusted_mean", notes)
    d = arr.diff
    return CupedComparison(
        n=t.n, n_control=c.n, estimate=adj1, estimate_control=adj0,
        se_estimate=math.sqrt(float(arr.var_adjusted)),
        se_estimate_control=math.sqrt(float(arr.var_adjusted_control)),
        abs_diff=float(d.abs_diff), abs_ci=(float(d.ci_low), float(d.ci_high)), se_abs_diff=float(d.se),
        rel_lift=rel_lift, rel_ci=rel_ci, se_log_ratio=se_log,
        p_value=float(d.p_value), alpha=alpha,
        theta=float(arr.theta), variance_reduction=finite_or_none(arr.variance_reduction),
        abs_diff_unadjusted=float(arr.abs_diff_unadjusted),
        method=method, status=STATUS_OK, notes=tuple(notes),
    )
