"""Sample size / power / days to decision against closed forms and statsmodels NormalIndPower."""
from __future__ import annotations

import math

import pytest
from scipy.stats import norm
from statsmodels.stats.power import NormalIndPower

from guidelab.stats import days_to_decision, power_two_proportions, sample_size_two_proportions

SETTINGS = [
    # p_control, relative_mde, alpha, power, ratio
    (0.2, 0.10, 0.05, 0.8, 1.0),
    (0.05, 0.20, 0.05, 0.9, 1.0),
    (0.5, -0.05, 0.01, 0.8, 1.0),
    (0.012, 0.5, 0.1, 0.8, 1.0),
    (0.3, 0.1, 0.05, 0.8, 2.0),
    (0.3, -0.1, 0.05, 0.95, 0.5),
]


def closed_form_n(p0, mde, alpha, power, ratio):
    """n_control = (z_{1-a/2} + z_{power})^2 (p0 q0 + p1 q1 / ratio) / (p1 - p0)^2, written independently."""
    p1 = p0 * (1 + mde)
    za = norm.isf(alpha / 2)
    zb = norm.isf(1 - power)
    return (za + zb) ** 2 * (p0 * (1 - p0) + p1 * (1 - p1) / ratio) / (p1 - p0) ** 2


@pytest.mark.parametrize("p0,mde,alpha,power,ratio", SETTINGS)
def test_sample_size_closed_form(p0, mde, alpha, power, ratio):
    n = sample_size_two_proportions(p0, mde, alpha=alpha, power=power, ratio=ratio)
    raw = closed_form_n(p0, mde, alpha, power, ratio)
    assert isinstance(n, int)
    assert n == math.ceil(raw)
    assert n - 1 < raw <= n


def test_sample_size_known_value():
    # (1.959964 + 0.841621)^2 * (0.16 + 0.1716) / 0.02^2 = 6506.6...
    assert sample_size_two_proportions(0.2, 0.1) == 6507


@pytest.mark.parametrize("p0,mde,alpha,power", [s[:4] for s in SETTINGS if s[4] == 1.0])
def test_sample_size_matches_statsmodels_normal_ind_power(p0, mde, alpha, power):
    """With ratio 1 the unpooled formula is NormalIndPower with effect size delta / sqrt(sigma^2 / 2).

    Our formula ignores the far rejection tail, i.e. it is statsmodels' one-sided ('larger')
    solution at alpha / 2 exactly; statsmodels' two-sided solution counts both tails and is
    smaller by a hair (relative 1e-7 .. 1e-4 here), which never changes the rounded-up n here.
    """
    p1 = p0 * (1 + mde)
    effect = abs(p1 - p0) / math.sqrt((p0 * (1 - p0) + p1 * (1 - p1)) / 2)
    solver = NormalIndPower()
    one_tail = solver.solve_power(effect_size=effect, alpha=alpha / 2, power=power, ratio=1.0, alternative="larger")
    two_tail = solver.solve_power(effect_size=effect, alpha=alpha, power=power, ratio=1.0)
    assert closed_form_n(p0, mde, alpha, power, 1.0) == pytest.approx(one_tail, rel=1e-8)
    assert two_tail <= one_tail
    assert sample_size_two_proportions(p0, mde, alpha=alpha, power=power) == math.ceil(one_tail)
    assert sample_size_two_proportions(p0, mde, alpha=alpha, power=power) == math.ceil(two_tail)


@pytest.mark.parametrize("p0,mde,n", [(0.2, 0.1, 6507), (0.05, 0.2, 1000), (0.5, -0.05, 30_000), (0.012, 0.5, 50)])
@pytest.mark.parametrize("alpha", [0.05, 0.01])
def test_power_matches_statsmodels_and_hand_formula(p0, mde, n, alpha):
    p1 = p0 * (1 + mde)
    sigma2 = p0 * (1 - p0) + p1 * (1 - p1)
    effect = abs(p1 - p0) / math.sqrt(sigma2 / 2)
    sm = NormalIndPower().power(effect_size=effect, nobs1=n, alpha=alpha, ratio=1.0, alternative="two-sided")
    shift = abs(p1 - p0) / math.sqrt(sigma2 / n)
    z = norm.isf(alpha / 2)
    hand = norm.cdf(shift - z) + norm.sf(shift + z)
    ours = power_two_proportions(p0, mde, n, alpha=alpha)
    assert ours == pytest.approx(float(sm), abs=1e-9)
    assert ours == pytest.approx(hand, abs=1e-12)


