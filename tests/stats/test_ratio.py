"""compare_ratios: delta-method variance against independent computations, edge cases, calibration."""
from __future__ import annotations

import json
import math

import numpy as np
import pytest
from scipy.stats import norm

from guidelab.stats.ratio import RatioComparison, RatioStats, _delta_var_arrays, _ratio_arrays, compare_ratios

EXPECTED_KEYS = {
    "n", "n_control", "estimate", "estimate_control", "se_estimate", "se_estimate_control",
    "abs_diff", "abs_ci", "se_abs_diff", "rel_lift", "rel_ci", "se_log_ratio", "p_value", "alpha",
    "method", "status", "note", "notes",
}
Z95 = float(norm.ppf(0.975))

# Users of three types (light / medium / heavy): impressions 1 + Poisson(lambda_type), click
# propensity ~ Beta around the type's CTR (heavy users click less). Clicks ~ Binomial(impressions, p).
TYPE_W = np.array([0.5, 0.3, 0.2])
TYPE_LAMBDA = np.array([1.0, 5.0, 20.0])
TYPE_CTR = np.array([0.30, 0.15, 0.05])
BETA_CONC = 20.0


def true_ratio(lift: float = 1.0) -> float:
    """Population clicks per impression: E[x]/E[y] = Σ w (1+λ) p lift / Σ w (1+λ)."""
    return float(lift * (TYPE_W * (1 + TYPE_LAMBDA) * TYPE_CTR).sum() / (TYPE_W * (1 + TYPE_LAMBDA)).sum())


def draw_users(rng: np.random.Generator, shape, lift: float = 1.0) -> tuple[np.ndarray, np.ndarray]:
    typ = rng.choice(3, p=TYPE_W, size=shape)
    impressions = 1 + rng.poisson(TYPE_LAMBDA[typ])
    p = rng.beta(TYPE_CTR[typ] * BETA_CONC, (1 - TYPE_CTR[typ]) * BETA_CONC)
    clicks = rng.binomial(impressions, np.minimum(p * lift, 1.0))
    return clicks.astype(float), impressions.astype(float)


def row_sums(x: np.ndarray, y: np.ndarray) -> tuple:
    """(n, Σx, Σy, Σx², Σy², Σxy) per row: what SQL returns per experiment arm."""
    return x.shape[-1], x.sum(-1), y.sum(-1), (x * x).sum(-1), (y * y).sum(-1), (x * y).sum(-1)


def independent_delta_var(x: np.ndarray, y: np.ndarray) -> float:
    """Delta method from raw data, written separately: grad(f)ᵀ Σ grad(f) / n with f(μx, μy) = μx/μy
    and Σ = np.cov of (x, y) (ddof=1)."""
    mx, my = x.mean(), y.mean()
    grad = np.array([1.0 / my, -mx / my**2])
    return float(grad @ np.cov(np.vstack([x, y])) @ grad / len(x))


def assert_json_clean(res: RatioComparison) -> dict:
    d = res.to_dict()
    assert set(d) == EXPECTED_KEYS
    json.dumps(d, allow_nan=False)
    for key in EXPECTED_KEYS - {"abs_ci", "rel_ci", "method", "status", "note", "notes", "n", "n_control"}:
        assert d[key] is None or (type(d[key]) is float and math.isfinite(d[key])), key
    return d


