"""compare_proportions (MN score test and intervals, Fisher for small counts) / proportion_ci against
statsmodels, scipy and hand formulas, plus edge cases. Exact size by enumeration: test_proportions_enumeration.py."""
from __future__ import annotations

import json
import math
import warnings

import numpy as np
import pytest
from scipy.optimize import minimize_scalar
from scipy.stats import fisher_exact, norm
from statsmodels.stats.proportion import (
    confint_proportions_2indep,
    proportion_confint,
)
from statsmodels.stats.proportion import test_proportions_2indep as sm_test_proportions_2indep

from guidelab.stats import ProportionComparison, compare_proportions, proportion_ci
from guidelab.stats.proportions import compare_proportions_arrays

# (successes, n, successes_control, n_control)
FIXED = [
    (120, 1000, 100, 1000),
    (5, 37, 1, 40),
    (4999, 10000, 5020, 10012),
    (1, 40, 5, 37),
    (31_234, 1_000_000, 30_001, 1_000_000),
    (2_345_678, 10_000_000, 2_341_002, 9_998_765),
    (300, 301, 290, 300),
]
ALPHAS = [0.05, 0.01, 0.2]

EXPECTED_KEYS = {
    "n", "successes", "n_control", "successes_control", "rate", "rate_control", "abs_diff",
    "abs_ci", "rel_lift", "rel_ci", "p_value", "alpha", "status", "note",
    "method", "p_value_score", "p_value_exact", "se_abs_diff", "se_log_ratio", "codes",
}


def assert_json_clean(res: ProportionComparison) -> dict:
    d = res.to_dict()
    assert set(d) == EXPECTED_KEYS
    json.dumps(d, allow_nan=False)  # raises on NaN/inf
    for key in ("abs_ci", "rel_ci"):
        assert d[key] is None or (isinstance(d[key], list) and len(d[key]) == 2)
    for key in ("rate", "rate_control", "abs_diff", "rel_lift", "p_value"):
        assert d[key] is None or (type(d[key]) is float and math.isfinite(d[key]))
    if d["abs_ci"] is not None:
        assert -1.0 <= d["abs_ci"][0] <= d["abs_ci"][1] <= 1.0
    if d["rel_ci"] is not None:
        assert -1.0 <= d["rel_ci"][0] <= d["rel_ci"][1]
    return d


def _fisher_doubled(x1, n1, x0, n0):
    table = [[x1, n1 - x1], [x0, n0 - x0]]
    less = fisher_exact(table, alternative="less").pvalue
    greater = fisher_exact(table, alternative="greater").pvalue
    return min(1.0, 2 * min(less, greater))


def _reference_mn_diff_z(delta, x1, n1, x0, n0):
    """MN score statistic at delta with the restricted MLE from scipy's bounded scalar optimiser."""
    lo, hi = max(0.0, -delta), min(1.0, 1.0 - delta)

    def negloglik(p0):
        p1 = p0 + delta
        terms = [(x1, p1), (n1 - x1, 1 - p1), (x0, p0), (n0 - x0, 1 - p0)]
        return -sum(k * math.log(max(p, 1e-300)) for k, p in terms if k > 0)

    p0 = minimize_scalar(negloglik, bounds=(lo, hi), method="bounded", options={"xatol": 1e-14}).x
    p1 = p0 + delta
    nn = n1 + n0
    var = (p1 * (1 - p1) / n1 + p0 * (1 - p0) / n0) * nn / (nn - 1)
    return (x1 / n1 - x0 / n0 - delta) / math.sqrt(var)


def test_restricted_mle_maximises_the_likelihood():
    """The closed-form cubic root gives the constrained MLE (brute force over a fine grid), including
    the case where statsmodels' cubic does not (issue #10269: 1/40 vs 5/37 at delta = -0.15)."""
    from guidelab.stats.proportions import _diff_score_z

    for x1, n1, x0, n0, delta in [(1, 40, 5, 37, -0.15), (1, 40, 5, 37, -0.2), (7, 34, 1, 34, 0.3),
                                  (120, 1000, 100, 1000, 0.04), (0, 50, 3, 60, -0.1)]:
        ref = _reference_mn_diff_z(delta, x1, n1, x0, n0)
        assert _diff_score_z(delta, x1, n1, x0, n0) == pytest.approx(ref, rel=1e-6)


