"""The deeper analyses (segments, funnels, daily effects, retention curves, survey scores) when
ACCOUNTS are randomised: every estimate is a ratio of per-account sums, and every variance and
covariance takes the account as the independent unit.

:mod:`.cluster` compares one per-user metric between two arms. The deeper analyses look at the
same metric in GROUPS of users (a segment, an assignment day, a funnel step, a day since
assignment) and then combine groups (a heterogeneity test across segments, a cumulative effect
across days, a trend over days). Users of one account fall into several groups, so group
estimates are correlated and the combinations need the covariance between groups. With y_kg and
n_kg the metric total and users of account k in group g (0 when the account has none there),
Ȳ_g = Σ_k y_kg / N_g, N_g = Σ_k n_kg, the delta method with accounts as units (Deng, Knoblich &
Lu 2018, sec. 3; the CR0 cluster-robust sandwich of Liang & Zeger 1986) gives

    Cov(Ȳ_g, Ȳ_h) = Σ_k (y_kg - Ȳ_g n_kg)(y_kh - Ȳ_h n_kh) / (N_g N_h)
                  = (Syy_gh - Ȳ_h Syn_gh - Ȳ_g Syn_hg + Ȳ_g Ȳ_h Snn_gh) / (N_g N_h),

    Syy_gh = Σ_k y_kg y_kh,  Syn_gh = Σ_k y_kg n_kh,  Snn_gh = Σ_k n_kg n_kh

(:class:`GroupCrossSums`; one SQL ``GROUP BY variant, group, account`` and a self-join on the
account, :mod:`guidelab.account_breakdowns`). The diagonal is :func:`.cluster.compare_clustered`'s
CR0 variance of each group; it is scaled to the small-sample-corrected variance that
``compare_clustered`` uses (its factor f_g, a random-effects working model), and each
off-diagonal by sqrt(f_g f_h), so the correlations are the CR0 ones (:func:`group_covariance`).
Arms are independent (accounts are randomised), so the covariance of the group differences is
V = V_treatment + V_control.

What is built on it:

* one arm's rate or mean with its interval (:func:`clustered_rate`, :func:`clustered_mean`): a
  proportion gets the Wilson interval at the EFFECTIVE sample size n* = p(1-p)/var (the sample
  size that gives the clustered variance; Korn & Graubard 1998, Survey Methodology 24:193-201
  use the same effective size with Clopper-Pearson), which stays in [0, 1] and is Wilson when the
  design effect is 1; a mean gets the Wald interval on the clustered SE;
* segments (:func:`segment_effects_clustered`): per segment :func:`.cluster.compare_clustered`,
  p-values adjusted across segments, and heterogeneity by the Wald test of equal effects
  W = (Cd)ᵀ(CVCᵀ)⁻¹(Cd) ~ χ²(S-1) (C the S-1 contrasts with the last segment), the generalised
  Cochran's Q: with a diagonal V it IS Cochran's Q. The pooled effect is the generalised least
  squares one, 1ᵀV⁻¹d / 1ᵀV⁻¹1, with SE (1ᵀV⁻¹1)^-1/2;
* funnels (:func:`clustered_funnel`): each step's reach (reached / entered) and conversion
  (reached / reached the step before, among the accounts with users at the step before) are
  :func:`clustered_rate`;
* daily effects (:func:`daily_effects_clustered`): per assignment day :func:`.cluster.compare_clustered`;
  the cumulative effect to day d is the users-weighted mean of the day means, w_g = N_g/ΣN, with
  variance wᵀVw per arm; the novelty trend is the same weighted least-squares slope as
  :func:`.novelty.novelty_test` (weights 1/var_d) with the sandwich variance aᵀVa of that linear
  combination a of the daily effects, tested on the normal reference (the covariance is
  estimated from the accounts, not from the residual scale);
* retention curves (:func:`clustered_retention_curve`): per day :func:`clustered_rate`;
* survey scores (:func:`nps_clustered`, :func:`compare_nps_clustered`): NPS is the mean of the
  per-respondent scores in {-1, 0, 1} (detractor, passive, promoter), so an arm's NPS is a
  clustered mean (Wald interval) and the difference :func:`.cluster.compare_clustered`.

Calibration (seeded A/A simulations with accounts of lognormal sizes and ICC 0.1) is in
``tests/stats/test_cluster_groups.py`` (``pytest -m slow``) and docs/statistics.md.
"""
from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from ..serialize import Interval, ResultModel
from ._common import STATUS_NOT_ENOUGH_DATA, STATUS_OK, check_alpha, chi2_sf, finite_or_none, z_two_sided
from .cluster import (
    ClusterComparison,
    ClusterStats,
    _arm_variance,
    _icc_arrays,
    compare_clustered,
    compare_clustered_arrays,
)
from .curves import Funnel, RetentionCurve, RetentionPoint, funnel
from .multiplicity import AdjustMethod, adjust
from .notes import Note, NoteCode, Noted, arms_code
from .novelty import NOVELTY, PRIMACY, STABLE, NoveltyResult
from .nps import NPSComparison, NPSResult
from .segments import SegmentAnalysis

