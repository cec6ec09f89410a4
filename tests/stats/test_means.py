"""compare_means against scipy / statsmodels / closed forms, edge cases, and a seeded calibration run."""
from __future__ import annotations

import json
import math

import numpy as np
import pytest
from scipy.stats import norm, ttest_ind, ttest_ind_from_stats
from scipy.stats import t as student_t
from statsmodels.stats.weightstats import CompareMeans, DescrStatsW

from guidelab.stats.means import MeanComparison, MeanStats, _mean_arrays, compare_means

COMMON_KEYS = {
    "n", "n_control", "estimate", "estimate_control", "se_estimate", "se_estimate_control",
    "abs_diff", "abs_ci", "se_abs_diff", "rel_lift", "rel_ci", "se_log_ratio", "p_value", "alpha",
    "method", "status", "note", "notes",
}
EXPECTED_KEYS = COMMON_KEYS | {"variance", "variance_control", "df"}


def assert_json_clean(res: MeanComparison) -> dict:
    d = res.to_dict()
    assert set(d) == EXPECTED_KEYS
    json.dumps(d, allow_nan=False)  # raises on NaN/inf
    for key in ("abs_ci", "rel_ci"):
        assert d[key] is None or (isinstance(d[key], list) and len(d[key]) == 2)
    for key in EXPECTED_KEYS - {"abs_ci", "rel_ci", "method", "status", "note", "notes", "n", "n_control"}:
        assert d[key] is None or (type(d[key]) is float and math.isfinite(d[key])), key
    return d


def _samples(seed: int, n1: int, n0: int, kind: str) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    if kind == "exp":  # seconds on a guide: skewed
        return rng.exponential(30.0, n1), rng.exponential(25.0, n0)
    if kind == "poisson":  # sessions per user
        return rng.poisson(3.2, n1).astype(float), rng.poisson(3.0, n0).astype(float)
    if kind == "normal_unequal":
        return rng.normal(10.0, 1.0, n1), rng.normal(9.5, 4.0, n0)
    if kind == "offset":  # large mean, small spread: exercises the cancellation guard's exactness
        return 1e4 + rng.normal(0.0, 1.0, n1), 1e4 + rng.normal(0.1, 1.0, n0)
    raise AssertionError(kind)


CASES = [
    (1, 100, 80, "exp"),
    (2, 5, 7, "exp"),
    (3, 2000, 2100, "poisson"),
    (4, 30, 300, "normal_unequal"),
    (5, 2, 2, "normal_unequal"),
    (6, 500, 500, "offset"),
]


@pytest.mark.parametrize("alpha", [0.05, 0.01, 0.2])
@pytest.mark.parametrize("seed,n1,n0,kind", CASES)
def test_matches_scipy_and_statsmodels_welch(seed, n1, n0, kind, alpha):
    a, b = _samples(seed, n1, n0, kind)
    res = compare_means(MeanStats.from_values(a), MeanStats.from_values(b), alpha=alpha)
    assert res.status == "ok" and res.note is None and res.method == "welch_t"

    sp = ttest_ind_from_stats(a.mean(), a.std(ddof=1), n1, b.mean(), b.std(ddof=1), n0, equal_var=False)
    cm = CompareMeans(DescrStatsW(a), DescrStatsW(b))
    lo, hi = cm.tconfint_diff(alpha=alpha, usevar="unequal")
    _, _, sm_df = cm.ttest_ind(usevar="unequal")

    tol = {"abs": 1e-9, "rel": 1e-9}
    assert res.estimate == pytest.approx(a.mean(), **tol)
    assert res.estimate_control == pytest.approx(b.mean(), **tol)
    assert res.variance == pytest.approx(a.var(ddof=1), rel=1e-7 if kind == "offset" else 1e-9)
    assert res.abs_diff == pytest.approx(a.mean() - b.mean(), **tol)
    assert res.p_value == pytest.approx(float(sp.pvalue), **tol)
    assert res.abs_ci[0] == pytest.approx(float(lo), **tol)
    assert res.abs_ci[1] == pytest.approx(float(hi), **tol)
    assert res.df == pytest.approx(float(sm_df), rel=1e-7 if kind == "offset" else 1e-9)
    assert_json_clean(res)


