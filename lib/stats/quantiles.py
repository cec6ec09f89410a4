"""Quantile metrics (median, p90, ...) of a per-user value, per arm and between arms, from order statistics.

Sufficient statistics
    A quantile needs no row-level data outside SQL. Per arm the warehouse returns ``n`` (the
    users counted), ``n_reached`` (those with a value: users who reached the event) and the
    values at three ranks of the sorted per-user values (``row_number() OVER (PARTITION BY
    variant ORDER BY value)``, exact in DuckDB and Spark alike): the point rank and the two ranks
    of the confidence interval, given by :func:`quantile_ranks` from ``n`` alone. That is
    :class:`QuantileStats`.

Users who never reached the event (``censoring``)
    * ``"censored"``: every counted user is in the sample; one who never reached the event by the
      end of the metric's window counts as +infinity (right-censored at the window's end). The
      quantile is defined when its rank falls among the users who reached it, i.e. the share
      reached exceeds p; otherwise it is "not reached by p% of users" (None, with a note). The
      comparison stays between randomised groups.
    * ``"reachers"``: only users with a value count (the quantile among those who reached the
      event). Conditioned on reaching it, so the comparison is descriptive when the guide changes
      who reaches it.

Per-arm interval (outer interval on ranks; Deng, Knoblich & Lu 2018)
    With B = #{X_i <= xi_p} ~ Binomial(n, p), the order statistics at ranks
    L = floor(np - z sqrt(np(1-p))) and U = ceil(np + z sqrt(np(1-p))) (1-based, rounded outward)
    bracket the true quantile xi_p with probability P(L <= B <= U - 1) ~ 1 - alpha; the point
    estimate is X_(ceil(np)) (the inverse of the empirical distribution function: numpy's
    ``quantile(..., method="inverted_cdf")``, SQL ``quantile_disc``).

Difference and relative difference between arms (the same paper's delta method)
    The standard error of an arm's quantile is read from its interval:
    se = (X_(U) - X_(L)) / (2 z) (a consistent estimate of sqrt(p(1-p)/n) / f(xi_p) without
    estimating the density f). The arms are independent, so the difference
    q_t - q_c has se sqrt(se_t^2 + se_c^2), a normal interval and a two-sided z-test; the
    relative difference q_t/q_c - 1 has the delta-method log-ratio interval
    exp(log(q_t/q_c) +- z sqrt(se_t^2/q_t^2 + se_c^2/q_c^2)) - 1 (as for means,
    :func:`._common.log_ratio_arrays`).

Degenerate data (never NaN, inf or an exception)
    * the interval's ranks fall outside 1..n (too few users for this p): status
      "not_enough_data", the arm's interval and every inferential statistic None;
    * censored, the point rank above ``n_reached``: the quantile is not reached (None);
      the upper rank above ``n_reached``: the arm's upper bound is unbounded (None), the point
      estimate is kept, the difference interval is not computed;
    * both arms' intervals of zero width (discrete values, e.g. whole days, with the whole
      interval inside one tie): no spread to measure, the difference interval is None.

Reference: A. Deng, U. Knoblich, J. Lu, "Applying the Delta Method in Metric Analytics: A
Practical Guide with Novel Ideas", KDD 2018 (arXiv:1803.06336), the section on percentile metrics
(outer confidence interval on ranks, and the standard error read from it for the delta method). The rank interval itself is the classical distribution-free interval for a
quantile (e.g. Hahn & Meeker 1991, ch. 5).
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np

from ._common import (
    COMMON_JSON,
    STATUS_NOT_ENOUGH_DATA,
    STATUS_OK,
    EstimateComparison,
    check_alpha,
    check_count,
    finite_or_none,
    log_ratio_arrays,
    normal_diff_arrays,
    z_two_sided,
)
from .notes import Note, NoteCode, arms_code

__all__ = ["CENSORING", "QuantileComparison", "QuantileRanks", "QuantileStats", "compare_quantiles",
           "quantile_ranks"]

Censoring = Literal["censored", "reachers"]
CENSORING: tuple[str, ...] = ("censored", "reachers")
METHOD = "outer rank interval per arm; delta method on the interval widths (Deng, Knoblich & Lu 2018)"
_EPS = 1e-9  # n*p computed in floating point: 0.29 * 100 is 28.999999999999996


def _check_p(p: Any) -> float:
    if isinstance(p, bool) or not isinstance(p, (int, float)) or not 0.0 < float(p) < 1.0:
        raise ValueError(f"the quantile p must be strictly between 0 and 1, got {p!r}")
    return float(p)


@dataclass(frozen=True)
class QuantileRanks:
    """1-based ranks among ``n`` sorted values: the point estimate's and the interval's.
    ``low`` may be < 1 and ``high`` > n when n is too small for this p and alpha."""

    point: int
    low: int
    high: int


def quantile_ranks(n: int, p: float, alpha: float = 0.05) -> QuantileRanks:
    """The ranks of the p-quantile and its outer (1 - alpha) interval among n values.

    point = ceil(np) (at least 1); low = floor(np - z sqrt(np(1-p))); high = ceil(np + z
    sqrt(np(1-p))), z = z_{1-alpha/2} (Deng, Knoblich & Lu 2018). For n = 0 every rank is 0.
    """
    n = check_count(n, "n")
    p = _check_p(p)
    z = z_two_sided(check_alpha(alpha))
    if n == 0:
        return QuantileRanks(0, 0, 0)
    centre = n * p
    half = z * math.sqrt(n * p * (1.0 - p))
    point = max(1, math.ceil(centre - _EPS))
    return QuantileRanks(point, math.floor(centre - half + _EPS), math.ceil(centre + half - _EPS))


@dataclass(frozen=True)
class QuantileStats:
    """Sufficient statistics of a p-quantile in one arm.

    ``n``: users counted (all eligible users when ``censoring`` is "censored", those with a value
    when "reachers"); ``n_reached``: users with a value; ``value``, ``low``, ``high``: the values at
    the ranks :func:`quantile_ranks` gives for (n_ranked, p, alpha), None where the rank is not
    among the users with a value (censored: +infinity) or outside 1..n. ``n_eligible``: every
    eligible user, reached or not (equals ``n`` when censored).
    """

    p: float
    alpha: float
    censoring: Censoring
    n_eligible: int
    n_reached: int
    value: float | None
    low: float | None
    high: float | None

    def __post_init__(self) -> None:
        object.__setattr__(self, "p", _check_p(self.p))
        object.__setattr__(self, "alpha", check_alpha(self.alpha))
        if self.censoring not in CENSORING:
            raise ValueError(f"censoring must be one of {', '.join(CENSORING)}, got {self.censoring!r}")
        n = check_count(self.n_eligible, "n_eligible")
        r = check_count(self.n_reached, "n_reached")
        if r > n:
            raise ValueError(f"n_reached ({r}) cannot exceed n_eligible ({n})")
        object.__setattr__(self, "n_eligible", n)
        object.__setattr__(self, "n_reached", r)
        for name in ("value", "low", "high"):
            v = getattr(self, name)
            if v is not None:
                f = float(v)
                if not math.isfinite(f):
                    raise ValueError(f"{name} must be a finite number or None, got {v!r}")
                object.__setattr__(self, name, f)
        vals = [v for v in (self.low, self.value, self.high) if v is not None]
        if vals != sorted(vals):
            raise ValueError(f"expected low <= value <= high, got {self.low}, {self.value}, {self.high}")

    @property
    def n(self) -> int:
        """The users ranked: every eligible user (censored) or those with a value (reachers)."""
        return self.n_eligible if self.censoring == "censored" else self.n_reached

    @property
    def ranks(self) -> QuantileRanks:
        return quantile_ranks(self.n, self.p, self.alpha)

    @property
    def reached_share(self) -> float | None:
        return self.n_reached / self.n_eligible if self.n_eligible else None

    @property
    def interval_defined(self) -> bool:
        """Both interval ranks fall within 1..n (enough users for this p and alpha)."""
        r = self.ranks
        return self.n > 0 and r.low >= 1 and r.high <= self.n

    @property
    def se(self) -> float | None:
        """(X_(U) - X_(L)) / (2 z): the standard error read from the rank interval, None when
        either end is undefined."""
        if self.low is None or self.high is None or not self.interval_defined:
            return None
        return (self.high - self.low) / (2.0 * z_two_sided(self.alpha))

    @staticmethod
    def wanted_ranks(n_eligible: int, n_reached: int, p: float, alpha: float, censoring: Censoring) -> tuple[int, ...]:
        """The ranks (1-based, among users with a value, sorted ascending) whose values SQL must
        return: those of :func:`quantile_ranks` that exist among the ``n_reached`` values."""
        n = n_eligible if censoring == "censored" else n_reached
        r = quantile_ranks(n, p, alpha)
        return tuple(sorted({k for k in (r.point, r.low, r.high) if 1 <= k <= n_reached}))

    @classmethod
    def from_rank_values(cls, p: float, alpha: float, censoring: Censoring, n_eligible: int, n_reached: int,
                         values: dict[int, float]) -> "QuantileStats":
        """From the values SQL returned at :meth:`wanted_ranks` (rank -> value)."""
        n = n_eligible if censoring == "censored" else n_reached
        r = quantile_ranks(n, p, alpha)

        def at(k: int) -> float | None:
            if not 1 <= k <= min(n, n_reached):
                return None
            if k not in values:
                raise ValueError(f"the value at rank {k} is missing (got ranks {sorted(values)})")
            return float(values[k])

        return cls(p, alpha, censoring, n_eligible, n_reached, at(r.point), at(r.low), at(r.high))

    @classmethod
    def from_values(cls, values: Any, p: float, alpha: float = 0.05, censoring: Censoring = "censored",
                    n_eligible: int | None = None) -> "QuantileStats":
        """In memory: ``values`` of the users with a value (NaN or inf: not reached), ``n_eligible``
        every eligible user (default: len(values)). Uses ``numpy.partition`` at the ranks."""
        x = np.asarray(values, dtype=float).ravel()
        reached = x[np.isfinite(x)]
        n_el = x.size if n_eligible is None else check_count(n_eligible, "n_eligible")
        if n_el < x.size:
            raise ValueError("n_eligible cannot be smaller than the number of values")
        wanted = cls.wanted_ranks(n_el, reached.size, p, alpha, censoring)
        part = np.partition(reached, [k - 1 for k in wanted]) if wanted else reached
        return cls.from_rank_values(p, alpha, censoring, n_el, reached.size, {k: float(part[k - 1]) for k in wanted})

    def interval(self) -> tuple[float | None, float | None] | None:
        """The arm's (1 - alpha) interval (low, high); high None = unbounded (censored users);
        None when there are too few users or even its lower rank was not reached."""
        if not self.interval_defined or self.low is None:
            return None
        return (self.low, self.high)


@dataclass(frozen=True)
class QuantileComparison(EstimateComparison):
    """Treatment vs control on a p-quantile: each arm's quantile and interval, their difference and
    relative difference with delta-method intervals (see the module docstring).

    ``estimate``/``estimate_control``: the arms' quantiles (None: not reached); ``ci``/
    ``ci_control``: each arm's outer rank interval (an end None: unbounded or undefined);
    ``se_estimate*``: the standard errors read from them; ``p``, ``censoring``, ``n_reached*``
    and ``n_eligible*`` describe what was counted.
    """

    p: float
    censoring: str
    ci: tuple[float | None, float | None] | None
    ci_control: tuple[float | None, float | None] | None
    n_eligible: int
    n_eligible_control: int
    n_reached: int
    n_reached_control: int

    _json_fields = COMMON_JSON + ("p", "censoring", "ci", "ci_control", "n_eligible", "n_eligible_control",
                                  "n_reached", "n_reached_control")


def compare_quantiles(treatment: QuantileStats, control: QuantileStats, alpha: float | None = None) -> QuantileComparison:
    """Compare the p-quantile of a per-user value between treatment and control (module docstring).

    ``alpha`` defaults to the arms' (the ranks were chosen for it); another alpha is an error,
    because the SQL returned the values at the ranks of the arms' alpha.
    """
    if not isinstance(treatment, QuantileStats) or not isinstance(control, QuantileStats):
        raise ValueError("compare_quantiles needs two QuantileStats")
    if treatment.p != control.p or treatment.censoring != control.censoring or treatment.alpha != control.alpha:
        raise ValueError("the two arms must have the same p, censoring and alpha")
    a = treatment.alpha if alpha is None else check_alpha(alpha)
    if abs(a - treatment.alpha) > 1e-12:
        raise ValueError(f"alpha {a} differs from the alpha the ranks were chosen for ({treatment.alpha})")
    z = z_two_sided(a)
    t, c = treatment, control
    notes: list[Note] = []
    status = STATUS_OK
    empty_t, empty_c = t.n == 0, c.n == 0
    if empty_t or empty_c:
        notes.append(Note.of(NoteCode.NO_USERS, arms=arms_code(empty_t, empty_c)))
        status = STATUS_NOT_ENOUGH_DATA
    few_t, few_c = not empty_t and not t.interval_defined, not empty_c and not c.interval_defined
    if few_t or few_c:
        notes.append(Note.of(NoteCode.QUANTILE_TOO_FEW_USERS, arms=arms_code(few_t, few_c)))
        status = STATUS_NOT_ENOUGH_DATA
    unreached_t = t.n > 0 and t.value is None
    unreached_c = c.n > 0 and c.value is None
    if unreached_t or unreached_c:
        notes.append(Note.of(NoteCode.QUANTILE_NOT_REACHED, arms=arms_code(unreached_t, unreached_c),
                             percentile=int(round(t.p * 100)) if abs(t.p * 100 - round(t.p * 100)) < 1e-9 else round(t.p * 100, 6)))
    unbounded_t = t.interval_defined and t.value is not None and t.high is None
    unbounded_c = c.interval_defined and c.value is not None and c.high is None
    if unbounded_t or unbounded_c:
        notes.append(Note.of(NoteCode.QUANTILE_UPPER_UNBOUNDED, arms=arms_code(unbounded_t, unbounded_c)))
    se_t, se_c = t.se, c.se
    abs_diff = rel_lift = p_value = se_diff = se_log = None
    abs_ci = rel_ci = None
    if t.value is not None and c.value is not None:
        abs_diff = t.value - c.value
        rel_lift = t.value / c.value - 1.0 if c.value != 0 else None
    if status == STATUS_OK and se_t is not None and se_c is not None and abs_diff is not None:
        if se_t == 0.0 and se_c == 0.0:
            notes.append(Note.of(NoteCode.QUANTILE_TIED))
        else:
            d = normal_diff_arrays(t.value, se_t ** 2, c.value, se_c ** 2, z)
            se_diff = finite_or_none(d.se)
            lo, hi = finite_or_none(d.ci_low), finite_or_none(d.ci_high)
            abs_ci = (lo, hi) if lo is not None and hi is not None else None
            p_value = finite_or_none(d.p_value)
            if c.value == 0.0:
                notes.append(Note.of(NoteCode.CONTROL_ZERO, estimate="quantile"))
            elif t.value <= 0.0 or c.value < 0.0:  # type: ignore[operator]
                notes.append(Note.of(NoteCode.TREATMENT_ZERO if t.value == 0.0 else NoteCode.NEGATIVE_ESTIMATE,
                                     estimate="quantile"))
            else:
                r = log_ratio_arrays(t.value, se_t ** 2, c.value, se_c ** 2, z)
                se_log = finite_or_none(r.se_log_ratio)
                lo, hi = finite_or_none(r.ci_low), finite_or_none(r.ci_high)
                if se_log is not None and lo is not None and hi is not None:
                    rel_ci = (lo, hi)
                else:
                    notes.append(Note.of(NoteCode.LOG_RATIO_VARIANCE_ZERO))
    elif status == STATUS_OK and abs_diff is not None and not (unbounded_t or unbounded_c):
        status = STATUS_NOT_ENOUGH_DATA
    if abs_ci is None and status == STATUS_OK:
        status = STATUS_NOT_ENOUGH_DATA
    return QuantileComparison(
        t.n, c.n, abs_diff, abs_ci, rel_lift, rel_ci, p_value, a,
        method=METHOD, se_abs_diff=se_diff, se_log_ratio=se_log, status=status, notes=tuple(notes),
        estimate=t.value, estimate_control=c.value, se_estimate=se_t, se_estimate_control=se_c,
        p=t.p, censoring=t.censoring, ci=t.interval(), ci_control=c.interval(),
        n_eligible=t.n_eligible, n_eligible_control=c.n_eligible, n_reached=t.n_reached, n_reached_control=c.n_reached)
