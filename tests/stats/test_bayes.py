"""beta_binomial against independent numerical integration, Monte Carlo and simulations.

The references below integrate in the rate itself (x-space, ``scipy.stats.beta`` densities and
CDFs with adaptive ``quad``), a different formulation from the library's normal-score
quadrature and Miller sums.
"""
from __future__ import annotations

import json
import math
import time

import numpy as np
import pytest
from scipy import integrate, special, stats

from guidelab.stats.bayes import (
    METHOD,
    BayesResult,
    _chance_to_beat_arrays,
    _credible_interval_arrays,
    _expected_loss_arrays,
    _LinearCdf,
    beta_binomial,
)

# (successes, n, successes_control, n_control)
GRID = [
    (0, 0, 0, 0),
    (1, 10, 0, 10),
    (45, 100, 40, 100),
    (200, 1000, 180, 1000),
    (20_000, 100_000, 19_800, 100_000),
    (3, 7, 5, 9),
]
PRIORS = [(1.0, 1.0), (0.5, 0.5)]
EXPECTED_KEYS = {
    "chance_to_beat_control", "expected_loss", "expected_loss_control", "credible_interval",
    "scale", "prior", "method",
}
_PROBS = np.array([1e-12, 1e-8, 1e-5, 1e-3, 0.02, 0.1, 0.3, 0.5, 0.7, 0.9, 0.98, 0.999, 1 - 1e-5, 1 - 1e-8,
                   1 - 1e-12])


# --------------------------------------------------------------------------- references


def posteriors(x1, n1, x0, n0, prior):
    a, b = prior
    return stats.beta(a + x1, b + n1 - x1), stats.beta(a + x0, b + n0 - x0)


def pdf(d, x):
    """Beta density; Boost raises OverflowError for x near 1e-308, then use the formula."""
    try:
        return d.pdf(x)
    except OverflowError:
        a, b = d.args
        return math.exp(special.xlogy(a - 1, x) + special.xlog1py(b - 1, -x) - special.betaln(a, b))


def flip(d):
    """The distribution of 1 - p for p ~ d (Beta(a, b) -> Beta(b, a))."""
    a, b = d.args
    return stats.beta(b, a)


def split_quad(lower, upper, dists):
    """int_0^1 g(x) dx as int_0^(1/2) lower(x) dx + int_0^(1/2) upper(y) dy with y = 1 - x
    (``upper`` written with flipped distributions, so nothing is evaluated at 1 - tiny), each
    with x = s^2 (dx = 2s ds) to absorb x^(a-1) singularities at the ends; breakpoints at the
    quantiles of ``dists`` mapped to s."""
    total = 0.0
    for g, ds in ((lower, dists), (upper, [flip(d) for d in dists])):
        q = np.concatenate([d.ppf(_PROBS) for d in ds])
        pts = np.unique(np.sqrt(q[(q > 0) & (q < 0.5)]))
        val, err = integrate.quad(lambda u, g=g: g(u * u) * 2.0 * u, 0.0, math.sqrt(0.5), points=pts,
                                  epsabs=1e-15, epsrel=1e-12, limit=2000)
        assert err < 1e-10
        total += val
    return total


def ref_chance(T, C):
    """P(p_t > p_c) = int f_t(x) F_c(x) dx."""
    Tf, Cf = flip(T), flip(C)
    return split_quad(lambda x: pdf(T, x) * C.cdf(x), lambda y: pdf(Tf, y) * Cf.sf(y), (T, C))


def ref_loss(X, Y):
    """E[max(X - Y, 0)] = int F_Y(z) (1 - F_X(z)) dz (a different identity from the library's)."""
    Xf, Yf = flip(X), flip(Y)
    return split_quad(lambda z: Y.cdf(z) * X.sf(z), lambda y: Yf.sf(y) * Xf.cdf(y), (X, Y))


