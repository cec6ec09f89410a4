"""Capping (winsorisation) of a mean metric: the cap's definition and its in-memory reference.

Method: each user's value v counts as min(v, cap) (Dixon 1960, one-sided winsorisation; in online
experiments "capping", Kohavi, Tang & Xu 2020, Trustworthy Online Controlled Experiments, ch. 22,
and GrowthBook / Eppo / Statsig). A declared quantile q gives the cap as the empirical quantile of
the metric over EVERY analysed user, all arms pooled, so the same cap applies to each arm and
the arms stay comparable; the treatment cannot move its own cap. The quantile is the
inverse of the empirical distribution function (Hyndman & Fan 1996 type 1; numpy
``method="inverted_cdf"``): the smallest value v with at least ceil(q n) of the n values <= v.
It is a value of the data, so integer metrics stay integers (exact sums), and it is computed
exactly in SQL on every engine (:func:`cap_rank` gives the rank the SQL looks for).

What the comparison then estimates is the difference of CAPPED means, a different estimand
from the difference of raw means: capping trades a bias towards 0 on the heavy tail for a much
smaller variance (docs/statistics.md gives the figures of the calibration, tests/stats/test_capping.py).
The pooled cap is itself estimated, which the Welch interval ignores; its effect on coverage of
the capped estimand is measured by the calibration.
"""
from __future__ import annotations

import math
from fractions import Fraction
from typing import Any

import numpy as np

__all__ = ["cap_rank", "capped", "quantile_cap"]


def cap_rank(quantile: float, n: int) -> int:
    """The rank (1-based, ascending) of the cap among ``n`` values: ceil(q n), at least 1; the
    quantile taken as the decimal it was written as (0.99 is 99/100 exactly)."""
    if not 0 < quantile < 1:
        raise ValueError(f"quantile must be in (0, 1), got {quantile!r}")
    if n < 1:
        raise ValueError("no values to take a quantile of")
    return max(1, math.ceil(Fraction(str(quantile)) * int(n)))


def quantile_cap(values: Any, quantile: float) -> float:
    """The cap of :func:`cap_rank` from values in memory (the reference the SQL is tested against)."""
    v = np.sort(np.asarray(values, dtype=float).ravel())
    return float(v[cap_rank(quantile, v.size) - 1])


def capped(values: Any, cap: float) -> np.ndarray:
    """The values with everything above ``cap`` set to ``cap``."""
    return np.minimum(np.asarray(values, dtype=float), cap)
