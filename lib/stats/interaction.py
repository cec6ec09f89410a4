"""Interaction between two experiments: does A's effect on its primary metric depend on B's arm?

Two experiments that run at the same time on the same users split those users into an
``arms_a x arms_b`` table. Each cell holds the sufficient statistics of A's primary metric over
the users in arm i of A and arm j of B, computed in SQL: users and successes for a proportion
(:func:`interaction_test`), users, sum and sum of squares for a mean
(:func:`interaction_test_means`). Both test whether A's effects (arm i against A's control,
row 0) are the same in every arm of B (column 0 is B's control), on the additive scale the
reports use (a difference of rates, a difference of means).

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

For a mean the cell means ``m_ij = s_ij / n_ij`` have variance ``S2_ij / n_ij`` with ``S2_ij``
the cell's sample variance (denominator ``n_ij - 1``, from centred sums: ``(q - s^2/n) / (n - 1)``);
the contrasts and the Wald statistic are the same. This is the heteroskedasticity-robust
(unequal cell variances) Wald test of the interaction terms of the saturated two-way linear
model, i.e. the large-sample form of Welch-type factorial contrasts (Montgomery ch. 5; the tests
check it against statsmodels OLS with an HC2 covariance, which is exactly ``S2_ij / n_ij`` per cell).
A cell with fewer than 2 users leaves it not estimable; when every cell's variance is 0 the
contrasts have no variance (status ``zero_variance``).

When whole accounts were randomised (by either experiment), users of one account are correlated
and may fall into several cells; and for a ratio metric (numerator / denominator per user) the
cell estimate is a ratio of sums. :func:`interaction_test_clustered` covers both: every cell
estimate is ``r_c = Y_c / X_c`` (X the users and Y the metric total for a proportion or a mean;
the ratio's denominator and numerator sums for a ratio) and the covariance of the cell estimates
is the cluster-robust (sandwich) covariance with the randomised units (accounts; users for a
ratio of a user-randomised pair) as clusters,

    Cov(r_c, r_c') = G/(G-1) * sum_k e_kc e_kc' / (X_c X_c'),   e_kc = y_kc - r_c x_kc,

(G units; x_kc, y_kc the unit's sums in cell c), i.e. the delta method on per-unit totals
(Deng, Knoblich & Lu 2018, sec. 3) with the CR1 small-sample factor; it equals statsmodels' WLS of
y/x on the cell dummies with weights x and ``cov_type="cluster"`` (the tests check it). Only per-cell
sums and per-cell-pair cross-products ``sum_k x_kc x_kc'``, ``sum_k x_kc y_kc'``, ``sum_k y_kc y_kc'``
leave SQL. The contrasts and the Wald statistic are as above, with the full covariance.
A cell with fewer than 2 units leaves it not estimable.

Few or very unequal units (a handful of large accounts) make the sandwich too small and the
chi-square reference too liberal (simulated A/A at 300 lognormal accounts: 0.078 at α 0.05). So,
given each contrast's per-unit contributions ``c_kl = sum_c W_lc (y_kc - r_c x_kc)`` (weights from
:func:`interaction_contrast_weights`) through their fourth powers ``sum_k c_kl^4`` (a second, small
SQL aggregate), the statistic is referred to F(q, nu) with q the contrasts and nu the smallest
Satterthwaite degrees of freedom ``(sum_k c_kl^2)^2 / sum_k c_kl^4`` of a contrast's variance, the
effective number of units behind it (Satterthwaite 1946; the same idea as the effective number of
clusters of Carter, Schnepel & Steigerwald 2017); for one contrast that is a t test on nu degrees of
freedom. Seeded A/A calibration in ``tests/stats/test_interaction.py``.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..serialize import ResultModel
from ._common import STATUS_NOT_ENOUGH_DATA, STATUS_OK, check_alpha, check_count, chi2_sf, f_sf
from .sequential import STATUS_ZERO_VARIANCE

__all__ = ["InteractionTest", "interaction_contrast_weights", "interaction_test", "interaction_test_clustered",
           "interaction_test_means"]

CODE_BOUNDARY_CELL = "boundary_cell_adjusted"


@dataclass(frozen=True)
class InteractionTest(ResultModel):
    """The interaction of two experiments on one metric.

    ``users`` and the metric's sufficient statistics are the table (row i = A's arm i, column j
    = B's arm j, row and column 0 the controls): ``successes`` for a proportion (``kind``
    ``"proportion"``), ``sums`` and ``sums_of_squares`` for a mean (``kind`` ``"mean"``; then
    ``successes`` is empty). ``contrasts`` are the differences of differences D_ij row by row
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
    kind: str = "proportion"
    sums: tuple[tuple[float, ...], ...] | None = None
    sums_of_squares: tuple[tuple[float, ...], ...] | None = None
    cluster_unit: str | None = None  # the units of the cluster-robust covariance (interaction_test_clustered)
    units: tuple[tuple[int, ...], ...] | None = None  # units per cell, with cluster_unit
    denominators: tuple[tuple[float, ...], ...] | None = None  # a ratio's denominator sums per cell
    effective_units: float | None = None  # nu: the F reference's denominator degrees of freedom, with cluster_unit

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


