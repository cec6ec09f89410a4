"""The chain from data to verdict: events -> metric counts (SQL) -> statistics -> decision.

Two entry points: :func:`analyze_experiment` for an experiment spec and a data directory in
the contract, and :func:`analyze_user_table` for a one-row-per-user table (the form public
A/B data sets and warehouse exports take).
"""
from __future__ import annotations

import datetime as dt
import math
import tempfile
from dataclasses import dataclass, replace
from functools import lru_cache
from pathlib import Path
from statistics import NormalDist
from typing import Any, ClassVar, Mapping, Sequence

import duckdb

from .decision import ComparisonView, Progress, Reason, decide, default_guardrail_margin
from .engine import connect_duckdb
from .errors import DataError, GuidelabError
from .events import DataCheck, open_event_data, utf8_copy
from .experiment import ExperimentSpec, StatisticsSpec
from .metrics import ExperimentCounts, ProportionCounts, compute_counts
from .results import Comparison as MetricComparison
from .results import ExperimentResult, MetricResult
from .serialize import JsonField, ResultModel, to_jsonable
from .stats._common import Comparison as BaseComparison
from .stats.bayes import beta_binomial
from .stats.cuped import compare_cuped
from .stats.means import compare_means
from .stats.multiplicity import adjust
from .stats.notes import NOTES_JSON, Note, NoteCode, Noted
from .stats.poststrat import compare_poststratified
from .stats.power import users_needed
from .stats.proportions import compare_proportions
from .stats.ratio import compare_ratios
from .stats.sequential import confidence_sequence_halfwidth, sequential_interval, sequential_relative_interval
from .stats.srm import srm_test
from .values import BOOL_VOCABULARY, shown, sql_bool_case, sql_bool_is_valid, sql_identifier, sql_literal


@dataclass(frozen=True)
class SequentialView(Noted, ResultModel):
    """Always-valid intervals of one comparison: the difference and the relative lift."""

    ci: tuple[float, float] | None
    relative_ci: tuple[float, float] | None
    can_stop: bool
    alpha: float
    tuning: float
    notes: tuple[Note, ...] = ()

    method: ClassVar[str] = "asymptotic confidence sequence (Waudby-Smith et al. 2024)"
    _json_fields = ("ci", "relative_ci", "can_stop", "alpha", JsonField("tuning", convert=to_jsonable), "method", "note", NOTES_JSON)


@lru_cache(maxsize=256)
def _normal_quantile(p: float) -> float:
    """The standard normal quantile (statistics.NormalDist, cached: the same few alphas every look)."""
    return NormalDist().inv_cdf(p)


def _standard_errors(cmp: BaseComparison, z: float) -> tuple[float | None, float | None]:
    """(SE of the difference, SE of the log ratio), read from the comparison or its intervals."""
    se_abs = getattr(cmp, "se_abs_diff", None)
    se_log = getattr(cmp, "se_log_ratio", None)
    if se_abs is None and cmp.abs_ci is not None:
        se_abs = (cmp.abs_ci[1] - cmp.abs_ci[0]) / (2 * z)
    if se_log is None and cmp.rel_ci is not None and cmp.rel_ci[0] > -1:
        se_log = (math.log1p(cmp.rel_ci[1]) - math.log1p(cmp.rel_ci[0])) / (2 * z)
    return se_abs, se_log


def sequential_view(cmp: BaseComparison, alpha: float, tuning: float) -> SequentialView:
    """Confidence sequences for a comparison at this look (valid at every look)."""
    z = _normal_quantile(1 - cmp.alpha / 2)
    se_abs, se_log = _standard_errors(cmp, z)
    n = (cmp.n or 0) + (cmp.n_control or 0)
    if cmp.status != "ok" or cmp.abs_diff is None or se_abs is None:
        return SequentialView(None, None, False, alpha, tuning, (Note(NoteCode.NOT_ENOUGH_DATA_SEQUENTIAL),))
    absolute = sequential_interval(cmp.abs_diff, se_abs, n, alpha=alpha, tuning=tuning)
    relative = None
    if cmp.rel_lift is not None and se_log is not None:
        relative = sequential_relative_interval(cmp.rel_lift, se_log, n, alpha=alpha, tuning=tuning)
    return SequentialView(absolute.ci, relative.ci if relative else None, absolute.can_stop, alpha, tuning,
                          absolute.notes)


POSTSTRAT_METHOD = "post-stratification (Miratrix, Sekhon & Yu 2013), normal interval"
PROPORTION_METHOD = "miettinen-nurminen score (difference, relative lift); fisher exact below expected count 10"


CLUSTER_METHOD = ("delta method on per-account sums, small-sample factor under a random-effects working model "
                  "(Deng et al. 2018; Bell & McCaffrey 2002); Fieller interval for the relative lift")
ACCOUNT_RATIO_METHOD = "delta method with covariance, accounts as units (Deng et al. 2018)"


def _by_account(cmp: Any, t: Any, c: Any) -> Any:
    """The ratio comparison on per-account totals, counting users in ``n`` and accounts apart."""
    from dataclasses import fields

    from .stats.ratio import AccountRatioComparison

    values = {f.name: getattr(cmp, f.name) for f in fields(cmp)}
    values.update(n=t.n_users, n_control=c.n_users, n_accounts=t.n, n_accounts_control=c.n)
    return AccountRatioComparison(**values)


def _compare(kind: str, t: Any, c: Any, alpha: float) -> tuple[MetricComparison, str]:
    from .account_stats import AccountRatioStats
    from .stats.cluster import ClusterStats, compare_clustered

    if isinstance(t, ClusterStats):  # randomised by account: every proportion and mean
        return compare_clustered(t, c, alpha=alpha), CLUSTER_METHOD
    if isinstance(t, AccountRatioStats):
        return _by_account(compare_ratios(t, c, alpha=alpha), t, c), ACCOUNT_RATIO_METHOD
    if kind == "proportion":
        return compare_proportions(t.successes, t.n, c.successes, c.n, alpha=alpha), PROPORTION_METHOD
    if kind == "mean":
        return compare_means(t, c, alpha=alpha), "welch-t (difference), delta-method log-ratio (relative lift)"
    if kind == "ratio":
        return compare_ratios(t, c, alpha=alpha), "delta method with covariance (Deng et al. 2018)"
    if kind == "quantile":  # per-arm order statistics (guidelab.stats.quantiles)
        from .stats.quantiles import METHOD as QUANTILE_METHOD
        from .stats.quantiles import compare_quantiles

        return compare_quantiles(t, c, alpha=alpha), QUANTILE_METHOD
    raise ValueError(f"unknown metric kind {kind!r}")


MetricInput = tuple[str, str, bool, bool, Mapping[str, Any]]


