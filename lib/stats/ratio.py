"""Two-sample comparison of a ratio metric whose unit is not the randomisation unit.

Example: click-through rate = clicks / impressions when USERS are randomised. Each user
contributes a numerator x (their clicks) and a denominator y (their impressions); the metric of
an arm is R = Σx / Σy. Impressions of one user are correlated (same person, same propensity to
click), so treating impressions as independent Bernoulli trials understates the variance.
Instead, R is treated as a ratio of two user-level means, R = x̄/ȳ, and its variance comes from
the delta method (Deng, Knoblich & Lu 2018, "Applying the Delta Method in Metric Analytics: A
Practical Guide with Novel Ideas", KDD):

    var(R) ≈ (1 / (n ȳ²)) · (s_x² - 2 R s_xy + R² s_y²)

with s_x², s_y², s_xy the user-level sample (co)variances (ddof=1). The covariance term matters:
numerator and denominator are strongly positively correlated (more impressions, more clicks),
and leaving it out overstates the variance, often several-fold.

Everything works on sufficient statistics only (per arm: n, Σx, Σy, Σx², Σy², Σxy; one SQL
row). The scalar entry point :func:`compare_ratios` wraps the vectorised :func:`_ratio_arrays`,
which the calibration simulations call directly.

Numerical note: because R = Σx/Σy, the residual x - R·y has mean exactly 0, so
s_x² - 2R s_xy + R² s_y² = (Σx² - 2RΣxy + R²Σy²)/(n-1), computed in that form (no separate
centring). Rounding can still push it slightly below 0 or leave noise when it is ~0; it is
clipped at 0 (below 1e-10 of Σx² + R²Σy² counts as 0), as in :mod:`.means`.
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

__all__ = ["AccountRatioComparison", "RatioComparison", "RatioStats", "compare_ratios"]

METHOD_DELTA = "delta_method_ratio"


@dataclass(frozen=True)
class RatioStats(PairedStats):
    """Sufficient statistics of a ratio metric in one arm; x = numerator, y = denominator per user.

    The fields, constructors (:meth:`from_moments`, :meth:`from_values`), :meth:`merge` and checks
    are those of :class:`~._common.PairedStats`. Users with y = 0 (no impressions) may be
    included; they contribute to n and the variance but not to R.
    """

    @property
    def ratio(self) -> float | None:
        """Σx / Σy, None when Σy == 0."""
        return self.sum_x / self.sum_y if self.sum_y != 0.0 else None


class _RatioArrays(NamedTuple):
    ratio: np.ndarray  # Σx/Σy, NaN where Σy == 0
    ratio_control: np.ndarray
    var_ratio: np.ndarray  # delta-method variance of R, NaN where n < 2 or Σy == 0
    var_ratio_control: np.ndarray
    diff: NormalDiffArrays
    rel: LogRatioArrays


def _delta_var_arrays(n: ArrayLike, sum_x: ArrayLike, sum_y: ArrayLike, sum_x2: ArrayLike, sum_y2: ArrayLike, sum_xy: ArrayLike,
                      m2_x: ArrayLike | None = None, m2_y: ArrayLike | None = None, c_xy: ArrayLike | None = None) -> tuple[np.ndarray, np.ndarray]:
    """(R, var(R)) per arm, elementwise: var(R) = Σ(x - R y)² / ((n-1) · n · ȳ²).

    This is (s_x² - 2R s_xy + R² s_y²)/(n ȳ²) (Deng, Knoblich & Lu 2018). Since Σ(x - R y) = 0,
    Σ(x - R y)² = S_xx - 2R S_xy + R² S_yy with the CENTRED moments (m2_x, c_xy, m2_y) where given
    (the centred-moment rule of :class:`.MeanStats`), else with raw sums (Σx² - 2RΣxy + R²Σy²);
    clipped at 0 against rounding. NaN where n < 2 or Σy == 0.
    """
    m = np.asarray(n, dtype=float)
    sx = np.asarray(sum_x, dtype=float)
    sy = np.asarray(sum_y, dtype=float)
    sxx = np.asarray(sum_x2, dtype=float)
    syy = np.asarray(sum_y2, dtype=float)
    sxy = np.asarray(sum_xy, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        r = np.where(sy != 0.0, sx / sy, np.nan)
        q = sxx - 2.0 * r * sxy + r * r * syy  # Σ(x - R y)²
        q = np.where(q <= CANCELLATION_RTOL * (sxx + r * r * syy), 0.0, q)
        if m2_x is not None:
            cxx, cyy, cxy = (np.asarray(v, dtype=float) for v in (m2_x, m2_y, c_xy))
            qc = cxx - 2.0 * r * cxy + r * r * cyy
            qc = np.where(qc <= 1e-12 * (cxx + r * r * cyy), 0.0, qc)
            q = np.where(np.isnan(cxx), q, qc)
        ybar = sy / m
        var = np.where((m >= 2.0) & (sy != 0.0), q / ((m - 1.0) * m * ybar * ybar), np.nan)
    return r, var


def _ratio_arrays(
    n: ArrayLike, sum_x: ArrayLike, sum_y: ArrayLike, sum_x2: ArrayLike, sum_y2: ArrayLike, sum_xy: ArrayLike,
    n_control: ArrayLike, sum_x_control: ArrayLike, sum_y_control: ArrayLike, sum_x2_control: ArrayLike,
    sum_y2_control: ArrayLike, sum_xy_control: ArrayLike, z: float,
    centred: tuple[Any, Any, Any] = (None, None, None), centred_control: tuple[Any, Any, Any] = (None, None, None),
) -> _RatioArrays:
    """Delta-method z interval / test for R1 - R0 and log-ratio interval for R1/R0 - 1, elementwise.

    var(log R) = var(R)/R² (delta method again), so the lift interval is
    exp(log(R1/R0) ± z·sqrt(var(R1)/R1² + var(R0)/R0²)) - 1.
    """
    r1, v1 = _delta_var_arrays(n, sum_x, sum_y, sum_x2, sum_y2, sum_xy, *centred)
    r0, v0 = _delta_var_arrays(n_control, sum_x_control, sum_y_control, sum_x2_control, sum_y2_control, sum_xy_control,
                               *centred_control)
    return _RatioArrays(r1, r0, v1, v0, normal_diff_arrays(r1, v1, r0, v0, z), log_ratio_arrays(r1, v1, r0, v0, z))


@dataclass(frozen=True)
class RatioComparison(EstimateComparison):
    """Treatment vs control on a ratio metric Σx/Σy: difference, relative lift, CIs, p-value.

    ``estimate``/``estimate_control`` are the arm ratios R, ``se_estimate*`` their delta-method
    standard errors; ``se_abs_diff`` the SE of R1 - R0 and ``se_log_ratio`` that of log(R1/R0).
    ``status`` is "ok" or "not_enough_data" (point estimates kept where defined, every
    inferential statistic None); ``note`` explains any None.
    """


@dataclass(frozen=True)
class AccountRatioComparison(RatioComparison):
    """A :class:`RatioComparison` whose units were ACCOUNTS (whole accounts randomised): the
    variance and the test are those of :func:`compare_ratios` on per-account totals, ``n`` and
    ``n_control`` count the users behind them (as :class:`~.cluster.ClusterComparison`'s do) and
    ``n_accounts``/``n_accounts_control`` the accounts."""

    n_accounts: int = 0
    n_accounts_control: int = 0

    _json_fields = COMMON_JSON + ("n_accounts", "n_accounts_control")


def compare_ratios(treatment: RatioStats, control: RatioStats, alpha: float = 0.05) -> RatioComparison:
    """Compare a ratio metric R = Σx/Σy (e.g. clicks per impression, users randomised).

    Methods (Deng, Knoblich & Lu 2018, KDD):
      * var(R) ≈ (s_x² - 2R s_xy + R² s_y²)/(n ȳ²) per arm, user-level sample (co)variances
        (ddof=1), WITH the covariance term; arms independent.
      * abs_diff = R1 - R0, Wald interval ± z·sqrt(var(R1) + var(R0)) with normal quantiles and
        the two-sided z-test on the same SE (abs_ci excludes 0 exactly when p_value < alpha).
      * rel_lift = R1/R0 - 1, interval exp(log(R1/R0) ± z·se_log_ratio) - 1 with
        se_log_ratio² = var(R1)/R1² + var(R0)/R0².

    Degenerate data (never NaN, inf or an exception):
      * n < 2 in an arm, or Σy == 0 in an arm (ratio undefined): status "not_enough_data";
        ratios, abs_diff and rel_lift kept where defined, intervals, SEs and p-value None.
      * zero delta-method variance in both arms (every user has x = R·y exactly, e.g. all zero
        clicks): "not_enough_data" with the point estimates.
      * control ratio 0: rel_lift None; a negative ratio or treatment ratio 0: rel_ci None (log
        undefined), noted.
    """
    check_stats(treatment, RatioStats, "treatment")
    check_stats(control, RatioStats, "control")
    alpha = check_alpha(alpha)
    t, c = treatment, control
    arr = _ratio_arrays(
        t.n, t.sum_x, t.sum_y, t.sum_x2, t.sum_y2, t.sum_xy,
        c.n, c.sum_x, c.sum_y, c.sum_x2, c.sum_y2, c.sum_xy, z_two_sided(alpha),
        (t.m2_x, t.m2_y, t.c_xy), (c.m2_x, c.m2_y, c.c_xy),
    )
    r1, r0 = t.ratio, c.ratio
    v1, v0 = finite_or_none(arr.var_ratio), finite_or_none(arr.var_ratio_control)
    abs_diff = None if r1 is None or r0 is None else r1 - r0

    def not_enough(note: Note) -> RatioComparison:
        return RatioComparison(
            n=t.n, n_control=c.n, estimate=r1, estimate_control=r0,
            se_estimate=None if v1 is None else math.sqrt(v1),
            se_estimate_control=None if v0 is None else math.sqrt(v0),
            abs_diff=abs_diff, abs_ci=None, se_abs_diff=None,
            rel_lift=point_lift(r1, r0), rel_ci=None, se_log_ratio=None,
            p_value=None, alpha=alpha, method=METHOD_DELTA, status=STATUS_NOT_ENOUGH_DATA, notes=(note,),
        )

    if t.n < 2 or c.n < 2:
        return not_enough(
            arm_shortfall(NoteCode.TOO_FEW_USERS, t.n < 2, c.n < 2)
        )
    if r1 is None or r0 is None:
        return not_enough(
            arm_shortfall(NoteCode.ZERO_DENOMINATOR, r1 is None, r0 is None)
        )
    if v1 == 0.0 and v0 == 0.0:
        return not_enough(
            Note(NoteCode.ZERO_VARIANCE_RATIO)
        )

    notes: list[Note] = []
    rel_lift, rel_ci, se_log = relative_fields(arr.rel, r1, r0, "ratio", notes)
    d = arr.diff
    assert v1 is not None and v0 is not None  # both arms have n >= 2 and a ratio here
    return RatioComparison(
        n=t.n, n_control=c.n, estimate=r1, estimate_control=r0,
        se_estimate=math.sqrt(v1), se_estimate_control=math.sqrt(v0),
        abs_diff=float(d.abs_diff), abs_ci=(float(d.ci_low), float(d.ci_high)), se_abs_diff=float(d.se),
        rel_lift=rel_lift, rel_ci=rel_ci, se_log_ratio=se_log,
        p_value=float(d.p_value), alpha=alpha, method=METHOD_DELTA, status=STATUS_OK, notes=tuple(notes),
    )
