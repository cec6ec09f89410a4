"""compare_cuped against statsmodels OLS, variance reduction ≈ ρ², edge cases, seeded calibration."""
from __future__ import annotations

import json
import math

import numpy as np
import pytest
import statsmodels.api as sm
from scipy.stats import norm

from guidelab.stats.cuped import CovariateStats, CupedComparison, _cuped_arrays, compare_cuped
from guidelab.stats.means import MeanStats, compare_means

EXPECTED_KEYS = {
    "n", "n_control", "estimate", "estimate_control", "se_estimate", "se_estimate_control",
    "abs_diff", "abs_ci", "se_abs_diff", "rel_lift", "rel_ci", "se_log_ratio", "p_value", "alpha",
    "method", "status", "note", "notes", "theta", "variance_reduction", "abs_diff_unadjusted",
}
Z95 = float(norm.ppf(0.975))


def assert_json_clean(res: CupedComparison) -> dict:
    d = res.to_dict()
    assert set(d) == EXPECTED_KEYS
    json.dumps(d, allow_nan=False)
    for key in EXPECTED_KEYS - {"abs_ci", "rel_ci", "method", "status", "note", "notes", "n", "n_control"}:
        assert d[key] is None or (type(d[key]) is float and math.isfinite(d[key])), key
    return d


def row_sums(y: np.ndarray, x: np.ndarray) -> tuple:
    """(n, Σy, Σy², Σx, Σx², Σxy) per row: what SQL returns per experiment arm."""
    return y.shape[-1], y.sum(-1), (y * y).sum(-1), x.sum(-1), (x * x).sum(-1), (x * y).sum(-1)


def retention_users(rng: np.random.Generator, shape, effect: float = 0.0) -> tuple[np.ndarray, np.ndarray]:
    """Binary 14-day retention y and pre-period active days x ~ Binomial(14, engagement).

    engagement ~ Beta(0.8, 1.2) (mean 0.4); P(retained) = 0.1 + 0.6 * engagement + effect, so
    E[y] = 0.34 + effect exactly. Population ρ² = cov(y,x)²/(var y var x) = 0.672²/(0.2244 · 17.92)
    = 0.112 (var(engagement) = 0.08), the variance reduction CUPED should deliver.
    """
    e = rng.beta(0.8, 1.2, size=shape)
    x = rng.binomial(14, e).astype(float)
    y = (rng.random(shape) < 0.1 + 0.6 * e + effect).astype(float)
    return y, x


def continuous_users(rng: np.random.Generator, shape, effect: float = 0.0) -> tuple[np.ndarray, np.ndarray]:
    """Minutes in product y against pre-period minutes x ~ Gamma(2, 3): y = 10 + 1.5x + N(0, 6²) + effect,
    so E[y] = 19 + effect. Population ρ² = 27²/(18 · 76.5) = 0.529."""
    x = rng.gamma(2.0, 3.0, size=shape)
    y = 10.0 + 1.5 * x + rng.normal(0.0, 6.0, size=shape) + effect
    return y, x


def _ols_data(y1, x1, y0, x0):
    y = np.r_[y1, y0]
    x = np.r_[x1, x0]
    treat = np.r_[np.ones(len(y1)), np.zeros(len(y0))]
    return y, x, treat


