"""Helpers every statistics module shares (private: import them from here, not from a sibling).

* input validation: counts, arms, alpha, finite reals, sums and their Cauchy-Schwarz consistency;
* paired sums of two per-user quantities (:class:`PairedStats`, the base of
  :class:`~.ratio.RatioStats` and :class:`~.cuped.CovariateStats`): n, the five sums and the
  centred moments, with the parallel merge of Chan, Golub & LeVeque (1979);
* vectorised cores: cancellation-guarded centred sums of squares (see the numerical note of
  :mod:`.means`), the normal-theory difference interval (:func:`normal_diff_arrays`) and the
  delta-method log-ratio interval of a relative lift (:func:`log_ratio_arrays`);
* result helpers: JSON-ready numbers and intervals (never NaN or inf), the relative-lift fields,
  and the bases of the two-arm comparison results (:class:`Comparison`, :class:`EstimateComparison`).
"""
from __future__ import annotations

import math
from dataclasses import KW_ONLY, dataclass
from functools import lru_cache
from numbers import Integral, Real
from typing import Any, NamedTuple, TypeVar

import numpy as np
from scipy.special import chdtrc, fdtrc, ndtr, ndtri, stdtr, stdtrit

from ..serialize import Interval, JsonField, ResultModel
from .notes import NOTES_JSON, Note, NoteCode, Noted, arms_code


class LazyScipy:
    """A scipy object imported on first use (``LazyScipy("scipy.stats", "norm")``): importing
    scipy.stats or scipy.integrate takes about a second, which every command paid at start-up
    although most never call them. Attributes are read from the object (``norm.ppf(...)``)."""

    def __init__(self, module: str, name: str | None = None):
        self._module, self._name = module, name
        self._target: Any = None

    def _load(self) -> Any:
        if self._target is None:
            import importlib

            mod = importlib.import_module(self._module)
            self._target = mod if self._name is None else getattr(mod, self._name)
        return self._target

    def __getattr__(self, attr: str) -> Any:
        if attr.startswith("_"):
            raise AttributeError(attr)
        return getattr(self._load(), attr)


# --------------------------------------------------------------------------- validation

STATUS_OK = "ok"
STATUS_NOT_ENOUGH_DATA = "not_enough_data"


def check_count(value: Any, name: str) -> int:
    """A non-negative whole number (ints, numpy ints and integral floats such as ``120.0``)."""
    if type(value) is int and value >= 0:  # the common case, without the abstract-class checks
        return value
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


def check_arm(successes: Any, n: Any, label: str) -> tuple[int, int]:
    s = check_count(successes, f"{label} successes")
    m = check_count(n, f"{label} n")
    if s > m:
        raise ValueError(f"{label} successes ({s}) cannot exceed {label} n ({m})")
    return s, m


def check_alpha(alpha: Any) -> float:
    if type(alpha) is float and 0.0 < alpha < 1.0:  # the common case, without the abstract-class checks
        return alpha
    if isinstance(alpha, bool) or not isinstance(alpha, Real) or not (0.0 < float(alpha) < 1.0):
        raise ValueError(f"alpha must be strictly between 0 and 1, got {alpha!r}")
    return float(alpha)


@lru_cache(maxsize=64)
def z_two_sided(alpha: float) -> float:
    """Critical value z_{1-alpha/2} of the standard normal (cached). ``scipy.special.ndtri`` is
    what ``scipy.stats.norm.ppf`` evaluates (same bits, without importing scipy.stats)."""
    return float(ndtri(1.0 - alpha / 2.0))


# Distribution tails from the scipy.special ufuncs that scipy.stats' ``t``, ``chi2`` and ``f``
# evaluate (scipy 1.13-1.17: ``t._sf`` is ``stdtr(df, -x)``, ``t._ppf`` is ``stdtrit(df, q)``,
# ``chi2._sf`` is ``chdtrc(df, x)``, ``f._sf`` is ``fdtrc(dfn, dfd, x)``), with scipy.stats' answers
# outside the support (NaN for a degree of freedom <= 0, a tail of 1 below 0). Importing scipy.stats
# costs about a second of CPU, in every command and in every report's kernel.
# tests/stats/test_common.py compares them with scipy.stats on a grid.