@pytest.mark.parametrize("seed,n1,n0,kind", CASES[:4])
def test_matches_hand_formulas(seed, n1, n0, kind):
    """Welch-Satterthwaite and the delta-method log-ratio interval written out by hand."""
    a, b = _samples(seed, n1, n0, kind)
    m1, m0, v1, v0 = a.mean(), b.mean(), a.var(ddof=1), b.var(ddof=1)
    se = math.sqrt(v1 / n1 + v0 / n0)
    df = (v1 / n1 + v0 / n0) ** 2 / ((v1 / n1) ** 2 / (n1 - 1) + (v0 / n0) ** 2 / (n0 - 1))
    q = student_t.ppf(0.975, df)
    res = compare_means(MeanStats.from_values(a), MeanStats.from_values(b))
    assert res.se_abs_diff == pytest.approx(se, rel=1e-9)
    assert res.abs_ci == pytest.approx((m1 - m0 - q * se, m1 - m0 + q * se), abs=1e-9)
    se_log = math.sqrt(v1 / (n1 * m1**2) + v0 / (n0 * m0**2))
    z = norm.ppf(0.975)
    assert res.se_log_ratio == pytest.approx(se_log, rel=1e-9)
    assert res.rel_lift == pytest.approx(m1 / m0 - 1, rel=1e-9)
    assert res.rel_ci == pytest.approx(
        ((m1 / m0) * math.exp(-z * se_log) - 1, (m1 / m0) * math.exp(z * se_log) - 1), abs=1e-9
    )
    assert res.se_estimate == pytest.approx(math.sqrt(v1 / n1), rel=1e-9)


def test_ci_excludes_zero_iff_p_below_alpha():
    rng = np.random.default_rng(7)
    for _ in range(200):
        a, b = rng.normal(0.1, 1, 60), rng.normal(0, 1.5, 50)
        res = compare_means(MeanStats.from_values(a), MeanStats.from_values(b))
        excludes = res.abs_ci[0] > 0 or res.abs_ci[1] < 0
        assert excludes == (res.p_value < 0.05)


def test_stats_properties_and_sql_style_inputs():
    s = MeanStats(n=np.int64(4), sum=10, sum_sq=np.float64(30.0))  # values 1, 2, 3, 4
    assert s.n == 4 and type(s.n) is int and s.sum == 10.0
    assert s.mean == 2.5 and s.variance == pytest.approx(5 / 3)
    assert MeanStats(0, 0, 0).mean is None and MeanStats(1, 2, 4).variance is None
    assert MeanStats(n=4.0, sum=10, sum_sq=30).n == 4


# --------------------------------------------------------------------------- degenerate inputs


@pytest.mark.parametrize(
    "t,c,fragment",
    [
        (MeanStats(0, 0, 0), MeanStats(10, 20, 50), "treatment arm has fewer than 2 users"),
        (MeanStats(10, 20, 50), MeanStats(1, 3, 9), "control arm has fewer than 2 users"),
        (MeanStats(1, 3, 9), MeanStats(0, 0, 0), "treatment and control arms have"),
    ],
)
def test_fewer_than_two_users_is_not_enough_data(t, c, fragment):
    res = compare_means(t, c)
    assert res.status == "not_enough_data" and fragment in res.note
    assert res.abs_ci is None and res.p_value is None and res.se_abs_diff is None and res.rel_ci is None
    assert res.estimate == t.mean and res.estimate_control == c.mean
    if t.n and c.n:
        assert res.abs_diff == pytest.approx(t.mean - c.mean)
    assert_json_clean(res)


@pytest.mark.parametrize("v1,v0", [(3.0, 3.0), (3.0, 2.0), (0.0, 5.0)])
def test_zero_variance_in_both_arms(v1, v0):
    res = compare_means(MeanStats(50, 50 * v1, 50 * v1 * v1), MeanStats(40, 40 * v0, 40 * v0 * v0))
    assert res.status == "not_enough_data" and "zero variance" in res.note
    assert res.abs_diff == pytest.approx(v1 - v0)
    assert res.variance == 0.0 and res.variance_control == 0.0
    assert res.p_value is None and res.abs_ci is None and res.se_log_ratio is None
    assert_json_clean(res)


