"""Time to an event per variant (time to goal, time to inactivity) from day-level life tables.

Everything here works on sufficient statistics only: per variant a *life table* by day, i.e. for
each day ``t`` the number of users still under observation at the start of the day
(``at_risk``) and the number who had the event that day (``events``). Users who leave
observation without the event (the experiment stopped, data not yet in) are *censored*; their
number on day ``t`` is implied, ``at_risk[t] - events[t] - at_risk[next day]``, and everyone
still at risk after the last row is censored at the last row's day. A warehouse produces the
table with one ``GROUP BY day`` (see :meth:`LifeTable.from_event_counts`).

Conventions (the usual ones for grouped data, and those of statsmodels and R's ``survival``): a
user censored on day ``t`` is in the risk set of day ``t``; events within a day are ties and are
handled exactly by the Kaplan-Meier product and the hypergeometric log-rank variance.

The scalar entry points are thin wrappers over vectorised helpers (:func:`_km_arrays`,
:func:`_logrank_arrays`) so calibration simulations exercise exactly the code that produces
real results.
"""
from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple

import numpy as np

from ..serialize import JsonField, ResultModel
from ._common import (
    STATUS_NOT_ENOUGH_DATA,
    STATUS_OK,
    check_alpha,
    check_count,
    chi2_sf,
    finite_or_none,
    z_two_sided,
)
from .notes import NOTES_JSON, Note, NoteCode, Noted

__all__ = [
    "KaplanMeierResult",
    "LifeTable",
    "LogRankResult",
    "kaplan_meier",
    "log_rank",
    "log_rank_clustered",
    "logrank_unit_scores",
]

# Reduced log-rank covariance matrices whose smallest eigenvalue is below this fraction of the
# largest are treated as singular (no information to test with).
_SINGULAR_RTOL = 1e-12


# --------------------------------------------------------------------------- life table


def _check_time(value: Any, name: str) -> int:
    """A whole-number day (may not be negative: days since exposure)."""
    return check_count(value, name)


