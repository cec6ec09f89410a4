"""Interaction between two experiments on a proportion: does A's effect depend on B's arm?

Two experiments that run at the same time on the same users split those users into an
``arms_a x arms_b`` table. Each cell holds the users and the successes (of A's primary
metric) of the users in arm i of A and arm j of B: sufficient statistics, computed in SQL.
:func:`interaction_test` tests whether A's effects (arm i against A's control, row 0) are the
same in every arm of B (column 0 is B's control), on the additive (risk-difference) scale the
reports use.

Method: cell rates ``p_ij = x_ij / n_ij`` are independent binomial estimates with variance
``p_ij (1 - p_ij) / n_ij``. The interaction contrasts are the differences of differences

    D_ij = (p_ij - p_0j) - (p_i0 - p_00),   i = 1..I-1, j = 1..J-1,

with covariance ``C diag(v) C^T`` (C the contrast matrix). The Wald statistic
``W = D^T (C V C^T)^{-1} D`` is chi-square with (I-1)(J-1) degrees of freedom under "no
interaction"; for a 2x2 table it is z^2 with ``z = D / se(D)``. This is exactly the Wald test of
the interaction terms of the saturated binomial GLM with identity link and treatment coding
(statsmodels ``GLM(..., family=Binomial(link=identity))``, ``wald_test`` of the interaction
parameters; the tests check it). Reference: Agresti, *Categorical Data Analysis* (3rd ed.,
2013), sections 4.3 and 16.1 (Wald tests, delta method); Montgomery, *Design and Analysis of
Experiments*, ch. 5 (the 2x2 factorial interaction contrast); Kohavi, Tang & Xu, *Trustworthy
Online Controlled Experiments* (2020), ch. 4 (interactions between concurrent experiments).

A cell whose rate is 0 or 1 has no binomial variance; its variance is then taken at
``(x + 1/2) / (n + 1)`` (code ``boundary_cell_adjusted``), so a single empty-success cell cannot
make the statistic infinite. A cell without users leaves the interaction not estimable
(status ``not_enough_data``).
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy.stats import chi2

from ..serialize import ResultModel
from ._common import STATUS_NOT_ENOUGH_DATA, STATUS_OK, check_alpha, check_count

__all__ = ["InteractionTest", "interaction_test"]

CODE_BOUNDARY_CELL = "boundary_cell_adjusted"


@dataclass(frozen=True)
class InteractionTest(ResultModel):
    """The interaction of two experiments on one proportion.

    ``users`` and ``successes`` are the table (row i = A's arm i, column j = B's arm j, row and
    column 0 the controls); ``contrasts`` the differences of differences D_ij row by row
    (i = 1..I-1, j = 1..J-1) with their standard errors; ``statistic`` the Wald chi-square,
    ``df`` its degrees of freedom, ``p_value`` unadjusted (the programme corrects across pairs).
    """

    arms_a: tuple[str, ...]
    arms_b: tuple[str, ...]
    users: tuple[tuple[int, ...], ...]
    successes: tuple[tuple[int, ...], ...]
    contrasts: tuple[float, ...] | None
    contrast_se: tuple[float, ...] | None
    statistic: float | None
    df: int
    p_value: float | None
    alpha: float
    status: str
    codes: tuple[str, ...] = ()

    @property
    def significant(self) -> bool:
        """Unadjusted: p < alpha."""
        return self.p_value is not None and self.p_value < self.alpha


def _contrast_matrix(n_a: int, n_b: int) -> np.ndarray:
    rows = []
    for i in range(1, n_a):
        for j in range(1, n_b):
            c = np.zeros((n_a, n_b))
            c[i, j], c[i, 0], c[0, j], c[0, 0] = 1.0, -1.0, -1.0, 1.0
            rows.append(c.ravel())
    return np.array(rows)


def interaction_test(successes: Sequence[Sequence[int]], users: Sequence[Sequence[int]],
                     arms_a: Sequence[str] | None = None, arms_b: Sequence[str] | None = None,
                     alpha: float = 0.05) -> InteractionTest:
    """Wald test of "A's effects are the same in every arm of B" on a table of sufficient statistics.

    ``successes[i][j]`` and ``users[i][j]``: the users in arm i of A and arm j of B, and how many
    of them reached A's primary metric; row 0 and column 0 are the controls. See the module
    docstring for the method and references.
    """
    x = [[check_count(v, "successes") for v in row] for row in successes]
    n = [[check_count(v, "users") for v in row] for row in users]
    alpha = check_alpha(alpha)
    n_a, n_b = len(n), len(n[0]) if n else 0
    if n_a < 2 or n_b < 2 or len(x) != n_a or any(len(r) != n_b for r in (*x, *n)):
        raise ValueError(f"expected two tables of the same shape with at least 2 x 2 cells, got {len(x)} and {n_a} rows")
    for i in range(n_a):
        for j in range(n_b):
            if x[i][j] > n[i][j]:
                raise ValueError(f"cell ({i}, {j}): {x[i][j]} successes among {n[i][j]} users")
    names_a = tuple(arms_a) if arms_a is not None else tuple(str(i) for i in range(n_a))
    names_b = tuple(arms_b) if arms_b is not None else tuple(str(j) for j in range(n_b))
    df = (n_a - 1) * (n_b - 1)
    base: dict[str, Any] = dict(arms_a=names_a, arms_b=names_b, users=tuple(map(tuple, n)),
                                successes=tuple(map(tuple, x)), df=df, alpha=alpha)
    xs, ns = np.array(x, dtype=float).ravel(), np.array(n, dtype=float).ravel()
    if np.any(ns == 0):
        return InteractionTest(**base, contrasts=None, contrast_se=None, statistic=None, p_value=None,
                               status=STATUS_NOT_ENOUGH_DATA)
    p = xs / ns
    boundary = (xs == 0) | (xs == ns)
    p_var = np.where(boundary, (xs + 0.5) / (ns + 1.0), p)
    v = p_var * (1.0 - p_var) / ns
    c = _contrast_matrix(n_a, n_b)
    d = c @ p
    cov = (c * v) @ c.T
    w = float(d @ np.linalg.solve(cov, d))
    return InteractionTest(**base, contrasts=tuple(float(t) for t in d),
                           contrast_se=tuple(float(s) for s in np.sqrt(np.diag(cov))),
                           statistic=w, p_value=float(chi2.sf(w, df)), status=STATUS_OK,
                           codes=(CODE_BOUNDARY_CELL,) if boundary.any() else ())
