"""Always-valid confidence sequences: closed form, shape, degenerate input and seeded calibration."""
from __future__ import annotations

import json
import math

import numpy as np
import pytest
from scipy.stats import norm

from guidelab.stats import compare_proportions
from guidelab.stats.sequential import (
    METHOD,
    SequentialResult,
    _halfwidth_array,
    confidence_sequence_halfwidth,
    sequential_interval,
    sequential_relative_interval,
    sequential_rho,
    width_ratio,
)

Z95 = float(norm.ppf(0.975))


def direct_halfwidth(se, n, alpha, tuning):
    """The published formula written out independently: s^2 = SE^2 n, rho from N* = tuning."""
    rho = math.sqrt((-2 * math.log(alpha) + math.log(-2 * math.log(alpha) + 1)) / tuning)
    s2 = se**2 * n
    return math.sqrt(s2) * math.sqrt(2 * (n * rho**2 + 1) / (n**2 * rho**2) * math.log(math.sqrt(n * rho**2 + 1) / alpha))


# --------------------------------------------------------------------------- closed form


def test_rho_hand_value():
    # -2 ln 0.05 = 5.9914645; ln(6.9914645) = 1.9446910; (7.9361556 / 5000) ** 0.5 = 0.0398401
    assert sequential_rho(0.05, 5000) == pytest.approx(0.0398401, abs=1e-7)
    assert sequential_rho(0.05) == sequential_rho(0.05, 5000)


def test_halfwidth_hand_value():
    # SE 0.01, n 8400: n rho^2 = 13.33274; 2 * 14.33274 / 13.33274 = 2.150002;
    # ln(sqrt(14.33274) / 0.05) = ln(75.71721) = 4.327004; sqrt(2.150002 * 4.327004) = 3.050092
    assert confidence_sequence_halfwidth(0.01, 8400) == pytest.approx(0.0305009, abs=2e-7)


@pytest.mark.parametrize("se,n,alpha,tuning", [
    (0.01, 8400, 0.05, 5000), (0.003, 100, 0.05, 5000), (0.2, 1, 0.1, 5000),
    (0.0007, 2_000_000, 0.01, 10_000), (1.3, 50_000, 0.2, 500), (0.05, 5000, 0.05, 5000),
])
def test_halfwidth_matches_direct_formula(se, n, alpha, tuning):
    ours = confidence_sequence_halfwidth(se, n, alpha=alpha, tuning=tuning)
    assert ours == pytest.approx(direct_halfwidth(se, n, alpha, tuning), rel=1e-12)
    assert float(_halfwidth_array(se, n, alpha, tuning)) == ours


def test_wider_than_fixed_ci_at_every_n_and_tightest_near_tuning():
    ns = np.unique(np.round(np.logspace(0, 7, 4000)))
    for alpha in (0.01, 0.05, 0.1):
        for tuning in (500, 5000, 50_000):
            z = float(norm.isf(alpha / 2))
            ratio = _halfwidth_array(1.0, ns, alpha, tuning) / z
            assert np.all(ratio > 1.0)
            best = ns[int(np.argmin(ratio))]
            assert 0.9 * tuning <= best <= 1.15 * tuning, (alpha, tuning, best)
            # decreasing before the minimum, increasing (slowly, ~sqrt(ln n)) after it
            i = int(np.argmin(ratio))
            assert np.all(np.diff(ratio[: i + 1]) < 0)
            assert np.all(np.diff(ratio[i:]) > 0)
    assert width_ratio(5000) == pytest.approx(1.5486, abs=1e-4)
    assert width_ratio(100) > 3.0  # very early the sequence is much wider
    assert width_ratio(10 * 5000) < 1.7  # and it stays within ~1.7x at 10x the tuning size


def test_sequential_interval_values():
    r = sequential_interval(0.04, 0.01, 8400)
    h = direct_halfwidth(0.01, 8400, 0.05, 5000)
    assert isinstance(r, SequentialResult)
    assert r.ci == pytest.approx((0.04 - h, 0.04 + h), rel=1e-12)
    assert r.halfwidth == pytest.approx(h, rel=1e-12)
    assert r.can_stop is True and r.status == "ok" and r.note is None
    assert (r.alpha, r.tuning) == (0.05, 5000.0)
    # the fixed CI excludes 0 (z = 2.5) but the confidence sequence does not yet
    r2 = sequential_interval(0.025, 0.01, 8400)
    assert r2.can_stop is False and r2.ci[0] < 0 < r2.ci[1]
    # null_value other than 0
    assert sequential_interval(0.025, 0.01, 8400, null_value=-0.01).can_stop is True
    assert sequential_interval(-0.04, 0.01, 8400).can_stop is True