def compare_all(metric_counts: Sequence[MetricInput], control: str, alpha: float,
                statistics: StatisticsSpec | None = None, kinds: Mapping[str, str] | None = None,
                covariates: Mapping[str, Mapping[str, Any] | None] | None = None,
                comparisons: Mapping[tuple[str, str], Any] | None = None,
                strata: Mapping[str, Mapping[str, Mapping[str, Any]] | None] | None = None,
                cappings: Mapping[str, Any] | None = None) -> list[MetricResult]:
    """Compare every treatment arm with the control on every metric, with the spec's methods.

    ``comparisons``: (metric, variant) -> the :func:`compare_proportions` result of that arm
    against the control at this ``alpha``, already computed (e.g. for many experiments at once by
    :func:`guidelab.stats.proportions.compare_proportions_many`, which gives the same objects);
    proportion metrics found there are not compared again.

    Multiplicity: the primary metric across arms is one family, the secondary metrics across
    arms and metrics another (Holm or Benjamini-Hochberg); guardrails are not adjusted (a harm
    signal must not be diluted). Sequential intervals use alpha split evenly over the family
    (Bonferroni), the always-valid analogue of that correction.

    ``strata``: metric -> variant -> stratum -> CovariateStats when ``statistics.adjust_for`` is
    set: proportion and mean metrics are then post-stratified (with CUPED within strata when
    ``cuped`` is on; :func:`guidelab.stats.poststrat.compare_poststratified`). ``cappings``:
    metric -> :class:`guidelab.adjustments.CappingSummary` of a capped metric (its statistics are
    already of the capped values), carried to the result.
    """
    st = statistics or StatisticsSpec()
    rows: list[tuple[Any, ...]] = []  # per arm and metric, before the families are adjusted
    for name, role, higher, randomised, by_variant in metric_counts:
        kind = (kinds or {}).get(name, "proportion")
        c = by_variant[control]
        cov = (covariates or {}).get(name)
        for variant, t in by_variant.items():
            if variant == control:
                continue
            known = comparisons.get((name, variant)) if comparisons is not None and kind == "proportion" else None
            cmp, method = (known, PROPORTION_METHOD) if known is not None else _compare(kind, t, c, alpha)
            unadjusted = None
            cells = (strata or {}).get(name)
            if st.adjust_for and cells and kind in ("proportion", "mean") and variant in cells and control in cells:
                unadjusted = cmp
                cmp = compare_poststratified(cells[variant], cells[control], alpha=alpha, covariate=st.cuped)
                method = POSTSTRAT_METHOD + (" with cuped within strata (Deng et al. 2013)" if st.cuped else "")
            elif st.cuped and cov is not None and kind in ("proportion", "mean") and cov.get(variant) is not None:
                unadjusted = cmp
                cmp = compare_cuped(cov[variant], cov[control], alpha=alpha)
                method = "cuped regression adjustment (Deng et al. 2013), normal interval"
            bayes = None
            if st.bayesian and kind == "proportion" and hasattr(t, "successes"):  # not by account
                bayes = beta_binomial(t.successes, t.n, c.successes, c.n, prior=tuple(st.prior), alpha=alpha)
                if not higher and bayes.chance_to_beat_control is not None:  # lower is better (dismissals)
                    bayes = replace(bayes, chance_to_beat_control=1.0 - bayes.chance_to_beat_control,
                                    expected_loss=bayes.expected_loss_control,
                                    expected_loss_control=bayes.expected_loss)
                if c.successes == 0 and bayes.scale == "relative" and bayes.credible_interval is not None:
                    # A lift relative to a rate of 0 has no scale: the prior alone sets its bounds.
                    bayes = replace(bayes, credible_interval=None,
                                    notes=(Note(NoteCode.CONTROL_NO_SUCCESSES),))
            rows.append((name, role, variant, higher, randomised, cmp, kind, method, unadjusted, bayes,
                         (cappings or {}).get(name)))
    out: list[MetricResult] = []
    for family_role in ("primary", "secondary", "guardrail"):
        family = [r for r in rows if r[1] == family_role]
        raw = [r[5].p_value for r in family]
        adjusted = raw if family_role == "guardrail" else adjust(raw, st.correction)
        k = max(1, len(family)) if family_role != "guardrail" else 1
        for (name, role, variant, higher, randomised, cmp, kind, method, unadjusted, bayes, capping), p in \
                zip(family, adjusted):
            seq = sequential_view(cmp, alpha / k, st.sequential_tuning) if st.sequential else None
            significant = seq.can_stop if seq is not None else (p is not None and p < alpha)
            out.append(MetricResult(name, role, variant, control, higher, randomised, cmp, p, kind,
                                    method + ("; sequential" if seq else ""), unadjusted, seq, bayes, significant,
                                    capping))
    return out


def _daily_rate(daily: Sequence[tuple[dt.date, str, int]], variant: str, last_days: int = 7) -> float:
    days = sorted({d for d, _, _ in daily})[-last_days:]
    if not days:
        return 0.0
    return sum(n for d, v, n in daily if v == variant and d in days) / len(days)


# --- the one entry point on sufficient statistics -----------------------------------------------

@dataclass(frozen=True)
class MetricStatistics:
    """One metric's per-variant sufficient statistics and what the rules need to know about it.

    ``by_variant``: ProportionCounts, MeanStats or RatioStats by ``kind``; ``covariate``: CUPED
    statistics per variant (or None); ``maturation_days``: days before a user's value is final
    (:attr:`guidelab.catalog.MetricDef.maturation_days`); ``guide_only``: only a shown guide can
    produce it (0 by construction in a no-guide arm); ``family``: the catalogue family, for the
    default guardrail margin.
    """

    name: str
    role: str  # primary | secondary | guardrail
    by_variant: Mapping[str, Any]
    higher_is_better: bool = True
    kind: str = "proportion"
    randomised: bool = True
    covariate: Mapping[str, Any] | None = None
    maturation_days: int = 0
    guide_only: bool = False
    family: str = ""
    capping: Any = None  # guidelab.adjustments.CappingSummary: the metric was capped (statistics.capping)
    strata: Mapping[str, Mapping[str, Any]] | None = None  # variant -> stratum -> CovariateStats (adjust_for)

    @classmethod
    def from_counts(cls, m: Any) -> "MetricStatistics":
        """From a :class:`guidelab.metrics.MetricCounts` (the spec path)."""
        d = m.metric
        randomised = d.randomised
        if d.may_be_unreached and any(getattr(s, "censoring", None) == "reachers" for s in m.by_variant.values()):
            randomised = False  # a quantile among the users who reached the event: conditioned on reaching it
        return cls(d.name, m.role, m.by_variant, d.higher_is_better, d.kind, randomised, m.covariate,
                   d.maturation_days, d.guide_only, d.family, getattr(m, "capping", None), getattr(m, "strata", None))


def _z_one_sided(alpha: float) -> float:
    return _normal_quantile(1 - alpha)


def _cs_multiplier(n: float, alpha: float, tuning: float) -> float:
    """Halfwidth of the confidence sequence in units of the standard error after n units."""
    return confidence_sequence_halfwidth(1.0, n, alpha=alpha, tuning=tuning) if n > 0 else math.inf


def _diff_and_se(kind: str, t: Any, c: Any, cmp: Any, alpha: float) -> tuple[float | None, float | None]:
    """(difference, SE) for guardrail bounds. Proportions: Agresti-Caffo (one success and one failure
    added to each arm; Agresti & Caffo 2000), so an arm with 0 events never has a zero SE;
    otherwise the comparison's own SE."""
    if kind == "proportion" and hasattr(t, "successes"):  # by account: the clustered comparison's SE
        if not t.n or not c.n:
            return None, None
        pt, pc = (t.successes + 1) / (t.n + 2), (c.successes + 1) / (c.n + 2)
        return pt - pc, math.sqrt(pt * (1 - pt) / (t.n + 2) + pc * (1 - pc) / (c.n + 2))
    se, _ = _standard_errors(cmp, _normal_quantile(1 - alpha / 2))
    return cmp.abs_diff, se


