"""Adjusted p-values for a family of tests (several variants and/or metrics)."""
from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from numbers import Real
from typing import Literal

import numpy as np

__all__ = ["holm", "benjamini_hochberg", "adjust"]

AdjustMethod = Literal["holm", "bh", "none"]


def _holm_array(p: np.ndarray) -> np.ndarray:
    """Holm step-down adjusted p-values along the last axis (each row is one family).

    Sorted ascending p_(1..m): adj_(i) = max_{j<=i} min(1, (m - j + 1) p_(j)).
    """
    p = np.asarray(p, dtype=float)
    m = p.shape[-1]
    order = np.argsort(p, axis=-1, kind="stable")
    sorted_p = np.take_along_axis(p, order, axis=-1)
    stepped = np.maximum.accumulate(sorted_p * np.arange(m, 0, -1), axis=-1)
    out = np.empty_like(stepped)
    np.put_along_axis(out, order, np.minimum(stepped, 1.0), axis=-1)
    return out


def _bh_array(p: np.ndarray) -> np.ndarray:
    """Benjamini-Hochberg step-up adjusted p-values along the last axis.

    Sorted ascending: adj_(i) = min_{j>=i} min(1, m p_(j) / j).
    """
    p = np.asarray(p, dtype=float)
    m = p.shape[-1]
    order = np.argsort(p, axis=-1, kind="stable")
    sorted_p = np.take_along_axis(p, order, axis=-1)
    raw = sorted_p * m / np.arange(1, m + 1)
    stepped = np.minimum.accumulate(raw[..., ::-1], axis=-1)[..., ::-1]
    out = np.empty_like(stepped)
    np.put_along_axis(out, order, np.minimum(stepped, 1.0), axis=-1)
    return out


def _split(p_values: Sequence[float | None]) -> tuple[list[int], np.ndarray]:
    """Indices and values of the non-None p-values, validated to lie in [0, 1]."""
    idx: list[int] = []
    vals: list[float] = []
    for i, p in enumerate(p_values):
        if p is None:
            continue
        if isinstance(p, bool) or not isinstance(p, Real) or not (0.0 <= float(p) <= 1.0) or math.isnan(float(p)):
            raise ValueError(f"p-value #{i} must be a number in [0, 1] or None, got {p!r}")
        idx.append(i)
        vals.append(float(p))
    return idx, np.array(vals, dtype=float)


def _apply(p_values: Sequence[float | None], core: Callable[[np.ndarray], np.ndarray]) -> list[float | None]:
    """Adjust over the WHOLE family: a None (a test that could not be run, e.g. an arm without
    data yet) counts in the family size as p = 1, so the family never shrinks while an arm has no
    data; its output stays None."""
    if not p_values:
        return []
    if len(p_values) == 1:  # a family of one: every method leaves p as it is (min(1, 1 * p) = p)
        p = p_values[0]
        if p is None or (type(p) is float and 0.0 <= p <= 1.0):  # the common case, without numpy
            return [p]
    idx, vals = _split(p_values)
    if len(p_values) == 1:
        return [float(vals[0]) if idx else None]
    out: list[float | None] = [None] * len(p_values)
    if vals.size:
        full = np.ones(len(p_values), dtype=float)
        full[idx] = vals
        adjusted = core(full)
        for i in idx:
            out[i] = float(adjusted[i])
    return out


def holm(p_values: Sequence[float | None]) -> list[float | None]:
    """Holm-Bonferroni step-down adjusted p-values (Holm 1979); controls the family-wise error rate.

    None entries (tests that could not be run) stay None but count in the family size, as p = 1:
    ``holm([0.01, None, 0.04]) == [0.03, None, 0.08]``. Equals statsmodels
    ``multipletests(method='holm')[1]`` with None replaced by 1.
    """
    return _apply(p_values, _holm_array)


def benjamini_hochberg(p_values: Sequence[float | None]) -> list[float | None]:
    """Benjamini-Hochberg step-up adjusted p-values (BH 1995); controls the false discovery rate.

    None entries stay None but count in the family size, as p = 1. Equals statsmodels
    ``multipletests(method='fdr_bh')[1]`` with None replaced by 1.
    """
    return _apply(p_values, _bh_array)


def adjust(p_values: Sequence[float | None], method: AdjustMethod = "holm") -> list[float | None]:
    """Adjust a family of p-values: 'holm' (FWER), 'bh' (FDR) or 'none' (validated copy)."""
    if method == "holm":
        return holm(p_values)
    if method == "bh":
        return benjamini_hochberg(p_values)
    if method == "none":
        return _apply(p_values, lambda v: v)
    raise ValueError(f"method must be 'holm', 'bh' or 'none', got {method!r}")
