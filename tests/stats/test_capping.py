"""Capping (lib/stats/capping.py): the cap against numpy's quantile, and a seeded calibration on
heavy-tailed data (log-normal sigma 1.5, Pareto alpha 1.8): variance, bias against the uncapped
difference, and coverage of the capped estimand (figures in docs/statistics.md)."""
from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import optimize, stats

from guidelab.stats.capping import cap_rank, capped, quantile_cap
from guidelab.stats.means import MeanStats, compare_means

LIFT = 1.05  # the treatment multiplies every user's value by 1.05


@pytest.mark.parametrize("n", [1, 2, 7, 100, 101, 999, 12345])
@pytest.mark.parametrize("q", [0.5001, 0.9, 0.95, 0.99, 0.999])
def test_cap_is_numpy_inverted_cdf_quantile(n, q):
    values = np.random.default_rng(n).integers(0, 50, n).astype(float)
    assert quantile_cap(values, q) == float(np.quantile(values, q, method="inverted_cdf"))
    assert cap_rank(q, n) == max(1, math.ceil(q * n - 1e-9))


def test_cap_rank_is_exact_for_decimal_quantiles():
    assert cap_rank(0.99, 100) == 99 and cap_rank(0.99, 101) == 100 and cap_rank(0.7, 10) == 7
    with pytest.raises(ValueError):
        cap_rank(1.0, 10)
    with pytest.raises(ValueError):
        cap_rank(0.9, 0)
    assert list(capped([1.0, 5.0, 9.0], 5.0)) == [1.0, 5.0, 5.0]


# --- the populations: closed forms of the mean, the capped mean and the CDF ------------------------

class LogNormal:
    name = "log-normal (sigma 1.5)"

    def __init__(self, sigma: float = 1.5, mu: float = 0.0):
        self.sigma, self.mu = sigma, mu

    def draw(self, rng, shape):
        return rng.lognormal(self.mu, self.sigma, shape)

    def cdf(self, x, scale=1.0):
        return stats.norm.cdf((np.log(x / scale) - self.mu) / self.sigma)

    def mean(self, scale=1.0):
        return scale * math.exp(self.mu + self.sigma ** 2 / 2)

    def capped_mean(self, c, scale=1.0):
        """E[min(X, c)] = E[X] Φ((ln c - μ - σ²)/σ) + c (1 - Φ((ln c - μ)/σ)) for X = scale·LN(μ, σ)."""
        z = (math.log(c / scale) - self.mu) / self.sigma
        return self.mean(scale) * stats.norm.cdf(z - self.sigma) + c * stats.norm.sf(z)


class Pareto:
    name = "Pareto (alpha 1.8, infinite variance)"

    def __init__(self, alpha: float = 1.8):
        self.alpha = alpha

    def draw(self, rng, shape):
        return (1.0 - rng.random(shape)) ** (-1.0 / self.alpha)  # x_m = 1

    def cdf(self, x, scale=1.0):
        return np.where(x < scale, 0.0, 1.0 - (np.maximum(x, scale) / scale) ** -self.alpha)

    def mean(self, scale=1.0):
        return scale * self.alpha / (self.alpha - 1)

    def capped_mean(self, c, scale=1.0):
        """E[min(X, c)] = ∫ S = scale (1 + ((c/scale)^(1-α) - 1)/(1 - α)) for c >= scale."""
        u = c / scale
        return scale * (1.0 + (u ** (1 - self.alpha) - 1.0) / (1 - self.alpha)) if u >= 1 else c


def _truth(pop, q: float) -> tuple[float, float, float]:
    """(population cap: the q-quantile of the 50/50 pooled arms, capped difference, uncapped difference)."""
    pooled = lambda x: 0.5 * (pop.cdf(x) + pop.cdf(x, LIFT)) - q  # noqa: E731
    cap = optimize.brentq(pooled, 1e-9, 1e9, xtol=1e-12, rtol=1e-14)
    return cap, pop.capped_mean(cap, LIFT) - pop.capped_mean(cap), pop.mean(LIFT) - pop.mean()


def calibrate(pop, reps: int, n: int, q: float = 0.99, seed: int = 20261130) -> dict[str, float]:
    """``reps`` experiments of ``n`` users per arm: the pooled-quantile cap, Welch on the capped and
    on the raw values. Variance factor = var(capped diff)/var(raw diff) over the experiments;
    bias relative to the uncapped difference; coverage of each interval for its own estimand."""
    rng = np.random.default_rng(seed)
    cap_true, capped_truth, raw_truth = _truth(pop, q)
    diffs, raw_diffs, hit, raw_hit, share = [], [], 0, 0, []
    for _ in range(reps):
        c = pop.draw(rng, n)
        t = pop.draw(rng, n) * LIFT
        cap = quantile_cap(np.concatenate([t, c]), q)
        res = compare_means(MeanStats.from_values(capped(t, cap)), MeanStats.from_values(capped(c, cap)))
        raw = compare_means(MeanStats.from_values(t), MeanStats.from_values(c))
        diffs.append(res.abs_diff)
        raw_diffs.append(raw.abs_diff)
        hit += res.abs_ci[0] <= capped_truth <= res.abs_ci[1]
        raw_hit += raw.abs_ci[0] <= raw_truth <= raw.abs_ci[1]
        share.append(float(np.mean(t > cap)))
    d, r = np.asarray(diffs), np.asarray(raw_diffs)
    return {"reps": reps, "n": n, "cap": cap_true, "capped_truth": capped_truth, "raw_truth": raw_truth,
            "variance_factor": float(d.var(ddof=1) / r.var(ddof=1)),
            "relative_bias": float((d.mean() - raw_truth) / raw_truth),
            "coverage_capped": hit / reps, "coverage_raw": raw_hit / reps, "share_capped_treatment": float(np.mean(share))}


def test_truth_closed_forms_match_monte_carlo():
    rng = np.random.default_rng(1)
    for pop in (LogNormal(), Pareto()):
        x = pop.draw(rng, 2_000_000)
        cap, _, _ = _truth(pop, 0.99)
        assert np.minimum(x, cap).mean() == pytest.approx(pop.capped_mean(cap), rel=2e-3)
        both = np.concatenate([x, pop.draw(rng, 2_000_000) * LIFT])
        assert float(np.mean(both <= cap)) == pytest.approx(0.99, abs=3e-4)


def test_calibration_smoke():
    out = calibrate(LogNormal(), reps=150, n=1000)
    assert out["variance_factor"] < 0.6 and out["coverage_capped"] >= 0.85


@pytest.mark.slow
@pytest.mark.parametrize("pop", [LogNormal(), Pareto()], ids=["lognormal", "pareto"])
def test_calibration(pop):
    """Seeded: 2,000 experiments of 2,000 users per arm, cap at the pooled 99th percentile."""
    out = calibrate(pop, reps=2000, n=2000)
    assert 0.93 <= out["coverage_capped"] <= 0.97, out
    assert out["variance_factor"] < 0.5, out          # capping removes most of the tail's variance
    assert -0.6 < out["relative_bias"] < -0.05, out   # ... at the price of a bias towards 0