def _sm_confint(x1, n1, x0, n0, compare, alpha):
    """statsmodels' score interval, or None where its brentq bracket fails (e.g. 5/37 vs 1/40)."""
    try:
        return confint_proportions_2indep(x1, n1, x0, n0, method="score", compare=compare, alpha=alpha)
    except ValueError:
        return None


@pytest.mark.parametrize("alpha", ALPHAS)
@pytest.mark.parametrize("x1,n1,x0,n0", FIXED)
def test_matches_statsmodels_score_test_and_intervals(x1, n1, x0, n0, alpha):
    res = compare_proportions(x1, n1, x0, n0, alpha=alpha)
    assert res.status == "ok"

    sm_test = sm_test_proportions_2indep(x1, n1, x0, n0, method="score", compare="diff")
    sm_ci = _sm_confint(x1, n1, x0, n0, "diff", alpha)
    sm_ratio = _sm_confint(x1, n1, x0, n0, "ratio", alpha)

    assert res.abs_diff == pytest.approx(x1 / n1 - x0 / n0, abs=1e-12)
    assert res.p_value_score == pytest.approx(float(sm_test.pvalue), abs=1e-12, rel=1e-9)
    assert res.rel_lift == pytest.approx((x1 / n1) / (x0 / n0) - 1, abs=1e-9)
    if "interval_widened_to_exact_test" not in res.codes:
        # difference: each end is where the MN score test, with the restricted MLE found by direct
        # numerical maximisation of the likelihood, has p = alpha (statsmodels' own diff interval
        # has a wrong restricted MLE, statsmodels issue #10269: compared only for large samples)
        z = norm.ppf(1 - alpha / 2)
        assert _reference_mn_diff_z(res.abs_ci[0], x1, n1, x0, n0) == pytest.approx(z, rel=1e-6)
        assert _reference_mn_diff_z(res.abs_ci[1], x1, n1, x0, n0) == pytest.approx(-z, rel=1e-6)
        if sm_ci is not None and min(n1, n0) >= 10_000:
            assert res.abs_ci == pytest.approx((float(sm_ci[0]), float(sm_ci[1])), abs=1e-7)
        # ratio: statsmodels' score test of that ratio has p = alpha at each end, and its interval
        for end in res.rel_ci:
            p_end = sm_test_proportions_2indep(x1, n1, x0, n0, value=1 + end, method="score", compare="ratio").pvalue
            assert p_end == pytest.approx(alpha, rel=1e-7)
        if sm_ratio is not None:
            assert res.rel_ci[0] == pytest.approx(float(sm_ratio[0]) - 1, rel=1e-9, abs=1e-10)
            assert res.rel_ci[1] == pytest.approx(float(sm_ratio[1]) - 1, rel=1e-9, abs=1e-10)
    if res.method == "score":
        assert res.p_value == res.p_value_score and res.p_value_exact is None and res.note is None
    else:  # small expected counts: Fisher too, and the larger p-value decides
        assert res.p_value_exact == pytest.approx(_fisher_doubled(x1, n1, x0, n0), rel=1e-9, abs=1e-14)
        assert res.p_value == max(res.p_value_score, res.p_value_exact)
    assert_json_clean(res)


def test_fixed_inputs_cover_both_methods():
    methods = {compare_proportions(*c).method for c in FIXED}
    assert methods == {"score", "score+fisher"}


@pytest.mark.parametrize("x1,n1,x0,n0", FIXED + [(0, 10, 0, 10), (10, 10, 10, 10), (1, 1, 0, 1)])
def test_score_p_value_hand_formula(x1, n1, x0, n0):
    """The pooled score test written out: z = (p1 - p0) / sqrt(pbar qbar (1/n1 + 1/n0) N/(N-1))."""
    nn, pbar = n1 + n0, (x1 + x0) / (n1 + n0)
    var = pbar * (1 - pbar) * (1 / n1 + 1 / n0) * nn / (nn - 1)
    expected = 1.0 if var == 0 else 2 * norm.sf(abs(x1 / n1 - x0 / n0) / math.sqrt(var))
    assert compare_proportions(x1, n1, x0, n0).p_value_score == pytest.approx(expected, rel=1e-9, abs=1e-14)


