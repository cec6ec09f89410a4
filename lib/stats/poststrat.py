"""Post-stratification: variance reduction from attributes known at assignment (new users).

Onboarding guides target new users, who have no pre-period for CUPED. What is known about them
at assignment (plan, platform, locale, signup cohort) still predicts the outcome, and
post-stratifying on it removes the between-strata part of the variance.

Method (Miratrix, Sekhon & Yu 2013, "Adjusting treatment effect estimates by
post-stratification in randomized experiments", JRSS B 75(2)): with strata s (the cells of the
declared attributes) and w_s = (n_1s + n_0s)/(n_1 + n_0) the share of the compared users in
stratum s, each arm's estimate is the weighted mean of its within-stratum means,

    ŷ_j = Σ_s w_s ȳ_js,          τ̂ = ŷ_1 - ŷ_0,

unbiased for the effect given the strata counts, with variance (conditional on the counts of
every arm-stratum cell, plug-in within-cell variances s²_js, ddof 1)

    var(ŷ_j) = Σ_s w_s² s²_js / n_js.

The estimate equals the treatment coefficient of the fully interacted regression
y ~ T + D + T·D with the stratum dummies D centred at their pooled means (Lin 2013), which the
tests check with statsmodels. Normal intervals; the relative lift ŷ_1/ŷ_0 - 1 gets the
delta-method log-ratio interval with var(log ŷ_j) = var(ŷ_j)/ŷ_j².

With CUPED on as well (a pre-period covariate x), the two COMBINE: within each cell the
outcome is adjusted by a common slope θ, the pooled within-cell slope Σ S_xy,js / Σ S_xx,js (the
OLS slope of y on x with one intercept per arm-stratum cell), towards the stratum's pooled
covariate mean x̄_s:

    ȳ*_js = ȳ_js - θ (x̄_js - x̄_s),      var(ŷ_j) = Σ_s w_s² q_js / (n_js (n_js - 1)),

with q_js = S_yy,js - 2θ S_xy,js + θ² S_xx,js the within-cell residual sum of squares (θ
treated as fixed, as CUPED does; Deng, Xu, Kohavi & Walker 2013). Without x-variance θ is 0
(post-stratification alone).

Small strata: a stratum with fewer than ``min_users`` users in either arm (default
:data:`MIN_STRATUM_USERS`) has an unstable within-cell variance, so such strata are pooled into
one "other" stratum; if that pool is itself too small in an arm it joins the largest stratum.
The result counts the strata used, those collapsed and their users; nothing is dropped and
nothing raises. One stratum left means no post-stratification (CUPED alone, or the plain
difference of means with normal quantiles).

``variance_reduction`` = 1 - var(τ̂)/(s²_1/n_1 + s²_0/n_0), against the plain difference of
means of the same users (≈ the share of the variance the strata, and the covariate, explain).

Everything works on sufficient statistics per (arm, stratum): n, Σy, Σy², Σx, Σx², Σxy
(:class:`~.cuped.CovariateStats`, one SQL row per arm and stratum).
"""
from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from ._common import (
    COMMON_JSON,
    STATUS_NOT_ENOUGH_DATA,
    STATUS_OK,
    EstimateComparison,
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
from .cuped import CovariateStats
from .notes import Note, NoteCode

__all__ = ["MIN_STRATUM_USERS", "OTHER_STRATUM", "StratifiedComparison", "collapse_strata", "compare_poststratified"]

MIN_STRATUM_USERS = 10
OTHER_STRATUM = "(other)"
METHOD_POSTSTRAT = "poststratified"
METHOD_POSTSTRAT_CUPED = "poststratified_cuped"


_EMPTY = CovariateStats(n=0, sum_x=0.0, sum_y=0.0, sum_x2=0.0, sum_y2=0.0, sum_xy=0.0)


def _empty() -> CovariateStats:
    return _EMPTY


def collapse_strata(treatment: Mapping[str, CovariateStats], control: Mapping[str, CovariateStats],
                    min_users: int = MIN_STRATUM_USERS
                    ) -> tuple[dict[str, tuple[CovariateStats, CovariateStats]], int, int]:
    """The strata to use: ``{stratum: (treatment stats, control stats)}``, the number of strata
    collapsed and the users in them (both arms).

    A stratum with fewer than ``min_users`` users in either arm joins the pooled
    :data:`OTHER_STRATUM`; a pool still below ``min_users`` in an arm joins the largest stratum
    (or is the only stratum when none is large enough). Strata in sorted order, "other" last.
    """
    keys = sorted(set(treatment) | set(control))
    kept: dict[str, tuple[CovariateStats, CovariateStats]] = {}
    pool_t, pool_c, collapsed, collapsed_users = _empty(), _empty(), 0, 0
    for k in keys:
        t, c = treatment.get(k, _empty()), control.get(k, _empty())
        if t.n + c.n == 0:
            continue
        if min(t.n, c.n) >= min_users:
            kept[k] = (t, c)
        else:
            pool_t, pool_c = pool_t.merge(t), pool_c.merge(c)
            collapsed += 1
            collapsed_users += t.n + c.n
    if pool_t.n + pool_c.n > 0:
        if min(pool_t.n, pool_c.n) >= min_users or not kept:
            kept[OTHER_STRATUM] = (pool_t, pool_c)
        else:
            largest = max(kept, key=lambda k: (kept[k][0].n + kept[k][1].n, k))
            t, c = kept[largest]
            kept[largest] = (t.merge(pool_t), c.merge(pool_c))
    return kept, collapsed, collapsed_users


def _cell_moments(s: CovariateStats) -> tuple[float, float, float]:
    """(S_yy, S_xx, S_xy) of one cell: centred moments where given, else cancellation-guarded raw sums."""
    syy = centred_ss(s.sum_y2, s.sum_y, s.n)
    sxx = centred_ss(s.sum_x2, s.sum_x, s.n)
    sxy = centred_cross(s.sum_xy, s.sum_x, s.sum_y, s.n, sxx, syy)
    syy, sxx, sxy = (centred_or_raw(cm, raw) for cm, raw in
                     zip((s.m2_y, s.m2_x, s.c_xy), (syy, sxx, sxy)))
    return float(syy), float(sxx), float(sxy)


@dataclass(frozen=True)
class StratifiedComparison(EstimateComparison):
    """Treatment vs control on a mean (or rate), post-stratified on attributes known at assignment.

    ``estimate``/``estimate_control`` are the post-stratified arm means Σ_s w_s ȳ*_js and
    ``se_estimate*`` their SEs; ``abs_diff``, ``abs_ci``, ``p_value``, ``rel_*`` refer to them.
    ``variance_reduction`` = 1 - var(adjusted diff)/var(plain diff); ``theta`` the CUPED slope
    within cells when a covariate is used (else None); ``strata`` the strata used,
    ``strata_collapsed`` / ``users_collapsed`` the small strata pooled and their users;
    ``abs_diff_unadjusted`` the plain difference of means. ``method`` is "poststratified" or
    "poststratified_cuped" (see the module docstring).
    """

    variance_reduction: float | None
    theta: float | None
    strata: int
    strata_collapsed: int
    users_collapsed: int
    abs_diff_unadjusted: float | None

    _json_fields = COMMON_JSON + ("variance_reduction", "theta", "strata", "strata_collapsed", "users_collapsed",
                                  "abs_diff_unadjusted")


def compare_poststratified(treatment: Mapping[str, CovariateStats], control: Mapping[str, CovariateStats],
                           alpha: float = 0.05, covariate: bool = False,
                           min_users: int = MIN_STRATUM_USERS) -> StratifiedComparison:
    """Compare the mean of y between arms, post-stratified (Miratrix, Sekhon & Yu 2013), and with
    ``covariate`` also CUPED-adjusted within strata (Deng et al. 2013): the module docstring.

    ``treatment``/``control``: per stratum (any string key, the same keys across arms; a stratum
    missing from an arm has no users there) the :class:`~.cuped.CovariateStats` of outcome y and
    pre-period covariate x (x is ignored unless ``covariate``).

    Degenerate data (never NaN, inf or an exception): fewer than 2 users in an arm:
    "not_enough_data" with the plain means; y constant within every cell of both arms:
    "not_enough_data"; small strata collapsed (:func:`collapse_strata`); no variance of x within
    cells: θ = 0, noted; control estimate 0 or negative: relative lift None, noted.
    """
    for label, arm in (("treatment", treatment), ("control", control)):
        if not isinstance(arm, Mapping):
            raise TypeError(f"{label}: expected a mapping stratum -> CovariateStats, got {type(arm).__name__}")
        for s in arm.values():
            check_stats(s, CovariateStats, label)
    alpha = check_alpha(alpha)
    tot_t, tot_c = _empty(), _empty()
    for s in treatment.values():
        tot_t = tot_t.merge(s)
    for s in control.values():
        tot_c = tot_c.merge(s)
    m1, m0 = tot_t.mean_y, tot_c.mean_y
    plain = None if m1 is None or m0 is None else m1 - m0
    cells, collapsed, collapsed_users = collapse_strata(treatment, control, max(int(min_users), 2))
    method = METHOD_POSTSTRAT_CUPED if covariate else METHOD_POSTSTRAT

    def not_enough(note: Note) -> StratifiedComparison:
        return StratifiedComparison(
            n=tot_t.n, n_control=tot_c.n, estimate=m1, estimate_control=m0, se_estimate=None,
            se_estimate_control=None, abs_diff=plain, abs_ci=None, se_abs_diff=None, rel_lift=point_lift(m1, m0),
            rel_ci=None, se_log_ratio=None, p_value=None, alpha=alpha, variance_reduction=None, theta=None,
            strata=len(cells), strata_collapsed=collapsed, users_collapsed=collapsed_users,
            abs_diff_unadjusted=plain, method=method, status=STATUS_NOT_ENOUGH_DATA, notes=(note,))

    if tot_t.n < 2 or tot_c.n < 2:
        return not_enough(arm_shortfall(NoteCode.TOO_FEW_USERS, tot_t.n < 2, tot_c.n < 2))
    n_all = tot_t.n + tot_c.n
    moments = {k: (_cell_moments(t), _cell_moments(c)) for k, (t, c) in cells.items()}
    notes: list[Note] = []
    theta = 0.0
    if covariate:
        sxx = sum(mt[1] + mc[1] for mt, mc in moments.values())
        sxy = sum(mt[2] + mc[2] for mt, mc in moments.values())
        if sxx > 0:
            theta = sxy / sxx
        else:
            notes.append(Note(NoteCode.COVARIATE_NO_VARIANCE))
    est = [0.0, 0.0]
    var = [0.0, 0.0]
    for k, (t, c) in cells.items():
        w = (t.n + c.n) / n_all
        x_s = (t.sum_x + c.sum_x) / (t.n + c.n)
        for j, (s, (syy, sxx_j, sxy_j)) in enumerate(((t, moments[k][0]), (c, moments[k][1]))):
            if s.n == 0:  # only the one stratum left holds every user: both arms have users here
                continue
            est[j] += w * (s.sum_y / s.n - theta * (s.sum_x / s.n - x_s))
            q = max(syy - 2.0 * theta * sxy_j + theta * theta * sxx_j, 0.0)
            if s.n >= 2:
                var[j] += w * w * q / (s.n * (s.n - 1))
    syy_t, syy_c = _cell_moments(tot_t)[0], _cell_moments(tot_c)[0]
    var_plain = syy_t / (tot_t.n * (tot_t.n - 1)) + syy_c / (tot_c.n * (tot_c.n - 1))
    if var_plain == 0.0 or var[0] + var[1] == 0.0:
        return not_enough(Note(NoteCode.ZERO_VARIANCE_BOTH_ARMS))
    z = z_two_sided(alpha)
    d = normal_diff_arrays(est[0], var[0], est[1], var[1], z)
    rel = log_ratio_arrays(est[0], var[0], est[1], var[1], z)
    rel_lift, rel_ci, se_log = relative_fields(rel, est[0], est[1], "adjusted_mean", notes)
    return StratifiedComparison(
        n=tot_t.n, n_control=tot_c.n, estimate=est[0], estimate_control=est[1],
        se_estimate=math.sqrt(var[0]), se_estimate_control=math.sqrt(var[1]),
        abs_diff=float(d.abs_diff), abs_ci=(float(d.ci_low), float(d.ci_high)), se_abs_diff=float(d.se),
        rel_lift=rel_lift, rel_ci=rel_ci, se_log_ratio=se_log, p_value=float(d.p_value), alpha=alpha,
        variance_reduction=finite_or_none(np.float64(1.0 - (var[0] + var[1]) / var_plain)),
        theta=theta if covariate else None, strata=len(cells), strata_collapsed=collapsed,
        users_collapsed=collapsed_users, abs_diff_unadjusted=plain, method=method, status=STATUS_OK,
        notes=tuple(notes))