def test_relative_interval_on_log_scale():
    lift, se, n = 0.10, 0.02, 20_000
    r = sequential_relative_interval(lift, se, n)
    h = direct_halfwidth(se, n, 0.05, 5000)
    assert r.halfwidth == pytest.approx(h, rel=1e-12)
    assert r.ci == pytest.approx((math.exp(math.log(1.1) - h) - 1, math.exp(math.log(1.1) + h) - 1), rel=1e-12)
    assert r.can_stop is (r.ci[0] > 0)
    assert r.ci[0] > 0  # log(1.1) = 0.0953 > h = 0.056
    small = sequential_relative_interval(0.03, se, n)
    assert small.can_stop is False and small.ci[0] < 0 < small.ci[1]
    assert sequential_relative_interval(0.03, se, n, null_value=-0.2).can_stop is True


def test_relative_interval_consistent_with_katz_se():
    """Built from the same counts as compare_proportions; the CS is wider than the Katz CI."""
    x1, n1, x0, n0 = 2300, 10_000, 2000, 10_000
    fixed = compare_proportions(x1, n1, x0, n0)
    se_log = math.sqrt(1 / x1 - 1 / n1 + 1 / x0 - 1 / n0)
    r = sequential_relative_interval(fixed.rel_lift, se_log, n1 + n0)
    assert r.ci[0] < fixed.rel_ci[0] and r.ci[1] > fixed.rel_ci[1]


@pytest.mark.parametrize("est,se,n,status", [
    (0.01, 0.01, 0, "not_enough_data"),
    (None, 0.01, 100, "not_enough_data"),
    (0.01, None, 100, "not_enough_data"),
    (float("nan"), 0.01, 100, "not_enough_data"),
    (0.01, float("nan"), 100, "not_enough_data"),
    (0.01, float("inf"), 100, "not_enough_data"),
    (0.0, 0.0, 100, "zero_variance"),
    (0.5, 0.0, 100, "zero_variance"),
])
def test_degenerate_input_gives_no_interval(est, se, n, status):
    for fn in (sequential_interval, sequential_relative_interval):
        r = fn(est, se, n)
        assert r.ci is None and r.halfwidth is None and r.can_stop is False
        assert r.status == status and r.note
        d = r.to_dict()
        assert d["ci"] is None and d["can_stop"] is False
        json.dumps(d, allow_nan=False)


def test_relative_lift_minus_100_percent_is_undefined():
    r = sequential_relative_interval(-1.0, 0.1, 1000)
    assert r.status == "undefined" and r.ci is None and r.can_stop is False


def test_huge_relative_upper_bound_is_inf_not_nan():
    r = sequential_relative_interval(1.0, 400.0, 10)
    assert r.ci[1] == math.inf and -1 <= r.ci[0] < 0
    assert r.to_dict()["ci"] is None


def test_to_dict_json_ready():
    d = sequential_interval(0.04, 0.01, 8400, tuning=3000).to_dict()
    assert set(d) >= {"ci", "can_stop", "tuning", "method"}
    assert d["method"] == METHOD == "asymptotic confidence sequence (Waudby-Smith et al. 2024)"
    assert d["tuning"] == 3000.0 and d["can_stop"] is True
    assert isinstance(d["ci"], list) and len(d["ci"]) == 2
    json.dumps(d, allow_nan=False)


@pytest.mark.parametrize("kwargs,match", [
    (dict(estimate=0.1, std_error=0.01, n=-1), "n must be"),
    (dict(estimate=0.1, std_error=-0.01, n=10), "std_error must be >= 0"),
    (dict(estimate=0.1, std_error=0.01, n=10, alpha=0.0), "alpha must be strictly between"),
    (dict(estimate=0.1, std_error=0.01, n=10, tuning=0), "tuning must be"),
    (dict(estimate=float("inf"), std_error=0.01, n=10), "must be finite"),
    (dict(estimate="0.1", std_error=0.01, n=10), "must be a number"),
    (dict(estimate=0.1, std_error=0.01, n=10, null_value=float("nan")), "null_value"),
])
def test_invalid_input(kwargs, match):
    with pytest.raises(ValueError, match=match):
        sequential_interval(**kwargs)


def test_halfwidth_invalid():
    with pytest.raises(ValueError, match="n must be > 0"):
        confidence_sequence_halfwidth(0.01, 0)
    with pytest.raises(ValueError, match="std_error"):
        confidence_sequence_halfwidth(float("nan"), 10)
    assert confidence_sequence_halfwidth(0.0, 10) == 0.0