__all__ = [
    "METHOD_CLUSTERED_BREAKDOWN", "GroupCrossSums", "group_covariance", "ClusteredRate", "clustered_rate",
    "clustered_mean", "ClusteredSegmentAnalysis", "segment_effects_clustered", "ClusteredFunnel", "clustered_funnel",
    "ClusteredRetentionCurve", "clustered_retention_curve", "CumulativeEffect", "ClusteredDailyEffect", "ClusteredDailyEffects",
    "ClusteredNovelty", "daily_effects_clustered", "ClusteredNPSResult", "ClusteredNPSComparison", "nps_clustered",
    "compare_nps_clustered",
]

METHOD_CLUSTERED_BREAKDOWN = "accounts as units: delta method on per-account sums (cluster-robust)"


# --------------------------------------------------------------------------- covariance between groups


@dataclass(frozen=True)
class GroupCrossSums:
    """One arm's cross-products between groups over accounts (module docstring): ``groups`` in
    order and the matrices ``syy`` (Σ_k y_kg y_kh), ``syn`` (Σ_k y_kg n_kh) and ``snn``
    (Σ_k n_kg n_kh), indexed like ``groups``."""

    groups: tuple[str, ...]
    syy: np.ndarray
    syn: np.ndarray
    snn: np.ndarray

    @classmethod
    def from_rows(cls, groups: Sequence[Any], rows: Sequence[tuple[Any, Any, float, float, float]]) -> GroupCrossSums:
        """From rows (group g, group h, Σy_g·y_h, Σy_g·n_h, Σn_g·n_h); pairs not in ``rows`` are 0
        (no account has users in both)."""
        idx = {str(g): i for i, g in enumerate(groups)}
        m = len(idx)
        syy, syn, snn = np.zeros((m, m)), np.zeros((m, m)), np.zeros((m, m))
        for g, h, yy, yn, nn in rows:
            i, j = idx.get(str(g)), idx.get(str(h))
            if i is None or j is None:
                continue
            syy[i, j], syn[i, j], snn[i, j] = float(yy or 0), float(yn or 0), float(nn or 0)
        return cls(tuple(idx), syy, syn, snn)

    @classmethod
    def from_users(cls, group: Any, account: Any, values: Any) -> GroupCrossSums:
        """From one row per user (or per user and group): for tests and one-row-per-user tables."""
        g = np.asarray(group).ravel()
        a = np.asarray(account).ravel()
        v = np.asarray(values, dtype=float).ravel()
        names, gi = np.unique(g, return_inverse=True)
        _, ai = np.unique(a, return_inverse=True)
        y = np.zeros((ai.max() + 1 if ai.size else 0, names.size))
        n = np.zeros_like(y)
        np.add.at(y, (ai, gi), v)
        np.add.at(n, (ai, gi), 1.0)
        return cls(tuple(str(x) for x in names), y.T @ y, y.T @ n, n.T @ n)

    def subset(self, groups: Sequence[str]) -> GroupCrossSums:
        idx = [self.groups.index(str(g)) for g in groups]
        ix = np.ix_(idx, idx)
        return GroupCrossSums(tuple(str(g) for g in groups), self.syy[ix], self.syn[ix], self.snn[ix])


