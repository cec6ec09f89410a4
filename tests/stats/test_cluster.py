"""compare_clustered (accounts randomised): against statsmodels' cluster-robust OLS and closed forms
on hand examples; the ICC against ANOVA sums of squares from statsmodels and scipy; the simulation
helpers against their closed-form moments; calibration by seeded simulation (slow).

``python -m tests.stats.test_cluster`` prints the calibration table of docs/statistics.md
("Experiments randomised by account").
"""
from __future__ import annotations

import json
import math
from fractions import Fraction

import numpy as np
import pytest
import statsmodels.api as sm
from scipy.stats import f_oneway, norm

from guidelab.stats.cluster import (
    ArmSums,
    _arm_variance,
    ClusterComparison,
    ClusterStats,
    arm_sums,
    compare_clustered,
    compare_clustered_arrays,
    design_effect_from_icc,
    draw_account_sizes,
    icc_anova,
    simulate_account_sums,
    users_needed_clustered,
)
from guidelab.stats.power import mde_for_sample_size, users_needed

Z95 = float(norm.ppf(0.975))


def _users(rng: np.random.Generator, sizes: np.ndarray, icc: float, offset: float = 0.0) -> tuple[np.ndarray, np.ndarray]:
    """User rows (account id, value) of a random-effects model: value = offset + u_account + e."""
    account = np.repeat(np.arange(sizes.size), sizes)
    u = rng.normal(0.0, math.sqrt(icc), sizes.size)[account]
    return account, offset + u + rng.normal(0.0, math.sqrt(1.0 - icc), account.size)


def _working_factor(sizes: np.ndarray, rho: float) -> float:
    """f = E[Σw] / E[Σr²] by matrix algebra: r = M e, M = I - n 1ᵀ/N, Var(e) = diag(w)."""
    n = sizes.astype(float)
    w = np.diag((1.0 - rho) * n + rho * n * n)
    m = np.eye(n.size) - np.outer(n, np.ones(n.size)) / n.sum()
    return float(np.trace(w) / np.trace(m @ w @ m.T))


# --------------------------------------------------------------------------- independent checks


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_variance_is_statsmodels_cluster_robust_times_the_working_model_factor(seed):
    rng = np.random.default_rng(seed)
    sizes_t, sizes_c = rng.integers(1, 40, 25), rng.integers(1, 60, 31)
    acc_t, v_t = _users(rng, sizes_t, 0.2, offset=3.0)
    acc_c, v_c = _users(rng, sizes_c, 0.2, offset=3.0)
    t, c = ClusterStats.from_users(acc_t, v_t), ClusterStats.from_users(acc_c, v_c)
    res = compare_clustered(t, c)
    assert res.status == "ok" and res.n_accounts == 25 and res.n == sizes_t.sum()

    def cr0(acc, v):
        fit = sm.OLS(v, np.ones(v.size)).fit(cov_type="cluster", cov_kwds={"groups": acc, "use_correction": False})
        return float(fit.params[0]), float(fit.bse[0]) ** 2

    (mean_t, cr0_t), (mean_c, cr0_c) = cr0(acc_t, v_t), cr0(acc_c, v_c)
    rho = min(max(res.icc, 0.0), 1.0)
    f_t, f_c = _working_factor(sizes_t, rho), _working_factor(sizes_c, rho)
    assert res.estimate == pytest.approx(mean_t, rel=1e-12)
    assert res.se_estimate ** 2 == pytest.approx(f_t * cr0_t, rel=1e-9)
    assert res.se_estimate_control ** 2 == pytest.approx(f_c * cr0_c, rel=1e-9)
    assert res.se_abs_diff ** 2 == pytest.approx(f_t * cr0_t + f_c * cr0_c, rel=1e-9)
    # the two-arm regression v ~ 1 + treated with CR0 is the sum of the two arms' CR0 variances
    v = np.concatenate([v_t, v_c])
    x = sm.add_constant(np.r_[np.ones(v_t.size), np.zeros(v_c.size)])
    groups = np.r_[acc_t, acc_c + 1000]
    fit = sm.OLS(v, x).fit(cov_type="cluster", cov_kwds={"groups": groups, "use_correction": False})
    assert res.abs_diff == pytest.approx(float(fit.params[1]), rel=1e-9)
    assert float(fit.bse[1]) ** 2 == pytest.approx(cr0_t + cr0_c, rel=1e-9)
    lo, hi = res.abs_ci
    assert (lo + hi) / 2 == pytest.approx(res.abs_diff, rel=1e-9)
    assert (hi - lo) / 2 == pytest.approx(Z95 * res.se_abs_diff, rel=1e-9)
    assert res.p_value == pytest.approx(2 * norm.sf(abs(res.abs_diff) / res.se_abs_diff), rel=1e-9)