def t_sf(x: Any, df: Any) -> Any:
    """P(T > x) for Student's t with ``df`` degrees of freedom (``scipy.stats.t.sf``)."""
    x, df = np.asarray(x, dtype=float), np.asarray(df, dtype=float)
    ok = df > 0
    return _sf_in_support(x, -np.inf, ok, lambda xs: stdtr(np.where(ok, df, 1.0), -xs))


def t_ppf(q: Any, df: Any) -> Any:
    """The ``q`` quantile of Student's t with ``df`` degrees of freedom (``scipy.stats.t.ppf``)."""
    q, df = np.asarray(q, dtype=float), np.asarray(df, dtype=float)
    ok = (df > 0) & (q >= 0) & (q <= 1)  # False for a NaN q
    inside = ok & (q > 0) & (q < 1)
    value = stdtrit(np.where(ok, df, 1.0), np.where(inside, q, 0.5))
    return _as_scipy(np.where(ok, np.where(q == 0, -np.inf, np.where(q == 1, np.inf, value)), np.nan))


def chi2_sf(x: Any, df: Any) -> Any:
    """P(X > x) for chi-squared with ``df`` degrees of freedom (``scipy.stats.chi2.sf``)."""
    x, df = np.asarray(x, dtype=float), np.asarray(df, dtype=float)
    ok = df > 0
    return _sf_in_support(x, 0.0, ok, lambda xs: chdtrc(np.where(ok, df, 1.0), xs))


def f_sf(x: Any, dfn: Any, dfd: Any) -> Any:
    """P(F > x) for Fisher's F with (``dfn``, ``dfd``) degrees of freedom (``scipy.stats.f.sf``)."""
    x, dfn, dfd = (np.asarray(a, dtype=float) for a in (x, dfn, dfd))
    ok = (dfn > 0) & (dfd > 0)
    return _sf_in_support(x, 0.0, ok, lambda xs: fdtrc(np.where(ok, dfn, 1.0), np.where(ok, dfd, 1.0), xs))


def _sf_in_support(x: np.ndarray, lower: float, ok: np.ndarray, sf: Any) -> Any:
    """scipy.stats' rules around a survival function: NaN for invalid parameters or x, 1 at or
    below the support's lower end, 0 at +inf, else ``sf`` (called on x inside the support)."""
    inside = (x > lower) & (x < np.inf)
    value = np.where(x <= lower, 1.0, np.where(x == np.inf, 0.0, sf(np.where(inside, x, 1.0))))
    return _as_scipy(np.where(ok & ~np.isnan(x), value, np.nan))


def _as_scipy(a: np.ndarray) -> Any:
    """A 0-d result as a numpy float64 scalar, as scipy.stats returns it."""
    return a[()] if a.ndim == 0 else a


def finite_or_none(x: Any) -> float | None:
    """A Python float (from a float, int or numpy scalar or 0-d array), or None for None, NaN and inf."""
    if x is None:
        return None
    x = float(x)
    return x if math.isfinite(x) else None


# Centred sums of squares at or below this fraction of the raw sum of squares are rounding noise
# (see the numerical note of :mod:`.means`) and are set to 0.
CANCELLATION_RTOL = 1e-10
# Raw sums that violate Cauchy-Schwarz by more than this relative margin cannot come from real
# data (summation rounding is far smaller), so they raise ValueError instead of being clipped.
CONSISTENCY_RTOL = 1e-6


def check_real(value: Any, name: str) -> float:
    """A finite real number (ints, floats, numpy scalars; not bools)."""
    if isinstance(value, bool) or not isinstance(value, Real):
        raise ValueError(f"{name} must be a finite real number, got {value!r}")
    f = float(value)
    if not math.isfinite(f):
        raise ValueError(f"{name} must be a finite real number, got {value!r}")
    return f


def check_sum_of_squares(sum_sq: float, total: float, n: int, sq_name: str, sum_name: str) -> None:
    """sum_sq >= 0 and (Cauchy-Schwarz) total**2 <= n * sum_sq, up to rounding."""
    if sum_sq < 0:
        raise ValueError(f"{sq_name} must be >= 0, got {sum_sq!r}")
    if total * total > n * sum_sq * (1.0 + CONSISTENCY_RTOL):
        raise ValueError(
            f"inconsistent sums: {sum_name}**2 ({total * total!r}) exceeds n * {sq_name} "
            f"({n * sum_sq!r}); a sum of squares can never be smaller than {sum_name}**2 / n"
        )