@pytest.mark.parametrize("seed,n1,n0", [(1, 50, 60), (2, 1000, 1200), (3, 20_000, 20_000)])
def test_matches_independent_delta_method_from_raw_data(seed, n1, n0):
    rng = np.random.default_rng(seed)
    x1, y1 = draw_users(rng, n1, lift=1.1)
    x0, y0 = draw_users(rng, n0)
    res = compare_ratios(RatioStats.from_values(x1, y1), RatioStats.from_values(x0, y0))
    assert res.status == "ok" and res.note is None and res.method == "delta_method_ratio"

    r1, r0 = x1.sum() / y1.sum(), x0.sum() / y0.sum()
    v1, v0 = independent_delta_var(x1, y1), independent_delta_var(x0, y0)
    se = math.sqrt(v1 + v0)
    assert res.estimate == pytest.approx(r1, rel=1e-12)
    assert res.se_estimate == pytest.approx(math.sqrt(v1), rel=1e-9)
    assert res.se_estimate_control == pytest.approx(math.sqrt(v0), rel=1e-9)
    assert res.abs_diff == pytest.approx(r1 - r0, abs=1e-12)
    assert res.se_abs_diff == pytest.approx(se, rel=1e-9)
    assert res.abs_ci == pytest.approx((r1 - r0 - Z95 * se, r1 - r0 + Z95 * se), abs=1e-9)
    assert res.p_value == pytest.approx(2 * norm.sf(abs(r1 - r0) / se), rel=1e-9, abs=1e-12)
    se_log = math.sqrt(v1 / r1**2 + v0 / r0**2)
    assert res.se_log_ratio == pytest.approx(se_log, rel=1e-9)
    assert res.rel_lift == pytest.approx(r1 / r0 - 1, rel=1e-9)
    assert res.rel_ci == pytest.approx(
        ((r1 / r0) * math.exp(-Z95 * se_log) - 1, (r1 / r0) * math.exp(Z95 * se_log) - 1), abs=1e-9
    )
    assert_json_clean(res)


def test_delta_variance_agrees_with_bootstrap():
    """A large-sample user-level bootstrap (resampling users, not impressions) agrees loosely."""
    rng = np.random.default_rng(12)
    n, b = 3000, 3000
    x, y = draw_users(rng, n)
    idx = rng.integers(0, n, size=(b, n))
    boot = x[idx].sum(1) / y[idx].sum(1)
    var_boot = float(boot.var(ddof=1))
    _, var_delta = _delta_var_arrays(*row_sums(x, y))
    print(f"\nratio: delta-method var {float(var_delta):.3e} vs bootstrap var {var_boot:.3e} (B={b})")
    assert float(var_delta) == pytest.approx(var_boot, rel=0.10)


@pytest.mark.slow
def test_covariance_term_is_needed():
    """Why the -2R s_xy term is there: on data where clicks track impressions, dropping it
    overstates var(R) about threefold, while the full formula matches the Monte Carlo variance.
    (Treating impressions as independent Bernoulli trials errs the other way on heterogeneous data.)"""
    rng = np.random.default_rng(20240710)
    sims, n = 2000, 500
    lam = rng.gamma(1.0, 10.0, (sims, n))
    y = (1 + rng.poisson(lam)).astype(float)
    x = rng.binomial(y.astype(int), rng.beta(20.0, 180.0, (sims, n))).astype(float)
    n_, sx, sy, sxx, syy, sxy = row_sums(x, y)
    r, var_full = _delta_var_arrays(n_, sx, sy, sxx, syy, sxy)
    mc_var = float(r.var(ddof=1))  # the truth, up to Monte Carlo error (~3% relative)
    ybar = sy / n
    s_x2, s_y2 = (sxx - sx**2 / n) / (n - 1), (syy - sy**2 / n) / (n - 1)
    var_no_cov = (s_x2 + r**2 * s_y2) / (n * ybar**2)
    print(
        f"\nratio var(R): Monte Carlo {mc_var:.3e}, delta with cov {var_full.mean():.3e}, "
        f"without cov {var_no_cov.mean():.3e} ({var_no_cov.mean() / mc_var:.2f}x)"
    )
    assert float(var_full.mean()) == pytest.approx(mc_var, rel=0.10)
    assert float(var_no_cov.mean()) > 2.0 * mc_var

    # the heterogeneous generator: impression-level binomial variance R(1-R)/Σy is too small
    x2, y2 = draw_users(rng, (sims, n))
    n_, sx, sy, sxx, syy, sxy = row_sums(x2, y2)
    r2, var2 = _delta_var_arrays(n_, sx, sy, sxx, syy, sxy)
    mc2 = float(r2.var(ddof=1))
    binom = float((r2 * (1 - r2) / sy).mean())
    print(f"heterogeneous users: Monte Carlo {mc2:.3e}, delta {var2.mean():.3e}, impression-binomial {binom:.3e}")
    assert float(var2.mean()) == pytest.approx(mc2, rel=0.10)
    assert binom < 0.75 * mc2