def test_equal_account_sizes_give_deng_k_over_k_minus_1_and_statsmodels_default_correction():
    """Equal sizes: f = K/(K-1) whatever the ICC, which is statsmodels' default cluster correction
    G/(G-1)·(N-1)/(N-p) for an intercept-only model (p = 1)."""
    rng = np.random.default_rng(7)
    sizes = np.full(30, 12)
    acc, v = _users(rng, sizes, 0.3, offset=1.0)
    acc0, v0 = _users(rng, sizes, 0.3, offset=1.0)
    res = compare_clustered(ClusterStats.from_users(acc, v), ClusterStats.from_users(acc0, v0))
    fit = sm.OLS(v, np.ones(v.size)).fit(cov_type="cluster", cov_kwds={"groups": acc})
    assert res.se_estimate == pytest.approx(float(fit.bse[0]), rel=1e-9)
    for rho in (0.0, 0.4, 1.0):
        assert _working_factor(sizes, rho) == pytest.approx(30 / 29, rel=1e-12)


def test_hand_example_closed_form():
    """Three accounts of two users per arm... worked by hand with fractions (equal sizes: f = K/(K-1)).

    treatment [1,1] [1,0] [0,0]: Ȳ = 1/2, residuals y - Ȳn = 1, 0, -1, Σr² = 2, var = (3/2)·2/36 = 1/12.
    control [1,0] [0,0] [0,0] [1,1]: Ȳ = 3/8, Σr² = 11/4, var = (4/3)(11/4)/64 = 11/192.
    se² = 1/12 + 11/192 = 9/64, se = 3/8, z = (1/8)/(3/8) = 1/3.
    Pooled ANOVA: SSB = 1 + 11/8, df 5; SSW = 1/2 + 1/2, df 7; n₀ = (14 - (12/6 + 16/8))/5 = 2;
    ICC = (19/40 - 1/7)/(19/40 + 1/7) = 93/173.
    Naive: s²/N = (3/10)/6 and (15/56)/8; design effect = se² / their sum.
    """
    t = ClusterStats.from_users([0, 0, 1, 1, 2, 2], [1, 1, 1, 0, 0, 0])
    c = ClusterStats.from_users([0, 0, 1, 1, 2, 2, 3, 3], [1, 0, 0, 0, 0, 0, 1, 1])
    res = compare_clustered(t, c)
    assert (res.estimate, res.estimate_control) == (0.5, 0.375)
    assert res.se_estimate ** 2 == pytest.approx(1 / 12, rel=1e-12)
    assert res.se_estimate_control ** 2 == pytest.approx(11 / 192, rel=1e-12)
    assert res.se_abs_diff == pytest.approx(3 / 8, rel=1e-12)
    assert res.p_value == pytest.approx(2 * norm.sf(1 / 3), rel=1e-12)
    assert res.rel_lift == pytest.approx(1 / 3, rel=1e-12)
    assert res.se_log_ratio == pytest.approx(math.sqrt((1 / 12) / 0.25 + (11 / 192) / 0.375**2), rel=1e-12)
    # Fieller: (3/8)² = 0.14 < z²·11/192 = 0.22, the control's interval contains 0: unbounded lift interval
    assert res.rel_ci is None and "unbounded" in res.note
    assert res.icc == pytest.approx(93 / 173, rel=1e-12)
    naive = Fraction(3, 10) / 6 + Fraction(15, 56) / 8
    assert res.se_abs_diff_naive ** 2 == pytest.approx(float(naive), rel=1e-12)
    assert res.design_effect == pytest.approx(float(Fraction(9, 64) / naive), rel=1e-12)
    # model design effect: all 7 accounts have 2 users: 1 + (2 - 1)·ICC
    assert res.design_effect_from_icc == pytest.approx(1 + 93 / 173, rel=1e-12)
    assert (res.mean_account_size, res.cv_account_size) == (2.0, 0.0)