def test_zero_variance_in_one_arm_is_regular():
    a = np.array([2.0, 3.0, 5.0, 1.0, 4.0])
    res = compare_means(MeanStats.from_values(a), MeanStats(30, 60.0, 120.0))  # control all 2.0
    assert res.status == "ok" and res.variance_control == 0.0
    assert res.df == pytest.approx(len(a) - 1)
    sp = ttest_ind_from_stats(a.mean(), a.std(ddof=1), 5, 2.0, 0.0, 30, equal_var=False)
    assert res.p_value == pytest.approx(float(sp.pvalue), rel=1e-9)
    assert_json_clean(res)


def test_control_mean_zero():
    res = compare_means(MeanStats.from_values([1.0, 2.0, 0.0]), MeanStats.from_values([-1.0, 1.0, 0.0]))
    assert res.status == "ok" and res.estimate_control == 0.0
    assert res.rel_lift is None and res.rel_ci is None and res.se_log_ratio is None
    assert "relative lift undefined" in res.note
    assert res.p_value is not None and res.abs_ci is not None
    assert_json_clean(res)


def test_negative_mean():
    res = compare_means(MeanStats.from_values([-3.0, -1.0, -2.0]), MeanStats.from_values([1.0, 2.0, 4.0]))
    assert res.rel_lift == pytest.approx(-2.0 / (7 / 3) - 1)
    assert res.rel_ci is None and res.se_log_ratio is None and "negative" in res.note
    assert_json_clean(res)


def test_treatment_mean_zero():
    res = compare_means(MeanStats.from_values([-1.0, 1.0, 0.0]), MeanStats.from_values([1.0, 2.0, 4.0]))
    assert res.rel_lift == -1.0 and res.rel_ci is None and "-100%" in res.note
    assert_json_clean(res)


def test_constant_values_have_zero_variance():
    """Behaviour, not rounding residue: a constant sample has variance exactly 0, whether built
    from values (centred m2) or from raw sums only (the cancellation guard), for values that are
    not representable (1.1, 0.7) and for a huge offset (1e9 + 0.1)."""
    for v, n in ((1.1, 1000), (0.7, 1000), (1e9 + 0.1, 7)):
        s = MeanStats.from_values(np.full(n, v))
        assert s.variance == 0.0 and s.m2 == 0.0
        assert MeanStats(s.n, s.sum, s.sum_sq).variance == 0.0  # raw sums: guard, never negative
    # variance lost to rounding in both arms -> documented degenerate status, never NaN
    res = compare_means(MeanStats.from_values(np.full(1000, 0.7)), MeanStats.from_values(np.full(7, 1e9 + 0.1)))
    assert res.status == "not_enough_data" and "zero variance" in res.note
    assert_json_clean(res)


def test_large_offset_keeps_its_variance_via_centred_moments():
    """Issue 9: 1e9 + small noise. Raw sums cannot resolve the spread (the guard sets it to 0);
    the centred m2 keeps it, equal to numpy's two-pass variance."""
    rng = np.random.default_rng(5)
    a, b = 1e9 + rng.normal(0, 1e-3, 1000), 1e9 + 5e-4 + rng.normal(0, 1e-3, 800)
    sa, sb = MeanStats.from_values(a), MeanStats.from_values(b)
    assert sa.variance == pytest.approx(float(np.var(a, ddof=1)), rel=1e-9)
    assert MeanStats(sa.n, sa.sum, sa.sum_sq).variance == 0.0  # what raw sums alone give
    built = MeanStats.from_moments(a.size, float(a.mean()), float(np.var(a) * a.size))
    assert built.variance == pytest.approx(float(np.var(a, ddof=1)), rel=1e-9)
    merged = MeanStats.from_values(a[:300]).merge(MeanStats.from_values(a[300:]))
    # the merge carries each part's mean as sum / n: ~1e-7 absolute at 1e9, so rel 1e-4 here
    assert merged.n == a.size and merged.variance == pytest.approx(float(np.var(a, ddof=1)), rel=1e-4)
    res = compare_means(sb, sa)
    assert res.status == "ok"
    welch = ttest_ind(b - 1e9, a - 1e9, equal_var=False)  # same data without the offset
    assert res.p_value == pytest.approx(float(welch.pvalue), rel=1e-3)
    assert_json_clean(res)


def test_merge_equals_stats_of_the_concatenation():
    rng = np.random.default_rng(6)
    a, b = rng.exponential(3.0, 500), rng.exponential(5.0, 300)
    merged = MeanStats.from_values(a).merge(MeanStats.from_values(b))
    whole = MeanStats.from_values(np.concatenate([a, b]))
    assert merged.n == whole.n and merged.sum == pytest.approx(whole.sum, rel=1e-12)
    assert merged.m2 == pytest.approx(whole.m2, rel=1e-10)
    assert MeanStats.from_values(a).merge(MeanStats(0, 0.0, 0.0)) == MeanStats.from_values(a)