def ref_lift_cdf(T, C, value, scale):
    """P(lift <= value), conditioning on p_t (the library conditions on the narrower variable in
    normal scores): relative P(p_t <= (1+v) p_c) = int f_t(x) S_c(x/(1+v)) dx; absolute
    P(p_t - p_c <= d) = int f_t(x) S_c(x - d) dx."""
    Tf, Cf = flip(T), flip(C)
    if scale == "relative":
        r = 1.0 + value
        # S_c((1-y)/r) = F_c'(1 - (1-y)/r) = F_c'((value + y)/r)
        return split_quad(lambda x: pdf(T, x) * C.sf(x / r),
                          lambda y: pdf(Tf, y) * Cf.cdf((value + y) / r), (T, C))
    return split_quad(lambda x: pdf(T, x) * C.sf(x - value),
                      lambda y: pdf(Tf, y) * Cf.cdf(y + value), (T, C))


def assert_json_clean(res: BayesResult) -> dict:
    d = res.to_dict()
    assert set(d) == EXPECTED_KEYS
    json.dumps(d, allow_nan=False)  # raises on NaN/inf
    for key in ("chance_to_beat_control", "expected_loss", "expected_loss_control"):
        assert d[key] is None or (type(d[key]) is float and math.isfinite(d[key]))
    ci = d["credible_interval"]
    assert ci is None or (len(ci) == 2 and all(type(v) is float and math.isfinite(v) for v in ci))
    assert d["method"] == METHOD and d["scale"] in ("relative", "absolute")
    return d


# --------------------------------------------------------------------------- exactness


@pytest.mark.parametrize("prior", PRIORS)
@pytest.mark.parametrize("x1,n1,x0,n0", GRID)
def test_chance_and_losses_match_numerical_integration(x1, n1, x0, n0, prior):
    res = beta_binomial(x1, n1, x0, n0, prior=prior)
    T, C = posteriors(x1, n1, x0, n0, prior)
    assert res.chance_to_beat_control == pytest.approx(ref_chance(T, C), abs=1e-4)
    # in fact far tighter than the required 1e-4
    assert res.chance_to_beat_control == pytest.approx(ref_chance(T, C), abs=1e-10)
    assert res.expected_loss == pytest.approx(ref_loss(C, T), abs=1e-6)
    assert res.expected_loss_control == pytest.approx(ref_loss(T, C), abs=1e-6)
    assert res.expected_loss == pytest.approx(ref_loss(C, T), abs=1e-10)
    assert res.expected_loss_control == pytest.approx(ref_loss(T, C), abs=1e-10)
    # loss_control - loss_treatment = E[p_t] - E[p_c]
    assert res.expected_loss_control - res.expected_loss == pytest.approx(T.mean() - C.mean(), abs=1e-11)
    assert res.posterior_treatment == (prior[0] + x1, prior[1] + n1 - x1)
    assert res.posterior_control == (prior[0] + x0, prior[1] + n0 - x0)
    assert_json_clean(res)


@pytest.mark.parametrize("prior", PRIORS)
@pytest.mark.parametrize("x1,n1,x0,n0", GRID)
def test_symmetry(x1, n1, x0, n0, prior):
    tc = beta_binomial(x1, n1, x0, n0, prior=prior)
    ct = beta_binomial(x0, n0, x1, n1, prior=prior)
    assert tc.chance_to_beat_control + ct.chance_to_beat_control == pytest.approx(1.0, abs=1e-11)
    assert tc.expected_loss == pytest.approx(ct.expected_loss_control, abs=1e-12)
    assert tc.expected_loss_control == pytest.approx(ct.expected_loss, abs=1e-12)


def test_identical_posteriors_give_one_half():
    for args, prior in [((0, 0, 0, 0), (1, 1)), ((7, 50, 7, 50), (0.5, 0.5)), ((10, 10, 10, 10), (0.5, 0.5)),
                        ((123_456, 1_000_000, 123_456, 1_000_000), (1, 1))]:
        res = beta_binomial(*args, prior=prior)
        assert res.chance_to_beat_control == pytest.approx(0.5, abs=1e-11)
        assert res.expected_loss == pytest.approx(res.expected_loss_control, abs=1e-12)