def test_fieller_interval_inverts_the_test_of_each_ratio():
    """(The unbounded case, control interval containing 0, is in the hand example above.)"""
    rng = np.random.default_rng(12)
    acc, v = _users(rng, rng.integers(1, 20, 40), 0.1, offset=2.0)
    acc0, v0 = _users(rng, rng.integers(1, 20, 40), 0.1, offset=1.8)
    r = compare_clustered(ClusterStats.from_users(acc, v), ClusterStats.from_users(acc0, v0))
    m1, m0, v1, v0_ = r.estimate, r.estimate_control, r.se_estimate**2, r.se_estimate_control**2
    for end in r.rel_ci:  # at each end, the z-test of m1 - q·m0 = 0 is exactly at the critical value
        q = 1 + end
        assert abs(m1 - q * m0) / math.sqrt(v1 + q * q * v0_) == pytest.approx(Z95, rel=1e-9)
    roots = np.sort(np.roots([m0 * m0 - Z95**2 * v0_, -2 * m1 * m0, m1 * m1 - Z95**2 * v1]).real)
    assert r.rel_ci == pytest.approx((roots[0] - 1, roots[1] - 1), rel=1e-10)
    inside = 1 + r.rel_lift
    assert abs(m1 - inside * m0) / math.sqrt(v1 + inside**2 * v0_) < Z95


def test_unequal_sizes_hand_example_factor():
    """Sizes 1, 2, 3 at ρ = 0 (w = n): E Σr² = Σw(1 + Σn²/N²) - 2Σnw/N = 6(1 + 14/36) - 2·14/6 = 11/3
    so f = 6 / (11/3) = 18/11; at ρ = 1 (w = n²): 14(1 + 14/36) - 2·36/6 = 67/9, f = 126/67."""
    assert _working_factor(np.array([1, 2, 3]), 0.0) == pytest.approx(18 / 11, rel=1e-12)
    assert _working_factor(np.array([1, 2, 3]), 1.0) == pytest.approx(126 / 67, rel=1e-12)
    # the library's factor on sums equals the matrix computation
    a = ClusterStats.from_accounts([1, 2, 3], [1.0, 1.0, 3.0], [1.0, 1.0, 3.0]).to_arrays()
    assert float(_arm_variance(a, 0.0).factor) == pytest.approx(18 / 11, rel=1e-12)
    assert float(_arm_variance(a, 1.0).factor) == pytest.approx(126 / 67, rel=1e-12)


def test_icc_against_anova_sums_of_squares():
    rng = np.random.default_rng(11)
    sizes_t, sizes_c = rng.integers(1, 30, 40), rng.integers(1, 30, 35)
    acc_t, v_t = _users(rng, sizes_t, 0.15)
    acc_c, v_c = _users(rng, sizes_c, 0.15)
    t, c = ClusterStats.from_users(acc_t, v_t), ClusterStats.from_users(acc_c, v_c)

    def one_arm(sizes, acc, v):
        f_stat = f_oneway(*[v[acc == k] for k in range(sizes.size)]).statistic
        n = sizes.sum()
        n0 = (n - (sizes**2).sum() / n) / (sizes.size - 1)
        return (f_stat - 1) / (f_stat + n0 - 1)

    assert icc_anova(t) == pytest.approx(one_arm(sizes_t, acc_t, v_t), rel=1e-9)
    assert icc_anova(c) == pytest.approx(one_arm(sizes_c, acc_c, v_c), rel=1e-9)
    # pooled within arms: account fixed effects (nested in arm) vs arm-only regression
    v = np.r_[v_t, v_c]
    account = np.r_[acc_t, acc_c + sizes_t.size]
    arm = np.r_[np.ones(v_t.size), np.zeros(v_c.size)]
    ssw = sm.OLS(v, np.eye(account.max() + 1)[account]).fit().ssr
    ssb = sm.OLS(v, sm.add_constant(arm)).fit().ssr - ssw
    k, n = sizes_t.size + sizes_c.size, v.size
    n0 = (n - (sizes_t**2).sum() / sizes_t.sum() - (sizes_c**2).sum() / sizes_c.sum()) / (k - 2)
    msb, msw = ssb / (k - 2), ssw / (n - k)
    assert compare_clustered(t, c).icc == pytest.approx((msb - msw) / (msb + (n0 - 1) * msw), rel=1e-9)