def _wilson_bound(successes: int, n: int, z: float, upper: bool) -> float | None:
    """Wilson score bound of one proportion with multiplier z (Wilson 1927)."""
    if n <= 0 or not math.isfinite(z):
        return None
    p = successes / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z / (1 + z * z / n) * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    return centre + half if upper else centre - half


def _guardrail_bounds(r: MetricResult, t: Any, c: Any, mode: str, alpha: float, tuning: float,
                      ceiling: float | None) -> tuple[float | None, float | None]:
    """(always-valid lower bound of the harm at 1 - alpha, one-sided 1 - alpha upper bound of the harm).

    Harm is the difference in the bad direction, or, against a ceiling, the arm's own rate. The
    upper (non-inferiority) bound uses the fixed-horizon z_{1-alpha} in fixed mode and the
    confidence sequence at 2 alpha (one-sided alpha) in sequential mode; the lower (harm) bound
    is always the confidence sequence at alpha (one-sided alpha/2), valid at every look.
    """
    if ceiling is not None and not hasattr(t, "successes"):  # by account: the arm's clustered interval
        est, se, n = r.comparison.estimate, r.comparison.se_estimate, getattr(t, "n_users", 0)
        if r.kind != "proportion" or est is None or se is None or not n:
            return None, None
        z_up = _z_one_sided(alpha) if mode == "fixed" else _cs_multiplier(n, 2 * alpha, tuning)
        return est - _cs_multiplier(n, alpha, tuning) * se, est + z_up * se
    if ceiling is not None:
        if r.kind != "proportion" or not t.n:
            return None, None
        z_up = _z_one_sided(alpha) if mode == "fixed" else _cs_multiplier(t.n, 2 * alpha, tuning)
        return (_wilson_bound(t.successes, t.n, _cs_multiplier(t.n, alpha, tuning), upper=False),
                _wilson_bound(t.successes, t.n, z_up, upper=True))
    diff, se = _diff_and_se(r.kind, t, c, r.comparison, alpha)
    if diff is None or se is None or not math.isfinite(se):
        return None, None
    harm = -diff if r.higher_is_better else diff
    n = (r.comparison.n or 0) + (r.comparison.n_control or 0)
    z_up = _z_one_sided(alpha) if mode == "fixed" else _cs_multiplier(n, 2 * alpha, tuning)
    return harm - _cs_multiplier(n, alpha, tuning) * se, harm + z_up * se


def _view(r: MetricResult, *, mode: str = "fixed", alpha: float = 0.05, arms: int = 1, tuning: float = 5000,
          margin: float = 0.0, ceiling: float | None = None, judgeable: bool = True,
          counts: tuple[Any, Any] | None = None) -> ComparisonView:
    """What the rules read of one comparison, with its bounds in harm units.

    Primary: the always-valid (1 - alpha/arms) lower bound of the harm (KILL at any look).
    Guardrail: :func:`_guardrail_bounds` against ``margin`` or ``ceiling``.
    """
    c = r.comparison
    abs_ci = r.sequential.ci if r.sequential is not None else c.abs_ci
    lower = upper = av_rel = None
    if r.role == "primary" and c.status == "ok" and c.abs_diff is not None:
        seq = r.sequential if r.sequential is not None else sequential_view(c, alpha / max(1, arms), tuning)
        if seq.ci is not None:
            lower = -seq.ci[1] if r.higher_is_better else seq.ci[0]
            upper = -seq.ci[0] if r.higher_is_better else seq.ci[1]
        av_rel = tuple(seq.relative_ci) if seq.relative_ci else None
    elif r.role == "guardrail" and counts is not None and judgeable:
        lower, upper = _guardrail_bounds(r, counts[0], counts[1], mode, alpha, tuning, ceiling)
    return ComparisonView(r.metric, r.role, r.variant, r.higher_is_better, c.status, c.p_value, r.p_value_adjusted,
                          c.rel_lift, r.rel_ci, c.abs_diff, r.value, r.value_control, r.significant, r.kind,
                          r.sequential is not None, tuple(abs_ci) if abs_ci else None, float(margin),
                          lower, upper, ceiling, judgeable, av_rel)


def _planned(primary: MetricStatistics, row: MetricResult, *, alpha: float, mde: float, power: float,
             arms: int, ratio: float, sequential: bool, tuning: float, baseline: float | None) -> tuple[int, int] | None:
    """(control, treatment) users the plan needs for this comparison, or None when it cannot be planned."""
    base = baseline if baseline is not None else row.value_control
    effect = mde if primary.higher_is_better else -mde
    variance = None
    clustered = primary.by_variant.get(row.control)
    if primary.kind == "mean":
        variance = getattr(row.observed, "variance_control", None)
        if variance is None and hasattr(clustered, "sum_user_y2"):  # by account: the user-level variance
            variance = _user_variance(clustered)
    elif primary.kind != "proportion":
        return None
    try:
        need = users_needed(base, effect, alpha=alpha, comparisons=arms, power=power, ratio=ratio,
                            sequential=sequential, tuning=tuning, kind=primary.kind, variance=variance)
    except (ValueError, TypeError):
        return None
    if hasattr(clustered, "sum_user_y2"):
        return _clustered_need(need, row.comparison)
    return need


def _user_variance(s: Any) -> float | None:
    """The user-level sample variance of a metric from its :class:`ClusterStats`."""
    if s.n_users < 2:
        return None
    return max(s.sum_user_y2 - s.sum_y * s.sum_y / s.n_users, 0.0) / (s.n_users - 1)


def _clustered_need(need: tuple[int, int], cmp: Any) -> tuple[int, int] | None:
    """(control, treatment) users when accounts are randomised: each arm's user-randomised need
    inflated by the design effect of the observed ICC (clipped at 0; 0 when undefined) and account sizes, by
    :func:`guidelab.stats.cluster.users_needed_clustered`, the function ``guidelab plan`` uses."""
    from .stats.cluster import users_needed_clustered

    icc, m, cv = getattr(cmp, "icc", None), getattr(cmp, "mean_account_size", None), getattr(cmp, "cv_account_size", None)
    if m is None or cv is None:
        return None
    rho = min(max(icc or 0.0, 0.0), 0.999)  # undefined (e.g. one user per account): no inflation
    return (users_needed_clustered(need[0], rho, max(m, 1.0), cv).users,
            users_needed_clustered(need[1], rho, max(m, 1.0), cv).users)