@dataclass(frozen=True)
class LifeTable:
    """A life table by day for one variant: ``times`` (strictly increasing whole days),
    ``at_risk`` (users under observation at the start of that day) and ``events`` (users who had
    the event that day).

    Censoring is implied: ``censored[i] = at_risk[i] - events[i] - at_risk[i + 1]`` and everyone
    still at risk after the last row is censored on the last day. Rows with no events may be
    omitted (they change nothing) except that ``at_risk[0]`` must count every user, so the first
    row should be the first day anyone can leave. An empty table (no rows) is an arm with no
    users.

    Raises ValueError for unequal lengths, non-increasing times, negative or non-integral
    counts, ``events > at_risk`` and an ``at_risk`` that falls by less than the events of the
    previous row (users cannot enter the risk set later).
    """

    times: tuple[int, ...]
    at_risk: tuple[int, ...]
    events: tuple[int, ...]

    def __post_init__(self) -> None:
        times = tuple(_check_time(t, f"times[{i}]") for i, t in enumerate(self.times))
        at_risk = tuple(check_count(n, f"at_risk[{i}]") for i, n in enumerate(self.at_risk))
        events = tuple(check_count(d, f"events[{i}]") for i, d in enumerate(self.events))
        if not len(times) == len(at_risk) == len(events):
            raise ValueError(
                f"times, at_risk and events must have the same length, got "
                f"{len(times)}, {len(at_risk)} and {len(events)}"
            )
        for i in range(1, len(times)):
            if times[i] <= times[i - 1]:
                raise ValueError(
                    f"times must be strictly increasing, got {times[i - 1]} then {times[i]} at row {i}"
                )
        for i, (n, d) in enumerate(zip(at_risk, events)):
            if d > n:
                raise ValueError(f"events[{i}] ({d}) cannot exceed at_risk[{i}] ({n}) on day {times[i]}")
            if i + 1 < len(times) and at_risk[i + 1] > n - d:
                raise ValueError(
                    f"at_risk[{i + 1}] ({at_risk[i + 1]}) on day {times[i + 1]} exceeds the users left "
                    f"after day {times[i]} (at_risk {n} - events {d} = {n - d}); the risk set can only shrink"
                )
        object.__setattr__(self, "times", times)
        object.__setattr__(self, "at_risk", at_risk)
        object.__setattr__(self, "events", events)

    @classmethod
    def from_durations(cls, durations: Sequence[Any], observed: Sequence[Any]) -> LifeTable:
        """Convenience for tests and small data: per-user whole-day durations and whether the
        event was observed (True) or the user was censored on that day (False). One row per day
        on which anyone leaves observation."""
        t = np.asarray(durations, dtype=float).ravel()
        obs = np.asarray(observed).ravel()
        if t.shape != obs.shape:
            raise ValueError(f"durations and observed must have the same length, got {t.size} and {obs.size}")
        if t.size and (not np.all(np.isfinite(t)) or np.any(t < 0) or np.any(t != np.floor(t))):
            raise ValueError("durations must be non-negative whole numbers of days")
        if obs.size and not np.all(np.isin(obs, (0, 1))):
            raise ValueError("observed must hold booleans or 0/1")
        utimes, inverse = np.unique(t.astype(np.int64), return_inverse=True)
        leaving = np.bincount(inverse, minlength=utimes.size)
        events = np.bincount(inverse, weights=obs.astype(float), minlength=utimes.size)
        at_risk = np.cumsum(leaving[::-1])[::-1]
        return cls(tuple(int(x) for x in utimes), tuple(int(x) for x in at_risk),
                   tuple(round(float(x)) for x in events))

    @classmethod
    def from_event_counts(cls, times: Sequence[int], events: Sequence[int], censored: Sequence[int]) -> LifeTable:
        """From per-day counts of events and of censorings (``SELECT day, SUM(event), SUM(1 -
        event) ... GROUP BY day``): at_risk is the reverse cumulative sum of events + censored."""
        if not len(times) == len(events) == len(censored):
            raise ValueError("times, events and censored must have the same length")
        ev = [check_count(d, f"events[{i}]") for i, d in enumerate(events)]
        ce = [check_count(c, f"censored[{i}]") for i, c in enumerate(censored)]
        leaving = np.asarray([d + c for d, c in zip(ev, ce)], dtype=np.int64)
        at_risk = np.cumsum(leaving[::-1])[::-1] if leaving.size else leaving
        return cls(tuple(times), tuple(int(x) for x in at_risk), tuple(ev))

    @property
    def n(self) -> int:
        """Users in the table: at_risk of the first row (0 for an empty table)."""
        return self.at_risk[0] if self.at_risk else 0

    @property
    def n_events(self) -> int:
        return int(sum(self.events))

    @property
    def censored(self) -> tuple[int, ...]:
        """Users censored on each day (everyone left after the last row is censored there)."""
        nxt = self.at_risk[1:] + (0,)
        return tuple(n - d - m for n, d, m in zip(self.at_risk, self.events, nxt))

    def at_risk_on(self, days: Any) -> np.ndarray:
        """Users at risk at the start of each of ``days`` (any whole days, not only table rows):
        the at_risk of the first row on or after the day, 0 after the last row."""
        q = np.asarray(days, dtype=float)
        idx = np.searchsorted(np.asarray(self.times, dtype=float), q, side="left")
        padded = np.asarray(self.at_risk + (0,), dtype=float)
        return padded[idx]


# --------------------------------------------------------------------------- vectorised cores


class _KMArrays(NamedTuple):
    survival: np.ndarray
    greenwood: np.ndarray  # Σ d/(n(n-d)) = var(log S); inf once S reaches 0
    se: np.ndarray  # Greenwood SE of S; NaN once S reaches 0
    ci_low: np.ndarray  # NaN once S reaches 0; equal to S (=1) before the first event
    ci_high: np.ndarray