def check_cross_product(sum_xy: float, sum_x2: float, sum_y2: float, xy_name: str) -> None:
    """(Cauchy-Schwarz) sum_xy**2 <= sum_x2 * sum_y2, up to rounding."""
    if sum_xy * sum_xy > sum_x2 * sum_y2 * (1.0 + CONSISTENCY_RTOL):
        raise ValueError(
            f"inconsistent sums: {xy_name}**2 exceeds the product of the two sums of squares"
        )


def check_empty(n: int, sums: dict[str, float], label: str) -> None:
    if n == 0 and any(v != 0.0 for v in sums.values()):
        raise ValueError(f"{label} has n == 0 but non-zero sums: {sums}")


# --------------------------------------------------------------------------- paired sums


def check_pair_sums(obj: Any, a: str, b: str, label: str) -> None:
    """Validate and normalise the sums of two per-user quantities ``a`` and ``b`` on a frozen
    dataclass with fields n, sum_a, sum_b, sum_a2, sum_b2 and sum_ab (names built from a, b)."""
    n = check_count(obj.n, "n")
    keys = (f"sum_{a}", f"sum_{b}", f"sum_{a}2", f"sum_{b}2", f"sum_{a}{b}" if hasattr(obj, f"sum_{a}{b}") else f"sum_{b}{a}")
    vals = {k: check_real(getattr(obj, k), k) for k in keys}
    check_empty(n, vals, label)
    check_sum_of_squares(vals[f"sum_{a}2"], vals[f"sum_{a}"], n, f"sum_{a}2", f"sum_{a}")
    check_sum_of_squares(vals[f"sum_{b}2"], vals[f"sum_{b}"], n, f"sum_{b}2", f"sum_{b}")
    check_cross_product(vals[keys[4]], vals[f"sum_{a}2"], vals[f"sum_{b}2"], keys[4])
    object.__setattr__(obj, "n", n)
    for k, v in vals.items():
        object.__setattr__(obj, k, v)


def check_centred(value: Any, name: str, n: int) -> float:
    """A centred sum of squares: finite, >= 0 (a rounding residue down to -1e-12 relative is 0)."""
    v = check_real(value, name)
    if v < 0.0:
        raise ValueError(f"{name} must be >= 0 (a centred sum of squares), got {value!r}")
    if n == 0 and v != 0.0:
        raise ValueError(f"{name} must be 0 when n == 0, got {value!r}")
    return v


def check_pair_centred(obj: Any, fields: tuple[str, str, str]) -> None:
    """Validate the optional centred moments (S_aa, S_bb, S_ab) of a pair dataclass: all three or
    none; S_aa, S_bb >= 0 and S_ab**2 <= S_aa S_bb up to rounding."""
    vals = [getattr(obj, f) for f in fields]
    if all(v is None for v in vals):
        return
    if any(v is None for v in vals):
        raise ValueError(f"give all of {', '.join(fields)} (centred moments) or none of them")
    saa = check_centred(vals[0], fields[0], obj.n)
    sbb = check_centred(vals[1], fields[1], obj.n)
    sab = check_real(vals[2], fields[2])
    check_cross_product(sab, saa, sbb, fields[2])
    for f, v in zip(fields, (saa, sbb, sab)):
        object.__setattr__(obj, f, v)


def pair_moments(a: Any, b: Any) -> tuple[float, float, float]:
    """Two-pass centred moments of two equally long samples: Σ(a-ā)², Σ(b-b̄)², Σ(a-ā)(b-b̄)."""
    aa = np.asarray(a, dtype=float).ravel()
    ba = np.asarray(b, dtype=float).ravel()
    if aa.size == 0:
        return 0.0, 0.0, 0.0
    # a constant sample has exactly no spread (its float mean can differ from the value by an ulp)
    da = np.zeros_like(aa) if aa.min() == aa.max() else aa - aa.mean()
    db = np.zeros_like(ba) if ba.min() == ba.max() else ba - ba.mean()
    return float(np.dot(da, da)), float(np.dot(db, db)), float(np.dot(da, db))