def _progress(primary: MetricStatistics, rows: Sequence[MetricResult], control: str, assigned: Mapping[str, int],
              weights: Mapping[str, float], daily_assigned: Sequence[tuple[dt.date, str, int]], as_of: dt.date | None,
              planned_users: int | Mapping[str, int] | None, previous_users: Mapping[str, int] | None = None,
              **plan: Any) -> dict[str, Progress]:
    """Per treatment arm: the planned sample (the plan's function, or ``planned_users``), the users
    whose primary has matured, and the days still needed at the last 7 days' traffic plus the
    maturation lag (:attr:`MetricStatistics.maturation_days`). The look is the decision look when
    the previous look (``previous_users``: matured users per arm then; default: today's users minus
    those who matured today, from ``daily_assigned``) had not yet reached the planned sample."""
    out: dict[str, Progress] = {}
    lag = primary.maturation_days
    for r in rows:
        v = r.variant
        if planned_users is not None:
            per = planned_users if isinstance(planned_users, Mapping) else {v: planned_users, control: planned_users}
            need = (per.get(control), per.get(v))
        else:
            need = _planned(primary, r, ratio=weights.get(v, 1.0) / weights.get(control, 1.0), **plan)
        n_t, n_c = int(r.comparison.n or 0), int(r.comparison.n_control or 0)
        days = date = None
        if need is not None and need[0] and need[1]:
            extra = 0.0
            for arm, n_need in ((control, need[0]), (v, need[1])):
                missing = n_need - assigned.get(arm, 0)
                if missing > 0:
                    daily = _daily_rate(daily_assigned, arm)
                    extra = max(extra, missing / daily) if daily > 0 else math.inf
            matured = n_t >= need[1] and n_c >= need[0]
            if math.isfinite(extra):
                days = 0.0 if matured else extra + lag
                if as_of is not None and (daily_assigned or days == 0):
                    date = as_of + dt.timedelta(days=math.ceil(days))
                if not daily_assigned and not matured:
                    days = None
        first = None
        if need is not None and need[0] and need[1]:
            prev = _previous(previous_users, daily_assigned, as_of, lag, (v, n_t), (control, n_c))
            if prev is not None and n_t >= need[1] and n_c >= need[0]:
                first = not (prev[0] >= need[1] and prev[1] >= need[0])
        out[v] = Progress(None if need is None else need[1], None if need is None else need[0], n_t, n_c, days, date,
                          decision_look=first)
    return out


def _previous(previous_users: Mapping[str, int] | None, daily_assigned: Sequence[tuple[dt.date, str, int]],
              as_of: dt.date | None, lag: int, *arms: tuple[str, int]) -> tuple[int, ...] | None:
    """Matured users per arm at the previous look (one day earlier), or None when unknown."""
    if previous_users is not None:
        return tuple(int(previous_users.get(a, 0)) for a, _ in arms)
    if not daily_assigned or as_of is None:
        return None
    day = as_of - dt.timedelta(days=lag)
    return tuple(n - sum(k for d, x, k in daily_assigned if x == a and d == day) for a, n in arms)


def _arm_comparison(metric: MetricStatistics, rows: Sequence[MetricResult], alpha: float, arms: int,
                    mode: str, tuning: float) -> Any:
    """The reason comparing the best arm with the runner-up on the primary metric (best vs runner-up,
    the runner-up as the reference): its lift, interval and p-value, by the mode's method."""
    def compare(best: str, runner: str) -> Reason | None:
        if best not in metric.by_variant or runner not in metric.by_variant:
            return None
        cmp, _ = _compare(metric.kind, metric.by_variant[best], metric.by_variant[runner], alpha)
        if cmp.status != "ok":
            return None
        rel_ci, significant = cmp.rel_ci, cmp.p_value is not None and cmp.p_value < alpha
        if mode == "sequential":
            seq = sequential_view(cmp, alpha / max(1, arms), tuning)
            rel_ci, significant = seq.relative_ci, seq.can_stop
        better = cmp.abs_diff is not None and (cmp.abs_diff > 0) == metric.higher_is_better
        return Reason("best_vs_runner_up", {"variant": best, "runner_up": runner, "metric": metric.name,
                                            "kind": metric.kind, "rel_lift": cmp.rel_lift,
                                            "rel_ci": list(rel_ci) if rel_ci else None, "p": cmp.p_value,
                                            "significant": bool(significant and better),
                                            "sequential": mode == "sequential"})
    return compare


def analyze_sufficient_statistics(
    experiment: str,
    assigned: Mapping[str, int],
    metrics: Sequence[MetricStatistics],
    control: str,
    *,
    alpha: float = 0.05,
    mde: float = 0.05,
    power: float = 0.8,
    weights: Mapping[str, float] | None = None,
    statistics: StatisticsSpec | None = None,
    guardrail_margins: Mapping[str, float] | None = None,
    guardrail_ceilings: Mapping[str, float] | None = None,
    no_guide_arms: Sequence[str] = (),
    planned_users: int | Mapping[str, int] | None = None,
    previous_users: Mapping[str, int] | None = None,
    baseline: float | None = None,
    daily_assigned: Sequence[tuple[dt.date, str, int]] = (),
    as_of: dt.date | None = None,
    data_checks: Sequence[Any] = (),
    failed_checks: Sequence[DataCheck | str] | None = None,
    analyses: Mapping[str, Any] | None = None,
    ledger: Any = None,
    scheduled_end: dt.date | None = None,
    comparisons: Mapping[tuple[str, str], Any] | None = None,
    srm_weights_assumed: bool | None = None,
    accounts: Mapping[str, int] | None = None,
    randomisation_unit: str = "user",
) -> ExperimentResult:
    """Statistics and verdict from per-variant sufficient statistics: THE entry point every path calls.

    ``assigned``: users per variant (SRM, traffic); ``metrics``: the first with role "primary" is
    the primary; ``weights``: the planned split (default equal); ``statistics``: the methods and
    the mode (``sequential``); ``guardrail_margins``: tolerated harm per guardrail (absolute;
    default :data:`guidelab.decision.GUARDRAIL_MARGIN_DEFAULTS`); ``guardrail_ceilings``: the
    highest acceptable rate of a guide-only guardrail in a guide arm, used when the control is in
    ``no_guide_arms``; ``planned_users``: users per arm for the fixed-horizon gate (int, or per
    variant), else planned by :func:`guidelab.stats.power.users_needed` from ``baseline`` (default:
    the control's observed value); ``previous_users``: matured primary users per variant at the
    previous look (for analyses of a series of looks without ``daily_assigned``: a look after the
    decision look is judged on always-valid intervals only); ``daily_assigned`` (date, variant, users) and ``as_of`` give
    the days still needed and the date of the decision look; ``failed_checks``: the failed
    data checks (or their names) (default: the failed ``data_checks`` of severity "fail"); ``scheduled_end``: the spec's
    last day, so a decision look expected after it is said plainly; ``comparisons``: proportion
    comparisons already computed, (metric, variant) -> the result of
    :func:`guidelab.stats.proportions.compare_proportions` for that arm against ``control`` at
    ``alpha`` (see :func:`compare_all`): the bulk path computes them for many groups at once;
    ``srm_weights_assumed`` (True: ``weights`` is an assumed equal split, False: the planned one;
    None: not said): record the split the SRM check tested against, normalised, in
    ``methods.srm_weights`` and in the SRM reason, with whether it was assumed.
    ``accounts``: accounts per variant when ``randomisation_unit`` is an account
    attribute: the sample-ratio check then counts accounts, the randomised units, and the
    metrics' statistics are per-account (:mod:`guidelab.account_stats`).
    """
    st = statistics or StatisticsSpec()
    mode = "sequential" if st.sequential else "fixed"
    variants = list(assigned)
    weights = dict(weights) if weights else {v: 1 / len(variants) for v in variants}
    metric_counts = [(m.name, m.role, m.higher_is_better, m.randomised, m.by_variant) for m in metrics]
    kinds = {m.name: m.kind for m in metrics}
    covariates = {m.name: m.covariate for m in metrics}
    rows = compare_all(metric_counts, control, alpha, st, kinds, covariates, comparisons,
                       strata={m.name: m.strata for m in metrics if m.strata is not None},
                       cappings={m.name: m.capping for m in metrics if m.capping is not None})
    srm = srm_test(dict(accounts) if accounts else dict(assigned), weights)
    primary_metric = next(m for m in metrics if m.role == "primary")
    primary = [r for r in rows if r.role == "primary"]
    arms = max(1, len(primary))
    progress = _progress(primary_metric, primary, control, assigned, weights, daily_assigned, as_of, planned_users,
                         previous_users,
                         alpha=alpha, mde=mde, power=power, arms=arms, sequential=mode == "sequential",
                         tuning=st.sequential_tuning, baseline=baseline)
    if scheduled_end is not None:
        progress = {v: replace(p, scheduled_end=scheduled_end) for v, p in progress.items()}
    by_name = {m.name: m for m in metrics}
    margins = dict(guardrail_margins or {})
    ceilings = dict(guardrail_ceilings or {})
    resolved: dict[str, dict[str, Any]] = {}
    guard_views = []
    for r in rows:
        if r.role != "guardrail":
            continue
        m = by_name[r.metric]
        against_holdout = m.guide_only and control in no_guide_arms
        ceiling = ceilings.get(r.metric) if against_holdout else None
        if r.metric in margins:
            margin, source = float(margins[r.metric]), "spec"
        else:
            value, unit = default_guardrail_margin(m.name, m.family, m.kind)
            base = abs(r.value_control) if r.value_control is not None else None
            margin = value if unit == "absolute" else (value * base if base is not None else 0.0)
            source = "default"
        resolved[r.metric] = {"margin": margin, "source": source, "ceiling": ceiling}
        guard_views.append(_view(r, mode=mode, alpha=alpha, tuning=st.sequential_tuning, margin=margin,
                                 ceiling=ceiling, judgeable=not against_holdout or ceiling is not None,
                                 counts=(m.by_variant.get(r.variant), m.by_variant.get(control))))
    failed = list(failed_checks) if failed_checks is not None else [
        c for c in data_checks if not c.passed and c.severity == "fail"]
    decision = decide([_view(r, mode=mode, alpha=alpha, arms=arms, tuning=st.sequential_tuning) for r in primary],
                      guard_views, srm.p_value, failed, alpha, mde, {v: p.days_needed for v, p in progress.items()},
                      mode=mode, progress=progress,
                      arm_comparison=_arm_comparison(primary_metric, primary, alpha, arms, mode, st.sequential_tuning))
    methods = {**_statistics_json(st), "mode": mode, "power": power, "guardrails": resolved,
               "planned": {v: {"control": p.planned_control, "treatment": p.planned_treatment,
                               "share": p.share, "decision_look": p.decision_look,
                               "decision_date": p.decision_date.isoformat() if p.decision_date else None}
                           for v, p in progress.items()},
               "baseline": baseline, "planned_users": planned_users, **({"randomisation_unit": randomisation_unit} if accounts else {})}
    if srm_weights_assumed is not None:
        decision, methods = _with_srm_split(decision, methods, weights, srm_weights_assumed)
    return ExperimentResult(experiment, as_of, decision, srm, rows, list(data_checks), dict(assigned),
                            list(daily_assigned), alpha, mde, control, methods, dict(analyses or {}),
                            ledger=ledger, accounts=dict(accounts) if accounts else None)


