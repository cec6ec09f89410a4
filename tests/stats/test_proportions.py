"""compare_proportions / proportion_ci against statsmodels and hand formulas, plus edge cases."""
from __future__ import annotations

import json
import math
import warnings

import numpy as np
import pytest
from scipy.stats import norm
from statsmodels.stats.proportion import (
    confint_proportions_2indep,
    proportion_confint,
)
from statsmodels.stats.proportion import test_proportions_2indep as sm_test_proportions_2indep

from guidelab.stats import ProportionComparison, compare_proportions, proportion_ci

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
}


def assert_json_clean(res: ProportionComparison) -> dict:
    d = res.to_dict()
    assert set(d) == EXPECTED_KEYS
    json.dumps(d, allow_nan=False)  # raises on NaN/inf
    for key in ("abs_ci", "rel_ci"):
        assert d[key] is None or (isinstance(d[key], list) and len(d[key]) == 2)
    for key in ("rate", "rate_control", "abs_diff", "rel_lift", "p_value"):
        assert d[key] is None or (type(d[key]) is float and math.isfinite(d[key]))
    return d


@pytest.mark.parametrize("alpha", ALPHAS)
@pytest.mark.parametrize("x1,n1,x0,n0", FIXED)
def test_matches_statsmodels_wald_diff_and_log_ratio(x1, n1, x0, n0, alpha):
    res = compare_proportions(x1, n1, x0, n0, alpha=alpha)
    assert res.status == "ok" and res.note is None

    sm_test = sm_test_proportions_2indep(x1, n1, x0, n0, method="wald", compare="diff")
    sm_ci = confint_proportions_2indep(x1, n1, x0, n0, method="wald", compare="diff", alpha=alpha)
    sm_ratio = confint_proportions_2indep(x1, n1, x0, n0, method="log", compare="ratio", alpha=alpha)

    assert res.abs_diff == pytest.approx(x1 / n1 - x0 / n0, abs=1e-12)
    assert res.p_value == pytest.approx(float(sm_test.pvalue), abs=1e-9, rel=1e-9)
    assert res.abs_ci[0] == pytest.approx(float(sm_ci[0]), abs=1e-9)
    assert res.abs_ci[1] == pytest.approx(float(sm_ci[1]), abs=1e-9)
    assert res.rel_lift == pytest.approx((x1 / n1) / (x0 / n0) - 1, abs=1e-9)
    assert res.rel_ci[0] == pytest.approx(float(sm_ratio[0]) - 1, abs=1e-9)
    assert res.rel_ci[1] == pytest.approx(float(sm_ratio[1]) - 1, abs=1e-9)
    assert_json_clean(res)


@pytest.mark.parametrize("x1,n1,x0,n0", FIXED)
def test_matches_hand_formulas(x1, n1, x0, n0):
    """Independent closed forms: unpooled Wald and Katz log interval written out by hand."""
    p1, p0 = x1 / n1, x0 / n0
    z = norm.ppf(0.975)
    se = math.sqrt(p1 * (1 - p1) / n1 + p0 * (1 - p0) / n0)
    se_log = math.sqrt((1 - p1) / (n1 * p1) + (1 - p0) / (n0 * p0))
    res = compare_proportions(x1, n1, x0, n0)
    assert res.abs_ci == pytest.approx((p1 - p0 - z * se, p1 - p0 + z * se), abs=1e-9)
    assert res.p_value == pytest.approx(2 * norm.sf(abs(p1 - p0) / se), abs=1e-9)
    rr = p1 / p0
    assert res.rel_ci == pytest.approx(
        (rr * math.exp(-z * se_log) - 1, rr * math.exp(z * se_log) - 1), abs=1e-9
    )


def test_ci_excludes_zero_iff_p_below_alpha():
    rng = np.random.default_rng(7)
    for _ in range(300):
        n1, n0 = rng.integers(20, 3000, size=2)
        x1, x0 = rng.integers(0, n1 + 1), rng.integers(0, n0 + 1)
        alpha = float(rng.choice([0.01, 0.05, 0.1]))
        res = compare_proportions(int(x1), int(n1), int(x0), int(n0), alpha=alpha)
        lo, hi = res.abs_ci
        if abs(res.p_value - alpha) > 1e-9:  # avoid floating-point ties on the boundary
            assert (lo > 0 or hi < 0) == (res.p_value < alpha)


def test_rates_and_counts_reported():
    res = compare_proportions(120, 1000, 100, 1000)
    assert (res.n, res.successes, res.n_control, res.successes_control) == (1000, 120, 1000, 100)
    assert res.rate == 0.12 and res.rate_control == 0.1
    d = assert_json_clean(res)
    assert d["abs_ci"] == list(res.abs_ci) and d["alpha"] == 0.05


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
def test_zero_wald_se_falls_back_to_agresti_caffo(x1, n1, x0, n0):
    res = compare_proportions(x1, n1, x0, n0)
    assert res.status == "ok"
    assert "Agresti-Caffo" in res.note
    assert res.abs_diff == x1 / n1 - x0 / n0
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        sm_ci = confint_proportions_2indep(x1, n1, x0, n0, method="agresti-caffo", compare="diff")
        sm_p = sm_test_proportions_2indep(x1, n1, x0, n0, method="agresti-caffo", compare="diff").pvalue
    assert res.p_value == pytest.approx(float(sm_p), abs=1e-9)
    assert res.abs_ci[0] == pytest.approx(max(float(sm_ci[0]), -1.0), abs=1e-9)
    assert res.abs_ci[1] == pytest.approx(min(float(sm_ci[1]), 1.0), abs=1e-9)
    assert -1.0 <= res.abs_ci[0] < res.abs_ci[1] <= 1.0  # an honest, non-degenerate interval
    assert_json_clean(res)


@pytest.mark.parametrize("x", [0, 10])
def test_equal_degenerate_rates_equal_n_give_p_one(x):
    res = compare_proportions(x, 10, x, 10)
    assert res.abs_diff == 0.0 and res.p_value == pytest.approx(1.0, rel=1e-12)
    assert res.abs_ci[0] < 0 < res.abs_ci[1]


def test_both_rates_zero():
    res = compare_proportions(0, 500, 0, 500)
    assert res.rel_lift is None and res.rel_ci is None
    assert "control rate is 0: relative lift undefined" in res.note
    assert_json_clean(res)


def test_control_rate_zero():
    res = compare_proportions(3, 100, 0, 120)
    assert res.rel_lift is None and res.rel_ci is None
    assert "control rate is 0: relative lift undefined" in res.note
    assert "Agresti-Caffo" not in res.note  # treatment variance keeps the Wald SE positive
    assert res.abs_ci[0] < res.abs_diff < res.abs_ci[1]
    assert_json_clean(res)


def test_treatment_rate_zero():
    res = compare_proportions(0, 100, 4, 120)
    assert res.rel_lift == -1.0
    assert res.rel_ci is None
    assert "treatment rate is 0" in res.note
    assert_json_clean(res)


def test_both_rates_one():
    res = compare_proportions(50, 50, 40, 40)
    assert res.rel_lift == 0.0 and res.rel_ci is None
    assert "both rates are 1" in res.note
    assert_json_clean(res)


def test_one_arm_rate_one_other_not_is_regular():
    res = compare_proportions(50, 50, 30, 40)
    assert res.note is None
    sm = confint_proportions_2indep(50, 50, 30, 40, method="log", compare="ratio")
    assert res.rel_ci == pytest.approx((float(sm[0]) - 1, float(sm[1]) - 1), abs=1e-9)
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