def test_design_effect_observed_and_from_icc():
    rng = np.random.default_rng(5)
    sizes = rng.integers(1, 50, 60)
    acc, v = _users(rng, sizes, 0.1)
    acc0, v0 = _users(rng, sizes[::-1].copy(), 0.1)
    res = compare_clustered(ClusterStats.from_users(acc, v), ClusterStats.from_users(acc0, v0))
    naive = np.var(v, ddof=1) / v.size + np.var(v0, ddof=1) / v0.size
    assert res.se_abs_diff_naive ** 2 == pytest.approx(naive, rel=1e-9)
    assert res.design_effect == pytest.approx(res.se_abs_diff ** 2 / naive, rel=1e-9)
    assert res.p_value_naive == pytest.approx(2 * norm.sf(abs(res.abs_diff) / math.sqrt(naive)), rel=1e-9)
    both = np.r_[sizes, sizes]
    m, cv = both.mean(), both.std() / both.mean()
    assert (res.mean_account_size, res.cv_account_size) == (pytest.approx(m), pytest.approx(cv))
    assert res.design_effect_from_icc == pytest.approx(design_effect_from_icc(res.icc, m, cv), rel=1e-9)
    # Σn²/N - 1 = (1 + CV²) m̄ - 1
    assert (both**2).sum() / both.sum() == pytest.approx((1 + cv * cv) * m, rel=1e-12)
    assert design_effect_from_icc(0.05, 21.0) == pytest.approx(2.0)
    assert design_effect_from_icc(0.0, 21.0, 3.0) == 1.0


def test_users_needed_clustered_inflates_without_changing_users_needed():
    nc, nt = users_needed(0.2, 0.1)
    plan = users_needed_clustered(nc, icc=0.05, mean_account_size=15.0, cv_account_size=2.0)
    assert plan.design_effect == pytest.approx(1 + ((1 + 4) * 15 - 1) * 0.05)
    assert plan.users == math.ceil(nc * plan.design_effect)
    assert plan.accounts == math.ceil(plan.users / 15.0)
    assert plan.users_if_independent == nc == nt
    # no clustering: nothing changes
    assert users_needed_clustered(nc, 0.0, 1.0).users == nc
    with pytest.raises(ValueError, match="icc"):
        users_needed_clustered(nc, 1.2, 10.0)
    with pytest.raises(ValueError, match="mean_account_size"):
        users_needed_clustered(nc, 0.1, 0.5)


# --------------------------------------------------------------------------- sufficient statistics, edge cases


def test_from_users_equals_from_accounts_and_raw_sums():
    acc = np.array(["b", "a", "b", "c", "a", "b"])
    v = np.array([1.0, 0.0, 2.0, 5.0, 3.0, 1.0])
    s = ClusterStats.from_users(acc, v)
    # a: [0, 3], b: [1, 2, 1], c: [5]
    n, y, q = np.array([2.0, 3.0, 1.0]), np.array([3.0, 4.0, 5.0]), np.array([9.0, 6.0, 25.0])
    assert s == ClusterStats(3, 6, 12.0, 50.0, 14.0, 23.0, 36.0, 98.0, 40.0, float((y * y / n).sum()))
    assert s == ClusterStats.from_accounts(n.astype(int), y, q)
    assert s.mean == 2.0 and s.mean_account_size == 2.0