@pytest.mark.parametrize("kind,n1,n0,seed", [("retention", 800, 1000, 1), ("continuous", 300, 250, 2), ("continuous", 20_000, 20_000, 3)])
def test_matches_statsmodels_ols(kind, n1, n0, seed):
    """θ is the pooled within-arm slope, i.e. exactly OLS y ~ 1 + treatment + (x - x̄):
    the adjusted difference and means equal the OLS coefficients. The CUPED SE (per-arm residual
    variances, θ fixed) equals the HC2 SE of OLS (y - θx) ~ 1 + treatment exactly, and is close to
    the usual SEs of the full ANCOVA regression (which also reflect θ's estimation error)."""
    rng = np.random.default_rng(seed)
    gen = retention_users if kind == "retention" else continuous_users
    y1, x1 = gen(rng, n1, effect=0.03 if kind == "retention" else 0.5)
    y0, x0 = gen(rng, n0)
    res = compare_cuped(CovariateStats.from_values(y1, x1), CovariateStats.from_values(y0, x0))
    assert res.status == "ok" and res.note is None and res.method == "cuped"

    y, x, treat = _ols_data(y1, x1, y0, x0)
    design = sm.add_constant(np.column_stack([treat, x - x.mean()]))
    fit = sm.OLS(y, design).fit()
    fit_hc2 = sm.OLS(y, design).fit(cov_type="HC2")
    assert res.theta == pytest.approx(fit.params[2], rel=1e-9)
    assert res.abs_diff == pytest.approx(fit.params[1], rel=1e-9, abs=1e-12)
    assert res.estimate_control == pytest.approx(fit.params[0], rel=1e-9)
    assert res.estimate == pytest.approx(fit.params[0] + fit.params[1], rel=1e-9)
    assert res.se_abs_diff == pytest.approx(fit_hc2.bse[1], rel=0.01)
    assert res.se_abs_diff == pytest.approx(fit.bse[1], rel=0.05)

    fixed = sm.OLS(y - res.theta * x, sm.add_constant(treat)).fit(cov_type="HC2")
    assert res.se_abs_diff == pytest.approx(fixed.bse[1], rel=1e-9)
    assert res.abs_diff == pytest.approx(fixed.params[1], rel=1e-9, abs=1e-12)
    d, se = res.abs_diff, res.se_abs_diff
    assert res.abs_ci == pytest.approx((d - Z95 * se, d + Z95 * se), abs=1e-12)
    assert res.p_value == pytest.approx(2 * norm.sf(abs(d) / se), rel=1e-9, abs=1e-15)
    assert res.abs_diff_unadjusted == pytest.approx(y1.mean() - y0.mean(), rel=1e-9)

    # relative lift: adjusted means, delta-method log-ratio interval, adjusted control in the denominator
    v1 = np.var(y1 - res.theta * x1, ddof=1) / n1
    v0 = np.var(y0 - res.theta * x0, ddof=1) / n0
    a1, a0 = res.estimate, res.estimate_control
    se_log = math.sqrt(v1 / a1**2 + v0 / a0**2)
    assert res.se_log_ratio == pytest.approx(se_log, rel=1e-9)
    assert res.rel_ci == pytest.approx(((a1 / a0) * math.exp(-Z95 * se_log) - 1, (a1 / a0) * math.exp(Z95 * se_log) - 1), abs=1e-9)
    unadj_var = np.var(y1, ddof=1) / n1 + np.var(y0, ddof=1) / n0
    assert res.variance_reduction == pytest.approx(1 - se**2 / unadj_var, rel=1e-9)
    assert_json_clean(res)


@pytest.mark.parametrize("rho", [0.0, 0.3, 0.6, 0.9])
def test_variance_reduction_matches_rho_squared(rho):
    rng = np.random.default_rng(int(rho * 100) + 17)
    n = 50_000

    def arm(shift):
        x = rng.normal(5.0, 2.0, n)
        y = 3.0 + shift + rho * (x - 5.0) / 2.0 + math.sqrt(1 - rho**2) * rng.normal(0.0, 1.0, n)
        return CovariateStats.from_values(y, x)

    res = compare_cuped(arm(0.1), arm(0.0))
    print(f"\ncuped: rho {rho:.1f}: variance reduction {res.variance_reduction:.4f} (rho^2 = {rho**2:.4f})")
    assert res.variance_reduction == pytest.approx(rho**2, abs=0.01)


def test_ci_excludes_zero_iff_p_below_alpha_and_vector_helper_equals_scalar():
    rng = np.random.default_rng(9)
    y1, x1 = retention_users(rng, (60, 400), effect=0.04)
    y0, x0 = retention_users(rng, (60, 350))
    arr = _cuped_arrays(*row_sums(y1, x1), *row_sums(y0, x0), Z95)
    for i in range(60):
        res = compare_cuped(CovariateStats.from_values(y1[i], x1[i]), CovariateStats.from_values(y0[i], x0[i]))
        assert (res.abs_ci[0] > 0 or res.abs_ci[1] < 0) == (res.p_value < 0.05)
        assert res.p_value == pytest.approx(arr.diff.p_value[i], rel=1e-12)
        assert res.abs_ci == pytest.approx((arr.diff.ci_low[i], arr.diff.ci_high[i]), rel=1e-12)
        assert res.rel_ci == pytest.approx((arr.rel.ci_low[i], arr.rel.ci_high[i]), rel=1e-12)
        assert res.variance_reduction == pytest.approx(arr.variance_reduction[i], rel=1e-12)


# --------------------------------------------------------------------------- degenerate inputs


def _cs(y, x) -> CovariateStats:
    return CovariateStats.from_values(np.asarray(y, float), np.asarray(x, float))