@pytest.mark.parametrize("x1,n1,x0,n0", [(5, 100, 0, 100), (0, 100, 5, 100), (3, 20, 0, 80), (7, 20, 2, 80),
                                         (1, 1000, 9, 1000), (2, 50, 1, 950), (4, 9, 0, 1)])
def test_exact_test_matches_scipy_fisher(x1, n1, x0, n0):
    res = compare_proportions(x1, n1, x0, n0)
    assert res.method == "score+fisher" and "exact_test" in res.codes
    assert res.p_value_exact == pytest.approx(_fisher_doubled(x1, n1, x0, n0), rel=1e-9, abs=1e-14)
    arr = compare_proportions_arrays(x1, n1, x0, n0)
    assert float(arr.p_value_exact) == pytest.approx(res.p_value_exact, rel=1e-9, abs=1e-14)


def test_issue_case_five_of_hundred_against_none():
    """Issue 9: 5/100 vs 0/100 gave p = 0.022 and KEEP; Fisher's exact test says 0.059."""
    res = compare_proportions(5, 100, 0, 100)
    assert res.p_value_score == pytest.approx(0.0239, abs=1e-4)  # the score test alone would reject
    assert res.p_value == pytest.approx(_fisher_doubled(5, 100, 0, 100), rel=1e-9)
    assert res.p_value > 0.05
    assert res.abs_ci[0] <= 0.0 < res.abs_ci[1]  # widened to agree with the exact test
    assert "interval_widened_to_exact_test" in res.codes
    assert res.rel_lift is None and res.rel_ci is None
    assert "relative_lift_undefined_control_rate_zero" in res.codes


def test_exact_switch_follows_expected_count():
    # smallest expected cell 1000 * 19 / 2000 = 9.5 < 10: exact; 1000 * 21 / 2000 = 10.5: score only
    assert compare_proportions(12, 1000, 7, 1000).method == "score+fisher"
    assert compare_proportions(13, 1000, 8, 1000).method == "score"
    assert compare_proportions(13, 1000, 8, 1000, exact_min_expected=11).method == "score+fisher"
    assert compare_proportions(12, 1000, 7, 1000, exact_min_expected=0).method == "score"


def _random_counts(seed, size, small=False):
    rng = np.random.default_rng(seed)
    n1 = rng.integers(1, 60 if small else 3000, size=size)
    n0 = rng.integers(1, 60 if small else 3000, size=size)
    rate = rng.choice([0.0, 0.001, 0.01, 0.1, 0.5, 0.97, 1.0], size=size)
    x1 = rng.binomial(n1, rate)
    x0 = rng.binomial(n0, np.clip(rate * rng.uniform(0.5, 1.5, size=size), 0, 1))
    return x1, n1, x0, n0


@pytest.mark.parametrize("small", [False, True])
def test_intervals_agree_with_p_value_and_stay_in_range(small):
    x1, n1, x0, n0 = _random_counts(7 + small, 400, small)
    alphas = np.random.default_rng(8).choice([0.01, 0.05, 0.1], size=400)
    for i in range(400):
        res = compare_proportions(int(x1[i]), int(n1[i]), int(x0[i]), int(n0[i]), alpha=float(alphas[i]))
        reject = res.p_value < res.alpha
        lo, hi = res.abs_ci
        assert -1.0 <= lo <= res.abs_diff <= hi <= 1.0
        assert (lo > 0 or hi < 0) == reject  # exact agreement, no tolerance
        if res.rel_ci is not None:
            rlo, rhi = res.rel_ci
            assert -1.0 <= rlo <= res.rel_lift <= rhi
            assert (rlo > 0 or rhi < 0) == reject
        else:
            assert x0[i] == 0 and res.rel_lift is None