def test_the_documented_sql_returns_the_sufficient_statistics():
    """The query of the module docstring, run on DuckDB over user rows, gives ClusterStats.from_users."""
    import re

    import duckdb

    import guidelab.stats.cluster as cluster

    sql = re.search(r"(WITH acc AS .*?GROUP BY variant)\n", cluster.__doc__, re.S).group(1)
    rng = np.random.default_rng(17)
    sizes = draw_account_sizes(rng, 300)
    account = np.repeat(np.arange(sizes.size), sizes)
    variant = np.where(rng.random(sizes.size) < 0.5, "treatment", "control")[account]
    v = rng.integers(0, 5, account.size)  # an INTEGER column, as SQL would hold a count
    con = duckdb.connect()
    con.register("per_user_df", {"variant": variant, "account_id": account, "v": v})
    con.execute("CREATE TABLE per_user AS SELECT * FROM per_user_df")
    rows = {r[0]: r[1:] for r in con.execute(sql).fetchall()}
    for arm in ("treatment", "control"):
        from_sql = ClusterStats(*rows[arm])
        direct = ClusterStats.from_users(account[variant == arm], v[variant == arm])
        for f in ArmSums._fields:
            assert getattr(from_sql, f) == pytest.approx(getattr(direct, f), rel=1e-12), f


@pytest.mark.parametrize("kwargs, match", [
    (dict(n_accounts=3, n_users=2), "n_users"),
    (dict(sum_n2=2.0), "sum_n2"),
    (dict(sum_n3=5.0), "sum_n2 <= sum_n3"),
    (dict(sum_y2=1.0), "n_accounts \\* sum_y2"),
    (dict(sum_ny=100.0), "sum_ny"),
    (dict(sum_y2_over_n=0.5), "sum_y2_over_n"),
    (dict(sum_user_y2=10.0), "sum_y2_over_n"),
    (dict(sum_y=float("nan")), "finite"),
    (dict(n_accounts=0, n_users=0), "n_accounts == 0"),
])
def test_invalid_sums_raise_clear_errors(kwargs, match):
    good = ClusterStats.from_users([0, 0, 1, 1, 2], [1.0, 2.0, 0.0, 1.0, 3.0])
    fields = {f: getattr(good, f) for f in good.__dataclass_fields__}
    fields.update(kwargs)
    with pytest.raises(ValueError, match=match):
        ClusterStats(**fields)


def test_empty_arm_and_too_few_accounts():
    empty = ClusterStats(0, 0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0)
    some = ClusterStats.from_users([0, 0, 1, 2], [1.0, 0.0, 1.0, 0.0])
    one = ClusterStats.from_users([0, 0, 0], [1.0, 0.0, 1.0])
    r = compare_clustered(some, empty)
    assert r.status == "not_enough_data" and r.estimate_control is None and r.p_value is None
    assert "control arm has fewer than 2 accounts" in r.note
    r = compare_clustered(one, some)
    assert r.status == "not_enough_data" and r.abs_diff == pytest.approx(2 / 3 - 0.5) and r.abs_ci is None
    json.dumps(r.to_dict(), allow_nan=False)


def test_zero_between_account_variance_and_singletons():
    same = ClusterStats.from_users([0, 0, 1, 1], [1.0, 0.0, 0.0, 1.0])  # every account's mean is 1/2
    r = compare_clustered(same, same)
    assert r.status == "not_enough_data" and "zero between-account variance" in r.note
    singletons = ClusterStats.from_users([0, 1, 2, 3], [1.0, 0.0, 0.0, 1.0])
    assert icc_anova(singletons) is None  # no within-account information
    r = compare_clustered(singletons, singletons)
    # ICC undefined -> working ρ = 0; with one user per account the analysis is the user-level one
    assert r.status == "ok" and r.icc is None and r.design_effect == pytest.approx(1.0)


def test_to_dict_is_json_ready_and_types():
    rng = np.random.default_rng(3)
    acc, v = _users(rng, rng.integers(1, 9, 20), 0.1, offset=2.0)
    acc0, v0 = _users(rng, rng.integers(1, 9, 20), 0.1, offset=2.0)
    r = compare_clustered(ClusterStats.from_users(acc, v), ClusterStats.from_users(acc0, v0))
    d = r.to_dict()
    json.dumps(d, allow_nan=False)
    assert d["method"] == "cluster_delta_method" and d["n_accounts"] == 20
    assert set(d) >= {"icc", "design_effect", "effective_accounts", "p_value_naive", "abs_ci", "rel_ci"}
    assert isinstance(r, ClusterComparison)
    with pytest.raises(ValueError, match="ClusterStats"):
        compare_clustered(d, d)  # type: ignore[arg-type]