def test_constant_covariate_falls_back_to_unadjusted():
    y1, y0 = [1.0, 0.0, 1.0, 1.0, 0.0], [0.0, 0.0, 1.0, 0.0]
    res = compare_cuped(_cs(y1, [0] * 5), _cs(y0, [0] * 4))  # e.g. nobody had pre-period activity
    assert res.status == "ok" and res.method == "cuped_fallback_unadjusted"
    assert res.theta == 0.0 and res.variance_reduction == 0.0 and "zero variance" in res.note
    welch = compare_means(MeanStats.from_values(y1), MeanStats.from_values(y0))
    assert res.abs_diff == pytest.approx(welch.abs_diff) == res.abs_diff_unadjusted
    assert res.se_abs_diff == pytest.approx(welch.se_abs_diff, rel=1e-12)  # same SE, normal quantiles
    assert res.abs_ci == pytest.approx((res.abs_diff - Z95 * res.se_abs_diff, res.abs_diff + Z95 * res.se_abs_diff))
    assert_json_clean(res)


def test_covariate_constant_in_one_arm_only_is_regular():
    res = compare_cuped(_cs([1, 2, 3, 5], [2, 2, 2, 2]), _cs([1, 2, 2, 4], [1, 2, 3, 5]))
    assert res.status == "ok" and res.method == "cuped" and res.theta != 0.0
    assert_json_clean(res)


def test_perfect_fit_falls_back_to_unadjusted():
    x1, x0 = np.array([1.0, 2.0, 4.0]), np.array([0.0, 3.0, 5.0, 6.0])
    res = compare_cuped(_cs(2 * x1 + 1.5, x1), _cs(2 * x0 + 1, x0))
    assert res.status == "ok" and res.method == "cuped_fallback_unadjusted" and "exactly" in res.note
    assert res.theta == 0.0 and res.variance_reduction == 0.0
    assert res.se_abs_diff > 0.0 and res.p_value is not None
    assert_json_clean(res)


@pytest.mark.parametrize(
    "t,c,fragment",
    [
        (CovariateStats(0, 0, 0, 0, 0, 0), _cs([1, 0], [3, 1]), "treatment arm has fewer than 2 users"),
        (_cs([1, 0], [3, 1]), _cs([1], [2]), "control arm has fewer than 2 users"),
        (_cs([1, 1, 1], [3, 1, 2]), _cs([0, 0], [1, 5]), "outcome has zero variance in both arms"),
    ],
)
def test_not_enough_data(t, c, fragment):
    res = compare_cuped(t, c)
    assert res.status == "not_enough_data" and fragment in res.note
    assert res.abs_ci is None and res.p_value is None and res.se_abs_diff is None and res.rel_ci is None
    assert res.theta is None and res.variance_reduction is None
    assert res.estimate == t.mean_y and res.estimate_control == c.mean_y
    assert_json_clean(res)


def test_adjusted_control_mean_zero_or_negative():
    x = [1.0, 2.0, 3.0]  # same covariate in both arms, so x̄_j = x̄ and adjusted = raw means
    zero = compare_cuped(_cs([1.0, 2.0, 4.0], x), _cs([-1.0, 1.0, 0.0], x))
    assert zero.estimate_control == pytest.approx(0.0, abs=1e-15)
    assert zero.rel_lift is None and zero.rel_ci is None and "relative lift undefined" in zero.note
    neg = compare_cuped(_cs([1.0, 2.0, 4.0], x), _cs([-3.0, -1.0, -2.5], x))
    assert neg.rel_lift is not None and neg.rel_ci is None and "negative" in neg.note
    for res in (zero, neg):
        assert res.status == "ok" and res.p_value is not None
        assert_json_clean(res)


@pytest.mark.parametrize(
    "args,match",
    [
        ((-1, 0, 0, 0, 0, 0), "n must be >= 0"),
        ((3, 1, 1, float("inf"), 1, 1), "sum_x must be a finite real"),
        ((3, 1, -1, 1, 1, 1), "sum_y2 must be >= 0"),
        ((3, 6, 10, 1, 1, 1), "inconsistent sums: sum_y"),
        ((3, 1, 1, 6, 10, 1), "inconsistent sums: sum_x"),
        ((3, 1, 1, 1, 1, 5), "inconsistent sums: sum_xy"),
        ((0, 1, 1, 0, 0, 0), "n == 0 but non-zero sums"),
    ],
)
def test_invalid_stats(args, match):
    fields = ("n", "sum_y", "sum_y2", "sum_x", "sum_x2", "sum_xy")  # args: outcome sums first
    with pytest.raises(ValueError, match=match):
        CovariateStats(**dict(zip(fields, args)))


def test_invalid_arguments():
    ok = _cs([1, 2], [3, 4])
    with pytest.raises(ValueError, match="treatment must be a CovariateStats"):
        compare_cuped(MeanStats(2, 3, 5), ok)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="alpha"):
        compare_cuped(ok, ok, alpha=0.0)
    with pytest.raises(ValueError, match="same length"):
        CovariateStats.from_values([1, 2], [1])


# --------------------------------------------------------------------------- calibration

SIMS, N_ARM = 4000, 500