def group_covariance(stats: Sequence[ClusterStats], cross: GroupCrossSums, variances: Sequence[float]) -> np.ndarray:
    """Covariance matrix of the group means Ȳ_g of one arm (module docstring): the CR0 sandwich
    from ``cross``, rescaled so that its diagonal is ``variances`` (the small-sample-corrected
    variances of :func:`.cluster.compare_clustered`) and its correlations are unchanged. A group
    whose CR0 variance is 0 keeps 0 covariances."""
    n = np.array([float(s.n_users) for s in stats])
    mean = np.array([s.sum_y / s.n_users if s.n_users else 0.0 for s in stats])
    with np.errstate(divide="ignore", invalid="ignore"):
        cr0 = (cross.syy - mean[None, :] * cross.syn - mean[:, None] * cross.syn.T
               + np.outer(mean, mean) * cross.snn) / np.outer(n, n)
        d = np.diag(cr0).copy()
        scale = np.where(d > 0, np.sqrt(np.asarray(variances, dtype=float) / np.where(d > 0, d, 1.0)), 0.0)
    cov = cr0 * np.outer(scale, scale)
    np.fill_diagonal(cov, np.where(d > 0, np.asarray(variances, dtype=float), 0.0))
    return np.nan_to_num(cov)


# --------------------------------------------------------------------------- one arm's rate or mean


@dataclass(frozen=True)
class ClusteredRate(ResultModel):
    """One arm's per-user rate (or mean) over accounts: ``estimate`` = Σy/Σn, ``se`` its clustered
    standard error, ``ci`` (Wilson at the effective sample size for a proportion, Wald for a
    mean), ``n`` users, ``n_accounts`` accounts, ``design_effect`` = clustered / binomial (or
    user-level) variance. None where undefined (no users; one account: no variance)."""

    n: int
    n_accounts: int
    estimate: float | None
    se: float | None
    ci: Interval | None
    design_effect: float | None


def _arm_var(stats: ClusterStats) -> float | None:
    """The clustered variance of one arm's Σy/Σn (:func:`.cluster._arm_variance`, the working-model
    ICC of this arm alone, clipped to [0, 1]); None with fewer than 2 accounts."""
    a = stats.to_arrays()
    icc = _icc_arrays([a]).icc
    rho = np.clip(np.nan_to_num(icc, nan=0.0), 0.0, 1.0)
    return finite_or_none(_arm_variance(a, rho).var)


def _wilson(p: float, n: float, z: float) -> tuple[float, float]:
    """Wilson score interval (Wilson 1927) at a (possibly non-integer) sample size n."""
    z2 = z * z
    centre = (p + z2 / (2 * n)) / (1 + z2 / n)
    half = z * math.sqrt(p * (1 - p) / n + z2 / (4 * n * n)) / (1 + z2 / n)
    return max(0.0, centre - half), min(1.0, centre + half)


def clustered_rate(stats: ClusterStats, alpha: float = 0.05) -> ClusteredRate:
    """A proportion Σy/Σn (0/1 per user) with accounts as units: clustered variance v (as in
    :func:`.cluster.compare_clustered`, this arm's ICC), Wilson interval at the effective sample
    size n* = p(1-p)/v (Korn & Graubard 1998), capped at the users N; at p = 0 or 1 (v = 0) the
    Wilson interval at N. Design effect p(1-p)/N / ... = N/n*."""
    alpha = check_alpha(alpha)
    n, k = stats.n_users, stats.n_accounts
    if n == 0:
        return ClusteredRate(0, k, None, None, None, None)
    p = stats.sum_y / n
    var = _arm_var(stats)
    z = z_two_sided(alpha)
    if var is None:
        return ClusteredRate(n, k, p, None, None, None)
    binom = p * (1 - p)
    if var > 0 and binom > 0:
        n_eff = min(float(n), binom / var)
        return ClusteredRate(n, k, p, math.sqrt(var), _wilson(p, n_eff, z), n * var / binom)
    return ClusteredRate(n, k, p, math.sqrt(var), _wilson(p, float(n), z), None)