def _shape(users: Sequence[Sequence[int]], *others: Sequence[Sequence[Any]]) -> tuple[int, int]:
    n_a, n_b = len(users), len(users[0]) if users else 0
    if n_a < 2 or n_b < 2 or any(len(t) != n_a for t in others) or any(len(r) != n_b for t in (users, *others) for r in t):
        raise ValueError(f"expected tables of the same shape with at least 2 x 2 cells, got {[len(t) for t in (users, *others)]} rows")
    return n_a, n_b


def _wald(estimates: np.ndarray, variances: np.ndarray, n_a: int, n_b: int) -> tuple[np.ndarray, np.ndarray, float | None]:
    """The contrasts D, their standard errors and the Wald statistic (None if their covariance is
    singular); ``variances``: the cells' variances, or their full covariance matrix."""
    c = _contrast_matrix(n_a, n_b)
    d = c @ estimates
    cov = (c * variances) @ c.T if variances.ndim == 1 else c @ variances @ c.T
    se = np.sqrt(np.diag(cov))
    if not np.all(se > 0) or np.linalg.matrix_rank(cov) < cov.shape[0]:
        return d, se, None
    return d, se, float(d @ np.linalg.solve(cov, d))


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
    n_a, n_b = _shape(n, x)
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
    d, se, w = _wald(p, v, n_a, n_b)
    assert w is not None  # every adjusted binomial variance is positive
    return InteractionTest(**base, contrasts=tuple(float(t) for t in d), contrast_se=tuple(float(s) for s in se),
                           statistic=w, p_value=float(chi2_sf(w, df)), status=STATUS_OK,
                           codes=(CODE_BOUNDARY_CELL,) if boundary.any() else ())