def test_closed_forms():
    # both arms empty, uniform prior: E[max(U - V, 0)] = 1/6; p_t/p_c of two uniforms has
    # P(R <= r) = r/2 (r <= 1), 1 - 1/(2r) (r >= 1): 95% interval of the lift [-0.95, 19]
    res = beta_binomial(0, 0, 0, 0)
    assert res.chance_to_beat_control == pytest.approx(0.5, abs=1e-14)
    assert res.expected_loss == pytest.approx(1 / 6, abs=1e-12)
    assert res.credible_interval == pytest.approx((-0.95, 19.0), abs=1e-9)
    # difference of two uniforms: triangular on [-1, 1]; P(D <= d) = (1+d)^2/2 for d <= 0
    res = beta_binomial(0, 0, 0, 0, scale="absolute")
    lo = math.sqrt(0.05) - 1.0
    assert res.credible_interval == pytest.approx((lo, -lo), abs=1e-10)
    # 1/1 vs 0/1, uniform prior: Beta(2, 1) vs Beta(1, 2): int 2x (2x - x^2) dx = 5/6
    assert beta_binomial(1, 1, 0, 1).chance_to_beat_control == pytest.approx(5 / 6, abs=1e-13)


def test_miller_sum_and_quadrature_agree():
    """The two exact paths of the chance to beat (Miller's sum, quadrature) agree."""
    rng = np.random.default_rng(7)
    m = 400
    n1, n0 = rng.integers(0, 1900, m), rng.integers(0, 1900, m)
    p = 10 ** rng.uniform(-2, 0, m)
    x1 = rng.binomial(n1, p)
    x0 = rng.binomial(n0, np.clip(p * rng.uniform(0.8, 1.25, m), 0, 1))
    a1, b1, a0, b0 = 1.0 + x1, 1.0 + n1 - x1, 1.0 + x0, 1.0 + n0 - x0
    miller = _chance_to_beat_arrays(a1, b1, a0, b0)  # all parameters whole and <= 2,000
    quad = _LinearCdf(a0, b0, a1, b1)(1.0, 0.0)  # P(p_c <= p_t)
    assert np.max(np.abs(miller - quad)) < 1e-11


@pytest.mark.parametrize("scale", ["relative", "absolute"])
@pytest.mark.parametrize("prior", PRIORS)
@pytest.mark.parametrize("x1,n1,x0,n0", GRID)
def test_credible_interval_quantiles_by_independent_cdf(x1, n1, x0, n0, prior, scale):
    alpha = 0.05
    res = beta_binomial(x1, n1, x0, n0, prior=prior, scale=scale)
    assert res.scale == scale and res.alpha == alpha
    lo, hi = res.credible_interval
    T, C = posteriors(x1, n1, x0, n0, prior)
    below = ref_lift_cdf(T, C, lo, scale)
    upto = ref_lift_cdf(T, C, hi, scale)
    assert upto - below == pytest.approx(1 - alpha, abs=1e-4)  # posterior coverage
    assert below == pytest.approx(alpha / 2, abs=1e-9)  # equal tails, in fact to ~1e-12
    assert upto == pytest.approx(1 - alpha / 2, abs=1e-9)


@pytest.mark.parametrize("alpha", [0.01, 0.2])
def test_credible_interval_other_alpha(alpha):
    T, C = posteriors(200, 1000, 180, 1000, (1, 1))
    for scale in ("relative", "absolute"):
        lo, hi = beta_binomial(200, 1000, 180, 1000, alpha=alpha, scale=scale).credible_interval
        assert ref_lift_cdf(T, C, lo, scale) == pytest.approx(alpha / 2, abs=1e-9)
        assert ref_lift_cdf(T, C, hi, scale) == pytest.approx(1 - alpha / 2, abs=1e-9)


@pytest.mark.parametrize("x1,n1,x0,n0,prior", [
    (45, 100, 40, 100, (1, 1)),
    (200, 1000, 180, 1000, (1, 1)),
    (3, 7, 5, 9, (0.5, 0.5)),
    (1, 10, 0, 10, (1, 1)),
])
def test_against_monte_carlo(x1, n1, x0, n0, prior):
    """1e6 seeded posterior draws: tail shares at the interval bounds, chance and losses (loose)."""
    rng = np.random.default_rng(20240611)
    a, b = prior
    pt = rng.beta(a + x1, b + n1 - x1, 1_000_000)
    pc = rng.beta(a + x0, b + n0 - x0, 1_000_000)
    for scale, lift in (("relative", pt / pc - 1.0), ("absolute", pt - pc)):
        res = beta_binomial(x1, n1, x0, n0, prior=prior, scale=scale)
        lo, hi = res.credible_interval
        assert np.mean(lift < lo) == pytest.approx(0.025, abs=1e-3)
        assert np.mean(lift > hi) == pytest.approx(0.025, abs=1e-3)
        mc_lo, mc_hi = np.quantile(lift, [0.025, 0.975])
        width = hi - lo
        assert lo == pytest.approx(mc_lo, abs=1e-2 * width)
        assert hi == pytest.approx(mc_hi, abs=1e-2 * width)
    assert res.chance_to_beat_control == pytest.approx(np.mean(pt > pc), abs=2e-3)
    assert res.expected_loss == pytest.approx(np.mean(np.maximum(pc - pt, 0)), rel=1e-2, abs=1e-4)
    assert res.expected_loss_control == pytest.approx(np.mean(np.maximum(pt - pc, 0)), rel=1e-2, abs=1e-4)