_STATISTICS_DUMPS: dict[int, tuple[StatisticsSpec, tuple[tuple[str, Any], ...]]] = {}


def _statistics_json(st: StatisticsSpec) -> dict[str, Any]:
    """``st.model_dump(mode="json")``, computed once per spec object (the spec is frozen; keyed by
    identity, since ``statistics.capping`` is a mapping and makes it unhashable); lists copied."""
    hit = _STATISTICS_DUMPS.get(id(st))
    if hit is None or hit[0] is not st:
        if len(_STATISTICS_DUMPS) >= 64:
            _STATISTICS_DUMPS.clear()
        hit = (st, tuple(st.model_dump(mode="json").items()))
        _STATISTICS_DUMPS[id(st)] = hit  # holds st: its id is not reused while cached
    return {k: list(v) if type(v) is list else v for k, v in hit[1]}


def _with_srm_split(decision: Any, methods: dict[str, Any], weights: Mapping[str, float],
                    assumed: bool) -> tuple[Any, dict[str, Any]]:
    """The split the SRM check tested against (shares of 1) and whether it was assumed, in the
    methods and in the SRM reason, so a planned 20/80 split is not mistaken for an equal one."""
    total = sum(weights.values()) or 1.0
    shares = {k: float(v) / total for k, v in weights.items()}
    methods = {**methods, "srm_weights": shares, "srm_weights_assumed": assumed}
    if any(r.code == "srm" for r in decision.reasons):
        reasons = tuple(Reason(r.code, {**r.params, "weights": shares, "weights_assumed": assumed})
                        if r.code == "srm" else r for r in decision.reasons)
        decision = replace(decision, reasons=reasons)
    return decision, methods


def analyze_counts(spec: ExperimentSpec, counts: ExperimentCounts) -> ExperimentResult:
    """Statistics and verdict from an experiment's sufficient statistics (no I/O): the spec's
    settings passed to :func:`analyze_sufficient_statistics`."""
    no_guide = [v.key for v in spec.variants if v.guide is None]
    return analyze_sufficient_statistics(
        spec.id, counts.assigned, [MetricStatistics.from_counts(m) for m in counts.metrics], spec.control_key,
        alpha=spec.alpha, mde=spec.mde, power=spec.power, weights=spec.weights, statistics=spec.statistics,
        guardrail_margins=spec.guardrail_margins, guardrail_ceilings=spec.guardrail_ceilings,
        no_guide_arms=no_guide, planned_users=spec.planned_users, baseline=spec.baseline,
        daily_assigned=counts.daily_assigned, as_of=counts.as_of, scheduled_end=spec.end, data_checks=counts.checks,
        analyses=curve_analyses(spec, counts), ledger=counts.ledger, accounts=counts.accounts, randomisation_unit=spec.unit)


def analyze_experiment(spec: ExperimentSpec, data_dir: str | Path, as_of: dt.date | None = None,
                       today: dt.date | None = None, encoding: str | None = None,
                       engine: Any = None) -> ExperimentResult:
    """Analyse one experiment on the tables in ``data_dir`` (see ``data/README.md``).

    ``today`` (the spec's local date, default now) bounds the default analysis date and marks
    rows dated after it as in the future. ``encoding`` names the CSV files' encoding (default:
    detected, UTF-8 or CP932); zoneless timestamps are read in the spec's ``data_timezone``
    (default: they are an error). ``engine`` (:class:`guidelab.engine.EngineOptions`): where the
    SQL runs, DuckDB (default) or Spark.
    """
    from .account_breakdowns import clustered_breakdowns, with_account_curves, with_account_life
    from .account_stats import with_account_statistics
    from .timeseries import goal_life_counts, retention_curve_counts

    ed = open_event_data(data_dir, encoding=encoding, data_timezone=spec.data_timezone, engine=engine)
    try:
        counts = with_account_statistics(ed, spec, compute_counts(ed, spec, as_of, today))
        curves = with_account_curves(ed, spec, retention_curve_counts(ed, spec, counts.as_of, CURVE_HORIZON_DAYS),
                                     CURVE_HORIZON_DAYS)
        counts = replace(counts, curves=curves,
                         goal_life=with_account_life(ed, spec, goal_life_counts(ed, spec)) if spec.goal_event else None)
        breakdowns = breakdown_analyses(spec, ed, counts.as_of)
        if spec.clustered:  # the deeper analyses by account read the engine again
            result = analyze_counts(spec, counts)
            breakdowns = clustered_breakdowns(ed, spec, breakdowns, result.analyses)
    finally:
        ed.close()  # before the statistics of a user-randomised spec: DuckDB's memory is given back first
    if not spec.clustered:
        result = analyze_counts(spec, counts)
    return replace(result, analyses={**result.analyses, **breakdowns})