def interaction_test_means(sums: Sequence[Sequence[float]], sums_of_squares: Sequence[Sequence[float]],
                           users: Sequence[Sequence[int]], arms_a: Sequence[str] | None = None,
                           arms_b: Sequence[str] | None = None, alpha: float = 0.05) -> InteractionTest:
    """:func:`interaction_test` for a mean metric, from each cell's users, sum and sum of squares.

    Cell variances are the cells' own sample variances (unequal variances allowed); see the module
    docstring for the method and references. Fewer than 2 users in a cell: ``not_enough_data``;
    no variance in any contrast: ``zero_variance``.
    """
    n = [[check_count(v, "users") for v in row] for row in users]
    alpha = check_alpha(alpha)
    n_a, n_b = _shape(n, sums, sums_of_squares)
    s = np.array(sums, dtype=float)
    q = np.array(sums_of_squares, dtype=float)
    if not (np.all(np.isfinite(s)) and np.all(np.isfinite(q))) or np.any(q < 0):
        raise ValueError("sums and sums of squares must be finite, sums of squares >= 0")
    names_a = tuple(arms_a) if arms_a is not None else tuple(str(i) for i in range(n_a))
    names_b = tuple(arms_b) if arms_b is not None else tuple(str(j) for j in range(n_b))
    df = (n_a - 1) * (n_b - 1)
    base: dict[str, Any] = dict(arms_a=names_a, arms_b=names_b, users=tuple(map(tuple, n)), successes=(),
                                df=df, alpha=alpha, kind="mean", sums=tuple(tuple(float(v) for v in r) for r in s),
                                sums_of_squares=tuple(tuple(float(v) for v in r) for r in q))
    ns = np.array(n, dtype=float).ravel()
    if np.any(ns < 2):
        return InteractionTest(**base, contrasts=None, contrast_se=None, statistic=None, p_value=None,
                               status=STATUS_NOT_ENOUGH_DATA)
    s, q = s.ravel(), q.ravel()
    means = s / ns
    var = np.maximum(q - s * means, 0.0) / (ns - 1.0)  # centred: q - s^2/n, never below 0 by rounding
    d, se, w = _wald(means, var / ns, n_a, n_b)
    if w is None:
        return InteractionTest(**base, contrasts=tuple(float(t) for t in d), contrast_se=tuple(float(x) for x in se),
                               statistic=None, p_value=None, status=STATUS_ZERO_VARIANCE)
    return InteractionTest(**base, contrasts=tuple(float(t) for t in d), contrast_se=tuple(float(x) for x in se),
                           statistic=w, p_value=float(chi2_sf(w, df)), status=STATUS_OK)


def interaction_contrast_weights(numerators: Sequence[Sequence[float]],
                                 denominators: Sequence[Sequence[float]]) -> tuple[np.ndarray, np.ndarray]:
    """(r, W): the cell estimates r_c = Y_c / X_c (row-major) and the weights W_lc = C_lc / X_c of
    contrast l, so that a unit's contribution to contrast l is ``sum_c W_lc (y_kc - r_c x_kc)``
    (what the SQL of the fourth moments evaluates). NaN where a denominator is 0."""
    y = np.array(numerators, dtype=float)
    n_a, n_b = y.shape
    x = np.array(denominators, dtype=float).ravel()
    with np.errstate(divide="ignore", invalid="ignore"):
        return y.ravel() / x, _contrast_matrix(n_a, n_b) / x[None, :]