def test_ten_million_per_arm_is_exact_and_fast():
    args = (2_000_000, 10_000_000, 1_998_000, 10_000_000)
    for prior in PRIORS:
        beta_binomial(*args, prior=prior)  # warm-up
        t0 = time.perf_counter()
        res = beta_binomial(*args, prior=prior)
        elapsed = time.perf_counter() - t0
        print(f"n = 10M per arm, prior {prior}: {elapsed * 1e3:.1f} ms")
        assert elapsed < 2.0
        T, C = posteriors(*args, prior)
        assert res.chance_to_beat_control == pytest.approx(ref_chance(T, C), abs=1e-10)
        assert res.expected_loss == pytest.approx(ref_loss(C, T), abs=1e-12)
        lo, hi = res.credible_interval
        assert ref_lift_cdf(T, C, lo, "relative") == pytest.approx(0.025, abs=1e-9)
        assert ref_lift_cdf(T, C, hi, "relative") == pytest.approx(0.975, abs=1e-9)
        assert_json_clean(res)


def test_non_integer_prior_uses_exact_quadrature():
    # no whole-number parameter anywhere: the quadrature path; still exact
    for args in [(3, 7, 5, 9), (45, 100, 40, 100), (0, 50, 2, 50), (50, 50, 48, 50)]:
        for prior in [(0.37, 2.21), (2.5, 7.5)]:
            res = beta_binomial(*args, prior=prior)
            T, C = posteriors(*args, prior)
            assert res.chance_to_beat_control == pytest.approx(ref_chance(T, C), abs=1e-10)
            assert res.expected_loss == pytest.approx(ref_loss(C, T), abs=1e-10)


# --------------------------------------------------------------------------- degenerate data


DEGENERATE = [
    (0, 0, 0, 0), (0, 0, 5, 10), (5, 10, 0, 0), (0, 10, 0, 10), (10, 10, 10, 10), (0, 10, 10, 10),
    (10, 10, 0, 10), (0, 1, 1, 1), (1, 1, 0, 1), (0, 1, 0, 1), (1, 2, 0, 1), (0, 1_000_000, 0, 1_000_000),
    (1_000_000, 1_000_000, 999_990, 1_000_000), (3, 1_000_000, 0, 10),
]


@pytest.mark.parametrize("scale", ["relative", "absolute"])
@pytest.mark.parametrize("prior", [(1, 1), (0.5, 0.5), (3.3, 10.0)])
@pytest.mark.parametrize("x1,n1,x0,n0", DEGENERATE)
def test_degenerate_inputs_are_finite(x1, n1, x0, n0, prior, scale):
    res = beta_binomial(x1, n1, x0, n0, prior=prior, scale=scale)
    d = assert_json_clean(res)
    # with an ordinary prior every figure exists
    assert d["credible_interval"] is not None
    assert 0.0 <= res.chance_to_beat_control <= 1.0
    assert res.expected_loss >= 0.0 and res.expected_loss_control >= 0.0
    lo, hi = res.credible_interval
    assert -1.0 <= lo <= hi
    if scale == "absolute":
        assert hi <= 1.0
    if n1 == 0 or n0 == 0:
        assert res.status == "not_enough_data" and "prior" in res.note
    else:
        assert res.status == "ok"


def test_empty_arms_give_the_prior():
    res = beta_binomial(0, 0, 0, 0, prior=(2.0, 5.0))
    assert res.status == "not_enough_data"
    assert res.note.startswith("treatment and control arms have no users")
    assert res.posterior_treatment == res.posterior_control == (2.0, 5.0)
    assert res.chance_to_beat_control == pytest.approx(0.5, abs=1e-12)