@pytest.mark.parametrize("small", [False, True])
def test_array_function_equals_scalar_function(small):
    x1, n1, x0, n0 = _random_counts(11 + small, 300, small)
    arr = compare_proportions_arrays(x1, n1, x0, n0, alpha=0.1)
    for i in range(300):
        res = compare_proportions(int(x1[i]), int(n1[i]), int(x0[i]), int(n0[i]), alpha=0.1)
        assert arr.p_value_score[i] == pytest.approx(res.p_value_score, rel=1e-10, abs=1e-15)
        assert arr.p_value[i] == pytest.approx(res.p_value, rel=1e-9, abs=1e-15)
        assert bool(arr.exact[i]) == (res.method == "score+fisher")
        assert (arr.abs_ci_low[i], arr.abs_ci_high[i]) == pytest.approx(res.abs_ci, abs=1e-10)
        assert bool(arr.p_value[i] < 0.1) == bool(res.p_value < 0.1)
        assert arr.se_abs_diff[i] == pytest.approx(res.se_abs_diff, rel=1e-12)
        if res.rel_ci is None:
            assert np.isnan(arr.rel_ci_low[i]) and np.isnan(arr.rel_lift[i])
        else:
            assert (arr.rel_ci_low[i], arr.rel_ci_high[i]) == pytest.approx(res.rel_ci, rel=1e-9, abs=1e-10)
            assert arr.rel_lift[i] == pytest.approx(res.rel_lift, rel=1e-12)


def _bits(res):
    """Every field of a comparison as text: equal text means equal bits (repr keeps -0.0 and 17 digits)."""
    return repr(sorted(vars(res).items()))


def _edge_counts(seed: int, size: int):
    """Random 2x2 tables with empty arms, 1-3 users, zero and full counts and large arms."""
    rng = np.random.default_rng(seed)
    sizes = np.array([0, 1, 2, 3, 5, 8, 20, 60, 400, 5000, 80000, 3_000_000])
    n1 = np.where(rng.random(size) < 0.5, rng.choice(sizes, size), rng.integers(0, 200_000, size))
    n0 = np.where(rng.random(size) < 0.5, rng.choice(sizes, size), rng.integers(0, 200_000, size))

    def successes(n):
        u = rng.random(size)
        return np.where(u < 0.1, 0, np.where(u < 0.15, n, rng.binomial(n, rng.uniform(0.0005, 0.6, size))))

    return successes(n1), n1, successes(n0), n0


@pytest.mark.parametrize("alpha", [0.05, 0.1])
def test_many_gives_the_scalar_functions_objects_bit_for_bit(alpha):
    from guidelab.stats.proportions import compare_proportions_many

    x1, n1, x0, n0 = _edge_counts(31 + int(alpha * 100), 1500)
    many = compare_proportions_many(x1, n1, x0, n0, alpha=alpha)
    arr = compare_proportions_arrays(x1, n1, x0, n0, alpha=alpha)
    statuses, methods = set(), set()
    for i in range(len(x1)):
        res = compare_proportions(int(x1[i]), int(n1[i]), int(x0[i]), int(n0[i]), alpha=alpha)
        assert _bits(many[i]) == _bits(res)
        statuses.add(res.status)
        methods.add(res.method)
        if res.status == "ok":  # the array function: the same root finder, the same bits
            assert repr((arr.abs_ci_low[i], arr.abs_ci_high[i])) == repr(tuple(np.float64(v) for v in res.abs_ci))
            assert repr(arr.p_value_score[i]) == repr(np.float64(res.p_value_score))
            if res.rel_ci is not None:
                assert repr((arr.rel_ci_low[i], arr.rel_ci_high[i])) == repr(tuple(np.float64(v) for v in res.rel_ci))
    assert statuses == {"ok", "not_enough_data"} and methods == {"score", "score+fisher"}


def test_array_function_empty_arms_and_validation():
    arr = compare_proportions_arrays([0, 3, 0], [0, 10, 5], [1, 0, 0], [4, 0, 5])
    assert np.isnan(arr.p_value[:2]).all() and np.isnan(arr.abs_ci_low[:2]).all()
    assert arr.p_value[2] == 1.0
    with pytest.raises(ValueError, match="cannot exceed"):
        compare_proportions_arrays([5], [4], [0], [4])
    with pytest.raises(ValueError, match="whole numbers"):
        compare_proportions_arrays([1.5], [4], [0], [4])