@dataclass(frozen=True)
class Stickiness(ResultModel):
    """DAU/WAU and DAU/MAU of one variant: the daily series and their means over complete windows."""

    days: tuple[dt.date, ...]
    dau_wau: tuple[float | None, ...]
    dau_mau: tuple[float | None, ...]
    mean_dau_wau: float | None
    mean_dau_mau: float | None


def stickiness_summary(rows: Sequence[tuple[dt.date, int, int, int]], start: dt.date) -> Stickiness:
    """Ratios per day, None (not shown) until the day's 7- (30-) day window lies inside the
    experiment: before the first complete week WAU counts only the days so far, so DAU/WAU would
    start at 100%. The means use the same complete windows."""
    days = tuple(d for d, *_ in rows)
    wau = tuple(dau / w if w and (d - start).days >= 6 else None for d, dau, w, _ in rows)
    mau = tuple(dau / m if m and (d - start).days >= 29 else None for d, dau, _, m in rows)
    full_w = [x for x in wau if x is not None]
    full_m = [x for x in mau if x is not None]
    return Stickiness(days, wau, mau, sum(full_w) / len(full_w) if full_w else None,
                      sum(full_m) / len(full_m) if full_m else None)


def breakdown_analyses(spec: ExperimentSpec, ed: Any, as_of: dt.date) -> dict[str, Any]:
    """Daily effects and novelty, segments, tour funnels and survey scores (issue-5 analyses).

    Runs on the ``exp_users`` table of an open connection; only counts leave SQL.
    """
    from .breakdowns import daily_counts, funnel_counts, score_counts, segment_counts, stickiness_counts
    from .catalog import parse_metric
    from .stats.curves import funnel, time_to_complete
    from .stats.novelty import daily_effects, novelty_test
    from .stats.nps import NPSCounts, compare_nps, nps
    from .stats.segments import segment_effects

    out: dict[str, Any] = {}
    primary = parse_metric(spec.metrics.primary)
    control = spec.control_key
    if primary.kind == "proportion":
        daily = daily_counts(ed, spec, primary)
        days = sorted({d for rows in daily.values() for d, _, _ in rows})
        by_day = {v: {d: (n, s_) for d, n, s_ in rows} for v, rows in daily.items()}
        views = {}
        for v in spec.treatment_keys:
            if len(days) < 2:
                break
            t = [by_day[v].get(d, (0, 0)) for d in days]
            c = [by_day[control].get(d, (0, 0)) for d in days]
            effects = daily_effects(days, [x[1] for x in t], [x[0] for x in t], [x[1] for x in c], [x[0] for x in c],
                                    alpha=spec.alpha)
            views[v] = {"effects": effects, "novelty": novelty_test(effects)}
        if views:
            out["daily"] = {"metric": primary.name, "by_variant": views}
        segments = {}
        for attribute in spec.segments:
            seg = segment_counts(ed, spec, primary, attribute)
            if not seg:
                continue
            segments[attribute] = {
                v: segment_effects({value: (*arms.get(v, (0, 0))[::-1], *arms.get(control, (0, 0))[::-1])
                                    for value, arms in seg.items()}, alpha=spec.alpha,
                                   correction=spec.statistics.correction if spec.statistics.correction != "none" else "holm")
                for v in spec.treatment_keys}
        if segments:
            out["segments"] = {"metric": primary.name, "by_attribute": segments}
    funnels, timings = {}, {}
    for v, fc in funnel_counts(ed, spec, as_of).items():
        steps = [*fc.steps, "completed"]
        reached = [*fc.reached, min(fc.completed, fc.reached[-1]) if fc.reached else fc.completed]
        funnels[v] = funnel(steps, reached, fc.entered, alpha=spec.alpha)
        mean, ci = time_to_complete(fc.seconds_sum, fc.seconds_sum_sq, fc.timed, alpha=spec.alpha)
        timings[v] = {"n": fc.timed, "mean_seconds": mean, "ci": list(ci) if ci else None,
                      "completed_before_shown": fc.completed_before_shown}
    if funnels:
        out["funnels"] = funnels
        out["time_to_complete"] = timings
    sticky = stickiness_counts(ed, spec, as_of)
    if any(sticky.values()):
        out["stickiness"] = {v: stickiness_summary(rows, spec.start) for v, rows in sticky.items()}
    scores = score_counts(ed, spec, as_of)
    if scores:
        counts_by_variant = {v: NPSCounts(tuple(sc), shown) for v, (sc, shown) in scores.items()}
        entry: dict[str, Any] = {"by_variant": {v: nps(c, alpha=spec.alpha) for v, c in counts_by_variant.items()}}
        base = counts_by_variant.get(control)
        if base is not None:
            entry["comparisons"] = {v: compare_nps(c, base, alpha=spec.alpha)
                                   for v, c in counts_by_variant.items() if v != control}
        out["surveys"] = entry
    return out


CURVE_HORIZON_DAYS = 30


def curve_analyses(spec: ExperimentSpec, counts: ExperimentCounts) -> dict[str, Any]:
    """Retention curves (D0..D30, matured users only) and time to goal (Kaplan-Meier, log-rank).

    Accounts randomised (``counts.curves`` an :class:`guidelab.account_breakdowns.AccountCurveCounts`):
    each day's interval is clustered (:func:`guidelab.stats.cluster_groups.clustered_retention_curve`)."""
    from .account_breakdowns import AccountCurveCounts, AccountLifeCounts, empty_stats
    from .stats.curves import retention_curve
    from .stats.survival import kaplan_meier, log_rank, log_rank_clustered

    out: dict[str, Any] = {}
    if isinstance(counts.curves, AccountCurveCounts):  # randomised by account: clustered pointwise intervals
        from .stats.cluster_groups import clustered_retention_curve

        out["retention_curve"] = {
            v: clustered_retention_curve(list(d), [counts.curves.by_account.get(v, {}).get(day, empty_stats())
                                                   for day in d], alpha=spec.alpha)
            for v, d in counts.curves.by_variant.items()}
    elif counts.curves is not None:
        out["retention_curve"] = {
            v: retention_curve(list(d), [n for n, _ in d.values()], [a for _, a in d.values()], alpha=spec.alpha)
            for v, d in counts.curves.by_variant.items()}
    if counts.goal_life is not None:
        tables = counts.goal_life.tables()
        if tables:
            if isinstance(counts.goal_life, AccountLifeCounts) and len(tables) > 1:  # randomised by account
                test = log_rank_clustered(tables, counts.goal_life.unit_cross, counts.goal_life.n_accounts, spec.unit)
            else:
                test = log_rank(tables)
            out["time_to_goal"] = {"kaplan_meier": {v: kaplan_meier(tb, alpha=spec.alpha) for v, tb in tables.items()},
                                   "log_rank": test}
    return out


# --- one row per user ---------------------------------------------------------------------
def _sniffed_option(value: Any) -> str:
    """A dialect field of ``sniff_csv`` as the text ``read_csv`` takes (``(empty)`` is no character)."""
    return "" if value is None or value == "(empty)" else str(value)


