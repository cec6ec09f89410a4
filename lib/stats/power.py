"""Sample size and power for a two-sided test of two proportions (unpooled normal approximation).

Setting: control rate p0, treatment rate p1 = p0 (1 + relative_mde), n0 users in control and
n1 = ratio * n0 in treatment, and the unpooled Wald z-test of :func:`compare_proportions`.
Under the alternative, p1_hat - p0_hat ~ N(delta, sigma^2 / n0) with delta = p1 - p0 and
sigma^2 = p0 (1 - p0) + p1 (1 - p1) / ratio. Rejecting when |Z| > z_{1-alpha/2} gives

    power(n0) = Phi(|delta| sqrt(n0) / sigma - z_{1-alpha/2}) + Phi(-|delta| sqrt(n0) / sigma - z_{1-alpha/2})

and dropping the second term (the far tail: about 1e-6 at alpha 0.05 and 80% power) and solving
for n0:

    n0 = (z_{1-alpha/2} + z_{power})^2 * (p0 (1 - p0) + p1 (1 - p1) / ratio) / delta^2

(Chow, Shao & Wang, Sample Size Calculations in Clinical Research, sec. 4.2, unpooled form).
With ratio 1 this is exactly statsmodels ``NormalIndPower().solve_power(effect_size=delta /
sqrt(sigma^2 / 2), alpha=alpha / 2, alternative='larger')``; its two-sided solution is smaller by a
hair because it counts the far tail. :func:`power_two_proportions` counts both tails and equals
``NormalIndPower().power(..., alternative='two-sided')``.
"""
from __future__ import annotations

import functools
import math
from numbers import Real
from typing import Any, Callable

import numpy as np
from scipy.special import (
    ndtr,  # = scipy.stats.norm.cdf, without its overhead (~0.2 ms a call)
    ndtri,  # = scipy.stats.norm.ppf
)

from ._common import (
    check_alpha,
    z_two_sided,
)

__all__ = ["sample_size_two_proportions", "power_two_proportions", "days_to_decision"]


def _check_positive(value: Any, name: str, allow_zero: bool = False) -> float:
    v = _finite(value, name)
    if v < 0 or (v == 0 and not allow_zero):
        raise ValueError(f"{name} must be {'>= 0' if allow_zero else '> 0'}, got {value!r}")
    return v


def _finite(value: Any, name: str) -> float:
    if isinstance(value, bool) or not isinstance(value, Real) or not math.isfinite(float(value)):
        raise ValueError(f"{name} must be a finite number, got {value!r}")
    return float(value)


def _rates(p_control: Any, relative_mde: Any) -> tuple[float, float]:
    """Validate (p0, relative MDE) and return (p0, p1) with both strictly inside (0, 1)."""
    p0, mde = _finite(p_control, "p_control"), _finite(relative_mde, "relative_mde")
    if not (0.0 < p0 < 1.0):
        raise ValueError(
            f"p_control must be strictly between 0 and 1, got {p0}: with a rate of 0 or 1 there is "
            "no variance and a relative effect cannot be powered"
        )
    if mde == 0.0:
        raise ValueError("relative_mde must be non-zero: no sample size can detect an effect of 0")
    p1 = p0 * (1.0 + mde)
    if not (0.0 < p1 < 1.0):
        raise ValueError(
            f"relative_mde {mde} moves the rate from {p0} to {p1}, outside (0, 1); choose a smaller effect"
        )
    return p0, p1


@functools.lru_cache(maxsize=64)
def _z_power(power: float) -> float:
    """z_{power} = norm.ppf(power), cached: the same few powers are asked once per analysed group
    (``scipy.special.ndtri``, what ``norm.ppf`` evaluates: same bits, without importing scipy.stats)."""
    return float(ndtri(power))


def _sigma2(p0: float, p1: float, ratio: float) -> float:
    return p0 * (1.0 - p0) + p1 * (1.0 - p1) / ratio