def merge_pair_moments(n_a: int, means_a: tuple[float, float], moments_a: tuple[float, float, float],
                        n_b: int, means_b: tuple[float, float], moments_b: tuple[float, float, float]
                        ) -> tuple[float, float, float]:
    """Centred moments (S_aa, S_bb, S_ab) of two groups together (Chan et al. 1979; Pebay 2008):
    S = S_1 + S_2 + d_a d_b n_1 n_2 / n, with d the difference of the group means."""
    n = n_a + n_b
    d0, d1 = means_b[0] - means_a[0], means_b[1] - means_a[1]
    w = n_a * n_b / n
    return (moments_a[0] + moments_b[0] + d0 * d0 * w, moments_a[1] + moments_b[1] + d1 * d1 * w,
            moments_a[2] + moments_b[2] + d0 * d1 * w)


def pair_sums(a: Any, b: Any, a_name: str, b_name: str) -> dict[str, Any]:
    """n and the five sums of two equally long samples, keyed like the dataclass fields."""
    aa = np.asarray(a, dtype=float).ravel()
    ba = np.asarray(b, dtype=float).ravel()
    if aa.shape != ba.shape:
        raise ValueError(f"{a_name} and {b_name} must have the same length, got {aa.size} and {ba.size}")
    return {"n": int(aa.size), f"sum_{a_name}": float(aa.sum()), f"sum_{b_name}": float(ba.sum()),
            f"sum_{a_name}2": float(np.dot(aa, aa)), f"sum_{b_name}2": float(np.dot(ba, ba)),
            "sum_xy": float(np.dot(aa, ba))}


# --------------------------------------------------------------------------- vectorised cores


