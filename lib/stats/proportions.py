"""Two-sample comparison of conversion rates from counts (successes, users per arm).

Everything here works on sufficient statistics only. The scalar entry points
(:func:`compare_proportions`, :func:`proportion_ci`) are thin wrappers over vectorised
helpers (:func:`_diff_wald_arrays`, :func:`_log_ratio_ci_arrays`) so the calibration
simulations exercise exactly the code that produces real results.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from numbers import Integral, Real
from typing import Any, Literal, NamedTuple

import numpy as np
from scipy.stats import norm

__all__ = ["ProportionComparison", "compare_proportions", "proportion_ci"]

STATUS_OK = "ok"
STATUS_NOT_ENOUGH_DATA = "not_enough_data"


# --------------------------------------------------------------------------- validation


def _check_count(value: Any, name: str) -> int:
    """A non-negative whole number (ints, numpy ints and integral floats such as ``120.0``)."""
    if isinstance(value, bool) or not isinstance(value, Real):
        raise ValueError(f"{name} must be a non-negative whole number, got {value!r}")
    if isinstance(value, Integral):
        count = int(value)
    else:
        f = float(value)
        if not math.isfinite(f) or f != math.floor(f):
            raise ValueError(f"{name} must be a non-negative whole number, got {value!r}")
        count = int(f)
    if count < 0:
        raise ValueError(f"{name} must be >= 0, got {count}")
    return count


def _check_arm(successes: Any, n: Any, label: str) -> tuple[int, int]:
    s = _check_count(successes, f"{label} successes")
    m = _check_count(n, f"{label} n")
    if s > m:
        raise ValueError(f"{label} successes ({s}) cannot exceed {label} n ({m})")
    return s, m


def _check_alpha(alpha: Any) -> float:
    if isinstance(alpha, bool) or not isinstance(alpha, Real) or not (0.0 < float(alpha) < 1.0):
        raise ValueError(f"alpha must be strictly between 0 and 1, got {alpha!r}")
    return float(alpha)


def _z_two_sided(alpha: float) -> float:
    """Critical value z_{1-alpha/2} of the standard normal."""
    return float(norm.ppf(1.0 - alpha / 2.0))


def _finite_or_none(x: float | None) -> float | None:
    if x is None:
        return None
    x = float(x)
    return x if math.isfinite(x) else None


# --------------------------------------------------------------------------- vectorised cores


class _DiffArrays(NamedTuple):
    abs_diff: np.ndarray
    ci_low: np.ndarray
    ci_high: np.ndarray
    p_value: np.ndarray
    used_fallback: np.ndarray  # True where the unpooled Wald SE is 0 and Agresti-Caffo was used


def _diff_wald_arrays(
    successes: Any, n: Any, successes_control: Any, n_control: Any, z: float
) -> _DiffArrays:
    """Unpooled Wald CI and z-test for p1 - p0, elementwise over arrays (all n > 0).

    Where the unpooled SE is 0 (every rate is 0 or 1) the CI and test switch to Agresti-Caffo
    (one success and one failure added to each arm; statsmodels method='agresti-caffo'),
    whose SE is always > 0. ``abs_diff`` is always the observed p1 - p0. Bounds are clipped to
    [-1, 1] (only ever active in tiny or degenerate samples).
    """
    x1 = np.asarray(successes, dtype=float)
    n1 = np.asarray(n, dtype=float)
    x0 = np.asarray(successes_control, dtype=float)
    n0 = np.asarray(n_control, dtype=float)
    p1, p0 = x1 / n1, x0 / n0
    abs_diff = p1 - p0
    var = p1 * (1.0 - p1) / n1 + p0 * (1.0 - p0) / n0
    fallback = var <= 0.0
    # Agresti-Caffo: add 1 success and 1 failure per arm (only used where var == 0).
    q1, q0 = (x1 + 1.0) / (n1 + 2.0), (x0 + 1.0) / (n0 + 2.0)
    var_ac = q1 * (1.0 - q1) / (n1 + 2.0) + q0 * (1.0 - q0) / (n0 + 2.0)
    centre = np.where(fallback, q1 - q0, abs_diff)
    se = np.sqrt(np.where(fallback, var_ac, var))
    half = z * se
    stat = centre / se
    p_value = 2.0 * norm.sf(np.abs(stat))
    # a difference of two rates lies in [-1, 1]; clipping never changes whether 0 is covered
    low = np.maximum(centre - half, -1.0)
    high = np.minimum(centre + half, 1.0)
    return _DiffArrays(abs_diff, low, high, p_value, fallback)


class _RatioArrays(NamedTuple):
    rel_lift: np.ndarray  # p1/p0 - 1, NaN where p0 == 0
    ci_low: np.ndarray  # NaN where the log interval is undefined
    ci_high: np.ndarray


def _log_ratio_ci_arrays(
    successes: Any, n: Any, successes_control: Any, n_control: Any, z: float
) -> _RatioArrays:
    """Katz log interval for the relative lift p1/p0 - 1, elementwise (all n > 0).

    var(log RR) = (1-p1)/(n1 p1) + (1-p0)/(n0 p0) = 1/x1 - 1/n1 + 1/x0 - 1/n0. Entries are NaN
    where undefined (x0 == 0: lift undefined; x1 == 0: log RR = -inf; var == 0: both rates 1);
    the scalar wrapper turns those into None with a note.
    """
    x1 = np.asarray(successes, dtype=float)
    n1 = np.asarray(n, dtype=float)
    x0 = np.asarray(successes_control, dtype=float)
    n0 = np.asarray(n_control, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = (x1 / n1) / (x0 / n0)
        rel_lift = np.where(x0 > 0, ratio - 1.0, np.nan)
        var = 1.0 / x1 - 1.0 / n1 + 1.0 / x0 - 1.0 / n0
        ok = (x1 > 0) & (x0 > 0) & (var > 0)
        log_rr = np.log(np.where(ok, ratio, 1.0))
        half = z * np.sqrt(np.where(ok, var, 0.0))
        low = np.where(ok, np.exp(log_rr - half) - 1.0, np.nan)
        high = np.where(ok, np.exp(log_rr + half) - 1.0, np.nan)
    return _RatioArrays(rel_lift, low, high)


# --------------------------------------------------------------------------- public API


@dataclass(frozen=True)
class ProportionComparison:
    """Treatment vs control on a conversion rate: absolute and relative effect, CIs, p-value.

    ``status`` is "ok" or "not_enough_data" (an arm with no users: every statistic is None).
    ``note`` explains any statistic that is None or computed by a fallback method.
    """

    n: int
    successes: int
    n_control: int
    successes_control: int
    rate: float | None
    rate_control: float | None
    abs_diff: float | None
    abs_ci: tuple[float, float] | None
    rel_lift: float | None
    rel_ci: tuple[float, float] | None
    p_value: float | None
    alpha: float
    status: str = STATUS_OK
    note: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: plain ints/floats, intervals as [lo, hi], None where undefined (never NaN/inf)."""

        def interval(ci: tuple[float, float] | None) -> list[float] | None:
            if ci is None:
                return None
            lo, hi = _finite_or_none(ci[0]), _finite_or_none(ci[1])
            return None if lo is None or hi is None else [lo, hi]

        return {
            "n": int(self.n),
            "successes": int(self.successes),
            "n_control": int(self.n_control),
            "successes_control": int(self.successes_control),
            "rate": _finite_or_none(self.rate),
            "rate_control": _finite_or_none(self.rate_control),
            "abs_diff": _finite_or_none(self.abs_diff),
            "abs_ci": interval(self.abs_ci),
            "rel_lift": _finite_or_none(self.rel_lift),
            "rel_ci": interval(self.rel_ci),
            "p_value": _finite_or_none(self.p_value),
            "alpha": float(self.alpha),
            "status": self.status,
            "note": self.note,
        }