def test_rates_and_counts_reported():
    res = compare_proportions(120, 1000, 100, 1000)
    assert (res.n, res.successes, res.n_control, res.successes_control) == (1000, 120, 1000, 100)
    assert res.rate == 0.12 and res.rate_control == 0.1
    d = assert_json_clean(res)
    assert d["abs_ci"] == list(res.abs_ci) and d["alpha"] == 0.05
    # the SEs the sequential intervals read: unpooled Wald and Katz
    assert res.se_abs_diff == pytest.approx(math.sqrt(0.12 * 0.88 / 1000 + 0.1 * 0.9 / 1000), rel=1e-12)
    assert res.se_log_ratio == pytest.approx(math.sqrt(1 / 120 - 1 / 1000 + 1 / 100 - 1 / 1000), rel=1e-12)


# --------------------------------------------------------------------------- degenerate data


@pytest.mark.parametrize("args", [(0, 0, 10, 100), (5, 100, 0, 0), (0, 0, 0, 0)])
def test_empty_arm_is_not_enough_data(args):
    res = compare_proportions(*args)
    assert res.status == "not_enough_data"
    assert "no users" in res.note
    d = assert_json_clean(res)
    for key in ("rate", "rate_control", "abs_diff", "abs_ci", "rel_lift", "rel_ci", "p_value"):
        assert d[key] is None
    assert (d["successes"], d["n"], d["successes_control"], d["n_control"]) == args


@pytest.mark.parametrize("x1,n1,x0,n0", [(0, 10, 0, 10), (0, 50, 0, 2000), (10, 10, 10, 10), (0, 10, 10, 10), (7, 7, 0, 9)])
def test_all_rates_zero_or_one_give_honest_intervals(x1, n1, x0, n0):
    res = compare_proportions(x1, n1, x0, n0)
    assert res.status == "ok" and res.abs_diff == x1 / n1 - x0 / n0
    assert -1.0 <= res.abs_ci[0] < res.abs_ci[1] <= 1.0  # an honest, non-degenerate interval
    assert res.abs_ci[0] <= res.abs_diff <= res.abs_ci[1]
    assert res.se_abs_diff > 0  # Agresti-Caffo SE where the Wald SE is 0 (sequential intervals)
    assert_json_clean(res)


@pytest.mark.parametrize("x", [0, 10])
def test_equal_degenerate_rates_equal_n_give_p_one(x):
    res = compare_proportions(x, 10, x, 10)
    assert res.abs_diff == 0.0 and res.p_value == pytest.approx(1.0, rel=1e-12)
    assert res.abs_ci[0] < 0 < res.abs_ci[1]


def test_both_rates_zero():
    res = compare_proportions(0, 500, 0, 500)
    assert res.p_value == 1.0
    assert res.rel_lift is None and res.rel_ci is None
    assert "control rate is 0: relative lift undefined" in res.note
    # MN interval with no successes at all: symmetric, about 3.8 / n wide on each side
    assert res.abs_ci[0] == pytest.approx(-res.abs_ci[1], abs=1e-12) and 0.005 < res.abs_ci[1] < 0.01
    assert_json_clean(res)


def test_control_rate_zero_never_gives_a_huge_relative_lift():
    res = compare_proportions(2479, 100000, 0, 100000)
    assert res.rel_lift is None and res.rel_ci is None
    assert "relative_lift_undefined_control_rate_zero" in res.codes
    assert "control rate is 0: relative lift undefined" in res.note
    assert res.abs_ci[0] < res.abs_diff < res.abs_ci[1]
    assert_json_clean(res)


def test_treatment_rate_zero():
    res = compare_proportions(0, 100, 4, 120)
    assert res.rel_lift == -1.0
    assert res.rel_ci[0] == -1.0 and -1.0 < res.rel_ci[1]
    assert "treatment_rate_zero" in res.codes
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        sm = confint_proportions_2indep(0, 100, 4, 120, method="score", compare="ratio")
    assert res.rel_ci[1] == pytest.approx(float(sm[1]) - 1, rel=1e-9)
    assert_json_clean(res)