def _km_arrays(at_risk: Any, events: Any, z: float) -> _KMArrays:
    """Kaplan-Meier product, Greenwood variance and log(-log) interval along the last axis.

    S(t) = Π_{s<=t} (1 - d_s/n_s); var(S) = S² Σ d/(n(n-d)) (Greenwood 1926). The interval is
    symmetric on θ = log(-log S) with se(θ) = sqrt(Σ d/(n(n-d))) / |log S| (Kalbfleisch &
    Prentice 1980 / 2002, §1.4), i.e. [S^exp(+z se θ), S^exp(-z se θ)], always inside [0, 1].
    Rows with n == 0 contribute nothing.
    """
    n = np.asarray(at_risk, dtype=float)
    d = np.asarray(events, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        factor = np.where(n > 0, 1.0 - d / np.where(n > 0, n, 1.0), 1.0)
        survival = np.cumprod(factor, axis=-1)
        term = np.where(d > 0, d / (n * (n - d)), 0.0)  # inf where n == d > 0
        greenwood = np.cumsum(term, axis=-1)
        finite = np.isfinite(greenwood) & (survival > 0)
        se = np.where(finite, survival * np.sqrt(np.where(finite, greenwood, 0.0)), np.nan)
        log_s = np.log(np.where(finite, survival, 0.5))
        inner = finite & (survival < 1.0)
        se_theta = np.sqrt(np.where(inner, greenwood, 0.0)) / np.abs(np.where(inner, log_s, 1.0))
        low = np.where(inner, np.exp(np.exp(z * se_theta) * log_s), np.where(finite, survival, np.nan))
        high = np.where(inner, np.exp(np.exp(-z * se_theta) * log_s), np.where(finite, survival, np.nan))
    return _KMArrays(survival, greenwood, se, low, high)


class _LogRankArrays(NamedTuple):
    observed: np.ndarray  # (..., k)
    expected: np.ndarray  # (..., k)
    covariance: np.ndarray  # (..., k, k)
    statistic: np.ndarray  # (...,) over the first k-1 groups; NaN where the covariance is singular
    p_value: np.ndarray


def _logrank_arrays(at_risk: Any, events: Any) -> _LogRankArrays:
    """k-sample log-rank test from risk sets and events on a common time grid.

    ``at_risk`` and ``events`` have shape (..., k, T). Per time t with n_t > 1 at risk and d_t
    events in total, group j contributes O - E = d_jt - n_jt d_t / n_t and the hypergeometric
    covariance d_t (n_t - d_t)/(n_t - 1) · (n_jt/n_t)(δ_jk - n_kt/n_t) (Mantel 1966; Peto & Peto
    1972). The statistic (O-E)ᵀ V⁻ (O-E) drops the last group (V has rank k-1); it is χ² with
    k-1 df under equal hazards. NaN where the reduced V is singular (no events, or no one left
    to compare at any event time).
    """
    n_jt = np.asarray(at_risk, dtype=float)
    d_jt = np.asarray(events, dtype=float)
    k = n_jt.shape[-2]
    n_t = n_jt.sum(axis=-2, keepdims=True)
    d_t = d_jt.sum(axis=-2, keepdims=True)
    any_risk = n_t > 0.0
    use = n_t > 1.0  # a single user at risk adds 0 to O - E and to V
    with np.errstate(divide="ignore", invalid="ignore"):
        r = np.where(any_risk, n_jt / np.where(any_risk, n_t, 1.0), 0.0)  # (..., k, T)
        c = np.where(use, d_t * (n_t - d_t) / np.where(use, n_t - 1.0, 1.0), 0.0)[..., 0, :]
    observed = d_jt.sum(axis=-1)
    expected = (r * d_t).sum(axis=-1)
    # V_jk = Σ_t c_t r_jt (δ_jk - r_kt)
    diag = np.einsum("...jt,...t->...j", r, c)
    outer = np.einsum("...jt,...kt,...t->...jk", r, r, c)
    cov = diag[..., :, None] * np.eye(k) - outer
    oe = (observed - expected)[..., : k - 1]
    v = cov[..., : k - 1, : k - 1]
    eig = np.linalg.eigvalsh(v)
    scale = np.maximum(np.abs(eig[..., -1]), 1e-300)
    ok = eig[..., 0] > _SINGULAR_RTOL * scale
    v_safe = np.where(ok[..., None, None], v, np.eye(k - 1))
    sol = np.linalg.solve(v_safe, oe[..., None])[..., 0]
    statistic = np.where(ok, np.einsum("...j,...j->...", oe, sol), np.nan)
    statistic = np.where(ok, np.maximum(statistic, 0.0), np.nan)
    p_value = np.where(ok, chi2_sf(np.where(ok, statistic, 0.0), k - 1), np.nan)
    return _LogRankArrays(observed, expected, cov, statistic, p_value)


# --------------------------------------------------------------------------- public API


def _floats(a: np.ndarray) -> tuple[float | None, ...]:
    return tuple(finite_or_none(float(x)) for x in a)


@dataclass(frozen=True)
class KaplanMeierResult(Noted, ResultModel):
    """Kaplan-Meier survival curve of one variant at each row of its life table.

    ``survival[i]`` is S(times[i]) = P(no event through day times[i]); ``se`` the Greenwood
    standard error and ``ci_low``/``ci_high`` the pointwise log(-log) interval (None once S
    reaches 0, where Greenwood's variance is undefined; equal to 1 before the first event).
    ``median`` is the first day with S <= 0.5 (None if S never falls to 0.5) and ``median_ci``
    its Brookmeyer-Crowley interval (a bound is None when unbounded or undefined).
    ``status`` is "ok" or "not_enough_data" (no users); ``note`` explains any None.
    """

    times: tuple[int, ...]
    at_risk: tuple[int, ...]
    events: tuple[int, ...]
    survival: tuple[float | None, ...]
    se: tuple[float | None, ...]
    ci_low: tuple[float | None, ...]
    ci_high: tuple[float | None, ...]
    median: int | None
    median_ci: tuple[int | None, int | None] | None
    n: int
    n_events: int
    alpha: float
    status: str = STATUS_OK
    notes: tuple[Note, ...] = ()


def kaplan_meier(table: LifeTable, alpha: float = 0.05) -> KaplanMeierResult:
    """Kaplan-Meier estimate (Kaplan & Meier 1958) of S(t) = P(time to event > t) for one variant.

    Methods:
      * S(t) = Π_{s<=t} (1 - d_s / n_s) over the table rows (equals statsmodels
        ``SurvfuncRight(time, status).surv_prob`` at event days).
      * se: Greenwood (1926), var(S) = S² Σ d/(n(n-d)) (statsmodels ``surv_prob_se``).
      * pointwise CI on the log(-log) scale (Kalbfleisch & Prentice 2002, §1.4; R
        ``conf.type="log-log"``): θ = log(-log S), se(θ) = sqrt(Σ d/(n(n-d))) / |log S|,
        interval [S^exp(z se θ), S^exp(-z se θ)], which stays inside (0, 1).
      * median: the first day with S <= 0.5 (Klein & Moeschberger 2003, §4.5). statsmodels'
        ``quantile(0.5)`` uses S < 0.5 (SAS); they differ only when S is exactly 0.5.
      * median_ci: Brookmeyer & Crowley (1982) with the log(-log) transform: the days whose
        pointwise test of S(t) = 0.5 is not rejected, from the first such event day up to the
        event day after the last (None = unbounded above). Equals statsmodels
        ``quantile_ci(0.5, alpha, method='cloglog')``.

    Degenerate data (never NaN, inf or an exception):
      * no users (empty table): status "not_enough_data", empty curves, median None.
      * no events: S = 1 everywhere, se 0 and ci (1, 1); median None.
      * everyone has the event (S reaches 0, e.g. all on one day): from that day on se and the CI
        are None (Greenwood's variance is infinite), noted.
    """
    if not isinstance(table, LifeTable):
        raise ValueError(f"table must be a LifeTable, got {type(table).__name__}")
    alpha = check_alpha(alpha)
    if table.n == 0:
        return KaplanMeierResult(
            times=table.times, at_risk=table.at_risk, events=table.events,
            survival=tuple(None for _ in table.times), se=tuple(None for _ in table.times),
            ci_low=tuple(None for _ in table.times), ci_high=tuple(None for _ in table.times),
            median=None, median_ci=None, n=0, n_events=0, alpha=alpha,
            status=STATUS_NOT_ENOUGH_DATA, notes=(Note(NoteCode.LIFE_TABLE_EMPTY),),
        )
    z = z_two_sided(alpha)
    km = _km_arrays(table.at_risk, table.events, z)
    notes: list[Note] = []
    if table.n_events == 0:
        notes.append(Note(NoteCode.NO_EVENTS))
    if bool(np.any(km.survival <= 0.0)):
        first_zero = table.times[int(np.argmax(km.survival <= 0.0))]
        notes.append(Note.of(NoteCode.SURVIVAL_REACHES_ZERO, day=first_zero))
    below = np.flatnonzero(km.survival <= 0.5)
    median = table.times[int(below[0])] if below.size else None
    if median is None and table.n_events > 0:
        notes.append(Note(NoteCode.MEDIAN_NOT_REACHED))

    median_ci: tuple[int | None, int | None] | None = None
    ev = np.flatnonzero(np.asarray(table.events) > 0)
    if ev.size:
        s = km.survival[ev]
        with np.errstate(divide="ignore", invalid="ignore"):
            # |θ(t) - θ(0.5)| / se(θ(t)), NaN (never accepted) where S is 0 or 1
            log_s = np.log(s)
            r = (np.log(-log_s) - math.log(math.log(2.0))) * np.abs(log_s) / np.sqrt(km.greenwood[ev])
        accept = np.flatnonzero(np.abs(r) <= z)
        if accept.size:
            lo = table.times[int(ev[accept[0]])]
            hi = None if accept[-1] == ev.size - 1 else table.times[int(ev[accept[-1] + 1])]
            median_ci = (lo, hi)

    return KaplanMeierResult(
        times=table.times, at_risk=table.at_risk, events=table.events,
        survival=_floats(km.survival), se=_floats(km.se),
        ci_low=_floats(km.ci_low), ci_high=_floats(km.ci_high),
        median=median, median_ci=median_ci, n=table.n, n_events=table.n_events, alpha=alpha,
        status=STATUS_OK, notes=tuple(notes),
    )


@dataclass(frozen=True)
class LogRankResult(Noted, ResultModel):
    """k-sample log-rank test of equal hazards across variants.

    ``groups`` in input order, with per group ``observed`` and ``expected`` event counts (under
    equal hazards). ``statistic`` is χ² with ``df`` degrees of freedom. ``status`` is "ok" or
    "not_enough_data" (statistic and p_value None); ``note`` explains exclusions and Nones.
    """

    groups: tuple[str, ...]
    n: tuple[int, ...]
    observed: tuple[float, ...]
    expected: tuple[float, ...]
    statistic: float | None
    df: int | None
    p_value: float | None
    status: str = STATUS_OK
    notes: tuple[Note, ...] = ()
    clustered_by: str | None = None  # log_rank_clustered: the units of the robust variance (account_id)
    n_units: int | None = None  # ... how many
    p_value_naive: float | None = None  # ... and the usual (users independent) p-value, for comparison

    _json_fields = ("groups", "n", "observed", "expected", "statistic", "df", "p_value", "status", "note", NOTES_JSON,
                    JsonField("clustered_by", omit_none=True), JsonField("n_units", omit_none=True),
                    JsonField("p_value_naive", omit_none=True))


def log_rank(tables: Mapping[str, LifeTable]) -> LogRankResult:
    """k-sample log-rank test (Mantel 1966; Peto & Peto 1972) from per-variant life tables.

    The tables are put on the union of their days (a variant's risk set on a day missing from its
    table is the at_risk of its next row, 0 after its last row). Per day t with n_t > 1:
    O_j - E_j = Σ (d_jt - n_jt d_t / n_t) and Cov_jk = Σ d_t (n_t - d_t)/(n_t - 1) ·
    (n_jt/n_t)(δ_jk - n_kt/n_t) (hypergeometric, exact for tied event days). The statistic
    (O-E)ᵀ V⁻¹ (O-E) over all groups but one is χ² with k - 1 df. Equals statsmodels
    ``survdiff(time, status, group)`` (and R ``survdiff``).

    Degenerate data (never NaN, inf or an exception):
      * a variant with expected 0 (no users, or none at risk on any event day) is left out of
        the test, as R ``survdiff`` does, and noted; observed/expected are still reported.
      * fewer than two variants left, no events, or no spread in risk (e.g. every user has the
        event on the same day, so the hypergeometric variance is 0): status
        "not_enough_data", statistic and p_value None.
    Raises ValueError for fewer than two tables or non-LifeTable values.
    """
    if not isinstance(tables, Mapping):
        raise ValueError("tables must be a mapping of variant name to LifeTable")
    if len(tables) < 2:
        raise ValueError(f"log_rank needs at least two variants, got {len(tables)}")
    names = tuple(str(k) for k in tables)
    tabs = list(tables.values())
    for name, tab in zip(names, tabs):
        if not isinstance(tab, LifeTable):
            raise ValueError(f"tables[{name!r}] must be a LifeTable, got {type(tab).__name__}")
    _, grid, at_risk, events = _grid_tables(tables)
    ns = tuple(t.n for t in tabs)

    full = _logrank_arrays(at_risk, events)
    keep = np.flatnonzero(full.expected > 0)
    notes: list[Note] = []
    dropped = [names[j] for j in range(len(names)) if j not in set(keep.tolist())]
    if dropped:
        notes.append(Note.of(NoteCode.VARIANTS_LEFT_OUT, variants=tuple(dropped)))

    def result(stat: float | None, df: int | None, p: float | None, status: str) -> LogRankResult:
        return LogRankResult(
            groups=names, n=ns, observed=tuple(float(x) for x in full.observed),
            expected=tuple(float(x) for x in full.expected), statistic=stat, df=df, p_value=p,
            status=status, notes=tuple(notes),
        )

    if float(events.sum()) == 0.0:
        notes.append(Note(NoteCode.NO_EVENTS_IN_ANY_VARIANT))
        return result(None, None, None, STATUS_NOT_ENOUGH_DATA)
    if keep.size < 2:
        notes.append(Note(NoteCode.TOO_FEW_VARIANTS_AT_RISK))
        return result(None, None, None, STATUS_NOT_ENOUGH_DATA)
    sub = _logrank_arrays(at_risk[keep], events[keep]) if keep.size < len(names) else full
    stat = finite_or_none(float(sub.statistic))
    if stat is None:
        notes.append(Note(NoteCode.LOGRANK_VARIANCE_ZERO))
        return result(None, None, None, STATUS_NOT_ENOUGH_DATA)
    return result(stat, int(keep.size - 1), float(sub.p_value), STATUS_OK)


def _grid_tables(tables: Mapping[str, LifeTable]) -> tuple[tuple[str, ...], np.ndarray, np.ndarray, np.ndarray]:
    """(names, grid, at_risk, events): the tables on the union of their days, as :func:`log_rank` puts them."""
    if not isinstance(tables, Mapping) or len(tables) < 2:
        raise ValueError("tables must be a mapping of at least two variant names to LifeTable")
    names = tuple(str(k) for k in tables)
    tabs = list(tables.values())
    for name, tab in zip(names, tabs):
        if not isinstance(tab, LifeTable):
            raise ValueError(f"tables[{name!r}] must be a LifeTable, got {type(tab).__name__}")
    grid = np.asarray(sorted(set().union(*(t.times for t in tabs))), dtype=float)
    at_risk = np.vstack([t.at_risk_on(grid) for t in tabs]) if grid.size else np.zeros((len(tabs), 0))
    events = np.zeros_like(at_risk)
    for j, t in enumerate(tabs):
        if t.times:
            events[j, np.searchsorted(grid, np.asarray(t.times, dtype=float))] = t.events
    return names, grid, at_risk, events


def logrank_unit_scores(tables: Mapping[str, LifeTable]) -> tuple[tuple[str, ...], list[tuple[str, int, bool, tuple[float, ...]]]]:
    """Each user's contribution to the log-rank scores O_j - E_j, by (variant, day, event).

    Under equal hazards a user of variant a who leaves observation on day T (with the event when
    ``event``) contributes, to group j,

        u_j = event * (1[a = j] - r_j(T)) - sum_{t <= T} (1[a = j] - r_jt) d_t / n_t

    (r_jt = n_jt / n_t, the share of the risk set of day t in group j): the score residuals of
    the Cox model at beta = 0 (Lin & Wei 1989, JASA 84:1074-1078; with ties as in the log-rank
    sums), whose sum over all users is exactly O_j - E_j. They depend only on (variant, day,
    event), so this returns one row per combination present on the grid: (names, [(variant,
    day, event, (u_1..u_k))]). SQL joins them to the users and sums them per account
    (:func:`log_rank_clustered`)."""
    names, grid, n_jt, d_jt = _grid_tables(tables)
    n_t = n_jt.sum(0)
    d_t = d_jt.sum(0)
    with np.errstate(divide="ignore", invalid="ignore"):
        r = np.where(n_t > 0, n_jt / np.where(n_t > 0, n_t, 1.0), 0.0)  # (k, T)
        h = np.where(n_t > 0, d_t / np.where(n_t > 0, n_t, 1.0), 0.0)  # (T,)
    cum_h = np.cumsum(h)  # A(T) = sum_{t <= T} h_t
    cum_rh = np.cumsum(r * h, axis=1)  # B_j(T) = sum_{t <= T} r_jt h_t
    rows: list[tuple[str, int, bool, tuple[float, ...]]] = []
    k = len(names)
    for a in range(k):
        for i, day in enumerate(grid):
            for event in (False, True):
                own = np.zeros(k)
                own[a] = 1.0
                u = (own - r[:, i]) * float(event) - own * cum_h[i] + cum_rh[:, i]
                rows.append((names[a], int(day), event, tuple(float(x) for x in u)))
    return names, rows


def log_rank_clustered(tables: Mapping[str, LifeTable], unit_cross: Any, n_units: int,
                       unit: str = "account_id") -> LogRankResult:
    """The k-sample log-rank test with a cluster-robust variance: users of one account are not
    independent, so the variance of the scores O - E is ``sum_k U_k U_k^T`` over accounts (U_k
    the sum of the account's users' :func:`logrank_unit_scores`), the robust score test of the
    marginal Cox model (Lin & Wei 1989; for clustered survival data: Lee, Wei & Amato 1992, and
    the robust log-rank of Jung & Jeong 2003). ``unit_cross``: the k x k matrix of those sums of
    products, in the tables' order (SQL computes it); ``n_units``: the accounts. The statistic
    (O - E)^T V^-1 (O - E) over all groups but one is chi-square with k - 1 df; the usual
    (hypergeometric) p-value is kept in ``p_value_naive``. Variants with expected 0 are left out
    as in :func:`log_rank`; too few accounts (< 2) or a singular robust variance: not_enough_data.
    """
    base = log_rank(tables)
    k = len(base.groups)
    v = np.asarray(unit_cross, dtype=float)
    if v.shape != (k, k) or not np.all(np.isfinite(v)):
        raise ValueError(f"unit_cross must be a finite {k} x {k} matrix (the groups of the tables, in order)")
    g = check_count(n_units, "n_units")
    extra = dict(clustered_by=unit, n_units=g, p_value_naive=base.p_value)
    if base.status != STATUS_OK:
        return LogRankResult(**{**base.__dict__, **extra})
    keep = [j for j, e in enumerate(base.expected) if e > 0]
    oe = np.array([base.observed[j] - base.expected[j] for j in keep[:-1]])
    sub = v[np.ix_(keep[:-1], keep[:-1])]
    eig = np.linalg.eigvalsh(sub) if sub.size else np.zeros(0)
    if g < 2 or eig.size == 0 or eig[0] <= _SINGULAR_RTOL * max(abs(eig[-1]), 1e-300):
        notes = base.notes + (Note(NoteCode.LOGRANK_VARIANCE_ZERO),)
        return LogRankResult(**{**base.__dict__, "statistic": None, "df": None, "p_value": None,
                                "status": STATUS_NOT_ENOUGH_DATA, "notes": notes, **extra})
    stat = max(float(oe @ np.linalg.solve(sub, oe)), 0.0)
    return LogRankResult(**{**base.__dict__, "statistic": stat, "p_value": float(chi2_sf(stat, len(keep) - 1)), **extra})