def test_ci_excludes_zero_iff_p_below_alpha():
    rng = np.random.default_rng(5)
    x1, y1 = draw_users(rng, (200, 300), lift=1.15)
    x0, y0 = draw_users(rng, (200, 300))
    for i in range(200):
        res = compare_ratios(RatioStats.from_values(x1[i], y1[i]), RatioStats.from_values(x0[i], y0[i]))
        assert (res.abs_ci[0] > 0 or res.abs_ci[1] < 0) == (res.p_value < 0.05)


def test_vector_helper_equals_scalar_function():
    rng = np.random.default_rng(8)
    x1, y1 = draw_users(rng, (30, 200), lift=1.1)
    x0, y0 = draw_users(rng, (30, 150))
    arr = _ratio_arrays(*row_sums(x1, y1), *row_sums(x0, y0), Z95)
    for i in range(30):
        res = compare_ratios(RatioStats.from_values(x1[i], y1[i]), RatioStats.from_values(x0[i], y0[i]))
        assert res.p_value == pytest.approx(arr.diff.p_value[i], rel=1e-12)
        assert res.abs_ci == pytest.approx((arr.diff.ci_low[i], arr.diff.ci_high[i]), rel=1e-12)
        assert res.rel_ci == pytest.approx((arr.rel.ci_low[i], arr.rel.ci_high[i]), rel=1e-12)


# --------------------------------------------------------------------------- degenerate inputs


def _stats(x, y) -> RatioStats:
    return RatioStats.from_values(np.asarray(x, float), np.asarray(y, float))


GOOD = _stats([1, 0, 2, 1], [3, 2, 5, 4])


@pytest.mark.parametrize(
    "t,c,fragment",
    [
        (RatioStats(0, 0, 0, 0, 0, 0), GOOD, "treatment arm has fewer than 2 users"),
        (GOOD, _stats([1], [4]), "control arm has fewer than 2 users"),
        (_stats([0, 0], [0, 0]), GOOD, "treatment arm has a zero denominator sum"),
        (_stats([0, 0], [0, 0]), _stats([0, 0, 0], [0, 0, 0]), "treatment and control arms have a zero"),
    ],
)
def test_not_enough_data(t, c, fragment):
    res = compare_ratios(t, c)
    assert res.status == "not_enough_data" and fragment in res.note
    assert res.abs_ci is None and res.p_value is None and res.se_abs_diff is None and res.rel_ci is None
    assert res.estimate == t.ratio and res.estimate_control == c.ratio
    assert_json_clean(res)


def test_zero_variance_in_both_arms():
    # every user's clicks are exactly R times impressions (here: no clicks at all, and 1/2 of impressions)
    res = compare_ratios(_stats([0, 0, 0], [3, 1, 2]), _stats([1, 2, 3], [2, 4, 6]))
    assert res.status == "not_enough_data" and "variance is 0 in both arms" in res.note
    assert res.abs_diff == pytest.approx(-0.5) and res.rel_lift == pytest.approx(-1.0)
    assert_json_clean(res)


def test_zero_variance_in_one_arm_is_regular():
    res = compare_ratios(_stats([0, 0, 0], [3, 1, 2]), GOOD)
    assert res.status == "ok" and res.se_estimate == 0.0 and res.p_value is not None
    assert res.rel_lift == -1.0 and res.rel_ci is None and "-100%" in res.note
    assert_json_clean(res)


def test_control_ratio_zero():
    res = compare_ratios(GOOD, _stats([0, 0, 0], [3, 1, 2]))
    assert res.status == "ok" and res.rel_lift is None and res.rel_ci is None
    assert "relative lift undefined" in res.note and res.abs_ci is not None
    assert_json_clean(res)


def test_negative_ratio():
    res = compare_ratios(_stats([-1, -2, 0, 1], [3, 2, 5, 4]), GOOD)
    assert res.estimate < 0 and res.rel_lift is not None and res.rel_ci is None and "negative" in res.note
    assert_json_clean(res)


def test_users_without_denominator_are_allowed():
    # users with 0 impressions count as randomised users with x = y = 0
    with_zeros = compare_ratios(_stats([1, 0, 2, 1, 0, 0], [3, 2, 5, 4, 0, 0]), GOOD)
    assert with_zeros.status == "ok" and with_zeros.estimate == GOOD.ratio
    assert_json_clean(with_zeros)