def test_vector_core_equals_scalar_function():
    rng = np.random.default_rng(21)
    sizes = draw_account_sizes(rng, (30, 80))
    treated = rng.random((30, 80)) < 0.5
    acc = simulate_account_sums(rng, sizes, kind="mean", mean=2.0, icc=0.1, effect=0.1 * treated)
    t, c = arm_sums(acc, treated), arm_sums(acc, ~treated)
    a = compare_clustered_arrays(t, c)
    for i in range(30):
        stats = [ClusterStats(*(x[i].item() for x in arm)) for arm in (t, c)]
        r = compare_clustered(*stats)
        assert r.p_value == pytest.approx(float(a.diff.p_value[i]), rel=1e-10)
        assert r.rel_ci == pytest.approx((float(a.rel.ci_low[i]), float(a.rel.ci_high[i])), rel=1e-10)
        assert r.effective_accounts == pytest.approx(float(a.effective_accounts[i]), rel=1e-10)
        # and the per-account sums equal ClusterStats.from_accounts on the same accounts
        direct = ClusterStats.from_accounts(acc.users[i][treated[i]], acc.totals[i][treated[i]],
                                            acc.user_sq_totals[i][treated[i]])
        for f in ArmSums._fields:
            assert getattr(stats[0], f) == pytest.approx(getattr(direct, f), rel=1e-12)


# --------------------------------------------------------------------------- simulation helpers


def test_simulated_mean_accounts_have_the_model_moments():
    """y_k = nμ_k + S and Σv² - y_k²/n = σ_w² χ²_{n-1}: E y = nμ, var y = n²ρσ² + n(1-ρ)σ²,
    E[within SS] = (n-1)(1-ρ)σ², var = 2(n-1)(1-ρ)²σ⁴."""
    rng = np.random.default_rng(8)
    n, mu, rho, sd = 7, 2.0, 0.2, 1.5
    a = simulate_account_sums(rng, np.full(200_000, n), kind="mean", mean=mu, icc=rho, sd=sd)
    within = a.user_sq_totals - a.totals**2 / n
    s2 = sd * sd
    assert a.totals.mean() == pytest.approx(n * mu, abs=4 * math.sqrt((n * n * rho + n * (1 - rho)) * s2 / 2e5))
    assert a.totals.var() == pytest.approx(n * n * rho * s2 + n * (1 - rho) * s2, rel=0.02)
    assert within.mean() == pytest.approx((n - 1) * (1 - rho) * s2, rel=0.01)
    assert within.var() == pytest.approx(2 * (n - 1) * ((1 - rho) * s2) ** 2, rel=0.03)
    one = simulate_account_sums(rng, np.ones(1000, dtype=int), kind="mean", mean=mu, icc=rho)
    assert np.allclose(one.user_sq_totals, one.totals**2)  # a single user: Σv² = v²


def test_simulated_proportion_accounts_are_beta_binomial():
    """var y_k = n p (1-p)(1 + (n-1)ρ) (beta-binomial); an effect e moves the mean rate by exactly e."""
    rng = np.random.default_rng(9)
    n, p, rho = 20, 0.1, 0.1
    a = simulate_account_sums(rng, np.full(200_000, n), kind="proportion", mean=p, icc=rho)
    assert a.totals.mean() / n == pytest.approx(p, rel=0.01)
    assert a.totals.var() == pytest.approx(n * p * (1 - p) * (1 + (n - 1) * rho), rel=0.02)
    assert np.array_equal(a.user_sq_totals, a.totals)
    for e in (0.02, -0.03):
        b = simulate_account_sums(rng, np.full(200_000, n), kind="proportion", mean=p, icc=rho, effect=e)
        assert b.totals.mean() / n == pytest.approx(p + e, abs=0.0015)
    sizes = draw_account_sizes(rng, 100_000, distribution="pareto")
    assert sizes.min() == 1 and sizes.max() == 500 and sizes.dtype == np.int64
    with pytest.raises(ValueError, match="kind"):
        simulate_account_sums(rng, sizes, kind="ratio", mean=0.1, icc=0.1)


# --------------------------------------------------------------------------- calibration (slow)