def clustered_mean(stats: ClusterStats, alpha: float = 0.05) -> ClusteredRate:
    """A per-user mean Σy/Σn with accounts as units: Wald interval ± z·SE on the clustered variance."""
    alpha = check_alpha(alpha)
    n, k = stats.n_users, stats.n_accounts
    if n == 0:
        return ClusteredRate(0, k, None, None, None, None)
    m = stats.sum_y / n
    var = _arm_var(stats)
    if var is None:
        return ClusteredRate(n, k, m, None, None, None)
    se = math.sqrt(var)
    z = z_two_sided(alpha)
    naive = (stats.sum_user_y2 - stats.sum_y ** 2 / n) / ((n - 1) * n) if n >= 2 else 0.0
    return ClusteredRate(n, k, m, se, (m - z * se, m + z * se), var / naive if naive > 0 else None)


# --------------------------------------------------------------------------- segments


@dataclass(frozen=True)
class ClusteredSegmentAnalysis(SegmentAnalysis):
    """:class:`.segments.SegmentAnalysis` with accounts as units: ``segments`` holds
    :class:`.cluster.ClusterComparison` per segment; the heterogeneity fields are the generalised
    Cochran's Q (Wald test of equal effects with the cluster-robust covariance between segments,
    ``q_*``) and the GLS pooled effect; ``method`` says so."""

    method: str = METHOD_CLUSTERED_BREAKDOWN


def segment_effects_clustered(
    segments: Mapping[str, tuple[ClusterStats, ClusterStats]],
    cross_t: GroupCrossSums,
    cross_c: GroupCrossSums,
    alpha: float = 0.05,
    correction: AdjustMethod = "holm",
) -> ClusteredSegmentAnalysis:
    """Effect per segment when accounts are randomised, adjusted p-values and a heterogeneity test.

    ``segments``: segment -> (treatment, control) :class:`ClusterStats` of the metric among the
    segment's users; ``cross_t``/``cross_c``: each arm's :class:`GroupCrossSums` over the segments
    (a user-level attribute such as the platform splits an account across segments, which
    correlates the segment effects; an account-level one such as the plan does not, and the
    cross terms are then 0).

    Methods: per segment :func:`.cluster.compare_clustered`; p-values adjusted with ``correction``
    (:func:`.multiplicity.adjust`); heterogeneity W = (Cd)ᵀ(CVCᵀ)⁻¹(Cd) ~ χ²(S-1) over the
    segments with a finite, positive variance (module docstring), I² = max(0, (W - df)/W);
    pooled difference by GLS. Segments left out of the test (an arm without two accounts, a zero
    variance) are listed in ``excluded``; fewer than 2 left, or a singular covariance: status
    "not_enough_data" and the heterogeneity fields None.
    """
    if not isinstance(segments, Mapping) or not segments:
        raise ValueError("segments must be a non-empty mapping of name -> (treatment, control) ClusterStats")
    alpha = check_alpha(alpha)
    adjust([], correction)
    comparisons: dict[str, ClusterComparison] = {}
    included: list[str] = []
    excluded: list[str] = []
    notes: list[Note] = []
    var_t: list[float] = []
    var_c: list[float] = []
    for name, (t, c) in segments.items():
        key = str(name)
        res = compare_clustered(t, c, alpha=alpha)
        comparisons[key] = res
        if res.status != STATUS_OK or res.se_abs_diff is None or res.se_abs_diff <= 0:
            excluded.append(key)
            few = t.n_accounts < 2 or c.n_accounts < 2
            notes.append(Note.of(NoteCode.SEGMENT_LEFT_OUT_FEW_ACCOUNTS, segment=key,
                                 arms=arms_code(t.n_accounts < 2, c.n_accounts < 2)) if few
                         else Note.of(NoteCode.SEGMENT_LEFT_OUT_ZERO_VARIANCE, segment=key))
            continue
        arr = compare_clustered_arrays(t.to_arrays(), c.to_arrays(), alpha)
        included.append(key)
        var_t.append(float(arr.var_mean))
        var_c.append(float(arr.var_mean_control))
    names = list(comparisons)
    adjusted_p = dict(zip(names, adjust([comparisons[k].p_value for k in names], correction)))
    common: dict[str, Any] = {"segments": comparisons, "adjusted_p_values": adjusted_p, "correction": correction,
                              "excluded": tuple(excluded), "alpha": alpha}

    def not_enough(note: Note) -> ClusteredSegmentAnalysis:
        return ClusteredSegmentAnalysis(**common, q_statistic=None, q_df=None, q_p_value=None, i_squared=None,
                                        pooled_abs_diff=None, pooled_se=None, heterogeneity_significant=None,
                                        status=STATUS_NOT_ENOUGH_DATA, notes=(*notes, note))

    if len(included) < 2:
        return not_enough(Note.of(NoteCode.TOO_FEW_SEGMENTS, n=len(included)))
    st_t = [segments[k][0] for k in included]
    st_c = [segments[k][1] for k in included]
    v = (group_covariance(st_t, cross_t.subset(included), var_t)
         + group_covariance(st_c, cross_c.subset(included), var_c))
    d = np.array([float(comparisons[k].abs_diff) for k in included])  # type: ignore[arg-type]
    het = _equal_effects_test(d, v)
    if het is None:
        return not_enough(Note.of(NoteCode.TOO_FEW_SEGMENTS, n=len(included)))
    w, df, pooled, pooled_se = het
    p_value = float(chi2_sf(w, df))
    return ClusteredSegmentAnalysis(
        **common, q_statistic=w, q_df=df, q_p_value=p_value,
        i_squared=max(0.0, (w - df) / w) if w > 0 else 0.0, pooled_abs_diff=pooled, pooled_se=pooled_se,
        heterogeneity_significant=bool(p_value < alpha), status=STATUS_OK, notes=tuple(notes))