def test_power_unequal_ratio_hand_formula():
    p0, p1, n0, ratio = 0.3, 0.33, 4000, 2.0
    se = math.sqrt(p0 * (1 - p0) / n0 + p1 * (1 - p1) / (ratio * n0))
    z = norm.isf(0.025)
    hand = norm.cdf(0.03 / se - z) + norm.cdf(-0.03 / se - z)
    assert power_two_proportions(0.3, 0.1, n0, ratio=ratio) == pytest.approx(hand, abs=1e-12)


@pytest.mark.parametrize("p0,mde,alpha,power,ratio", SETTINGS)
def test_power_round_trip(p0, mde, alpha, power, ratio):
    n = sample_size_two_proportions(p0, mde, alpha=alpha, power=power, ratio=ratio)
    assert power_two_proportions(p0, mde, n, alpha=alpha, ratio=ratio) >= power
    if n > 1:
        assert power_two_proportions(p0, mde, n - 1, alpha=alpha, ratio=ratio) < power + 1e-5


def test_days_to_decision():
    need = sample_size_two_proportions(0.2, 0.1)
    assert days_to_decision(0.2, 0.1, 1000, 500) == pytest.approx((need - 1000) / 500)
    assert days_to_decision(0.2, 0.1, need, 500) == 0.0
    assert days_to_decision(0.2, 0.1, need + 10, 0) == 0.0  # already enough, traffic irrelevant
    assert days_to_decision(0.2, 0.1, 1000, 0) is None
    assert days_to_decision(0.0, 0.1, 1000, 500) is None
    assert days_to_decision(1.0, 0.1, 1000, 500) is None
    assert days_to_decision(0.95, 0.1, 1000, 500) is None  # implied treatment rate 1.045
    assert days_to_decision(0.2, 0.1, 0, 100, alpha=0.01, power=0.9) == pytest.approx(
        sample_size_two_proportions(0.2, 0.1, alpha=0.01, power=0.9) / 100
    )


@pytest.mark.parametrize(
    "kwargs,match",
    [
        (dict(p_control=0.0, relative_mde=0.1), "p_control must be strictly between 0 and 1"),
        (dict(p_control=1.0, relative_mde=0.1), "p_control must be strictly between 0 and 1"),
        (dict(p_control=0.2, relative_mde=0.0), "relative_mde must be non-zero"),
        (dict(p_control=0.2, relative_mde=-1.0), "outside"),
        (dict(p_control=0.6, relative_mde=1.0), "outside"),
        (dict(p_control=0.2, relative_mde=0.1, alpha=0.0), "alpha must be strictly between 0 and 1"),
        (dict(p_control=0.2, relative_mde=0.1, power=1.0), "power must be strictly between 0 and 1"),
        (dict(p_control=0.2, relative_mde=0.1, ratio=0.0), "ratio must be > 0"),
        (dict(p_control=float("nan"), relative_mde=0.1), "finite number"),
    ],
)
def test_sample_size_invalid(kwargs, match):
    with pytest.raises(ValueError, match=match):
        sample_size_two_proportions(**kwargs)


def test_power_and_days_invalid():
    with pytest.raises(ValueError, match="n_per_arm must be > 0"):
        power_two_proportions(0.2, 0.1, 0)
    with pytest.raises(ValueError, match="p_control must be strictly between 0 and 1"):
        power_two_proportions(0.0, 0.1, 100)
    with pytest.raises(ValueError, match="relative_mde must be non-zero"):
        days_to_decision(0.2, 0.0, 100, 10)
    with pytest.raises(ValueError, match="daily_users_per_arm must be >= 0"):
        days_to_decision(0.2, 0.1, 100, -1)
    with pytest.raises(ValueError, match="n_per_arm_now must be >= 0"):
        days_to_decision(0.2, 0.1, -5, 10)
    with pytest.raises(ValueError, match="p_control must be strictly between 0 and 1"):
        days_to_decision(1.5, 0.1, 100, 10)


# --------------------------------------------------------------------------- MDE and sequential planning

