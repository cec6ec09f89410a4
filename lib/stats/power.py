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

import math
from numbers import Real
from typing import Any

from scipy.stats import norm

from .proportions import _check_alpha, _z_two_sided

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
    alpha = _check_alpha(alpha)
    if isinstance(power, bool) or not isinstance(power, Real) or not (0.0 < float(power) < 1.0):
        raise ValueError(f"power must be strictly between 0 and 1, got {power!r}")
    ratio = _check_positive(ratio, "ratio")
    z_total = _z_two_sided(alpha) + float(norm.ppf(float(power)))
    n_raw = z_total**2 * _sigma2(p0, p1, ratio) / (p1 - p0) ** 2
    # the tiny tolerance keeps an exact integer (up to rounding error) from being bumped by one
    return max(1, math.ceil(n_raw - 1e-9))


def power_two_proportions(
    p_control: float, relative_mde: float, n_per_arm: float, alpha: float = 0.05, ratio: float = 1.0
) -> float:
    """Power of the two-sided unpooled Wald test with n_per_arm control users (ratio * n in treatment).

    power = Phi(|delta|/se - z) + Phi(-|delta|/se - z), se = sqrt(p0(1-p0)/n0 + p1(1-p1)/n1),
    z = z_{1-alpha/2} (both rejection tails counted). Same validation as
    :func:`sample_size_two_proportions`; n_per_arm must be > 0.
    """
    p0, p1 = _rates(p_control, relative_mde)
    alpha = _check_alpha(alpha)
    n0 = _check_positive(n_per_arm, "n_per_arm")
    ratio = _check_positive(ratio, "ratio")
    z = _z_two_sided(alpha)
    shift = abs(p1 - p0) / math.sqrt(_sigma2(p0, p1, ratio) / n0)
    return float(norm.cdf(shift - z) + norm.cdf(-shift - z))


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
