"""Net Promoter Score (NPS) of an in-guide survey, from the counts of answers 0..10.

Everything here works on sufficient statistics only: the number of respondents who answered
each score 0..10 and the number of users who were shown the survey. The scalar entry points
(:func:`nps`, :func:`compare_nps`) are thin wrappers over the vectorised helpers
(:func:`_nps_arrays`, :func:`_nps_diff_arrays`) so the calibration simulations exercise exactly
the code that produces real results.

NPS = share of promoters (9-10) - share of detractors (0-6), reported as a fraction in [-1, 1]
(multiply by 100 for the usual "points"). Each respondent contributes s = +1 (promoter),
0 (passive) or -1 (detractor), so NPS is the mean of s and its variance follows from the
trinomial: Var(NPS) = (p_P + p_D - (p_P - p_D)^2) / n, i.e. Var(s) / n with ddof = 0
(Rocks 2016, "Interval estimation for the net promoter score", *The American Statistician*).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, NamedTuple

import numpy as np
from numpy.typing import ArrayLike
from scipy.special import ndtr

from ..serialize import Interval, ResultModel
from ._common import (
    STATUS_NOT_ENOUGH_DATA,
    STATUS_OK,
    check_alpha,
    check_count,
    z_two_sided,
)
from .notes import Note, NoteCode, Noted, arms_code
from .proportions import proportion_ci

__all__ = ["NPSComparison", "NPSCounts", "NPSResult", "compare_nps", "nps"]

N_SCORES = 11  # answers 0..10
PROMOTER_MIN = 9  # 9-10
PASSIVE_MIN = 7  # 7-8; 0-6 are detractors

_FALLBACK_NOTE = Note(NoteCode.ONE_GROUP)  # every respondent in one group: one pseudo-respondent per group


# --------------------------------------------------------------------------- input


@dataclass(frozen=True)
class NPSCounts:
    """Counts of survey answers 0..10 (``scores[i]`` = respondents who answered i) for one arm.

    ``shown`` is the number of users who saw the survey (respondents plus non-respondents), used
    for the response rate; None if unknown. Validated on construction: 11 non-negative whole
    numbers and ``shown >= n``.
    """

    scores: tuple[int, ...]
    shown: int | None = None

    def __post_init__(self) -> None:
        try:
            raw = tuple(self.scores)
        except TypeError:
            raise ValueError(f"scores must be a sequence of {N_SCORES} counts, got {self.scores!r}") from None
        if len(raw) != N_SCORES:
            raise ValueError(f"scores must hold {N_SCORES} counts (answers 0..10), got {len(raw)}")
        checked = tuple(check_count(v, f"count of score {i}") for i, v in enumerate(raw))
        object.__setattr__(self, "scores", checked)
        if self.shown is not None:
            shown = check_count(self.shown, "shown")
            if shown < sum(checked):
                raise ValueError(f"shown ({shown}) cannot be smaller than the number of respondents ({sum(checked)})")
            object.__setattr__(self, "shown", shown)

    @property
    def n(self) -> int:
        """Number of respondents."""
        return sum(self.scores)

    @property
    def promoters(self) -> int:
        """Respondents who answered 9 or 10."""
        return sum(self.scores[PROMOTER_MIN:])

    @property
    def passives(self) -> int:
        """Respondents who answered 7 or 8."""
        return sum(self.scores[PASSIVE_MIN:PROMOTER_MIN])

    @property
    def detractors(self) -> int:
        """Respondents who answered 0 to 6."""
        return sum(self.scores[:PASSIVE_MIN])


def _as_counts(value: Any, label: str) -> NPSCounts:
    if not isinstance(value, NPSCounts):
        raise ValueError(f"{label} must be an NPSCounts, got {type(value).__name__}")  # noqa: TRY004 (house style: ValueError)
    return value


# --------------------------------------------------------------------------- vectorised cores


class _NPSArrays(NamedTuple):
    nps: np.ndarray  # (P - D) / n, NaN where n == 0
    var: np.ndarray  # trinomial variance of the estimate, NaN where n == 0 (may be 0)
    var_fallback: np.ndarray  # same with one pseudo-respondent per group (always > 0 for n >= 0)


def _nps_arrays(promoters: ArrayLike, detractors: ArrayLike, n: ArrayLike) -> _NPSArrays:
    """NPS and its trinomial variance (p_P + p_D - (p_P - p_D)^2) / n, elementwise.

    ``var_fallback`` is the same formula on (P+1, D+1, n+3): one pseudo-respondent added to each
    group, used only where the observed variance is 0 (every answer in one group).
    """
    P = np.asarray(promoters, dtype=float)
    D = np.asarray(detractors, dtype=float)
    m = np.asarray(n, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        pp, pd = P / m, D / m
        score = pp - pd
        var = np.maximum(pp + pd - score * score, 0.0) / m
        qp, qd = (P + 1.0) / (m + 3.0), (D + 1.0) / (m + 3.0)
        var_fb = (qp + qd - (qp - qd) ** 2) / (m + 3.0)
    return _NPSArrays(score, var, var_fb)


class _NPSCIArrays(NamedTuple):
    nps: np.ndarray
    se: np.ndarray
    ci_low: np.ndarray
    ci_high: np.ndarray
    used_fallback: np.ndarray


def _nps_ci_arrays(promoters: ArrayLike, detractors: ArrayLike, n: ArrayLike, z: float) -> _NPSCIArrays:
    """Normal (Wald) interval NPS ± z·se clipped to [-1, 1], elementwise (all n > 0)."""
    a = _nps_arrays(promoters, detractors, n)
    fallback = a.var <= 0.0
    se = np.sqrt(np.where(fallback, a.var_fallback, a.var))
    low = np.maximum(a.nps - z * se, -1.0)
    high = np.minimum(a.nps + z * se, 1.0)
    return _NPSCIArrays(a.nps, se, low, high, fallback)


class _NPSDiffArrays(NamedTuple):
    diff: np.ndarray
    se: np.ndarray
    ci_low: np.ndarray
    ci_high: np.ndarray
    p_value: np.ndarray
    used_fallback: np.ndarray


def _nps_diff_arrays(
    promoters: ArrayLike, detractors: ArrayLike, n: ArrayLike,
    promoters_control: ArrayLike, detractors_control: ArrayLike, n_control: ArrayLike, z: float,
) -> _NPSDiffArrays:
    """Difference of two independent NPS with Wald interval (clipped to [-2, 2]) and z-test.

    Where the summed variance is 0 (every respondent of both arms in one group) both arms use
    the pseudo-respondent variance, so the SE is > 0 (the difference stays the observed one).
    """
    t = _nps_arrays(promoters, detractors, n)
    c = _nps_arrays(promoters_control, detractors_control, n_control)
    diff = t.nps - c.nps
    var = t.var + c.var
    fallback = var <= 0.0
    se = np.sqrt(np.where(fallback, t.var_fallback + c.var_fallback, var))
    p_value = 2.0 * ndtr(-np.abs(diff) / se)
    low = np.maximum(diff - z * se, -2.0)
    high = np.minimum(diff + z * se, 2.0)
    return _NPSDiffArrays(diff, se, low, high, p_value, fallback)


# --------------------------------------------------------------------------- results


@dataclass(frozen=True)
class NPSResult(Noted, ResultModel):
    """NPS of one arm with its interval, the response rate and the score distribution.

    ``nps`` is a fraction in [-1, 1] (x100 for points). ``distribution`` holds the share of
    respondents per answer 0..10. ``status`` is "ok" or "not_enough_data" (no respondents:
    every respondent statistic is None; the response rate is still reported when shown > 0).
    """

    n: int
    shown: int | None
    promoters: int
    passives: int
    detractors: int
    nps: float | None
    se: float | None
    ci: Interval | None
    response_rate: float | None
    response_rate_ci: Interval | None
    distribution: tuple[float, ...] | None
    mean_score: float | None
    alpha: float
    status: str = STATUS_OK
    notes: tuple[Note, ...] = ()


@dataclass(frozen=True)
class NPSComparison(Noted, ResultModel):
    """Treatment NPS - control NPS (independent arms) with interval and two-sided p-value.

    ``status`` is "ok" or "not_enough_data" (an arm without respondents: diff, se, ci and
    p_value None). ``note`` explains any None or fallback.
    """

    treatment: NPSResult
    control: NPSResult
    diff: float | None
    se: float | None
    ci: Interval | None
    p_value: float | None
    alpha: float
    status: str = STATUS_OK
    notes: tuple[Note, ...] = ()
# --------------------------------------------------------------------------- public API


def nps(counts: NPSCounts, alpha: float = 0.05) -> NPSResult:
    """NPS of one arm with a normal interval, the response rate and the score distribution.

    Methods:
      * nps = (promoters - detractors) / n, a fraction in [-1, 1].
      * se = sqrt((p_P + p_D - (p_P - p_D)^2) / n), the trinomial variance of the mean of
        s in {+1, 0, -1} (Rocks 2016); ci = nps ± z·se (Wald), clipped to [-1, 1].
      * response_rate = n / shown with the Wilson interval (:func:`.proportion_ci`).
      * distribution: share of respondents per answer 0..10; mean_score: mean answer.

    Degenerate data (never NaN, inf or an exception):
      * no respondents: status "not_enough_data", nps/se/ci/distribution/mean_score None; the
        response rate is 0 with its Wilson interval when shown > 0 (None when shown is 0/None).
      * every respondent in one group (e.g. all promoters): the trinomial SE is 0, so se and ci
        use one pseudo-respondent added to each group (an Agresti-Coull-style adjustment),
        noted; nps stays the observed value (e.g. 1.0 with ci [1 - z·se, 1]).
    """
    counts = _as_counts(counts, "counts")
    alpha = check_alpha(alpha)
    n = counts.n
    notes: list[Note] = []

    response_rate: float | None = None
    response_ci: tuple[float, float] | None = None
    if counts.shown is None:
        notes.append(Note(NoteCode.SHOWN_NOT_GIVEN))
    elif counts.shown == 0:
        notes.append(Note(NoteCode.NOBODY_SHOWN))
    else:
        response_rate = n / counts.shown
        response_ci = proportion_ci(n, counts.shown, alpha=alpha, method="wilson")

    common: dict[str, Any] = {
        "n": n, "shown": counts.shown, "promoters": counts.promoters, "passives": counts.passives,
        "detractors": counts.detractors, "response_rate": response_rate,
        "response_rate_ci": response_ci, "alpha": alpha,
    }
    if n == 0:
        notes.insert(0, Note(NoteCode.NO_RESPONDENTS))
        return NPSResult(
            **common, nps=None, se=None, ci=None, distribution=None, mean_score=None,
            status=STATUS_NOT_ENOUGH_DATA, notes=tuple(notes),
        )

    r = _nps_ci_arrays(counts.promoters, counts.detractors, n, z_two_sided(alpha))
    if bool(r.used_fallback):
        notes.insert(0, _FALLBACK_NOTE)
    return NPSResult(
        **common,
        nps=float(r.nps), se=float(r.se), ci=(float(r.ci_low), float(r.ci_high)),
        distribution=tuple(c / n for c in counts.scores),
        mean_score=sum(i * c for i, c in enumerate(counts.scores)) / n,
        status=STATUS_OK, notes=tuple(notes),
    )


def compare_nps(treatment: NPSCounts, control: NPSCounts, alpha: float = 0.05) -> NPSComparison:
    """Difference of NPS between two independent arms, treatment - control.

    diff = NPS_t - NPS_c with se = sqrt(Var_t + Var_c) (trinomial variances, Rocks 2016), the
    Wald interval diff ± z·se clipped to [-2, 2] and the two-sided z-test p = 2Φ(-|diff|/se),
    so the interval excludes 0 exactly when p < alpha (up to clipping, which never changes that).

    Degenerate data: an arm without respondents gives status "not_enough_data" (diff, se, ci,
    p_value None; the per-arm results are still filled). When every respondent of both arms is
    in one group the summed SE is 0; both arms then use one pseudo-respondent per group (noted).
    """
    treatment = _as_counts(treatment, "treatment")
    control = _as_counts(control, "control")
    alpha = check_alpha(alpha)
    res_t, res_c = nps(treatment, alpha), nps(control, alpha)

    if treatment.n == 0 or control.n == 0:
        return NPSComparison(
            treatment=res_t, control=res_c, diff=None, se=None, ci=None, p_value=None, alpha=alpha,
            status=STATUS_NOT_ENOUGH_DATA,
            notes=(Note.of(NoteCode.NO_RESPONDENTS_IN_ARM, arms=arms_code(treatment.n == 0, control.n == 0)),),
        )

    d = _nps_diff_arrays(
        treatment.promoters, treatment.detractors, treatment.n,
        control.promoters, control.detractors, control.n, z_two_sided(alpha),
    )
    return NPSComparison(
        treatment=res_t, control=res_c,
        diff=float(d.diff), se=float(d.se), ci=(float(d.ci_low), float(d.ci_high)),
        p_value=float(d.p_value), alpha=alpha, status=STATUS_OK,
        notes=(Note(NoteCode.ONE_GROUP_PER_ARM),) if bool(d.used_fallback) else (),
    )
