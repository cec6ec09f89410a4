"""interaction_test against statsmodels' binomial GLM (identity link, saturated, Wald test of the
interaction terms), the closed-form 2x2 z, and seeded calibration (size and power)."""
from __future__ import annotations

import math
import warnings

import numpy as np
import pytest
import statsmodels.api as sm
from scipy.stats import norm

from guidelab.stats.interaction import interaction_test, interaction_test_means


def _glm_wald(x, n):
    """Saturated identity-link binomial GLM with treatment coding; Wald test of the interactions."""
    x, n = np.asarray(x, float), np.asarray(n, float)
    a, b = x.shape
    rows, endog = [], []
    for i in range(a):
        for j in range(b):
            row = [1.0] + [float(i == k) for k in range(1, a)] + [float(j == k) for k in range(1, b)]
            row += [float(i == k and j == m) for k in range(1, a) for m in range(1, b)]
            rows.append(row)
            endog.append([x[i, j], n[i, j] - x[i, j]])
    exog = np.array(rows)
    start = np.linalg.solve(exog, (x / n).ravel())  # saturated: the exact MLE, no iteration drift
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fit = sm.GLM(np.array(endog), exog, family=sm.families.Binomial(link=sm.families.links.Identity())).fit(
            start_params=start)
    k = (a - 1) * (b - 1)
    r = np.zeros((k, exog.shape[1]))
    r[:, exog.shape[1] - k:] = np.eye(k)
    wt = fit.wald_test(r, scalar=True)
    return fit.params[-k:], float(wt.statistic), float(wt.pvalue)


@pytest.mark.parametrize("x, n", [
    ([[200, 260], [240, 330]], [[1000, 1000], [1000, 1000]]),
    ([[30, 41], [52, 49]], [[400, 380], [410, 395]]),
    ([[120, 150, 140], [160, 170, 200]], [[800, 820, 790], [805, 810, 800]]),
    ([[50, 60], [70, 75], [55, 90]], [[500, 500], [500, 500], [500, 500]]),
])
def test_matches_statsmodels_glm_wald(x, n):
    res = interaction_test(x, n)
    params, stat, p = _glm_wald(x, n)
    assert res.status == "ok" and res.df == np.asarray(params).size
    assert np.allclose(res.contrasts, params, rtol=1e-7, atol=1e-10)
    assert math.isclose(res.statistic, stat, rel_tol=1e-6)
    assert math.isclose(res.p_value, p, rel_tol=1e-6, abs_tol=1e-12)


def test_two_by_two_is_the_difference_of_differences_z():
    x, n = [[200, 260], [240, 330]], [[1000, 900], [1100, 1000]]
    p = np.array(x) / np.array(n)
    d = (p[1, 1] - p[0, 1]) - (p[1, 0] - p[0, 0])
    se = math.sqrt(sum(p[i, j] * (1 - p[i, j]) / n[i][j] for i in range(2) for j in range(2)))
    res = interaction_test(x, n, ["control", "guide"], ["off", "on"])
    assert math.isclose(res.contrasts[0], d) and math.isclose(res.contrast_se[0], se)
    assert math.isclose(res.p_value, 2 * norm.sf(abs(d / se)), rel_tol=1e-9)
    assert res.arms_a == ("control", "guide") and res.users[0][1] == 900


def test_degenerate_tables():
    empty = interaction_test([[0, 1], [2, 3]], [[0, 10], [10, 10]])
    assert empty.status == "not_enough_data" and empty.p_value is None
    zero = interaction_test([[0, 0], [0, 5]], [[50, 50], [50, 50]])
    assert zero.status == "ok" and "boundary_cell_adjusted" in zero.codes and 0 <= zero.p_value <= 1
    with pytest.raises(ValueError):
        interaction_test([[5, 1], [1, 1]], [[4, 10], [10, 10]])
    with pytest.raises(ValueError):
        interaction_test([[1, 1]], [[4, 10]])


def _simulate(rng, reps, n, base, eff_a, eff_b, inter):
    p = np.array([[base, base + eff_b], [base + eff_a, base + eff_a + eff_b + inter]])
    x = rng.binomial(n, np.broadcast_to(p, (reps, 2, 2)))
    return [interaction_test(t, [[n, n], [n, n]]).p_value for t in x]


def test_calibration_size_and_power():
    """No interaction (main effects only): the flag rate is alpha within binomial error;
    an interaction of 4 points with 3,000 users a cell: power near the normal-theory value."""
    rng = np.random.default_rng(20261130)
    reps = 4000
    p0 = np.array(_simulate(rng, reps, 3000, 0.20, 0.03, -0.02, 0.0))
    size = float(np.mean(p0 < 0.05))
    assert abs(size - 0.05) < 4 * math.sqrt(0.05 * 0.95 / reps), size
    p1 = np.array(_simulate(rng, 1000, 3000, 0.20, 0.03, -0.02, 0.04))
    power = float(np.mean(p1 < 0.05))
    cells = [0.20, 0.18, 0.23, 0.25]
    se = math.sqrt(sum(c * (1 - c) / 3000 for c in cells))
    expected = norm.sf(1.959964 - 0.04 / se) + norm.cdf(-1.959964 - 0.04 / se)
    assert abs(power - expected) < 0.05, (power, expected)