def test_both_rates_one():
    res = compare_proportions(50, 50, 40, 40)
    assert res.rel_lift == 0.0 and res.p_value == 1.0
    assert res.rel_ci[0] < 0 < res.rel_ci[1]
    assert_json_clean(res)


def test_numpy_and_integral_float_counts_accepted():
    a = compare_proportions(np.int64(120), np.int64(1000), 100.0, 1000.0)
    b = compare_proportions(120, 1000, 100, 1000)
    assert a == b
    assert type(a.to_dict()["n"]) is int


# --------------------------------------------------------------------------- validation


@pytest.mark.parametrize(
    "args,match",
    [
        ((-1, 10, 1, 10), "treatment successes must be >= 0"),
        ((1, -10, 1, 10), "treatment n must be >= 0"),
        ((1, 10, -1, 10), "control successes must be >= 0"),
        ((11, 10, 1, 10), r"treatment successes \(11\) cannot exceed treatment n \(10\)"),
        ((1, 10, 12, 10), r"control successes \(12\) cannot exceed control n \(10\)"),
        ((1.5, 10, 1, 10), "whole number"),
        ((float("nan"), 10, 1, 10), "whole number"),
        (("3", 10, 1, 10), "whole number"),
        ((True, 10, 1, 10), "whole number"),
    ],
)
def test_invalid_counts(args, match):
    with pytest.raises(ValueError, match=match):
        compare_proportions(*args)


@pytest.mark.parametrize("alpha", [0, 1, -0.1, 1.5, float("nan"), "0.05"])
def test_invalid_alpha(alpha):
    with pytest.raises(ValueError, match="alpha must be strictly between 0 and 1"):
        compare_proportions(1, 10, 1, 10, alpha=alpha)
    with pytest.raises(ValueError, match="alpha must be strictly between 0 and 1"):
        proportion_ci(1, 10, alpha=alpha)


# --------------------------------------------------------------------------- single-arm CI


@pytest.mark.parametrize("x,n", [(0, 1), (0, 37), (1, 40), (5, 37), (120, 1000), (999, 1000), (1000, 1000), (123_456, 10_000_000)])
@pytest.mark.parametrize("alpha", ALPHAS)
def test_wilson_matches_statsmodels(x, n, alpha):
    lo, hi = proportion_ci(x, n, alpha=alpha)
    sm_lo, sm_hi = proportion_confint(x, n, alpha=alpha, method="wilson")
    assert lo == pytest.approx(float(sm_lo), abs=1e-9)
    assert hi == pytest.approx(float(sm_hi), abs=1e-9)
    assert 0.0 <= lo <= x / n <= hi <= 1.0
    assert type(lo) is float and type(hi) is float


@pytest.mark.parametrize("x,n", [(0, 37), (5, 37), (120, 1000), (1000, 1000)])
def test_wald_single_arm_matches_statsmodels_normal(x, n):
    lo, hi = proportion_ci(x, n, method="wald")
    sm_lo, sm_hi = proportion_confint(x, n, method="normal")
    assert (lo, hi) == pytest.approx((float(sm_lo), float(sm_hi)), abs=1e-9)


def test_wilson_hand_formula():
    x, n, z = 5, 37, norm.ppf(0.975)
    p = x / n
    centre = (x + z * z / 2) / (n + z * z)
    half = z * math.sqrt(n) / (n + z * z) * math.sqrt(p * (1 - p) + z * z / (4 * n))
    assert proportion_ci(x, n) == pytest.approx((centre - half, centre + half), abs=1e-12)


def test_proportion_ci_errors():
    with pytest.raises(ValueError, match="n must be > 0"):
        proportion_ci(0, 0)
    with pytest.raises(ValueError, match="cannot exceed"):
        proportion_ci(5, 4)
    with pytest.raises(ValueError, match="method must be"):
        proportion_ci(1, 4, method="exact")  # type: ignore[arg-type]