@pytest.mark.parametrize(
    "args,match",
    [
        ((-1, 0, 0, 0, 0, 0), "n must be >= 0"),
        ((3, float("nan"), 1, 1, 1, 1), "sum_x must be a finite real"),
        ((3, 1, 1, -1, 1, 1), "sum_x2 must be >= 0"),
        ((3, 6, 1, 10, 1, 1), "inconsistent sums: sum_x"),
        ((3, 1, 6, 1, 10, 1), "inconsistent sums: sum_y"),
        ((3, 1, 1, 1, 1, 5), "inconsistent sums: sum_xy"),
        ((0, 0, 1, 0, 1, 0), "n == 0 but non-zero sums"),
    ],
)
def test_invalid_stats(args, match):
    with pytest.raises(ValueError, match=match):
        RatioStats(*args)


def test_invalid_arguments():
    with pytest.raises(ValueError, match="control must be a RatioStats"):
        compare_ratios(GOOD, None)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="alpha"):
        compare_ratios(GOOD, GOOD, alpha=1.0)
    with pytest.raises(ValueError, match="same length"):
        RatioStats.from_values([1, 2], [1, 2, 3])


# --------------------------------------------------------------------------- calibration


@pytest.mark.slow
def test_coverage_and_aa_fpr():
    """4,000 simulated experiments, 1,000 users per arm, heterogeneous users (see draw_users)."""
    rng = np.random.default_rng(20240711)
    sims, n = 4000, 1000
    lift = 1.10
    true_diff = true_ratio(lift) - true_ratio()
    true_rel = lift - 1.0
    xt, yt = draw_users(rng, (sims, n), lift=lift)
    xc, yc = draw_users(rng, (sims, n))
    arr = _ratio_arrays(*row_sums(xt, yt), *row_sums(xc, yc), Z95)
    cover = float(np.mean((arr.diff.ci_low <= true_diff) & (true_diff <= arr.diff.ci_high)))
    rel_cover = float(np.mean((arr.rel.ci_low <= true_rel) & (true_rel <= arr.rel.ci_high)))
    power = float(np.mean(arr.diff.p_value < 0.05))
    del xt, yt
    xa, ya = draw_users(rng, (sims, n))
    aa = _ratio_arrays(*row_sums(xa, ya), *row_sums(xc, yc), Z95)
    fpr = float(np.mean(aa.diff.p_value < 0.05))
    print(
        f"\nratio: diff 95% CI coverage {cover:.4f}, rel-lift CI coverage {rel_cover:.4f}, "
        f"A/A FPR {fpr:.4f}, power at +10% {power:.3f}"
    )
    assert 0.94 <= cover <= 0.96
    assert 0.94 <= rel_cover <= 0.96
    assert 0.035 <= fpr <= 0.065


def test_large_offset_uses_centred_moments():
    """Issue 9: per-user values around 1e8 with a small spread. The centred moments keep the
    delta-method variance that raw sums lose; equal to numpy's two-pass sum of (x - R y)^2."""
    rng = np.random.default_rng(21)

    def arm(size, shift):
        y = 1e8 + rng.normal(0, 1e-2, size)
        return 0.5 * y + shift + rng.normal(0, 1e-2, size), y

    (x1, y1), (x0, y0) = arm(900, 0.0), arm(1100, 0.0)
    t, c = RatioStats.from_values(x1, y1), RatioStats.from_values(x0, y0)
    res = compare_ratios(t, c)
    assert res.status == "ok"
    for x, y, se in ((x1, y1, res.se_estimate), (x0, y0, res.se_estimate_control)):
        r = x.sum() / y.sum()
        d = (x - x.mean()) - r * (y - y.mean())  # two-pass, no raw sums
        expected = float(np.dot(d, d)) / ((x.size - 1) * x.size * y.mean() ** 2)
        assert se**2 == pytest.approx(expected, rel=1e-6)
    # merging two halves gives the same centred moments as the whole
    half = RatioStats.from_values(x1[:400], y1[:400]).merge(RatioStats.from_values(x1[400:], y1[400:]))
    assert half.m2_x == pytest.approx(t.m2_x, rel=1e-4) and half.c_xy == pytest.approx(t.c_xy, rel=1e-4)
    built = RatioStats.from_moments(t.n, x1.mean(), y1.mean(), t.m2_x, t.m2_y, t.c_xy)
    assert compare_ratios(built, c).se_estimate == pytest.approx(res.se_estimate, rel=1e-6)