def sample_size_two_proportions(
    p_control: float, relative_mde: float, alpha: float = 0.05, power: float = 0.8, ratio: float = 1.0
) -> int:
    """Users in the control arm needed to detect p1 = p_control (1 + relative_mde), rounded up.

    Two-sided unpooled-normal formula (see module docstring):
    n0 = (z_{1-alpha/2} + z_{power})^2 (p0(1-p0) + p1(1-p1)/ratio) / (p1 - p0)^2.
    ``ratio`` = n_treatment / n_control; the treatment arm needs ceil(ratio * n0) users. With the
    default ratio 1 the result is the size of each arm. relative_mde may be negative (a drop).
    ValueError if p_control is not in (0, 1), relative_mde is 0, or p1 falls outside (0, 1).
    """
    p0, p1 = _rates(p_control, relative_mde)
    alpha = check_alpha(alpha)
    if isinstance(power, bool) or not isinstance(power, Real) or not (0.0 < float(power) < 1.0):
        raise ValueError(f"power must be strictly between 0 and 1, got {power!r}")
    ratio = _check_positive(ratio, "ratio")
    return control_users_fixed(p0, p1, z_two_sided(alpha) + _z_power(float(power)), ratio)


def control_users_fixed(p0: float, p1: float, z_total: float, ratio: float) -> int:
    """The formula of :func:`sample_size_two_proportions` on checked values: rates p0, p1 in (0, 1),
    z_total = z_{1-alpha/2} + z_{power}, ratio > 0. (The bulk path of ``analyze-counts`` calls it
    once per group with the checks made on whole blocks.)"""
    n_raw = z_total**2 * _sigma2(p0, p1, ratio) / (p1 - p0) ** 2
    # the tiny tolerance keeps an exact integer (up to rounding error) from being bumped by one
    return max(1, math.ceil(n_raw - 1e-9))


def treatment_users(n_control: int, ratio: float) -> int:
    """Users the treatment needs when the control needs ``n_control``: ceil(ratio * n_control)."""
    return max(1, math.ceil(ratio * n_control - 1e-9))


def power_two_proportions(
    p_control: float, relative_mde: float, n_per_arm: float, alpha: float = 0.05, ratio: float = 1.0
) -> float:
    """Power of the two-sided unpooled Wald test with n_per_arm control users (ratio * n in treatment).

    power = Phi(|delta|/se - z) + Phi(-|delta|/se - z), se = sqrt(p0(1-p0)/n0 + p1(1-p1)/n1),
    z = z_{1-alpha/2} (both rejection tails counted). Same validation as
    :func:`sample_size_two_proportions`; n_per_arm must be > 0.
    """
    p0, p1 = _rates(p_control, relative_mde)
    alpha = check_alpha(alpha)
    n0 = _check_positive(n_per_arm, "n_per_arm")
    ratio = _check_positive(ratio, "ratio")
    z = z_two_sided(alpha)
    shift = abs(p1 - p0) / math.sqrt(_sigma2(p0, p1, ratio) / n0)
    return float(ndtr(shift - z) + ndtr(-shift - z))


def days_to_decision(
    p_control: float,
    relative_mde: float,
    n_per_arm_now: float,
    daily_users_per_arm: float,
    alpha: float = 0.05,
    power: float = 0.8,
) -> float | None:
    """Additional days (fractional) until each arm reaches :func:`sample_size_two_proportions`.

    (required - n_per_arm_now) / daily_users_per_arm, at the observed traffic, equal arms.
    Returns 0.0 if the arms are already large enough (even with no traffic), and None when no
    answer exists: p_control is 0 or 1 or the implied treatment rate leaves (0, 1) (observed
    rates can be degenerate), or more users are needed but daily traffic is 0.
    ValueError for relative_mde 0, negative counts/traffic, or alpha/power outside (0, 1).
    """
    now = _check_positive(n_per_arm_now, "n_per_arm_now", allow_zero=True)
    daily = _check_positive(daily_users_per_arm, "daily_users_per_arm", allow_zero=True)
    p0, mde = _finite(p_control, "p_control"), _finite(relative_mde, "relative_mde")
    if mde == 0.0:
        raise ValueError("relative_mde must be non-zero: no sample size can detect an effect of 0")
    if p0 in (0.0, 1.0) or (0.0 < p0 < 1.0 and not (0.0 < p0 * (1.0 + mde) < 1.0)):
        return None
    required = sample_size_two_proportions(p_control, relative_mde, alpha=alpha, power=power)
    missing = required - now
    if missing <= 0:
        return 0.0
    if daily == 0:
        return None
    return missing / daily