def _calibrate(gen, effect: float, mean_control: float, rho2: float, seed: int, label: str) -> None:
    rng = np.random.default_rng(seed)
    yt, xt = gen(rng, (SIMS, N_ARM), effect=effect)
    yc, xc = gen(rng, (SIMS, N_ARM))
    ya, xa = gen(rng, (SIMS, N_ARM))  # a second control arm for A/A
    arr = _cuped_arrays(*row_sums(yt, xt), *row_sums(yc, xc), Z95)
    aa = _cuped_arrays(*row_sums(ya, xa), *row_sums(yc, xc), Z95)
    true_rel = effect / mean_control
    d, r = arr.diff, arr.rel
    cover = float(np.mean((d.ci_low <= effect) & (effect <= d.ci_high)))
    rel_cover = float(np.mean((r.ci_low <= true_rel) & (true_rel <= r.ci_high)))
    fpr = float(np.mean(aa.diff.p_value < 0.05))
    # the unadjusted z interval on the same draws, for comparison
    se_u = np.sqrt(arr.var_unadjusted + arr.var_unadjusted_control)
    cover_u = float(np.mean(np.abs(arr.abs_diff_unadjusted - effect) <= Z95 * se_u))
    vr_reported = float(np.mean(arr.variance_reduction))
    vr_realised = 1.0 - float(np.var(d.abs_diff) / np.var(arr.abs_diff_unadjusted))
    power, power_u = float(np.mean(d.p_value < 0.05)), float(np.mean(np.abs(arr.abs_diff_unadjusted) > Z95 * se_u))
    print(
        f"\ncuped [{label}] {SIMS} experiments x {N_ARM}/arm: coverage {cover:.4f} "
        f"(unadjusted {cover_u:.4f}), rel-lift coverage {rel_cover:.4f}, A/A FPR {fpr:.4f}, "
        f"variance reduction reported {vr_reported:.3f} / realised {vr_realised:.3f}, "
        f"(population rho^2 {rho2:.3f}), power {power:.3f} vs unadjusted {power_u:.3f}"
    )
    assert 0.94 <= cover <= 0.96
    assert 0.94 <= rel_cover <= 0.96
    assert 0.035 <= fpr <= 0.065
    assert vr_reported == pytest.approx(rho2, abs=0.02)
    assert vr_realised == pytest.approx(rho2, abs=0.05)  # Monte Carlo ratio of variances is noisier


@pytest.mark.slow
def test_calibration_binary_retention_with_count_covariate():
    _calibrate(retention_users, effect=0.03, mean_control=0.34, rho2=0.672**2 / (0.2244 * 17.92),
               seed=20240720, label="binary retention")


@pytest.mark.slow
def test_calibration_continuous_outcome():
    _calibrate(continuous_users, effect=0.8, mean_control=19.0, rho2=27.0**2 / (18.0 * 76.5),
               seed=20240721, label="continuous")


def test_large_offset_uses_centred_moments():
    """Issue 9: outcome and covariate around 1e9 with a small spread: theta and the adjusted
    variance come from centred moments and equal numpy's two-pass computation."""
    rng = np.random.default_rng(22)

    def arm(size):
        x = 1e9 + rng.normal(0, 1e-2, size)
        return 1e9 + 0.8 * (x - 1e9) + rng.normal(0, 5e-3, size), x

    (y1, x1), (y0, x0) = arm(700), arm(900)
    res = compare_cuped(CovariateStats.from_values(y1, x1), CovariateStats.from_values(y0, x0))
    assert res.status == "ok"
    sxy = sum(float(np.dot(x - x.mean(), y - y.mean())) for x, y in ((x1, y1), (x0, y0)))
    sxx = sum(float(np.dot(x - x.mean(), x - x.mean())) for x in (x1, x0))
    assert res.theta == pytest.approx(sxy / sxx, rel=1e-6)
    assert 0.5 < res.variance_reduction < 0.95


def test_relative_lift_is_undefined_when_every_control_value_is_zero():
    """A guide-only rate (dismissals) against a no-guide holdout: the adjusted control mean is a
    residue of theta times the covariate imbalance, so the relative lift is None, never +500,000%."""
    rng = np.random.default_rng(5)
    x1, x0 = rng.poisson(2.0, 4000).astype(float), rng.poisson(2.1, 4000).astype(float)
    y1 = (rng.random(4000) < 0.12 + 0.01 * x1).astype(float)
    y0 = np.zeros(4000)
    r = compare_cuped(CovariateStats.from_values(y1, x1), CovariateStats.from_values(y0, x0))
    assert r.rel_lift is None and r.rel_ci is None
    assert "control mean is 0" in r.note
    assert r.abs_diff == pytest.approx(y1.mean() - y0.mean(), abs=0.01)