def interaction_test_clustered(users: Sequence[Sequence[int]], units: Sequence[Sequence[int]],
                               numerators: Sequence[Sequence[float]], denominators: Sequence[Sequence[float]],
                               cross_xx: Any, cross_xy: Any, cross_yy: Any, n_units: int, *,
                               fourth_moments: Sequence[float] | None = None,
                               kind: str = "proportion", cluster_unit: str = "account_id",
                               arms_a: Sequence[str] | None = None, arms_b: Sequence[str] | None = None,
                               alpha: float = 0.05) -> InteractionTest:
    """The interaction Wald test with cluster-robust covariance of ratio-of-sums cell estimates.

    Per cell (row i = A's arm, column j = B's arm): ``users``, ``units`` (units with a user in the
    cell), ``numerators`` Y and ``denominators`` X (users for a proportion or a mean). ``cross_*``:
    C x C matrices over the cells in row-major order (C = I*J) of sums over units of products of
    the unit's per-cell sums: ``cross_xy[c][d]`` = sum_k x_kc y_kd. ``n_units``: G, the units
    in the table. ``fourth_moments``: per contrast l, sum_k c_kl^4 (module docstring): the
    statistic is then referred to F(q, nu), else to the large-sample chi-square. Method and
    references in the module docstring. A cell with fewer than 2 units or a zero denominator:
    ``not_enough_data``; singular contrasts: ``zero_variance``.
    """
    n = [[check_count(v, "users") for v in row] for row in users]
    g_cells = [[check_count(v, "units") for v in row] for row in units]
    g = check_count(n_units, "n_units")
    alpha = check_alpha(alpha)
    n_a, n_b = _shape(n, g_cells, numerators, denominators)
    y = np.array(numerators, dtype=float).ravel()
    x = np.array(denominators, dtype=float).ravel()
    cells = n_a * n_b
    sxx, sxy, syy = (np.array(m, dtype=float) for m in (cross_xx, cross_xy, cross_yy))
    if any(m.shape != (cells, cells) for m in (sxx, sxy, syy)):
        raise ValueError(f"cross-products must be {cells} x {cells} matrices (cells in row-major order)")
    if not all(np.all(np.isfinite(v)) for v in (x, y, sxx, sxy, syy)) or np.any(x < 0):
        raise ValueError("sums and cross-products must be finite, denominators >= 0")
    names_a = tuple(arms_a) if arms_a is not None else tuple(str(i) for i in range(n_a))
    names_b = tuple(arms_b) if arms_b is not None else tuple(str(j) for j in range(n_b))
    df = (n_a - 1) * (n_b - 1)
    table = tuple(tuple(float(v) for v in row) for row in np.array(numerators, dtype=float))
    base: dict[str, Any] = dict(arms_a=names_a, arms_b=names_b, users=tuple(map(tuple, n)), df=df, alpha=alpha,
                                kind=kind, cluster_unit=cluster_unit, units=tuple(map(tuple, g_cells)))
    if kind == "proportion":
        base.update(successes=tuple(tuple(int(round(v)) for v in row) for row in table))
    else:
        base.update(successes=(), sums=table)
        if kind == "ratio":
            base.update(denominators=tuple(tuple(float(v) for v in row) for row in np.array(denominators, dtype=float)))
    if np.any(np.array(g_cells).ravel() < 2) or np.any(x <= 0) or g < 2:
        return InteractionTest(**base, contrasts=None, contrast_se=None, statistic=None, p_value=None,
                               status=STATUS_NOT_ENOUGH_DATA)
    r = y / x
    # sum_k e_kc e_kd with e_kc = y_kc - r_c x_kc; cross_yx = cross_xy transposed
    m = syy - sxy.T * r[None, :] - r[:, None] * sxy + np.outer(r, r) * sxx
    cov = g / (g - 1.0) * m / np.outer(x, x)
    d, se, w = _wald(r, cov, n_a, n_b)
    contrasts, ses = tuple(float(t) for t in d), tuple(float(v) for v in se)
    if w is None:
        return InteractionTest(**base, contrasts=contrasts, contrast_se=ses, statistic=None, p_value=None,
                               status=STATUS_ZERO_VARIANCE)
    if fourth_moments is None:
        return InteractionTest(**base, contrasts=contrasts, contrast_se=ses, statistic=w,
                               p_value=float(chi2_sf(w, df)), status=STATUS_OK)
    c4 = np.array(fourth_moments, dtype=float)
    if c4.shape != (df,) or not np.all(np.isfinite(c4)) or np.any(c4 < 0):
        raise ValueError(f"fourth_moments must be {df} finite sums >= 0 (one per contrast)")
    _, weights = interaction_contrast_weights(numerators, denominators)
    c2 = np.einsum("lc,cd,ld->l", weights, m, weights)  # sum_k c_kl^2
    with np.errstate(divide="ignore", invalid="ignore"):
        nu = float(np.min(np.where(c4 > 0, c2 * c2 / c4, np.inf)))
    nu = min(max(nu, 1.0), float(g - 1))
    return InteractionTest(**base, contrasts=contrasts, contrast_se=ses, statistic=w,
                           p_value=float(f_sf(w / df, df, nu)), status=STATUS_OK, effective_units=nu)