def _reader_for(path: Path, read_path: Path | None = None,
                con: duckdb.DuckDBPyConnection | None = None) -> str:
    """The DuckDB relation reading ``path`` (``read_path`` when a UTF-8 copy is read instead).

    A CSV is sniffed once, with the options of ``read_csv(..., header=true, all_varchar=true)``,
    and the relation names the sniffed dialect and columns (``auto_detect=false``), so a query
    on it does not sniff the file again: sniffing is the costly part of reading a wide file
    (400 columns: several times the read itself), and every query on a sniffing relation pays
    it. Without ``con``, or when ``sniff_csv`` fails (an empty file), the relation sniffs when
    queried, as ``read_csv`` does by itself.
    """
    lit = sql_literal(read_path or path)
    name = path.name.lower()
    if name.endswith(".parquet"):
        return f"read_parquet({lit})"
    if not name.endswith((".csv", ".csv.gz", ".tsv", ".txt")):
        raise DataError(path, "", "unsupported file type: expected .csv, .csv.gz, .tsv or .parquet")
    options = "header=true, all_varchar=true"
    if con is None:
        return f"read_csv({lit}, {options})"
    try:
        (delim, quote, escape, new_line, comment, skip, columns), = con.execute(
            "SELECT Delimiter, Quote, Escape, NewLineDelimiter, Comment, SkipRows, Columns "
            f"FROM sniff_csv({lit}, {options})").fetchall()
    except duckdb.Error:  # e.g. an empty file: read_csv itself says what is wrong (or reads it)
        return f"read_csv({lit}, {options})"
    types = ", ".join(f"{sql_literal(c['name'])}: 'VARCHAR'" for c in columns)
    return (f"read_csv({lit}, {options}, auto_detect=false, delim={sql_literal(_sniffed_option(delim))}, "
            f"quote={sql_literal(_sniffed_option(quote))}, escape={sql_literal(_sniffed_option(escape))}, "
            f"new_line={sql_literal(_sniffed_option(new_line))}, comment={sql_literal(_sniffed_option(comment))}, "
            f"skip={int(skip)}, columns={{{types}}})")


def _metric_value_counts(con: duckdb.DuckDBPyConnection, variant_column: str,
                         metrics: Sequence[str]) -> list[tuple[str | None, int, str, int, int | None]]:
    """(variant, metric index, value as text, rows, parsed) for every distinct non-null value of every
    metric column in ``t``, per variant (None: rows without a variant); parsed is 1 (true), 0 (false)
    or None (not a boolean), by :func:`guidelab.values.sql_bool_case`.

    One scan and one GROUP BY for all columns: the columns are unpivoted to (variant, column,
    value) rows, so the work grows linearly with the number of columns, and the vocabulary is
    applied to the few distinct values only. (One aggregate per column in a single SELECT is
    quadratic in the number of columns in DuckDB's planner: 400 columns took minutes.)
    """
    aliases = [sql_identifier(f"_gl_m{i}") for i in range(len(metrics))]
    casts = ", ".join(f"CAST({sql_identifier(m)} AS VARCHAR) AS {a}" for m, a in zip(metrics, aliases))
    return con.execute(f"""
        WITH g AS (
            SELECT _gl_variant, CAST(substr(_gl_column, 6) AS INTEGER) AS _gl_index, _gl_value, count(*) AS _gl_rows
            FROM (UNPIVOT (SELECT CAST({sql_identifier(variant_column)} AS VARCHAR) AS _gl_variant, {casts} FROM t)
                  ON {", ".join(aliases)} INTO NAME _gl_column VALUE _gl_value)
            GROUP BY ALL)
        SELECT _gl_variant, _gl_index, _gl_value, _gl_rows, {sql_bool_case("_gl_value")} FROM g""").fetchall()


def user_table_counts(path: str | Path, variant_column: str, metrics: Sequence[str]) -> tuple[dict[str, int], dict[str, dict[str, ProportionCounts]], list[DataCheck]]:
    """Per-variant users and (n, successes) per boolean metric column, computed by DuckDB.

    The file is sniffed once and scanned twice whatever the number of columns: once for the users
    per variant, once for the values of all metric columns (:func:`_metric_value_counts`). A value
    outside the boolean vocabulary is an error naming the file, the column, how many values, and
    the first such value in the file.
    """
    path = Path(path)
    if not path.is_file():
        raise DataError(path, "", "file not found")
    con = connect_duckdb()
    tmp = tempfile.TemporaryDirectory(prefix="guidelab-")
    try:
        is_csv = path.name.lower().endswith((".csv", ".csv.gz", ".tsv", ".tsv.gz", ".txt"))
        try:
            rel = _reader_for(path, utf8_copy(path, Path(tmp.name)) if is_csv else None, con)
            cols = [r[0] for r in con.execute(f"DESCRIBE SELECT * FROM {rel}").fetchall()]
        except duckdb.Error as exc:
            raise DataError(path, "", f"cannot be read as a table: {str(exc).splitlines()[0]}") from None
        for col in (variant_column, *metrics):
            if col not in cols:
                raise DataError(path, col, f"column not found: expected one of {', '.join(cols)}")
        if len(set(metrics)) != len(metrics):
            raise GuidelabError("--metric: a column is named twice")
        con.execute(f"CREATE VIEW t AS SELECT * FROM {rel}")
        by_variant = con.execute(f"SELECT CAST({sql_identifier(variant_column)} AS VARCHAR) AS v, count(*) "
                                 "FROM t GROUP BY 1 ORDER BY 1").fetchall()
        if not by_variant:
            raise DataError(path, "", "the table has no rows (a header only): there is nothing to analyse")
        checks: list[DataCheck] = []
        null_variant = sum(int(n) for v, n in by_variant if v is None)
        checks.append(DataCheck.of("missing_variant", null_variant == 0, "warn", n=null_variant, column=variant_column))
        values = _metric_value_counts(con, variant_column, metrics)
        not_bool = [0] * len(metrics)
        for _, i, _, rows, parsed in values:
            if parsed is None:
                not_bool[i] += int(rows)
        for i, col in enumerate(metrics):
            if not_bool[i]:
                q = sql_identifier(col)
                example, = con.execute(f"SELECT CAST({q} AS VARCHAR) FROM t WHERE NOT {sql_bool_is_valid(q)} "
                                       "LIMIT 1").fetchone()  # the first in the file
                raise DataError(path, col, f"{not_bool[i]:,} value(s) are not booleans, e.g. {shown(example)}: "
                                           f"expected {BOOL_VOCABULARY}")
    finally:
        con.close()
        tmp.cleanup()
    users = {v: int(n) for v, n in by_variant if v is not None}
    n_by = {m: dict.fromkeys(users, 0) for m in metrics}
    s_by = {m: dict.fromkeys(users, 0) for m in metrics}
    for v, i, _, rows, parsed in values:
        if v is not None and parsed is not None:
            n_by[metrics[i]][v] += int(rows)
            s_by[metrics[i]][v] += int(rows) * int(parsed)
    per_metric = {m: {v: ProportionCounts(n_by[m][v], s_by[m][v]) for v in users} for m in metrics}
    for m in metrics:
        missing = sum(users[v] - per_metric[m][v].n for v in users)
        if missing:
            checks.append(DataCheck.of("missing_values", True, "info", n=missing, column=m))
    return users, per_metric, checks