# --------------------------------------------------------------------------- MDE and sequential planning
# Added for experiment planning (guidelab.plan). The functions above are unchanged.

__all__ += [
    "mde_for_sample_size",
    "sequential_power_two_proportions",
    "sequential_sample_size_two_proportions",
    "sequential_mde_for_sample_size",
    "sequential_control_users_many",
]


def _check_power_level(power: Any, alpha: float) -> float:
    if isinstance(power, bool) or not isinstance(power, Real) or not (0.0 < float(power) < 1.0):
        raise ValueError(f"power must be strictly between 0 and 1, got {power!r}")
    if float(power) <= alpha:
        raise ValueError(f"power ({power}) must exceed alpha ({alpha}): any effect is detected that often")
    return float(power)


def _check_direction(direction: Any) -> int:
    if direction not in (1, -1) or isinstance(direction, bool):
        raise ValueError(f"direction must be 1 (an increase) or -1 (a decrease), got {direction!r}")
    return int(direction)


def _solve_mde(power_of: Any, p0: float, target: float, direction: int) -> float | None:
    """Relative effect m (sign = direction) with power_of(m) = target; None if unreachable.

    power_of is increasing in |m| (the standardised shift |p1 - p0| / se grows with |p1 - p0|,
    see :func:`mde_for_sample_size`), so Brent's method on the bracket between an effect of ~0
    and the largest effect that keeps p1 inside (0, 1) finds the unique root.
    """
    from scipy.optimize import brentq

    edge = 1e-12
    if direction > 0:
        near, far = edge, (1.0 - p0) / p0 * (1.0 - edge)  # p1 -> p0 .. p1 -> 1
    else:
        near, far = -edge, -1.0 + edge  # p1 -> p0 .. p1 -> 0
    if power_of(far) < target:
        return None
    if power_of(near) >= target:  # only possible at absurdly large n; the effect is ~0
        return near
    return float(brentq(lambda m: power_of(m) - target, near, far, xtol=1e-15, rtol=1e-13, maxiter=500))


def mde_for_sample_size(
    p_control: float,
    n_per_arm: float,
    alpha: float = 0.05,
    power: float = 0.8,
    ratio: float = 1.0,
    direction: int = 1,
) -> float | None:
    """Smallest relative effect detectable with ``n_per_arm`` control users (ratio * n in treatment).

    Solves :func:`power_two_proportions` (two-sided unpooled Wald test, both tails counted) for the
    relative effect m, p1 = p_control (1 + m): power(m) = ``power``. No closed form exists because
    the variance p1(1 - p1) depends on m, so the root is found with Brent's method (scipy brentq,
    |error| < 1e-12); the power is strictly increasing in |m| (d/dp1 of (p1 - p0)^2 / (p0 q0 +
    p1 q1 / r) has the sign of p0 + p1 - 2 p0 p1 > 0), so the root is unique. This is the inverse
    of :func:`sample_size_two_proportions` up to its rounding and far tail (Chow, Shao & Wang,
    Sample Size Calculations in Clinical Research, sec. 4.2).

    ``direction`` 1 looks for an increase (result > 0), -1 for a decrease (result in (-1, 0)).
    Returns None when even the largest possible effect (p1 -> 1, or p1 -> 0) cannot reach the
    power with this many users. ValueError for p_control outside (0, 1), n_per_arm <= 0,
    alpha/power outside (0, 1) or power <= alpha.
    """
    p0 = _finite(p_control, "p_control")
    if not (0.0 < p0 < 1.0):
        raise ValueError(f"p_control must be strictly between 0 and 1, got {p0}")
    n0 = _check_positive(n_per_arm, "n_per_arm")
    alpha = check_alpha(alpha)
    target = _check_power_level(power, alpha)
    ratio = _check_positive(ratio, "ratio")
    direction = _check_direction(direction)
    return _solve_mde(lambda m: power_two_proportions(p0, m, n0, alpha=alpha, ratio=ratio), p0, target, direction)