def _ols_hc2_wald(y, a, b):
    """Independent check: OLS of y on the saturated two-way model (treatment coding), HC2
    covariance, Wald test of the interaction terms."""
    import pandas as pd
    import statsmodels.formula.api as smf

    df = pd.DataFrame({"y": y, "a": a, "b": b})
    fit = smf.ols("y ~ C(a) * C(b)", data=df).fit(cov_type="HC2")
    names = [n for n in fit.params.index if ":" in n]
    r = np.zeros((len(names), len(fit.params)))
    for k, n in enumerate(names):
        r[k, list(fit.params.index).index(n)] = 1.0
    w = fit.wald_test(r, scalar=True)
    return fit.params[names].to_numpy(), float(w.statistic), float(w.pvalue)


def _cell_sums(y, a, b, n_a, n_b):
    n = [[int(np.sum((a == i) & (b == j))) for j in range(n_b)] for i in range(n_a)]
    s = [[float(y[(a == i) & (b == j)].sum()) for j in range(n_b)] for i in range(n_a)]
    q = [[float((y[(a == i) & (b == j)] ** 2).sum()) for j in range(n_b)] for i in range(n_a)]
    return s, q, n


@pytest.mark.parametrize("n_a, n_b, seed", [(2, 2, 1), (3, 2, 2), (2, 3, 3)])
def test_means_match_statsmodels_ols_hc2_wald(n_a, n_b, seed):
    rng = np.random.default_rng(seed)
    a, b = rng.integers(0, n_a, 3000), rng.integers(0, n_b, 3000)
    y = rng.lognormal(0.2 * a + 0.1 * b, 0.5 + 0.3 * b)  # skewed, unequal cell variances
    s, q, n = _cell_sums(y, a, b, n_a, n_b)
    res = interaction_test_means(s, q, n)
    params, stat, p = _ols_hc2_wald(y, a, b)
    assert res.status == "ok" and res.kind == "mean" and res.df == (n_a - 1) * (n_b - 1)
    assert np.allclose(res.contrasts, params, rtol=1e-7, atol=1e-9)
    assert math.isclose(res.statistic, stat, rel_tol=1e-6)
    assert math.isclose(res.p_value, p, rel_tol=1e-6, abs_tol=1e-12)


def test_means_degenerate_tables():
    one = interaction_test_means([[1.0, 2.0], [3.0, 4.0]], [[1.0, 4.0], [9.0, 16.0]], [[1, 5], [5, 5]])
    assert one.status == "not_enough_data" and one.p_value is None
    flat = interaction_test_means([[10.0, 10.0], [10.0, 10.0]], [[20.0, 20.0], [20.0, 20.0]], [[5, 5], [5, 5]])
    assert flat.status == "zero_variance" and flat.p_value is None and flat.contrasts == (0.0,)
    with pytest.raises(ValueError):
        interaction_test_means([[1.0, 2.0]], [[1.0, 4.0]], [[5, 5]])
    with pytest.raises(ValueError):
        interaction_test_means([[1.0, float("nan")], [1.0, 1.0]], [[1.0, 1.0], [1.0, 1.0]], [[5, 5], [5, 5]])


def test_means_calibration_size_and_power():
    """Skewed counts (sessions-like, negative binomial) with main effects, no interaction: the flag
    rate is alpha within binomial error; an interaction of 0.6 sessions: power near normal theory."""
    rng = np.random.default_rng(20261201)
    reps, n = 2000, 600
    mu0 = np.array([[3.0, 3.4], [3.5, 3.9]])

    def pvalues(mu, reps):
        out = []
        for _ in range(reps):
            ys = [[rng.negative_binomial(2, 2 / (2 + mu[i, j]), n) for j in range(2)] for i in range(2)]
            out.append(interaction_test_means([[float(y.sum()) for y in row] for row in ys],
                                              [[float((y.astype(float) ** 2).sum()) for y in row] for row in ys],
                                              [[n, n], [n, n]]).p_value)
        return np.array(out)

    size = float(np.mean(pvalues(mu0, reps) < 0.05))
    assert abs(size - 0.05) < 4 * math.sqrt(0.05 * 0.95 / reps), size
    mu1 = mu0 + np.array([[0, 0], [0, 0.6]])
    power = float(np.mean(pvalues(mu1, 400) < 0.05))
    se = math.sqrt(sum((m + m * m / 2) / n for m in mu1.ravel()))  # negative binomial variance mu + mu^2/r
    expected = norm.sf(1.959964 - 0.6 / se) + norm.cdf(-1.959964 - 0.6 / se)
    assert abs(power - expected) < 0.07, (power, expected)