def analyze_user_table(path: str | Path, variant_column: str, control: str, metrics: Sequence[str],
                       alpha: float = 0.05, mde: float = 0.05, weights: Mapping[str, float] | None = None,
                       experiment: str | None = None, statistics: StatisticsSpec | None = None,
                       guardrails: Sequence[str] = (), margins: Mapping[str, float] | None = None,
                       planned_users: int | None = None, cluster: str | None = None) -> ExperimentResult:
    """Analyse a one-row-per-user table: the first metric is primary, the others secondary.

    ``guardrails``: boolean columns where an increase is harm (``NAME:down``: a decrease is
    harm), with ``margins`` the tolerated harm as an absolute difference of rates. SRM is tested
    against ``weights``; without them, against an equal split over the variants found, and the
    result says so (``methods.srm_weights_assumed``, and in the SRM reason). The per-variant
    counts go through :func:`guidelab.counts_table.analyze_sufficient_counts`, the same analysis
    ``guidelab analyze-counts`` runs on aggregated counts.

    ``cluster``: the column naming each user's account when whole accounts were randomised
    (``--cluster account_id``): every metric is then compared by account
    (:func:`guidelab.stats.cluster.compare_clustered` on per-account sums computed by DuckDB), the
    sample-ratio check counts accounts, and rows without an account are left out (ledger reason
    ``missing_unit``). An account found in two variants is an error naming it.
    """
    from .counts_table import CountsOptions, analyze_sufficient_counts

    if not metrics:
        raise GuidelabError("analyze: give at least one --metric column")
    options = CountsOptions.build(control, metrics, guardrails, margins, weights, alpha=alpha, mde=mde,
                                  planned_users=planned_users, statistics=statistics or StatisticsSpec())
    columns = [m.name for m in options.metrics]
    users, per_metric, checks = user_table_counts(path, variant_column, columns)
    if control not in users:
        raise DataError(path, variant_column, f"control {control!r} not found: the variants are "
                                              f"{', '.join(users) or '(none)'}")
    if len(users) < 2:
        raise DataError(path, variant_column, "only one variant found: expected a control and at least one treatment")
    if weights:
        missing = [v for v in users if v not in weights]
        if missing:
            raise GuidelabError(f"--weights: no share for variant(s) {', '.join(missing)} found in {variant_column}; "
                                f"give every variant a share, e.g. {','.join(f'{v}=0.5' for v in list(users)[:2])}")
    if cluster is not None:
        return _analyze_clustered_table(Path(path), variant_column, cluster, columns, users, checks, options,
                                        experiment or Path(path).stem)
    return analyze_sufficient_counts(experiment or Path(path).stem, users, per_metric, options, checks,
                                     ledger=user_table_ledger(path, users, checks))


def _analyze_clustered_table(path: Path, variant_column: str, cluster: str, metrics: Sequence[str],
                             users: Mapping[str, int], checks: list[DataCheck], options: Any,
                             experiment: str) -> ExperimentResult:
    """:func:`analyze_user_table` with ``cluster``: per-account sums of every metric column by DuckDB."""
    from .account_stats import account_sums_sql, cluster_stats_rows
    from .counts_table import analyze_sufficient_counts
    from .ledger import LeftOut

    con = connect_duckdb()
    tmp = tempfile.TemporaryDirectory(prefix="guidelab-")
    try:
        is_csv = path.name.lower().endswith((".csv", ".csv.gz", ".tsv", ".tsv.gz", ".txt"))
        rel = _reader_for(path, utf8_copy(path, Path(tmp.name)) if is_csv else None, con)
        cols = [r[0] for r in con.execute(f"DESCRIBE SELECT * FROM {rel}").fetchall()]
        if cluster not in cols:
            raise DataError(path, cluster, f"--cluster: column not found: expected one of {', '.join(cols)}")
        if cluster == variant_column or cluster in metrics:
            raise GuidelabError(f"--cluster {cluster}: the account column must not be the variant or a metric column")
        v, a = sql_identifier(variant_column), sql_identifier(cluster)
        con.execute(f"CREATE VIEW t AS SELECT CAST({v} AS VARCHAR) AS _gl_variant, "
                    f"nullif(trim(CAST({a} AS VARCHAR)), '') AS _gl_account, * FROM {rel}")
        split, = con.execute("SELECT count(*) FROM (SELECT _gl_account FROM t WHERE _gl_variant IS NOT NULL AND "
                             "_gl_account IS NOT NULL GROUP BY 1 HAVING count(DISTINCT _gl_variant) > 1)").fetchone()
        if split:
            example, = con.execute("SELECT _gl_account FROM t WHERE _gl_variant IS NOT NULL AND _gl_account IS NOT NULL "
                                   "GROUP BY 1 HAVING count(DISTINCT _gl_variant) > 1 ORDER BY 1 LIMIT 1").fetchone()
            raise DataError(path, cluster, f"{split:,} account(s) appear in more than one variant, e.g. "
                                           f"{shown(example)}: when accounts are randomised every user of an account "
                                           "has its arm (is this the right column?)")
        missing = dict(con.execute("SELECT _gl_variant, count(*) FROM t WHERE _gl_variant IS NOT NULL AND "
                                   "_gl_account IS NULL GROUP BY 1").fetchall())
        accounts = dict(con.execute("SELECT _gl_variant, count(DISTINCT _gl_account) FROM t WHERE _gl_variant IS NOT "
                                    "NULL AND _gl_account IS NOT NULL GROUP BY 1").fetchall())
        per_metric = {}
        for m in metrics:
            q = sql_identifier(m)
            sums = account_sums_sql(f"_gl_variant IS NOT NULL AND _gl_account IS NOT NULL AND {q} IS NOT NULL",
                                    sql_bool_case(q), source="t", variant="_gl_variant", account="_gl_account")
            found = cluster_stats_rows(con.execute(sums).fetchall())
            per_metric[m] = {var: found.get(var, _no_accounts()) for var in users}
    finally:
        con.close()
        tmp.cleanup()
    n_missing = sum(int(n) for n in missing.values())
    with_account = {var: int(n) - int(missing.get(var, 0)) for var, n in users.items()}
    accounts = {var: int(accounts.get(var, 0)) for var in users}
    if n_missing:
        checks = [*checks, DataCheck.of("rows_missing_unit", False, "fail" if n_missing / max(sum(users.values()), 1)
                                        > 0.01 else "warn", table="user_table", n=n_missing,
                                        share=n_missing / max(sum(users.values()), 1), threshold=0.01)]
    ledger = user_table_ledger(path, users, checks)
    if n_missing:
        t0 = ledger.tables[0]
        ledger = replace(ledger, tables=(replace(t0, rows_used=t0.rows_used - n_missing,
                                                 left_out=(*t0.left_out, LeftOut("missing_unit", n_missing, None))),))
    return analyze_sufficient_counts(experiment, with_account, per_metric, options, checks, ledger=ledger,
                                     accounts=accounts, randomisation_unit=cluster)


def _no_accounts() -> Any:
    from .stats.cluster import ClusterStats

    return ClusterStats(0, 0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0)


def user_table_ledger(path: str | Path, users: Mapping[str, int], checks: Sequence[DataCheck]) -> Any:
    """The row ledger of a one-row-per-user table: rows without a variant are left out (``missing_key``)."""
    from .ledger import LeftOut, RowLedger, TableLedger

    missing = sum(int(dict(c.params).get("n", 0)) for c in checks if c.code == "missing_variant")
    used = sum(users.values())
    return RowLedger((TableLedger("user_table", str(path), used + missing, used,
                                  (LeftOut("missing_key", missing, None),) if missing else ()),))