def sequential_power_two_proportions(
    p_control: float,
    relative_mde: float,
    n_per_arm: float,
    alpha: float = 0.05,
    tuning: float = 5000,
    ratio: float = 1.0,
) -> float:
    """Probability that the confidence sequence excludes 0 at a look with n_per_arm control users.

    The always-valid interval of :func:`guidelab.stats.sequential.sequential_interval` is
    diff +/- h(N), with N = n0 (1 + ratio) users in both arms, SE = sqrt(p0 q0 / n0 + p1 q1 /
    (ratio n0)) and h the CS halfwidth with s^2 = SE^2 N (Waudby-Smith et al., Ann. Statist. 2024;
    GrowthBook's form). With diff ~ N(delta, SE^2) it excludes 0 with probability

        Phi((|delta| - h) / SE) + Phi((-|delta| - h) / SE)

    (the second, far-tail term is ~0). This is the power of ONE look at that n; since the sequence
    is valid at every look, looking earlier as well can only add chances to stop (early, when the
    effect is large) without raising the false-positive rate above alpha. h > z_{1-alpha/2} SE at
    every N, so this is always below :func:`power_two_proportions` at the same n.
    """
    from .sequential import _check_tuning, confidence_sequence_halfwidth

    p0, p1 = _rates(p_control, relative_mde)
    alpha = check_alpha(alpha)
    n0 = _check_positive(n_per_arm, "n_per_arm")
    ratio = _check_positive(ratio, "ratio")
    tuning = _check_tuning(tuning)
    se = math.sqrt(_sigma2(p0, p1, ratio) / n0)
    h = confidence_sequence_halfwidth(se, n0 * (1.0 + ratio), alpha=alpha, tuning=tuning)
    delta = abs(p1 - p0)
    return float(ndtr((delta - h) / se) + ndtr((-delta - h) / se))


def _smallest_n(ok: Callable[[int], bool], start: int) -> int:
    """Smallest n >= 1 with ``ok(n)`` for a criterion monotone near its threshold: doubling from
    ``start`` (the fixed-horizon size, a lower bound for a sequential design), then bisection."""
    hi = max(1, start)
    while not ok(hi):
        hi *= 2
    lo = 0  # invariant: ok(hi), not ok(lo) (n = 0 has no power)
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if ok(mid):
            hi = mid
        else:
            lo = mid
    return hi


def sequential_sample_size_two_proportions(
    p_control: float,
    relative_mde: float,
    alpha: float = 0.05,
    power: float = 0.8,
    tuning: float = 5000,
    ratio: float = 1.0,
) -> int:
    """Smallest n per arm (control; ratio * n in treatment) at which the confidence sequence
    excludes 0 with probability ``power`` at the planned effect, at that single look.

    power(n) = :func:`sequential_power_two_proportions` ~ Phi(delta / SE(n) - h(n) / SE(n)), with
    h the CS halfwidth at N = n (1 + ratio) users (s^2 = SE^2 N). h/SE depends on N only and grows
    like sqrt(ln N) beyond the tuning size while delta / SE grows like sqrt(n), so the power is
    increasing wherever it is near the target and the smallest integer is found by bisection.
    Always >= :func:`sample_size_two_proportions` (the sequence is wider than the fixed CI): the
    price of being allowed to look at every day. Same validation as the fixed-horizon function.
    """
    p0, _ = _rates(p_control, relative_mde)
    alpha = check_alpha(alpha)
    target = _check_power_level(power, alpha)
    ratio = _check_positive(ratio, "ratio")

    def ok(n: int) -> bool:
        return sequential_power_two_proportions(p0, relative_mde, n, alpha=alpha, tuning=tuning, ratio=ratio) >= target

    return _smallest_n(ok, sample_size_two_proportions(p0, relative_mde, alpha=alpha, power=target, ratio=ratio))