def centred_ss(sum_sq: Any, total: Any, n: Any) -> np.ndarray:
    """Σ(v - v̄)² = Σv² - (Σv)²/n, elementwise, with the cancellation guard of the module docstring.

    Values at or below ``CANCELLATION_RTOL * Σv²`` (including negative rounding residue) become 0.
    NaN where n == 0.
    """
    ss = np.asarray(sum_sq, dtype=float)
    s = np.asarray(total, dtype=float)
    m = np.asarray(n, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        css = ss - s * s / m
    return np.where(css <= CANCELLATION_RTOL * ss, 0.0, css)


def centred_cross(sum_xy: Any, sum_x: Any, sum_y: Any, n: Any, css_x: Any, css_y: Any) -> np.ndarray:
    """Σ(x - x̄)(y - ȳ) = Σxy - ΣxΣy/n, clamped to the Cauchy-Schwarz bound ±sqrt(css_x css_y).

    The clamp makes the cross product exactly 0 wherever either centred sum of squares was
    clipped to 0, so quadratic forms built from the three stay >= 0 up to rounding.
    """
    sxy = np.asarray(sum_xy, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        cross = sxy - np.asarray(sum_x, dtype=float) * np.asarray(sum_y, dtype=float) / np.asarray(n, dtype=float)
        bound = np.sqrt(np.asarray(css_x, dtype=float) * np.asarray(css_y, dtype=float))
    return np.clip(cross, -bound, bound)


class NormalDiffArrays(NamedTuple):
    abs_diff: np.ndarray
    se: np.ndarray  # NaN where the variance of the difference is 0 or undefined
    ci_low: np.ndarray
    ci_high: np.ndarray
    p_value: np.ndarray


def normal_diff_arrays(est: Any, var_est: Any, est_control: Any, var_est_control: Any, z: float) -> NormalDiffArrays:
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
    return NormalDiffArrays(diff, se, diff - z * se, diff + z * se, p_value)


class LogRatioArrays(NamedTuple):
    rel_lift: np.ndarray  # est/est_control - 1, NaN where est_control == 0
    se_log_ratio: np.ndarray  # NaN where the log ratio or its variance is undefined
    ci_low: np.ndarray
    ci_high: np.ndarray


def log_ratio_arrays(est: Any, var_est: Any, est_control: Any, var_est_control: Any, z: float) -> LogRatioArrays:
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
    return LogRatioArrays(rel_lift, se, low, high)


def centred_or_raw(centred: Any, fallback: Any) -> np.ndarray:
    """The centred second moment where given (not None; NaN entries mean "not given"), else the
    fallback computed from raw sums. See the centred-moment rule in :class:`MeanStats`."""
    if centred is None:
        return np.asarray(fallback, dtype=float)
    c = np.asarray(centred, dtype=float)
    return np.where(np.isnan(c), fallback, c)


# --------------------------------------------------------------------------- result helpers


def json_interval(ci: tuple[float, float] | None) -> list[float] | None:
    if ci is None:
        return None
    lo, hi = finite_or_none(ci[0]), finite_or_none(ci[1])
    return None if lo is None or hi is None else [lo, hi]


def relative_fields(
    rel: LogRatioArrays, est: float | None, est_control: float | None, estimate: str, notes: list[Note]
) -> tuple[float | None, tuple[float, float] | None, float | None]:
    """(rel_lift, rel_ci, se_log_ratio) from 0-d helper output, appending a note for any None
    (``estimate``: the note's word for the estimate, "mean", "ratio" or "adjusted_mean")."""
    rel_lift = finite_or_none(rel.rel_lift)
    if est is None or est_control is None:
        return None, None, None
    if est_control == 0.0:
        notes.append(Note.of(NoteCode.CONTROL_ZERO, estimate=estimate))
        return None, None, None
    if est < 0.0 or est_control < 0.0:
        notes.append(Note.of(NoteCode.NEGATIVE_ESTIMATE, estimate=estimate))
        return rel_lift, None, None
    if est == 0.0:
        notes.append(Note.of(NoteCode.TREATMENT_ZERO, estimate=estimate))
        return rel_lift, None, None
    se_log = finite_or_none(rel.se_log_ratio)
    lo, hi = finite_or_none(rel.ci_low), finite_or_none(rel.ci_high)
    if se_log is None or lo is None or hi is None:
        notes.append(Note.of(NoteCode.LOG_RATIO_VARIANCE_ZERO))
        return rel_lift, None, None
    return rel_lift, (lo, hi), se_log


def point_lift(est: float | None, est_control: float | None) -> float | None:
    if est is None or est_control is None or est_control == 0.0:
        return None
    return finite_or_none(est / est_control - 1.0)


def arm_shortfall(code: NoteCode, treatment: bool, control: bool) -> Note:
    """A note on the arms that lack data (``arms``: treatment, control or both)."""
    return Note.of(code, arms=arms_code(treatment, control))


def check_stats(value: Any, cls: type, label: str) -> None:
    if not isinstance(value, cls):
        raise ValueError(f"{label} must be a {cls.__name__}, got {type(value).__name__}")


# --------------------------------------------------------------------------- bases

_Paired = TypeVar("_Paired", bound="PairedStats")


@dataclass(frozen=True)
class PairedStats:
    """Sufficient statistics of two per-user quantities x and y in one arm.

    From SQL (one row per randomised user): ``COUNT(*) AS n, SUM(x) AS sum_x, SUM(y) AS sum_y,
    SUM(x*x) AS sum_x2, SUM(y*y) AS sum_y2, SUM(x*y) AS sum_xy``, and preferably the centred
    moments m2_x = Σ(x - x̄)², m2_y = Σ(y - ȳ)², c_xy = Σ(x - x̄)(y - ȳ) (all three or none), which
    variances use whenever given (the centred-moment rule of :class:`~.means.MeanStats`).
    Raises ValueError for non-finite values, negative n or sums of squares, non-zero sums with
    n == 0, and sums that violate Cauchy-Schwarz beyond rounding. What x and y are is the
    subclass's: numerator and denominator (:class:`~.ratio.RatioStats`), covariate and outcome
    (:class:`~.cuped.CovariateStats`).
    """

    n: int
    sum_x: float
    sum_y: float
    sum_x2: float
    sum_y2: float
    sum_xy: float
    m2_x: float | None = None
    m2_y: float | None = None
    c_xy: float | None = None

    def __post_init__(self) -> None:
        check_pair_sums(self, "x", "y", type(self).__name__)
        check_pair_centred(self, ("m2_x", "m2_y", "c_xy"))

    @classmethod
    def from_moments(cls: type[_Paired], n: int, mean_x: float, mean_y: float, m2_x: float, m2_y: float,
                     c_xy: float) -> _Paired:
        """From centred statistics (SQL: ``COUNT(*), AVG(x), AVG(y), VAR_POP(x) * COUNT(*),
        VAR_POP(y) * COUNT(*), COVAR_POP(x, y) * COUNT(*)``); raw sums are derived from them."""
        n = check_count(n, "n")
        mx, my = (0.0, 0.0) if n == 0 else (check_real(mean_x, "mean_x"), check_real(mean_y, "mean_y"))
        return cls(n=n, sum_x=n * mx, sum_y=n * my, sum_x2=m2_x + n * mx * mx, sum_y2=m2_y + n * my * my,
                   sum_xy=c_xy + n * mx * my, m2_x=m2_x, m2_y=m2_y, c_xy=c_xy)

    @classmethod
    def from_values(cls: type[_Paired], x: Any, y: Any) -> _Paired:
        """Convenience for samples in memory: sums and two-pass centred moments of per-user x, y."""
        sums = pair_sums(x, y, "x", "y")  # validates the lengths
        m2_x, m2_y, c_xy = pair_moments(x, y)
        return cls(**sums, m2_x=m2_x, m2_y=m2_y, c_xy=c_xy)

    def merge(self: _Paired, other: _Paired) -> _Paired:
        """Both groups together: sums add, centred moments by the parallel update (Chan et al. 1979)."""
        if self.n == 0 or other.n == 0:
            return other if self.n == 0 else self
        centred: tuple[float | None, float | None, float | None] = (None, None, None)
        if (self.m2_x is not None and self.m2_y is not None and self.c_xy is not None
                and other.m2_x is not None and other.m2_y is not None and other.c_xy is not None):
            centred = merge_pair_moments(self.n, (self.sum_x / self.n, self.sum_y / self.n),
                                         (self.m2_x, self.m2_y, self.c_xy),
                                         other.n, (other.sum_x / other.n, other.sum_y / other.n),
                                         (other.m2_x, other.m2_y, other.c_xy))
        return type(self)(n=self.n + other.n, sum_x=self.sum_x + other.sum_x, sum_y=self.sum_y + other.sum_y,
                          sum_x2=self.sum_x2 + other.sum_x2, sum_y2=self.sum_y2 + other.sum_y2,
                          sum_xy=self.sum_xy + other.sum_xy, m2_x=centred[0], m2_y=centred[1], c_xy=centred[2])

    @property
    def mean_x(self) -> float | None:
        return self.sum_x / self.n if self.n > 0 else None

    @property
    def mean_y(self) -> float | None:
        return self.sum_y / self.n if self.n > 0 else None


@dataclass(frozen=True)
class Comparison(Noted, ResultModel):
    """The fields every two-arm comparison result shares: treatment vs control.

    ``abs_diff``/``abs_ci``: the difference treatment - control and its interval; ``rel_lift``/
    ``rel_ci``: treatment/control - 1 and its interval; ``se_abs_diff`` and ``se_log_ratio`` the
    standard errors of the difference and of the log ratio (they feed the sequential intervals);
    ``p_value`` two-sided; ``method`` names the method, ``status`` is "ok" or "not_enough_data",
    ``notes`` explain any statistic that is None or computed by a fallback (codes, worded by the
    report; ``note`` is their English, the JSON's ``note``). Intervals are
    (low, high); None where undefined. The fields after ``alpha`` are keyword-only.
    """

    n: int
    n_control: int
    abs_diff: float | None
    abs_ci: Interval | None
    rel_lift: float | None
    rel_ci: Interval | None
    p_value: float | None
    alpha: float
    _: KW_ONLY
    method: str
    se_abs_diff: float | None = None
    se_log_ratio: float | None = None
    status: str = STATUS_OK
    notes: tuple[Note, ...] = ()


#: The JSON keys every comparison of an estimate per arm (means, ratios, CUPED, clusters) shares, in order.
COMMON_JSON: tuple[str | JsonField, ...] = (
    "n", "n_control", "estimate", "estimate_control", "se_estimate", "se_estimate_control", "abs_diff", "abs_ci",
    "se_abs_diff", "rel_lift", "rel_ci", "se_log_ratio", "p_value", "alpha", "method", "status", "note", NOTES_JSON,
)


@dataclass(frozen=True)
class EstimateComparison(Comparison):
    """A comparison of one estimate per arm (a mean, a ratio, an adjusted mean) with its standard
    error: ``estimate``/``estimate_control`` and ``se_estimate``/``se_estimate_control``."""

    estimate: float | None
    estimate_control: float | None
    se_estimate: float | None
    se_estimate_control: float | None

    _json_fields = COMMON_JSON