# A B2B customer base: account sizes 1..500, lognormal (median 5, σ 1.5: mean ≈ 15, about 1 in 40 accounts
# above 100 users), each experiment randomising its accounts 50/50 (so ≈ 500 accounts per arm).
N_ACCOUNTS = 1000
N_SIMS = 8000  # Monte Carlo SE of a 5% rate: 0.0024; of a 95% coverage: 0.0024
CHUNK = 2000
METRICS = {"proportion": dict(mean=0.10, effect=0.01), "mean": dict(mean=1.0, effect=0.05)}


def run_scenario(seed: int, kind: str, icc: float, *, effect: float = 0.0, n_accounts: int = N_ACCOUNTS,
                 distribution: str = "lognormal", sims: int = N_SIMS, sizes: np.ndarray | None = None,
                 size_slope: float = 0.0) -> dict[str, float]:
    """Simulated experiments randomising accounts 50/50: rejection rate of the clustered and the naive
    user-level test at α = 0.05, coverage of the clustered 95% intervals of the difference and the
    relative lift, and the mean ICC estimate, median design effect and effective accounts.
    Each experiment draws new account sizes, or randomises the one customer base ``sizes``."""
    rng = np.random.default_rng(seed)
    mean = METRICS[kind]["mean"]
    parts: dict[str, list[float]] = {}
    for _ in range(sims // CHUNK):
        if sizes is None:
            chunk_sizes = draw_account_sizes(rng, (CHUNK, n_accounts), distribution=distribution)
        else:
            chunk_sizes = np.broadcast_to(sizes, (CHUNK, sizes.size))
        treated = rng.random(chunk_sizes.shape) < 0.5
        acc = simulate_account_sums(rng, chunk_sizes, kind=kind, mean=mean, icc=icc, effect=effect * treated,
                                    size_slope=size_slope)
        t, c = arm_sums(acc, treated), arm_sums(acc, ~treated)
        a = compare_clustered_arrays(t, c)
        rel_true = effect / mean
        # Deng et al.'s factor K/(K-1) in place of the working-model factor f, for comparison
        rho = np.clip(np.nan_to_num(a.icc), 0.0, 1.0)
        var_deng = sum(v / _arm_variance(arm, rho).factor * arm.n_accounts / (arm.n_accounts - 1.0)
                       for v, arm in ((a.var_mean, t), (a.var_mean_control, c)))
        for key, value in {
            "reject": a.diff.p_value < 0.05,
            "reject_naive": a.diff_naive.p_value < 0.05,
            "reject_deng": np.abs(a.diff.abs_diff) > Z95 * np.sqrt(var_deng),
            "cover": (a.diff.ci_low <= effect) & (effect <= a.diff.ci_high),
            "cover_rel": (a.rel.ci_low <= rel_true) & (rel_true <= a.rel.ci_high),
            "icc": a.icc, "design_effect": a.design_effect, "effective_accounts": a.effective_accounts,
            "accounts_per_arm": t.n_accounts, "users_per_arm": t.n_users,
        }.items():
            parts.setdefault(key, []).append(np.asarray(value, dtype=float))
    out = {k: float(np.mean(np.concatenate(v))) for k, v in parts.items()}
    for k in ("design_effect", "effective_accounts"):
        out[k] = float(np.median(np.concatenate(parts[k])))
    return out


SCENARIOS = [(kind, i, icc) for kind in ("proportion", "mean") for i, icc in enumerate((0.02, 0.1, 0.3))]


def _seed(kind: str, i: int) -> int:
    return 10 * i + (kind == "mean")


@pytest.mark.slow
@pytest.mark.parametrize("kind, i, icc", SCENARIOS)
def test_aa_false_positive_rate_clustered_vs_naive(kind, i, icc):
    r = run_scenario(20261130 + _seed(kind, i), kind, icc)
    print(f"{kind} ICC {icc}: clustered {r['reject']:.4f}, naive {r['reject_naive']:.4f}, "
          f"ICC estimate {r['icc']:.3f}, design effect {r['design_effect']:.1f}, "
          f"effective accounts {r['effective_accounts']:.0f}")
    assert 0.04 <= r["reject"] <= 0.06
    assert r["reject_naive"] > 0.15  # the user-level test is visibly wrong
    assert r["icc"] == pytest.approx(icc, rel=0.1, abs=0.003)


@pytest.mark.slow
@pytest.mark.parametrize("kind, i, icc", SCENARIOS)
def test_coverage_with_a_true_effect(kind, i, icc):
    r = run_scenario(20261200 + _seed(kind, i), kind, icc, effect=METRICS[kind]["effect"])
    print(f"{kind} ICC {icc}: coverage {r['cover']:.4f}, lift coverage {r['cover_rel']:.4f}")
    assert 0.94 <= r["cover"] <= 0.96
    assert 0.94 <= r["cover_rel"] <= 0.96


@pytest.mark.slow
def test_aa_when_large_accounts_behave_differently():
    """A KNOWN LIMITATION, pinned: account means rising with log(size) (0.3 per e-fold, so 500-user
    accounts sit 1.9 SD above single users) make the few large accounts dominate the difference
    more than the random-effects working model expects. At 500 accounts per arm the A/A rate is
    0.068 (docs/statistics.md; exact CR2 or jackknife leverage corrections do no better), so this
    asserts that documented figure, not the 5% band: if it moves, the docs must move with it."""
    r = run_scenario(20261300, "mean", 0.1, size_slope=0.3)
    print(f"mean ICC 0.1 + size slope 0.3: clustered {r['reject']:.4f}, naive {r['reject_naive']:.4f}")
    assert 0.055 <= r["reject"] <= 0.08
    assert r["reject_naive"] > 0.5


@pytest.mark.slow
def test_power_at_the_planned_accounts():
    """users_needed_clustered: power ≈ 0.80 at the planned accounts (p 0.10, ICC 0.05). A customer base
    of 3,000 accounts (lognormal sizes) is randomised again in every simulated experiment; the effect
    is the one users_needed sizes to exactly this base (via its inverse, mde_for_sample_size), so the
    plan asks for the base's 1,500 accounts per arm."""
    customers = draw_account_sizes(np.random.default_rng(4), 3000)
    m, cv = float(customers.mean()), float(customers.std() / customers.mean())
    de = design_effect_from_icc(0.05, m, cv)
    mde = mde_for_sample_size(0.10, customers.sum() / 2 / de)
    nc, _ = users_needed(0.10, mde)
    plan = users_needed_clustered(nc, icc=0.05, mean_account_size=m, cv_account_size=cv)
    assert plan.accounts == pytest.approx(1500, abs=2)
    r = run_scenario(31, "proportion", 0.05, effect=0.10 * mde, sims=2000, sizes=customers)
    print(f"planned {plan.accounts} accounts per arm (DE {plan.design_effect:.2f}, +{mde:.1%}): power {r['reject']:.4f}")
    assert r["reject"] == pytest.approx(0.80, abs=0.03)


def _table() -> None:  # pragma: no cover - prints the docs table
    import time

    print("| sizes | accounts | metric | ICC | clustered A/A FPR | naive A/A FPR | K/(K-1) only A/A FPR "
          "| coverage (diff; lift) | mean ICC estimate | design effect | effective accounts |")
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    t0 = time.time()
    for dist, k in (("lognormal", 1000), ("lognormal", 400), ("pareto", 1000)):
        for kind in ("proportion", "mean"):
            for i, icc in enumerate((0.02, 0.1, 0.3)):
                # the default scenario uses the seeds of the tests above, so the figures are theirs
                shift = 0 if (dist, k) == ("lognormal", N_ACCOUNTS) else 100 * k + 7 * (dist == "pareto")
                seed = _seed(kind, i) + shift
                aa = run_scenario(20261130 + seed, kind, icc, n_accounts=k, distribution=dist)
                ab = run_scenario(20261200 + seed, kind, icc, n_accounts=k, distribution=dist,
                                  effect=METRICS[kind]["effect"])
                print(f"| {dist} | {k} | {kind} | {icc} | **{aa['reject']:.4f}** | {aa['reject_naive']:.4f} "
                      f"| {aa['reject_deng']:.4f} "
                      f"| {ab['cover']:.4f}; {ab['cover_rel']:.4f} | {aa['icc']:.3f} | {aa['design_effect']:.1f} "
                      f"| {aa['effective_accounts']:.0f} |", flush=True)
    print(f"({time.time() - t0:.0f} s)")


if __name__ == "__main__":  # pragma: no cover
    _table()