def sequential_control_users_many(p_control: Any, relative_mde: float, alpha: Any, power: float, tuning: float,
                                  ratio: Any) -> np.ndarray:
    """:func:`sequential_sample_size_two_proportions` elementwise (int64), for checked inputs: every
    p_control and p_control (1 + relative_mde) strictly inside (0, 1), alpha in (0, power), ratio > 0.

    The same doubling from the fixed-horizon size and the same bisection, all elements in step, with
    the power of :func:`sequential_power_two_proportions` computed by the same operations per element
    (the halfwidth by the sequential module's array kernel): the same integers (checked in
    tests/stats/test_power.py). The bulk path of ``analyze-counts --sequential`` plans a block of
    groups with one call.
    """
    from .sequential import _halfwidth_array

    p0 = np.asarray(p_control, dtype=float)
    alphas = np.broadcast_to(np.asarray(alpha, dtype=float), p0.shape)
    ratios = np.broadcast_to(np.asarray(ratio, dtype=float), p0.shape)
    target, tuning = float(power), float(tuning)
    p1 = p0 * (1.0 + relative_mde)
    sigma2 = p0 * (1.0 - p0) + p1 * (1.0 - p1) / ratios
    delta = np.abs(p1 - p0)

    def ok(n: np.ndarray, idx: np.ndarray) -> np.ndarray:
        se = np.sqrt(sigma2[idx] / n)
        h = np.empty_like(se)
        a_idx, users = alphas[idx], n * (1.0 + ratios[idx])
        for a in np.unique(a_idx).tolist():
            sel = a_idx == a
            h[sel] = _halfwidth_array(se[sel], users[sel], a, tuning)
        d = delta[idx]
        return ndtr((d - h) / se) + ndtr((-d - h) / se) >= target

    z_power = _z_power(target)
    start = [control_users_fixed(a, b, z_two_sided(al) + z_power, r)
             for a, b, al, r in zip(p0.tolist(), p1.tolist(), alphas.tolist(), ratios.tolist())]
    hi = np.maximum(1, np.asarray(start, dtype=np.int64))
    active = np.arange(hi.size)
    while active.size:  # doubling until the power is reached
        good = ok(hi[active].astype(float), active)
        hi[active[~good]] *= 2
        active = active[~good]
    lo = np.zeros_like(hi)
    active = np.flatnonzero(hi - lo > 1)
    while active.size:  # bisection: ok(hi), not ok(lo)
        mid = (lo[active] + hi[active]) // 2
        good = ok(mid.astype(float), active)
        hi[active[good]] = mid[good]
        lo[active[~good]] = mid[~good]
        active = active[hi[active] - lo[active] > 1]
    return hi


def sequential_mde_for_sample_size(
    p_control: float,
    n_per_arm: float,
    alpha: float = 0.05,
    power: float = 0.8,
    tuning: float = 5000,
    ratio: float = 1.0,
    direction: int = 1,
) -> float | None:
    """Smallest relative effect the confidence sequence detects with probability ``power`` at a look
    with ``n_per_arm`` control users: the root of :func:`sequential_power_two_proportions` in the
    effect (Brent's method, as :func:`mde_for_sample_size`; the power is increasing in |effect|
    because h / SE does not depend on the effect). None when no effect inside (0, 1) is detectable.
    """
    from .sequential import _check_tuning

    p0 = _finite(p_control, "p_control")
    if not (0.0 < p0 < 1.0):
        raise ValueError(f"p_control must be strictly between 0 and 1, got {p0}")
    n0 = _check_positive(n_per_arm, "n_per_arm")
    alpha = check_alpha(alpha)
    target = _check_power_level(power, alpha)
    ratio = _check_positive(ratio, "ratio")
    tuning = _check_tuning(tuning)
    direction = _check_direction(direction)
    return _solve_mde(
        lambda m: sequential_power_two_proportions(p0, m, n0, alpha=alpha, tuning=tuning, ratio=ratio),
        p0, target, direction,
    )


# --------------------------------------------------------------------------- one truth for sample size
# Used by BOTH `guidelab plan` (guidelab.plan) and the analysis' "days still needed" and planned-sample
# gate (guidelab.analysis), so the two can never disagree (issue 9, item 5).

__all__ += ["sample_size_normal", "sequential_sample_size_normal", "users_needed"]


def _normal_inputs(delta: Any, var_control: Any, var_treatment: Any, ratio: Any) -> tuple[float, float, float, float]:
    d = _finite(delta, "delta")
    if d == 0.0:
        raise ValueError("delta must be non-zero: no sample size can detect an effect of 0")
    vc = _check_positive(var_control, "var_control", allow_zero=True)
    vt = _check_positive(var_treatment, "var_treatment", allow_zero=True)
    if vc + vt == 0.0:
        raise ValueError("var_control and var_treatment are both 0: the effect is known without sampling")
    return d, vc, vt, _check_positive(ratio, "ratio")