def test_centred_moment_validation():
    with pytest.raises(ValueError, match="m2 must be >= 0"):
        MeanStats(3, 3.0, 5.0, m2=-1.0)
    with pytest.raises(ValueError, match="m2 must be 0 when n == 0"):
        MeanStats(0, 0.0, 0.0, m2=1.0)


@pytest.mark.parametrize(
    "args,match",
    [
        ((-1, 0, 0), "n must be >= 0"),
        ((2.5, 1, 1), "whole number"),
        ((True, 1, 1), "whole number"),
        ((3, float("nan"), 1), "sum must be a finite real"),
        ((3, 1, float("inf")), "sum_sq must be a finite real"),
        ((3, "1", 1), "sum must be a finite real"),
        ((3, 1, -1), "sum_sq must be >= 0"),
        ((3, 6, 10), "inconsistent sums"),  # 36 > 3 * 10
        ((0, 1, 1), "n == 0 but non-zero sums"),
    ],
)
def test_invalid_stats(args, match):
    with pytest.raises(ValueError, match=match):
        MeanStats(*args)


def test_invalid_arguments():
    ok = MeanStats(3, 3, 5)
    with pytest.raises(ValueError, match="treatment must be a MeanStats"):
        compare_means((3, 3, 5), ok)  # type: ignore[arg-type]
    for alpha in (0, 1, -0.1, 1.5, True, "0.05"):
        with pytest.raises(ValueError, match="alpha must be strictly between 0 and 1"):
            compare_means(ok, ok, alpha=alpha)


def test_vector_helper_equals_scalar_function():
    rng = np.random.default_rng(3)
    a, b = rng.exponential(2.0, (40, 30)), rng.exponential(2.2, (40, 25))
    arr = _mean_arrays(30, a.sum(1), (a * a).sum(1), 25, b.sum(1), (b * b).sum(1), 0.05)
    for i in range(40):
        res = compare_means(MeanStats.from_values(a[i]), MeanStats.from_values(b[i]))
        assert res.p_value == pytest.approx(arr.p_value[i], rel=1e-12)
        assert res.abs_ci == pytest.approx((arr.ci_low[i], arr.ci_high[i]), rel=1e-12)
        assert res.rel_ci == pytest.approx((arr.rel.ci_low[i], arr.rel.ci_high[i]), rel=1e-12)


# --------------------------------------------------------------------------- calibration


@pytest.mark.slow
def test_welch_coverage_and_aa_fpr_on_skewed_data():
    """Sessions-per-user-like data (negative binomial, skewed): Welch CI coverage, rel CI coverage, A/A FPR."""
    rng = np.random.default_rng(20240701)
    sims, n1, n0 = 4000, 400, 600
    mu0, mu1, k = 3.0, 3.3, 1.5  # NB mean mu, dispersion k: var = mu + mu^2/k

    def draw(mu: float, n: int) -> np.ndarray:
        return rng.negative_binomial(k, k / (k + mu), size=(sims, n)).astype(float)

    t, c, c2 = draw(mu1, n1), draw(mu0, n0), draw(mu0, n1)
    arr = _mean_arrays(n1, t.sum(1), (t * t).sum(1), n0, c.sum(1), (c * c).sum(1), 0.05)
    cover = float(np.mean((arr.ci_low <= mu1 - mu0) & (mu1 - mu0 <= arr.ci_high)))
    lift = mu1 / mu0 - 1
    rel_cover = float(np.mean((arr.rel.ci_low <= lift) & (lift <= arr.rel.ci_high)))
    aa = _mean_arrays(n1, c2.sum(1), (c2 * c2).sum(1), n0, c.sum(1), (c * c).sum(1), 0.05)
    fpr = float(np.mean(aa.p_value < 0.05))
    print(f"\nmeans: Welch 95% CI coverage {cover:.4f}, rel-lift CI coverage {rel_cover:.4f}, A/A FPR {fpr:.4f}")
    assert 0.94 <= cover <= 0.96
    assert 0.94 <= rel_cover <= 0.96
    assert 0.035 <= fpr <= 0.065