def _equal_effects_test(d: np.ndarray, v: np.ndarray) -> tuple[float, int, float, float] | None:
    """Wald test that all effects d are equal, with covariance v: (W, df, GLS pooled effect, its SE);
    None when v (or the contrasts' covariance) is not positive definite."""
    s = d.size
    c = np.hstack([np.eye(s - 1), -np.ones((s - 1, 1))])
    try:
        np.linalg.cholesky(v)
        cd = c @ d
        w = float(cd @ np.linalg.solve(c @ v @ c.T, cd))
        vi1 = np.linalg.solve(v, np.ones(s))
    except np.linalg.LinAlgError:
        return None
    total = float(vi1.sum())
    if not (total > 0 and math.isfinite(w)):
        return None
    return max(w, 0.0), s - 1, float(vi1 @ d) / total, 1.0 / math.sqrt(total)


# --------------------------------------------------------------------------- funnels


@dataclass(frozen=True)
class ClusteredFunnel(Funnel):
    """:class:`.curves.Funnel` whose intervals count accounts as units (:func:`clustered_funnel`):
    the counts are the users' as before; ``n_accounts`` accounts entered."""

    n_accounts: int = 0
    method: str = METHOD_CLUSTERED_BREAKDOWN


def clustered_funnel(step_names: Sequence[str], reach: Sequence[ClusterStats], conversion: Sequence[ClusterStats],
                     alpha: float = 0.05) -> ClusteredFunnel:
    """A funnel (:func:`.curves.funnel`: users reaching each step, drops, largest drop) whose
    intervals are clustered: per step ``reach[i]`` has n_k = users of account k who entered and
    y_k = those who reached step i; ``conversion[i]`` n_k = users of account k at the step before
    (entered for the first step; accounts with none there are absent) and y_k = those who reached
    step i. Each rate's interval is :func:`clustered_rate`; the completion's is the last reach's."""
    alpha = check_alpha(alpha)
    if len(reach) != len(step_names) or len(conversion) != len(step_names):
        raise ValueError("step_names, reach and conversion must have one entry per step")
    entered = reach[0].n_users if reach else 0
    counts = [int(round(s.sum_y)) for s in reach]
    base = funnel(step_names, counts, entered, alpha=alpha)
    steps = []
    for st, r, c in zip(base.steps, reach, conversion):
        rr, cc = clustered_rate(r, alpha), clustered_rate(c, alpha)
        steps.append(replace(st, reach_ci=rr.ci if st.reach_rate is not None else None,
                             conversion_ci=cc.ci if st.conversion is not None else None))
    fields = {f: getattr(base, f) for f in ("entered", "completion", "largest_drop", "largest_relative_drop", "alpha",
                                             "status", "notes")}
    fields["completion_ci"] = steps[-1].reach_ci if steps else None
    return ClusteredFunnel(**fields, steps=tuple(steps), n_accounts=reach[0].n_accounts if reach else 0)