def test_control_posterior_concentrated_at_zero():
    """A tiny prior a and no control successes: most control mass is below 1e-300, the upper
    quantile of p_t/p_c is beyond exp(690): interval None with a note instead of inf."""
    res = beta_binomial(5, 100, 0, 1000, prior=(1e-3, 1.0))
    d = assert_json_clean(res)
    assert res.credible_interval is None and d["credible_interval"] is None
    assert "exp(690)" in res.note and "scale='absolute'" in res.note
    T, C = posteriors(5, 100, 0, 1000, (1e-3, 1.0))
    assert res.chance_to_beat_control == pytest.approx(ref_chance(T, C), abs=1e-11)
    assert res.expected_loss_control == pytest.approx(ref_loss(T, C), abs=1e-11)
    # the absolute scale is still available and exact
    ab = beta_binomial(5, 100, 0, 1000, prior=(1e-3, 1.0), scale="absolute")
    lo, hi = ab.credible_interval
    assert ref_lift_cdf(T, C, lo, "absolute") == pytest.approx(0.025, abs=1e-8)
    assert ref_lift_cdf(T, C, hi, "absolute") == pytest.approx(0.975, abs=1e-8)
    # a very wide but finite relative interval with the uniform prior
    wide = beta_binomial(5, 100, 0, 10)
    assert wide.credible_interval[1] > 10 and math.isfinite(wide.credible_interval[1])


@pytest.mark.parametrize("a1,b1,a0,b0", [
    (1e-3, 101, 1e-3, 301),  # both piled up below 1e-300 (prior a = 0.001, no successes)
    (1e-2, 51, 1e-2, 49),
    (0.03, 1001, 0.03, 11),
    (1e-3, 101, 2.001, 301),
    (101, 1e-3, 301, 1e-3),  # both piled up within 1e-300 of 1 (prior b = 0.001, no failures)
    (11, 0.03, 1001, 0.03),
])
def test_posteriors_piled_up_at_an_end_are_exact(a1, b1, a0, b0):
    """Beyond double precision near 0 or 1 the quadrature works in log space / with 1 - q; the
    Miller sum (one parameter whole) is an independent exact check."""
    quad = float(_LinearCdf(a0, b0, a1, b1, near_one=True)(1.0, 0.0)[0])  # P(p_c <= p_t)
    miller = float(_chance_to_beat_arrays(a1, b1, a0, b0))  # Miller: b or a is whole, all <= 2,000
    assert quad == pytest.approx(miller, abs=1e-12)


def test_tiny_priors_through_the_public_function():
    # symmetric data, tiny non-integer prior: exactly 1/2 and equal losses
    res = beta_binomial(0, 100, 0, 100, prior=(1e-3, 1.5))
    assert res.chance_to_beat_control == pytest.approx(0.5, abs=1e-12)
    assert res.expected_loss == pytest.approx(res.expected_loss_control, abs=1e-15)
    # mirrored data and prior (p -> 1 - p): the chance to beat flips
    lo = beta_binomial(0, 100, 0, 300, prior=(1e-3, 1.5))
    hi = beta_binomial(100, 100, 300, 300, prior=(1.5, 1e-3))
    assert lo.chance_to_beat_control + hi.chance_to_beat_control == pytest.approx(1.0, abs=1e-12)
    assert lo.expected_loss == pytest.approx(hi.expected_loss_control, abs=1e-13)
    # near 1 the lift is tiny but resolved (worked with 1 - p)
    for scale in ("relative", "absolute"):
        r = beta_binomial(100, 100, 300, 300, prior=(1.5, 1e-3), scale=scale)
        assert_json_clean(r)
        lo_, hi_ = r.credible_interval
        assert -1e-9 < lo_ < 0 < hi_ < 1e-9


def test_u_shaped_tiny_prior_on_an_empty_arm_stays_clean():
    # Beta(0.02, 0.02) control (no users): half its mass within 1e-300 of 0, half of 1
    res = beta_binomial(3, 3, 0, 0, prior=(0.02, 0.02))
    d = assert_json_clean(res)
    assert res.status == "not_enough_data"
    assert 0.0 <= d["chance_to_beat_control"] <= 1.0
    if d["credible_interval"] is None:
        assert "could not be computed" in res.note