from guidelab.stats.power import (  # noqa: E402
    mde_for_sample_size,
    sequential_mde_for_sample_size,
    sequential_power_two_proportions,
    sequential_sample_size_two_proportions,
)


def _cs_halfwidth(se, n_total, alpha, tuning):
    """Waudby-Smith et al. (2024) CS halfwidth, written out independently (s^2 = SE^2 n)."""
    rho2 = (-2 * math.log(alpha) + math.log(-2 * math.log(alpha) + 1)) / tuning
    s2 = se**2 * n_total
    return math.sqrt(s2 * 2 * (n_total * rho2 + 1) / (n_total**2 * rho2) * math.log(math.sqrt(n_total * rho2 + 1) / alpha))


def _hand_sequential_power(p0, mde, n0, alpha, tuning, ratio=1.0):
    p1 = p0 * (1 + mde)
    se = math.sqrt(p0 * (1 - p0) / n0 + p1 * (1 - p1) / (ratio * n0))
    h = _cs_halfwidth(se, n0 * (1 + ratio), alpha, tuning)
    d = abs(p1 - p0)
    return norm.cdf((d - h) / se) + norm.cdf((-d - h) / se)


@pytest.mark.parametrize("p0,n,alpha,power,ratio", [
    (0.2, 6507, 0.05, 0.8, 1.0), (0.05, 1000, 0.05, 0.9, 1.0), (0.5, 30_000, 0.01, 0.8, 1.0),
    (0.012, 50, 0.1, 0.8, 1.0), (0.3, 4000, 0.05, 0.8, 2.0), (0.22, 5172, 0.025, 0.8, 2.0),
])
def test_mde_for_sample_size_inverts_power(p0, n, alpha, power, ratio):
    m = mde_for_sample_size(p0, n, alpha=alpha, power=power, ratio=ratio)
    assert m > 0
    assert power_two_proportions(p0, m, n, alpha=alpha, ratio=ratio) == pytest.approx(power, abs=1e-9)
    # statsmodels NormalIndPower: common-variance form with sigma^2 = (p0 q0 + p1 q1 / r) / (1 + 1 / r)
    p1 = p0 * (1 + m)
    sigma = math.sqrt((p0 * (1 - p0) + p1 * (1 - p1) / ratio) / (1 + 1 / ratio))
    sm = NormalIndPower().power(effect_size=(p1 - p0) / sigma, nobs1=n, alpha=alpha, ratio=ratio)
    assert float(sm) == pytest.approx(power, rel=1e-6)
    # round trip through the closed-form sample size (which ignores the ~1e-6 far tail)
    assert closed_form_n(p0, m, alpha, power, ratio) == pytest.approx(n, rel=1e-4)
    down = mde_for_sample_size(p0, n, alpha=alpha, power=power, ratio=ratio, direction=-1)
    if down is None:  # even a drop to ~0 is not detectable (p0 0.012 with 50 per arm)
        assert power_two_proportions(p0, -0.999999, n, alpha=alpha, ratio=ratio) < power
    else:
        assert -1 < down < 0
        assert power_two_proportions(p0, down, n, alpha=alpha, ratio=ratio) == pytest.approx(power, abs=1e-9)


def test_mde_for_sample_size_known_value_and_monotone():
    # the planned n of test_sample_size_known_value detects +10% (a hair less, n was rounded up)
    m = mde_for_sample_size(0.2, 6507)
    assert 0.0999 < m < 0.1
    assert mde_for_sample_size(0.2, 4 * 6507) == pytest.approx(m / 2, rel=0.03)  # ~ 1 / sqrt(n)
    assert mde_for_sample_size(0.2, 6507, alpha=0.01) > m
    assert mde_for_sample_size(0.2, 6507, power=0.9) > m


def test_mde_unreachable_and_invalid():
    assert mde_for_sample_size(0.9, 2) is None  # p1 -> 1 is still not detectable with 2 users per arm
    with pytest.raises(ValueError, match="n_per_arm must be > 0"):
        mde_for_sample_size(0.2, 0)
    with pytest.raises(ValueError, match="p_control"):
        mde_for_sample_size(1.0, 100)
    with pytest.raises(ValueError, match="direction"):
        mde_for_sample_size(0.2, 100, direction=0)
    with pytest.raises(ValueError, match="power .* must exceed alpha"):
        mde_for_sample_size(0.2, 100, alpha=0.2, power=0.1)