# --------------------------------------------------------------------------- retention curves


@dataclass(frozen=True)
class ClusteredRetentionCurve(RetentionCurve):
    """:class:`.curves.RetentionCurve` with pointwise intervals from the clustered SE
    (:func:`clustered_rate` per day); ``n_accounts`` per day in ``accounts``."""

    accounts: tuple[int, ...] = ()
    method: str = METHOD_CLUSTERED_BREAKDOWN


def clustered_retention_curve(days: Sequence[int], stats: Sequence[ClusterStats],
                              alpha: float = 0.05) -> ClusteredRetentionCurve:
    """Day-d retention among the users whose day d is complete, accounts as units: ``stats[i]`` has
    n_k = matured users of account k and y_k = those active on day ``days[i]``. Counts and
    statuses as :func:`.curves.retention_curve`; each day's interval is :func:`clustered_rate`
    (pointwise, not simultaneous)."""
    from .curves import retention_curve

    alpha = check_alpha(alpha)
    if len(days) != len(stats):
        raise ValueError("days and stats must have the same length")
    base = retention_curve(list(days), [s.n_users for s in stats], [int(round(s.sum_y)) for s in stats], alpha=alpha)
    points: list[RetentionPoint] = []
    for p, s in zip(base.points, stats):
        points.append(replace(p, ci=clustered_rate(s, alpha).ci) if p.n > 0 else p)
    return ClusteredRetentionCurve(tuple(points), base.alpha, base.status, base.notes,
                                   accounts=tuple(s.n_accounts for s in stats))


# --------------------------------------------------------------------------- daily effects and novelty


@dataclass(frozen=True)
class CumulativeEffect(ResultModel):
    """The effect among the users assigned up to a day (accounts as units): difference, Wald
    interval, SE and two-sided p-value; None where an arm has no users or no variance."""

    abs_diff: float | None
    abs_ci: Interval | None
    se_abs_diff: float | None
    p_value: float | None


@dataclass(frozen=True)
class ClusteredDailyEffect(ResultModel):
    """One assignment day: ``daily`` (:class:`.cluster.ClusterComparison` among that day's users)
    and ``cumulative`` (users assigned up to that day: the users-weighted mean of the day means,
    variance wᵀVw per arm)."""

    day: Any
    day_index: int
    daily: ClusterComparison
    se: float | None
    cumulative: CumulativeEffect


@dataclass(frozen=True)
class ClusteredNovelty(NoveltyResult):
    """The novelty trend of :func:`.novelty.novelty_test` (same fields and classification) with the
    slope's variance from the clustered covariance of the daily effects (normal reference, so
    ``df`` is None), and the ``method``."""

    method: str = METHOD_CLUSTERED_BREAKDOWN


@dataclass(frozen=True)
class ClusteredDailyEffects(Noted, ResultModel):
    days: tuple[ClusteredDailyEffect, ...]
    alpha: float
    notes: tuple[Note, ...] = ()
    method: str = METHOD_CLUSTERED_BREAKDOWN