_OK_ARGS = {"successes": 1, "n": 10, "successes_control": 1, "n_control": 10}


@pytest.mark.parametrize("override,match", [
    ({"successes": -1}, ">= 0"),
    ({"successes": 11}, "cannot exceed"),
    ({"successes": 1.5}, "whole number"),
    ({"prior": (0, 1)}, "prior"),
    ({"prior": (1, math.inf)}, "prior"),
    ({"prior": (1,)}, "prior"),
    ({"prior": "flat"}, "prior"),
    ({"alpha": 1.0}, "alpha"),
    ({"scale": "log"}, "scale"),
])
def test_validation(override, match):
    with pytest.raises(ValueError, match=match):
        beta_binomial(**{**_OK_ARGS, **override})


def test_frozen_and_to_dict_shape():
    res = beta_binomial(45, 100, 40, 100)
    with pytest.raises(AttributeError):
        res.alpha = 0.1  # type: ignore[misc]
    d = assert_json_clean(res)
    assert d["prior"] == [1.0, 1.0] and d["scale"] == "relative"
    assert d["credible_interval"] == list(res.credible_interval)


# --------------------------------------------------------------------------- simulations


def _draws(seed, n, p1, p0, sims):
    rng = np.random.default_rng(seed)
    return rng.binomial(n, p1, size=sims), rng.binomial(n, p0, size=sims)


def test_vector_helpers_equal_scalar_function():
    x1, x0 = _draws(11, 2000, 0.22, 0.2, 20)
    a1, b1, a0, b0 = 1.0 + x1, 1.0 + 2000 - x1, 1.0 + x0, 1.0 + 2000 - x0
    chance = _chance_to_beat_arrays(a1, b1, a0, b0)
    loss_t, loss_c = _expected_loss_arrays(a1, b1, a0, b0)
    ci = _credible_interval_arrays(a1, b1, a0, b0, 0.05, "relative")
    for i in range(20):
        res = beta_binomial(int(x1[i]), 2000, int(x0[i]), 2000)
        assert res.chance_to_beat_control == pytest.approx(chance[i], abs=1e-14)
        assert res.expected_loss == pytest.approx(loss_t[i], abs=1e-14)
        assert res.expected_loss_control == pytest.approx(loss_c[i], abs=1e-14)
        assert res.credible_interval == pytest.approx((ci.low[i], ci.high[i]), abs=1e-11)


@pytest.mark.slow
def test_relative_credible_interval_frequentist_coverage():
    """Flat prior, p0 = 0.2, p1 = 0.22, n = 2000 per arm, 8,000 experiments (MC SE 0.0024)."""
    p0, p1, n, sims = 0.2, 0.22, 2000, 8000
    x1, x0 = _draws(20240612, n, p1, p0, sims)
    ci = _credible_interval_arrays(1.0 + x1, 1.0 + n - x1, 1.0 + x0, 1.0 + n - x0, 0.05, "relative")
    assert not np.isnan(ci.low).any() and not np.isnan(ci.high).any()
    true_lift = p1 / p0 - 1.0
    cover = float(np.mean((ci.low <= true_lift) & (true_lift <= ci.high)))
    print(f"relative-lift 95% credible interval, frequentist coverage: {cover:.4f}")
    assert 0.94 <= cover <= 0.96


@pytest.mark.slow
def test_chance_to_beat_uniform_under_aa():
    """Under A/A (p = 0.2, n = 2000 per arm, flat prior) P(p_t > p_c) is ~Uniform(0, 1)."""
    x1, x0 = _draws(20240613, 2000, 0.2, 0.2, 20_000)
    p = _chance_to_beat_arrays(1.0 + x1, 1.0 + 2000 - x1, 1.0 + x0, 1.0 + 2000 - x0)
    share = float(np.mean(p > 0.95))
    print(f"A/A share with chance to beat control > 0.95: {share:.4f}")
    assert 0.035 <= share <= 0.065
    assert 0.035 <= float(np.mean(p < 0.05)) <= 0.065
    assert 0.48 <= float(np.mean(p > 0.5)) <= 0.52