# --------------------------------------------------------------------------- calibration

N_SIMS = 20_000  # Monte Carlo SE of a 5% rate: 0.0015
LOOKS = 28
PER_ARM_PER_DAY = 150


def _daily_looks(seed: int, p1: float, p0: float, sims: int = N_SIMS):
    """Cumulative successes and users per arm at each of 28 daily looks: arrays (sims, LOOKS)."""
    rng = np.random.default_rng(seed)
    x1 = rng.binomial(PER_ARM_PER_DAY, p1, size=(sims, LOOKS)).cumsum(axis=1)
    x0 = rng.binomial(PER_ARM_PER_DAY, p0, size=(sims, LOOKS)).cumsum(axis=1)
    n_arm = PER_ARM_PER_DAY * np.arange(1, LOOKS + 1)
    return x1, x0, np.broadcast_to(n_arm, x1.shape)


def _wald(x1, x0, n_arm):
    """Unpooled Wald difference and SE, as guidelab.stats.proportions computes them."""
    r1, r0 = x1 / n_arm, x0 / n_arm
    return r1 - r0, np.sqrt(r1 * (1 - r1) / n_arm + r0 * (1 - r0) / n_arm)


@pytest.mark.slow
def test_aa_sequential_fpr_with_28_daily_looks_and_peeking_inflation():
    x1, x0, n_arm = _daily_looks(20240701, 0.2, 0.2)
    diff, se = _wald(x1, x0, n_arm)
    assert np.all(se > 0)
    half = _halfwidth_array(se, 2 * n_arm, 0.05, 5000)
    ever_cs = np.any(np.abs(diff) > half, axis=1)
    ever_fixed = np.any(np.abs(diff) > Z95 * se, axis=1)
    final_fixed = np.abs(diff[:, -1]) > Z95 * se[:, -1]
    fpr_cs, fpr_peek, fpr_final = float(ever_cs.mean()), float(ever_fixed.mean()), float(final_fixed.mean())
    print(f"\nA/A, p=0.2, {LOOKS} daily looks x {PER_ARM_PER_DAY}/arm/day, {N_SIMS} sims: "
          f"confidence sequence ever excludes 0: {fpr_cs:.4f}; fixed-horizon test at every look "
          f"(peeking): {fpr_peek:.4f}; fixed test at the final look only: {fpr_final:.4f}")
    assert fpr_cs <= 0.05
    assert fpr_peek > 0.10
    assert 0.035 <= fpr_final <= 0.065

    # the scalar functions give the same intervals as the vectorised simulation
    for i in range(10):
        for look in (0, 13, LOOKS - 1):
            a, b, m = int(x1[i, look]), int(x0[i, look]), int(n_arm[i, look])
            fixed = compare_proportions(a, m, b, m)
            se_pub = fixed.se_abs_diff  # the SE the analysis hands to the sequential interval
            assert se_pub == pytest.approx(se[i, look], rel=1e-9)
            r = sequential_interval(fixed.abs_diff, se_pub, 2 * m)
            assert r.halfwidth == pytest.approx(half[i, look], rel=1e-9)
            assert r.can_stop == bool(abs(diff[i, look]) > half[i, look])


@pytest.mark.slow
def test_coverage_final_look_and_time_uniform():
    p0, p1 = 0.2, 0.22
    x1, x0, n_arm = _daily_looks(20240702, p1, p0)
    diff, se = _wald(x1, x0, n_arm)
    half = _halfwidth_array(se, 2 * n_arm, 0.05, 5000)
    covered = np.abs(diff - (p1 - p0)) <= half
    final = float(covered[:, -1].mean())
    uniform = float(covered.all(axis=1).mean())
    # relative lift on the log scale with the Katz SE, final look
    a, b, m = x1[:, -1], x0[:, -1], n_arm[:, -1]
    se_log = np.sqrt(1 / a - 1 / m + 1 / b - 1 / m)
    h_log = _halfwidth_array(se_log, 2 * m, 0.05, 5000)
    rel_cov = float(np.mean(np.abs(np.log((a / m) / (b / m)) - math.log(p1 / p0)) <= h_log))
    print(f"\ncoverage of p1 - p0 = 0.02 at the final look (n = {2 * n_arm[0, -1]}): {final:.4f}; "
          f"at all {LOOKS} looks simultaneously: {uniform:.4f}; relative lift (log scale) final look: {rel_cov:.4f}")
    assert final >= 0.95
    assert uniform >= 0.95
    assert rel_cov >= 0.95