def daily_effects_clustered(days: Sequence[Any], treatment: Sequence[ClusterStats], control: Sequence[ClusterStats],
                            cross_t: GroupCrossSums, cross_c: GroupCrossSums,
                            alpha: float = 0.05) -> tuple[ClusteredDailyEffects, ClusteredNovelty]:
    """Daily and cumulative effects by assignment day, and the novelty trend, with accounts as units.

    ``treatment[i]``/``control[i]``: the :class:`ClusterStats` of the users assigned on ``days[i]``
    (an account's users may be assigned on several days); ``cross_*``: each arm's
    :class:`GroupCrossSums` over the days (``groups`` = ``str(day)``). Per day
    :func:`.cluster.compare_clustered`; cumulative and trend from the covariance of the day means
    (module docstring). The trend uses the days whose comparison is "ok"; fewer than 3: status
    "not_enough_data"."""
    from .novelty import _day_indices

    alpha = check_alpha(alpha)
    if not len(days) == len(treatment) == len(control):
        raise ValueError("days, treatment and control must have the same length")
    idx = _day_indices(list(days))
    z = z_two_sided(alpha)
    keys = [str(d) for d in days]
    comps = [compare_clustered(t, c, alpha=alpha) for t, c in zip(treatment, control)]
    arrs = [compare_clustered_arrays(t.to_arrays(), c.to_arrays(), alpha) for t, c in zip(treatment, control)]
    vt = [float(np.nan_to_num(a.var_mean)) for a in arrs]
    vc = [float(np.nan_to_num(a.var_mean_control)) for a in arrs]
    cov_t = group_covariance(treatment, cross_t.subset(keys), vt)
    cov_c = group_covariance(control, cross_c.subset(keys), vc)
    nt = np.array([s.n_users for s in treatment], dtype=float)
    nc = np.array([s.n_users for s in control], dtype=float)
    mt = np.array([s.sum_y / s.n_users if s.n_users else 0.0 for s in treatment])
    mc = np.array([s.sum_y / s.n_users if s.n_users else 0.0 for s in control])
    out = []
    for i, (d, cmp) in enumerate(zip(days, comps)):
        wt, wc = nt[: i + 1], nc[: i + 1]
        if wt.sum() > 0 and wc.sum() > 0:
            at, ac = wt / wt.sum(), wc / wc.sum()
            diff = float(at @ mt[: i + 1] - ac @ mc[: i + 1])
            var = float(at @ cov_t[: i + 1, : i + 1] @ at + ac @ cov_c[: i + 1, : i + 1] @ ac)
            if var > 0:
                se = math.sqrt(var)
                pv = math.erfc(abs(diff) / se / math.sqrt(2))
                cum = CumulativeEffect(diff, (diff - z * se, diff + z * se), se, pv)
            else:
                cum = CumulativeEffect(diff, None, None, None)
        else:
            cum = CumulativeEffect(None, None, None, None)
        out.append(ClusteredDailyEffect(d, idx[i], cmp, cmp.se_abs_diff, cum))
    effects = ClusteredDailyEffects(tuple(out), alpha)
    used = [i for i, c in enumerate(comps) if c.status == STATUS_OK and c.se_abs_diff and c.abs_diff is not None]
    skipped = tuple(days[i] for i in range(len(days)) if i not in set(used))
    notes: list[Note] = [Note.of(NoteCode.DAYS_SKIPPED, n=len(skipped))] if skipped else []
    empty: dict[str, Any] = dict(classification=None, slope=None, slope_se=None, slope_ci=None, p_value=None,
                                 intercept=None, mean_effect=None, df=None, days_used=len(used), days_skipped=skipped,
                                 alpha=alpha, status=STATUS_NOT_ENOUGH_DATA)
    if len(used) < 3:
        return effects, ClusteredNovelty(**empty, notes=(*notes, Note.of(NoteCode.TOO_FEW_DAYS, n=len(used))))
    x = np.array([idx[i] for i in used], dtype=float)
    dvec = np.array([comps[i].abs_diff for i in used], dtype=float)
    v = cov_t[np.ix_(used, used)] + cov_c[np.ix_(used, used)]
    w = 1.0 / np.diag(v)
    design = np.column_stack([np.ones_like(x), x])
    bread = np.linalg.inv(design.T @ (w[:, None] * design))
    a = bread @ (design.T * w)  # (2, days): the WLS coefficients as linear combinations of the effects
    intercept, slope = (float(t) for t in a @ dvec)
    slope_var = float(a[1] @ v @ a[1])
    mean_effect = float(np.sum(w * dvec) / np.sum(w))
    if not slope_var > 0:
        return effects, ClusteredNovelty(**{**empty, "slope": slope, "intercept": intercept, "mean_effect": mean_effect},
                                         notes=(*notes, Note(NoteCode.EFFECTS_ON_A_LINE)))
    se = math.sqrt(slope_var)
    p = math.erfc(abs(slope) / se / math.sqrt(2))
    cls = STABLE if not p < alpha else (NOVELTY if slope * mean_effect < 0 else PRIMACY)
    return effects, ClusteredNovelty(cls, slope, se, (slope - z * se, slope + z * se), p, intercept, mean_effect, None,
                                     len(used), skipped, alpha, STATUS_OK, tuple(notes))