@pytest.mark.parametrize("p0,mde,n,alpha,tuning,ratio", [
    (0.2, 0.1, 13_000, 0.05, 5000, 1.0), (0.2, 0.1, 500, 0.05, 5000, 1.0), (0.05, -0.2, 40_000, 0.01, 10_000, 1.0),
    (0.22, 0.1, 9833, 0.025, 5000, 2.0), (0.5, 0.02, 100_000, 0.1, 1000, 0.5),
])
def test_sequential_power_hand_formula(p0, mde, n, alpha, tuning, ratio):
    ours = sequential_power_two_proportions(p0, mde, n, alpha=alpha, tuning=tuning, ratio=ratio)
    assert ours == pytest.approx(_hand_sequential_power(p0, mde, n, alpha, tuning, ratio), abs=1e-12)
    assert ours < power_two_proportions(p0, mde, n, alpha=alpha, ratio=ratio)  # the CS is wider


@pytest.mark.parametrize("p0,mde,alpha,power,tuning,ratio", [
    (0.2, 0.1, 0.05, 0.8, 5000, 1.0), (0.05, 0.2, 0.05, 0.9, 5000, 1.0), (0.5, -0.05, 0.01, 0.8, 20_000, 1.0),
    (0.012, 0.5, 0.1, 0.8, 5000, 1.0), (0.22, 0.1, 0.025, 0.8, 5000, 2.0), (0.3, -0.1, 0.05, 0.95, 500, 0.5),
])
def test_sequential_sample_size_is_smallest_n(p0, mde, alpha, power, tuning, ratio):
    n = sequential_sample_size_two_proportions(p0, mde, alpha=alpha, power=power, tuning=tuning, ratio=ratio)
    assert isinstance(n, int)
    assert _hand_sequential_power(p0, mde, n, alpha, tuning, ratio) >= power
    assert _hand_sequential_power(p0, mde, n - 1, alpha, tuning, ratio) < power
    fixed = sample_size_two_proportions(p0, mde, alpha=alpha, power=power, ratio=ratio)
    assert n > fixed
    m = sequential_mde_for_sample_size(p0, n, alpha=alpha, power=power, tuning=tuning, ratio=ratio,
                                       direction=1 if mde > 0 else -1)
    assert abs(m) <= abs(mde) and m == pytest.approx(mde, rel=1e-3)
    assert sequential_power_two_proportions(p0, m, n, alpha=alpha, tuning=tuning, ratio=ratio) == pytest.approx(power, abs=1e-9)


def test_sequential_sample_size_known_value():
    # p0 0.2, +10%: SE(n) = sqrt(0.3316 / n); the CS needs about twice the fixed 6507 per arm
    assert sequential_sample_size_two_proportions(0.2, 0.1) == 13277
    assert sequential_mde_for_sample_size(0.2, 10) is None


def test_sequential_invalid():
    with pytest.raises(ValueError, match="tuning"):
        sequential_power_two_proportions(0.2, 0.1, 100, tuning=0)
    with pytest.raises(ValueError, match="relative_mde must be non-zero"):
        sequential_sample_size_two_proportions(0.2, 0.0)
    with pytest.raises(ValueError, match="n_per_arm must be > 0"):
        sequential_power_two_proportions(0.2, 0.1, 0)


def test_sequential_control_users_many_equals_the_scalar_search():
    """The block version of the sequential plan gives the scalar function's integers, element by element."""
    import numpy as np

    from guidelab.stats.power import sequential_control_users_many, sequential_sample_size_two_proportions

    rng = np.random.default_rng(3)
    p0 = rng.uniform(0.01, 0.6, 300)
    ratio = rng.choice([1.0, 0.5, 2.0, 1 / 3], 300)
    alpha = rng.choice([0.05, 0.025, 0.05 / 3], 300)
    for mde in (0.05, -0.05, 0.2):
        got = sequential_control_users_many(p0, mde, alpha, 0.8, 5000, ratio)
        ref = [sequential_sample_size_two_proportions(a, mde, alpha=al, power=0.8, tuning=5000, ratio=r)
               for a, al, r in zip(p0.tolist(), alpha.tolist(), ratio.tolist())]
        assert got.tolist() == ref
