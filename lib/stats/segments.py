"""Treatment effect per segment (platform, country, plan...) and a test of whether it differs.

Works on sufficient statistics only: per segment (successes_t, n_t, successes_c, n_c). Each
segment is compared with :func:`.proportions.compare_proportions`, the per-segment p-values are
adjusted as one family (:func:`.multiplicity.adjust`) and heterogeneity is tested with Cochran's
Q on the absolute differences. The scalar entry point :func:`segment_effects` uses the
vectorised helper :func:`_cochran_q_arrays`, which the calibration simulations also exercise.
"""
from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, NamedTuple

import numpy as np

from ..serialize import ResultModel
from ._common import (
    STATUS_NOT_ENOUGH_DATA,
    STATUS_OK,
    check_alpha,
    check_arm,
    chi2_sf,
)
from .multiplicity import AdjustMethod, adjust
from .notes import Note, NoteCode, Noted, arms_code
from .proportions import ProportionComparison, compare_proportions

__all__ = ["SEGMENT_WARNING", "SegmentAnalysis", "segment_effects"]

SEGMENT_WARNING = (
    "Segment results are exploratory, especially for segments chosen after looking at the data: "
    "with several segments some will look different by chance alone. A significant effect in one "
    "segment and a non-significant one in another does not show that the effect differs; only a "
    "significant heterogeneity test (Cochran's Q) supports \"the effect differs by segment\"."
)


# --------------------------------------------------------------------------- vectorised core


class _QArrays(NamedTuple):
    q: np.ndarray  # Cochran's Q
    df: int
    p_value: np.ndarray  # upper tail of chi2(df)
    i_squared: np.ndarray  # Higgins & Thompson I^2 in [0, 1]
    pooled: np.ndarray  # fixed-effect (inverse-variance) pooled effect
    pooled_se: np.ndarray


def _cochran_q_arrays(effects: Any, variances: Any) -> _QArrays:
    """Cochran's Q along the last axis (k >= 2 studies, all variances > 0).

    w_i = 1/v_i, pooled = Σ w_i d_i / Σ w_i, Q = Σ w_i (d_i - pooled)^2 ~ chi2(k - 1) under
    homogeneity (Cochran 1954); I^2 = max(0, (Q - df)/Q), 0 when Q == 0 (Higgins & Thompson
    2002). Same as statsmodels ``combine_effects(effects, variances).test_homogeneity()``.
    """
    d = np.asarray(effects, dtype=float)
    w = 1.0 / np.asarray(variances, dtype=float)
    k = d.shape[-1]
    if k < 2:
        raise ValueError("Cochran's Q needs at least 2 segments")
    df = k - 1
    w_sum = w.sum(axis=-1)
    pooled = (w * d).sum(axis=-1) / w_sum
    q = (w * (d - pooled[..., None]) ** 2).sum(axis=-1)
    with np.errstate(divide="ignore", invalid="ignore"):
        i2 = np.where(q > 0.0, np.maximum(0.0, (q - df) / q), 0.0)
    return _QArrays(q, df, chi2_sf(q, df), i2, pooled, np.sqrt(1.0 / w_sum))


def _wald_variance(x1: int, n1: int, x0: int, n0: int) -> float:
    """Unpooled variance p1(1-p1)/n1 + p0(1-p0)/n0 of p1 - p0 (as in compare_proportions)."""
    p1, p0 = x1 / n1, x0 / n0
    return p1 * (1.0 - p1) / n1 + p0 * (1.0 - p0) / n0


# --------------------------------------------------------------------------- result


@dataclass(frozen=True)
class SegmentAnalysis(Noted, ResultModel):
    """Per-segment effects, their multiplicity-adjusted p-values and a heterogeneity test.

    ``segments`` maps each segment to its :class:`.ProportionComparison` (treatment - control);
    ``adjusted_p_values`` to its p-value adjusted across segments (None where not computable).
    The heterogeneity fields (``q_statistic``, ``q_df``, ``q_p_value``, ``i_squared``,
    ``pooled_abs_diff``, ``pooled_se``) are None when fewer than 2 segments can enter Q, in
    which case ``status`` is "not_enough_data". ``excluded`` lists segments left out of Q
    (no users in an arm, or a zero variance). ``warning`` is the plain-English caveat on
    segment analyses (:data:`SEGMENT_WARNING`).
    """

    segments: dict[str, ProportionComparison]
    adjusted_p_values: dict[str, float | None]
    correction: str
    q_statistic: float | None
    q_df: int | None
    q_p_value: float | None
    i_squared: float | None
    pooled_abs_diff: float | None
    pooled_se: float | None
    heterogeneity_significant: bool | None
    excluded: tuple[str, ...]
    alpha: float
    status: str = STATUS_OK
    notes: tuple[Note, ...] = ()
    warning: str = SEGMENT_WARNING
