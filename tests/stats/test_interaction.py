"""interaction_test against statsmodels' binomial GLM (identity link, saturated, Wald test of the
interaction terms), the closed-form 2x2 z, and seeded calibration (size and power)."""
from __future__ import annotations

import math
import warnings

import numpy as np
import pytest
import statsmodels.api as sm
from scipy.stats import norm

from guidelab.stats.interaction import interaction_test, interaction_test_clustered, interaction_test_means


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


# --------------------------------------------------------------------------- cluster-robust (accounts, ratios)

def _contrasts(n_a, n_b):
    rows = []
    for i in range(1, n_a):
        for j in range(1, n_b):
            c = np.zeros((n_a, n_b))
            c[i, j], c[i, 0], c[0, j], c[0, 0] = 1, -1, -1, 1
            rows.append(c.ravel())
    return np.array(rows)


def unit_cell_sums(unit, a, b, x, y, n_a, n_b, fourth=True):
    """What the SQL returns, computed independently in numpy from one row per user: per cell the
    users, units, X and Y, over units the cross-products of their per-cell sums, and per contrast
    the sum over units of the fourth power of the unit's contribution."""
    cell = np.asarray(a) * n_b + np.asarray(b)
    cells = n_a * n_b
    _, k = np.unique(unit, return_inverse=True)
    g = k.max() + 1
    xs = np.zeros((g, cells))
    ys = np.zeros((g, cells))
    np.add.at(xs, (k, cell), x)
    np.add.at(ys, (k, cell), y)
    users = np.bincount(cell, minlength=cells).reshape(n_a, n_b)
    units = (np.bincount(cell * g + k, minlength=cells * g).reshape(cells, g) > 0).sum(1).reshape(n_a, n_b)
    out = dict(users=users.tolist(), units=units.tolist(), numerators=ys.sum(0).reshape(n_a, n_b).tolist(),
               denominators=xs.sum(0).reshape(n_a, n_b).tolist(), cross_xx=xs.T @ xs, cross_xy=xs.T @ ys,
               cross_yy=ys.T @ ys, n_units=int(g))
    if fourth:
        r = ys.sum(0) / xs.sum(0)
        per_user = (np.asarray(y, float) - r[cell] * np.asarray(x, float)) / xs.sum(0)[cell]
        contributions = np.stack([np.bincount(k, weights=per_user * c[cell], minlength=g) for c in _contrasts(n_a, n_b)])
        out["fourth_moments"] = (contributions ** 4).sum(1)
    return out


def _wls_cluster_wald(unit, a, b, x, y, n_a, n_b):
    """statsmodels: WLS of y/x on the cell dummies with weights x (ratio-of-sums cell estimates),
    cluster-robust covariance by unit without statsmodels' correction, times G/(G-1) (CR1);
    the Wald test of the differences of differences."""
    cell = np.asarray(a) * n_b + np.asarray(b)
    exog = np.eye(n_a * n_b)[cell]
    groups = np.unique(unit, return_inverse=True)[1]
    fit = sm.WLS(np.asarray(y, float) / np.asarray(x, float), exog, weights=np.asarray(x, float)).fit(
        cov_type="cluster", cov_kwds={"groups": groups, "use_correction": False})
    g = groups.max() + 1
    cov = np.asarray(fit.cov_params()) * g / (g - 1)
    r = _contrasts(n_a, n_b)
    d = r @ fit.params
    v = r @ cov @ r.T
    return d, np.sqrt(np.diag(v)), float(d @ np.linalg.solve(v, d))


def _accounts(rng, n_accounts, icc=0.1, base=0.2):
    sizes = np.clip(np.ceil(np.exp(rng.normal(np.log(5), 1.5, n_accounts))), 1, 300).astype(int)
    account = np.repeat(np.arange(n_accounts), sizes)
    phi = (1 - icc) / icc
    p = rng.beta(base * phi, (1 - base) * phi, n_accounts)[account]
    return account, p


@pytest.mark.parametrize("n_a, n_b, seed, kind", [(2, 2, 1, "proportion"), (3, 2, 2, "mean"), (2, 3, 3, "ratio"),
                                                  (2, 2, 4, "ratio")])