def compare_proportions(
    successes: int, n: int, successes_control: int, n_control: int, alpha: float = 0.05
) -> ProportionComparison:
    """Compare a treatment rate p1 = successes/n with a control rate p0.

    Methods:
      * abs_diff = p1 - p0 with the Wald interval, unpooled variance
        p1(1-p1)/n1 + p0(1-p0)/n0 (Agresti & Caffo 2000; equals statsmodels
        ``confint_proportions_2indep(method='wald', compare='diff')``), bounds clipped to [-1, 1].
      * p_value: two-sided Wald z-test using the SAME unpooled variance (not the pooled-variance
        score test), so ``abs_ci`` excludes 0 exactly when ``p_value < alpha``. Equals statsmodels
        ``test_proportions_2indep(method='wald', compare='diff')``, whose 'wald' is unpooled.
      * rel_lift = p1/p0 - 1 with the Katz log interval, var(log RR) = (1-p1)/(n1 p1) +
        (1-p0)/(n0 p0) (Katz et al. 1978; statsmodels ``confint_proportions_2indep(
        method='log', compare='ratio')`` minus 1).

    Degenerate data (never NaN, inf or an exception):
      * an arm with n == 0: status "not_enough_data"; every statistic None, counts kept.
      * every rate is 0 or 1 (e.g. both 0, both 1, or 0 vs 1): the Wald SE is 0, which would give
        a zero-width interval and z = 0/0 or inf. Instead abs_ci and p_value use Agresti-Caffo
        (add one success and one failure to each arm; statsmodels method='agresti-caffo'), noted.
        abs_diff stays the observed p1 - p0. With equal n and equal rates this gives p_value 1.0.
      * control rate 0: rel_lift and rel_ci None ("relative lift undefined").
      * treatment rate 0, control > 0: rel_lift -1.0, rel_ci None (log of 0 is undefined).
      * both rates 1: rel_lift 0.0, rel_ci None (the log-ratio variance is 0).
    """
    x1, n1 = _check_arm(successes, n, "treatment")
    x0, n0 = _check_arm(successes_control, n_control, "control")
    alpha = _check_alpha(alpha)

    if n1 == 0 or n0 == 0:
        empty = [name for name, m in (("treatment", n1), ("control", n0)) if m == 0]
        return ProportionComparison(
            n=n1, successes=x1, n_control=n0, successes_control=x0,
            rate=None, rate_control=None, abs_diff=None, abs_ci=None,
            rel_lift=None, rel_ci=None, p_value=None, alpha=alpha,
            status=STATUS_NOT_ENOUGH_DATA,
            note=f"{' and '.join(empty)} arm{'s have' if len(empty) == 2 else ' has'} no users",
        )

    z = _z_two_sided(alpha)
    notes: list[str] = []
    d = _diff_wald_arrays(x1, n1, x0, n0, z)
    if bool(d.used_fallback):
        notes.append(
            "every rate is 0 or 1 so the Wald standard error is 0: abs_ci and p_value use "
            "Agresti-Caffo (one success and one failure added per arm)"
        )
    r = _log_ratio_ci_arrays(x1, n1, x0, n0, z)
    rel_lift: float | None = _finite_or_none(r.rel_lift)
    rel_ci: tuple[float, float] | None = None
    if x0 == 0:
        notes.append("control rate is 0: relative lift undefined")
    elif x1 == 0:
        notes.append("treatment rate is 0: relative lift is -100% and its log-ratio interval is undefined")
    elif x1 == n1 and x0 == n0:
        notes.append("both rates are 1: the log-ratio variance is 0, relative-lift interval undefined")
    else:
        rel_ci = (float(r.ci_low), float(r.ci_high))

    return ProportionComparison(
        n=n1, successes=x1, n_control=n0, successes_control=x0,
        rate=x1 / n1, rate_control=x0 / n0,
        abs_diff=float(d.abs_diff), abs_ci=(float(d.ci_low), float(d.ci_high)),
        rel_lift=rel_lift, rel_ci=rel_ci,
        p_value=float(d.p_value), alpha=alpha,
        status=STATUS_OK, note="; ".join(notes) or None,
    )


def proportion_ci(
    successes: int, n: int, alpha: float = 0.05, method: Literal["wilson", "wald"] = "wilson"
) -> tuple[float, float]:
    """Two-sided CI for one arm's rate successes/n.

    'wilson': Wilson score interval (Wilson 1927; statsmodels ``proportion_confint(method='wilson')``).
    'wald': normal approximation clipped to [0, 1] (statsmodels ``method='normal'``).
    n == 0 raises ValueError: with no users there is no rate to bound.
    """
    x, m = _check_arm(successes, n, "arm")
    alpha = _check_alpha(alpha)
    if m == 0:
        raise ValueError("n must be > 0 to compute a confidence interval for a rate")
    z = _z_two_sided(alpha)
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