# --------------------------------------------------------------------------- public API


def segment_effects(
    segments: Mapping[str, tuple[int, int, int, int]],
    alpha: float = 0.05,
    correction: AdjustMethod = "holm",
) -> SegmentAnalysis:
    """Effect on a conversion rate per segment, adjusted p-values and Cochran's Q heterogeneity.

    ``segments`` maps a segment name to (successes_t, n_t, successes_c, n_c).

    Methods:
      * per segment: :func:`.compare_proportions` (Wald difference, unpooled variance).
      * p-values adjusted across the segments with ``correction`` ('holm', 'bh' or 'none',
        :func:`.multiplicity.adjust`); segments without a p-value are not counted.
      * heterogeneity: Cochran's Q on the absolute differences d_i with inverse-variance
        weights w_i = 1/v_i, v_i = p1(1-p1)/n1 + p0(1-p0)/n0; Q ~ chi2(k - 1) under a common
        effect (Cochran 1954); I^2 = max(0, (Q - (k-1))/Q), the share of variation beyond
        chance (Higgins & Thompson 2002, *Statistics in Medicine*). Equals statsmodels
        ``combine_effects(d, v)`` (``q``, ``i2``, ``test_homogeneity()``). Also reported: the
        fixed-effect pooled difference Σ w d / Σ w and its SE.

    Degenerate data (never NaN, inf or an exception):
      * a segment with an empty arm: its comparison has status "not_enough_data", adjusted p
        None, and it is left out of Q (listed in ``excluded``).
      * a segment whose rates are all 0 or 1: the Wald variance is 0 (infinite weight), so it
        is left out of Q and listed (its own comparison uses the Agresti-Caffo fallback).
      * fewer than 2 segments left for Q: status "not_enough_data", heterogeneity fields None.
    """
    if not isinstance(segments, Mapping) or len(segments) == 0:
        raise ValueError("segments must be a non-empty mapping of name -> (successes_t, n_t, successes_c, n_c)")
    alpha = check_alpha(alpha)
    adjust([], correction)  # validates the method name before any work

    comparisons: dict[str, ProportionComparison] = {}
    effects: list[float] = []
    variances: list[float] = []
    included: list[str] = []
    excluded: list[str] = []
    notes: list[Note] = []
    for name, counts in segments.items():
        key = str(name)
        if isinstance(counts, (str, bytes)) or not hasattr(counts, "__len__") or len(counts) != 4:
            raise ValueError(
                f"segment {key!r} must be (successes_t, n_t, successes_c, n_c), got {counts!r}"
            )
        x1, n1 = check_arm(counts[0], counts[1], f"segment {key!r} treatment")
        x0, n0 = check_arm(counts[2], counts[3], f"segment {key!r} control")
        res = compare_proportions(x1, n1, x0, n0, alpha=alpha)
        comparisons[key] = res
        if res.status != STATUS_OK:
            excluded.append(key)
            notes.append(Note.of(NoteCode.SEGMENT_LEFT_OUT_NO_USERS, segment=key, arms=arms_code(n1 == 0, n0 == 0)))
            continue
        var = _wald_variance(x1, n1, x0, n0)
        if var <= 0.0:
            excluded.append(key)
            notes.append(Note.of(NoteCode.SEGMENT_LEFT_OUT_ZERO_VARIANCE, segment=key))
            continue
        included.append(key)
        assert res.abs_diff is not None  # status ok
        effects.append(float(res.abs_diff))
        variances.append(var)

    names = list(comparisons)
    adjusted = adjust([comparisons[k].p_value for k in names], correction)
    adjusted_p = dict(zip(names, adjusted))

    common: dict[str, Any] = {
        "segments": comparisons, "adjusted_p_values": adjusted_p, "correction": correction,
        "excluded": tuple(excluded), "alpha": alpha,
    }
    if len(included) < 2:
        notes.append(Note.of(NoteCode.TOO_FEW_SEGMENTS, n=len(included)))
        return SegmentAnalysis(
            **common, q_statistic=None, q_df=None, q_p_value=None, i_squared=None,
            pooled_abs_diff=None, pooled_se=None, heterogeneity_significant=None,
            status=STATUS_NOT_ENOUGH_DATA, notes=tuple(notes),
        )

    q = _cochran_q_arrays(np.array(effects), np.array(variances))
    p_value = float(q.p_value)
    return SegmentAnalysis(
        **common,
        q_statistic=float(q.q), q_df=int(q.df), q_p_value=p_value, i_squared=float(q.i_squared),
        pooled_abs_diff=float(q.pooled), pooled_se=float(q.pooled_se),
        heterogeneity_significant=bool(p_value < alpha) if math.isfinite(p_value) else None,
        status=STATUS_OK, notes=tuple(notes),
    )