def test_clustered_matches_statsmodels_wls_cluster_robust(n_a, n_b, seed, kind):
    """A randomised by account, B by user: every figure equals statsmodels' cluster-robust WLS."""
    rng = np.random.default_rng(seed)
    account, p = _accounts(rng, 150)
    a = rng.integers(0, n_a, account.max() + 1)[account]  # whole accounts
    b = rng.integers(0, n_b, account.size)  # users
    if kind == "proportion":
        x, y = np.ones(account.size), (rng.random(account.size) < p).astype(float)
    elif kind == "mean":
        x, y = np.ones(account.size), rng.poisson(3 * p / 0.2).astype(float)
    else:  # clicks per impression
        x = rng.poisson(4, account.size) + 1.0
        y = rng.binomial(x.astype(int), p).astype(float)
    t = interaction_test_clustered(**unit_cell_sums(account, a, b, x, y, n_a, n_b, fourth=False), kind=kind)
    d, se, w = _wls_cluster_wald(account, a, b, x, y, n_a, n_b)
    assert t.status == "ok" and t.df == (n_a - 1) * (n_b - 1)
    assert np.allclose(t.contrasts, d, rtol=1e-9, atol=1e-12)
    assert np.allclose(t.contrast_se, se, rtol=1e-8)
    assert t.statistic == pytest.approx(w, rel=1e-8)
    assert t.p_value == pytest.approx(float(__import__("scipy").stats.chi2.sf(w, t.df)), rel=1e-8)
    assert t.cluster_unit == "account_id" and sum(map(sum, t.units)) >= account.max() + 1
    # with the fourth moments: the same statistic, referred to F(q, nu) with nu the smallest
    # Satterthwaite df (sum c^2)^2 / sum c^4 of the contrasts, computed here from per-user rows
    s = unit_cell_sums(account, a, b, x, y, n_a, n_b)
    f = interaction_test_clustered(**s, kind=kind)
    cell = a * n_b + b
    groups = np.unique(account, return_inverse=True)[1]
    r = np.array(s["numerators"]).ravel() / np.array(s["denominators"]).ravel()
    nus = []
    for c in _contrasts(n_a, n_b):
        per_unit = np.bincount(groups, weights=c[cell] * (y - r[cell] * x) / np.array(s["denominators"]).ravel()[cell])
        nus.append((per_unit ** 2).sum() ** 2 / (per_unit ** 4).sum())
    assert f.statistic == pytest.approx(w, rel=1e-8) and f.effective_units == pytest.approx(min(nus), rel=1e-9)
    df = (n_a - 1) * (n_b - 1)
    assert f.p_value == pytest.approx(float(__import__("scipy").stats.f.sf(w / df, df, min(nus))), rel=1e-8)
    assert f.p_value > t.p_value  # the small-sample reference is more cautious


def test_clustered_with_one_user_per_unit_is_hc1_of_the_cells():
    """Users as units (a ratio metric of a user-randomised pair; here x = 1): the cross-products
    are diagonal and the variance is each cell's n/(n-1)-free HC estimate times G/(G-1)."""
    rng = np.random.default_rng(9)
    n = 4000
    a, b = rng.integers(0, 2, n), rng.integers(0, 2, n)
    y = rng.poisson(2.0, n).astype(float)
    t = interaction_test_clustered(**unit_cell_sums(np.arange(n), a, b, np.ones(n), y, 2, 2), kind="mean",
                                   cluster_unit="user")
    var = []
    for i in range(2):
        for j in range(2):
            v = y[(a == i) & (b == j)]
            var.append(v.var() / v.size * n / (n - 1))  # population variance / n: e'e/n², times G/(G-1)
    assert t.contrast_se[0] == pytest.approx(math.sqrt(sum(var)), rel=1e-10)


def test_clustered_degenerate_tables():
    base = dict(users=[[3, 3], [3, 3]], numerators=[[1, 1], [1, 1]], denominators=[[3, 3], [3, 3]],
                cross_xx=np.eye(4), cross_xy=np.eye(4), cross_yy=np.eye(4), n_units=6)
    assert interaction_test_clustered(units=[[1, 2], [2, 2]], **base).status == "not_enough_data"
    same = dict(base, numerators=[[3, 3], [3, 3]], cross_xx=np.eye(4) * 9, cross_xy=np.eye(4) * 9,
                cross_yy=np.eye(4) * 9)  # every user succeeds in every cell: no variance
    assert interaction_test_clustered(units=[[2, 2], [2, 2]], **same).status == "zero_variance"
    with pytest.raises(ValueError, match="4 x 4"):
        interaction_test_clustered(units=[[2, 2], [2, 2]], **dict(base, cross_xx=np.eye(3)))
    with pytest.raises(ValueError, match="finite"):
        interaction_test_clustered(units=[[2, 2], [2, 2]], **dict(base, cross_yy=np.full((4, 4), np.nan)))


def _aa_interaction_rates(seed, reps, both_by_account, n_accounts=300, icc=0.1):
    """A/A (no effects at all): how often the clustered and the naive (user-level) interaction tests
    flag at 0.05, A randomised by account and B by account too or by user."""
    rng = np.random.default_rng(seed)
    flagged = clustered = 0
    for _ in range(reps):
        account, p = _accounts(rng, n_accounts, icc)
        g = account.max() + 1
        a = rng.integers(0, 2, g)[account]
        b = rng.integers(0, 2, g)[account] if both_by_account else rng.integers(0, 2, account.size)
        y = (rng.random(account.size) < p).astype(float)
        s = unit_cell_sums(account, a, b, np.ones(account.size), y, 2, 2)
        clustered += interaction_test_clustered(**s).p_value < 0.05  # F(1, nu) reference
        flagged += interaction_test(np.array(s["numerators"]).astype(int), s["users"]).p_value < 0.05
    return clustered / reps, flagged / reps


@pytest.mark.slow
@pytest.mark.parametrize("both_by_account", [True, False])
def test_clustered_calibration_accounts(both_by_account):
    """Seeded A/A, ICC 0.1, lognormal account sizes, 300 accounts: the clustered flag rate is within
    3 Monte Carlo SEs of 0.05. When both experiments randomise accounts each cell is whole accounts
    and the naive test is far off; when B randomises users inside A's accounts the account effects
    cancel within each of A's arms and the naive test is near its level too (documented)."""
    reps = 1500
    clustered, naive = _aa_interaction_rates(20261130 + both_by_account, reps, both_by_account)
    print(f"both by account={both_by_account}: clustered {clustered:.4f}, naive {naive:.4f}")
    assert abs(clustered - 0.05) <= 3 * math.sqrt(0.05 * 0.95 / reps)
    if both_by_account:
        assert naive > 0.2