# --------------------------------------------------------------------------- survey scores (NPS)


@dataclass(frozen=True)
class ClusteredNPSResult(NPSResult):
    """:class:`.nps.NPSResult` of one arm with accounts as units (:func:`nps_clustered`): ``se`` and
    ``ci`` are clustered; the counts and the score distribution are the respondents' as before;
    ``response_rate_ci`` is None (the response rate is shown without an interval);
    ``n_accounts``: accounts with a respondent."""

    n_accounts: int = 0
    method: str = METHOD_CLUSTERED_BREAKDOWN


@dataclass(frozen=True)
class ClusteredNPSComparison(NPSComparison):
    """:class:`.nps.NPSComparison` with accounts as units: ``diff``, ``se``, ``ci`` and ``p_value``
    from :func:`.cluster.compare_clustered` on the scores in {-1, 0, 1}; ``icc`` and
    ``design_effect`` from it."""

    n_accounts: int = 0
    n_accounts_control: int = 0
    icc: float | None = None
    design_effect: float | None = None
    method: str = METHOD_CLUSTERED_BREAKDOWN


def nps_clustered(user_level: NPSResult, stats: ClusterStats, alpha: float = 0.05) -> ClusteredNPSResult:
    """NPS = mean of the respondents' scores +1 (9-10), 0 (7-8), -1 (0-6): ``stats`` holds their
    per-account sums; the interval is :func:`clustered_mean`'s Wald interval, clipped to [-1, 1].
    ``user_level`` (:func:`.nps.nps` on the same respondents) gives the counts and distribution;
    its NPS must equal Σy/Σn."""
    r = clustered_mean(stats, alpha)
    if user_level.n != stats.n_users:
        raise ValueError(f"the per-account sums count {stats.n_users} respondents, the counts {user_level.n}")
    ci = None if r.ci is None else (max(-1.0, r.ci[0]), min(1.0, r.ci[1]))
    fields = {f.name: getattr(user_level, f.name) for f in dataclasses.fields(NPSResult)}
    fields.update(se=r.se, ci=ci, response_rate_ci=None, alpha=alpha)
    return ClusteredNPSResult(**fields, n_accounts=stats.n_accounts)


def compare_nps_clustered(treatment: ClusteredNPSResult, control: ClusteredNPSResult, stats_t: ClusterStats,
                          stats_c: ClusterStats, alpha: float = 0.05) -> ClusteredNPSComparison:
    """Difference of two NPS with accounts as units: :func:`.cluster.compare_clustered` on the
    per-account sums of the scores in {-1, 0, 1}."""
    c = compare_clustered(stats_t, stats_c, alpha=alpha)
    return ClusteredNPSComparison(treatment, control, c.abs_diff, c.se_abs_diff, c.abs_ci, c.p_value, alpha,
                                  c.status, c.notes, n_accounts=c.n_accounts, n_accounts_control=c.n_accounts_control,
                                  icc=c.icc, design_effect=c.design_effect)