def sample_size_normal(delta: float, var_control: float, var_treatment: float, alpha: float = 0.05,
                       power: float = 0.8, ratio: float = 1.0) -> int:
    """Control-arm users for a two-sided z-test of a difference of means (treatment has ratio * n).

    n0 = (z_{1-alpha/2} + z_power)^2 (var_control + var_treatment / ratio) / delta^2, the same
    formula as :func:`sample_size_two_proportions` with per-user variances in place of p (1 - p)
    (Chow, Shao & Wang, sec. 3.2); for a proportion, var = p (1 - p) gives exactly that function.
    """
    d, vc, vt, r = _normal_inputs(delta, var_control, var_treatment, ratio)
    alpha = check_alpha(alpha)
    power = _check_power_level(power, alpha)
    z_total = z_two_sided(alpha) + _z_power(float(power))
    return max(1, math.ceil(z_total**2 * (vc + vt / r) / d**2 - 1e-9))


def sequential_sample_size_normal(delta: float, var_control: float, var_treatment: float, alpha: float = 0.05,
                                  power: float = 0.8, tuning: float = 5000, ratio: float = 1.0) -> int:
    """Smallest control-arm n at which the confidence sequence excludes 0 with probability ``power``.

    power(n) = Phi((|delta| - h(n)) / SE(n)) + Phi((-|delta| - h(n)) / SE(n)), SE(n)^2 = (var_control
    + var_treatment / ratio) / n and h the halfwidth of :func:`guidelab.stats.sequential.
    confidence_sequence_halfwidth` at N = n (1 + ratio) users (Waudby-Smith et al. 2024): the
    mean-metric analogue of :func:`sequential_sample_size_two_proportions`, found by bisection.
    """
    from .sequential import _check_tuning, confidence_sequence_halfwidth

    d, vc, vt, r = _normal_inputs(delta, var_control, var_treatment, ratio)
    alpha = check_alpha(alpha)
    target = _check_power_level(power, alpha)
    tuning = _check_tuning(tuning)

    def ok(n: int) -> bool:
        se = math.sqrt((vc + vt / r) / n)
        h = confidence_sequence_halfwidth(se, n * (1.0 + r), alpha=alpha, tuning=tuning)
        return float(ndtr((abs(d) - h) / se) + ndtr((-abs(d) - h) / se)) >= target

    return _smallest_n(ok, sample_size_normal(d, vc, vt, alpha=alpha, power=target, ratio=r))


def users_needed(baseline: float, relative_mde: float, *, alpha: float = 0.05, comparisons: int = 1,
                 power: float = 0.8, ratio: float = 1.0, sequential: bool = False, tuning: float = 5000,
                 kind: str = "proportion", variance: float | None = None) -> tuple[int, int]:
    """(control users, treatment users) one treatment-vs-control comparison needs: THE sample size.

    ``relative_mde`` is signed (negative when the metric should go down); each of ``comparisons``
    treatment arms is tested at alpha / comparisons (Bonferroni, conservative for Holm); ``ratio``
    = weight_treatment / weight_control. Proportions (``baseline`` = the control's rate) use
    :func:`sample_size_two_proportions` / :func:`sequential_sample_size_two_proportions`; means
    (``baseline`` = the control's mean, ``variance`` its per-user variance, assumed equal in both
    arms) use :func:`sample_size_normal` / :func:`sequential_sample_size_normal`. The treatment
    needs ceil(ratio * n_control). ValueError for inputs without an answer (see those functions).
    """
    k = int(comparisons)
    if k < 1:
        raise ValueError(f"comparisons must be >= 1, got {comparisons!r}")
    a = check_alpha(alpha) / k
    if kind == "proportion":
        if sequential:
            nc = sequential_sample_size_two_proportions(baseline, relative_mde, alpha=a, power=power, tuning=tuning,
                                                        ratio=ratio)
        else:
            nc = sample_size_two_proportions(baseline, relative_mde, alpha=a, power=power, ratio=ratio)
    else:
        if variance is None:
            raise ValueError("a mean metric needs the per-user variance of the control arm")
        delta = _finite(baseline, "baseline") * _finite(relative_mde, "relative_mde")
        if sequential:
            nc = sequential_sample_size_normal(delta, variance, variance, alpha=a, power=power, tuning=tuning,
                                               ratio=ratio)
        else:
            nc = sample_size_normal(delta, variance, variance, alpha=a, power=power, ratio=ratio)
    return nc, treatment_users(nc, ratio)
