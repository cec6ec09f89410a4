"""Post-stratification (lib/stats/poststrat.py): against statsmodels OLS and a seeded simulation."""
from __future__ import annotations

import numpy as np
import pytest

from guidelab.stats.cuped import CovariateStats
from guidelab.stats.poststrat import OTHER_STRATUM, collapse_strata, compare_poststratified


def _cells(y: np.ndarray, x: np.ndarray, strata: np.ndarray, arm: np.ndarray, j: int) -> dict[str, CovariateStats]:
    out = {}
    for s in np.unique(strata):
        m = (arm == j) & (strata == s)
        if m.any():
            out[str(s)] = CovariateStats.from_values(y[m], x[m])
    return out


def _data(rng: np.random.Generator, n: int, effect: float = 0.3):
    strata = rng.choice(np.array(["a", "b", "c", "d"]), size=n, p=[0.4, 0.3, 0.2, 0.1])
    level = {"a": 0.0, "b": 1.0, "c": 2.5, "d": 4.0}
    mu = np.array([level[s] for s in strata])
    arm = (rng.random(n) < 0.5).astype(int)
    x = rng.poisson(1 + mu)  # a pre-period covariate, correlated with the stratum and the outcome
    y = mu + 0.5 * x + effect * arm + rng.normal(0, 1 + 0.3 * mu, n)
    return y, x.astype(float), strata, arm


def test_estimate_equals_lin_regression_and_se_close_to_hc2():
    sm = pytest.importorskip("statsmodels.api")
    rng = np.random.default_rng(20261130)
    y, x, strata, arm = _data(rng, 4000)
    res = compare_poststratified(_cells(y, x, strata, arm, 1), _cells(y, x, strata, arm, 0))
    # Lin (2013): y ~ T + Dc + T*Dc with stratum dummies centred at their pooled means
    dummies = np.column_stack([(strata == s).astype(float) for s in ("b", "c", "d")])
    dc = dummies - dummies.mean(axis=0)
    design = sm.add_constant(np.column_stack([arm, dc, arm[:, None] * dc]))
    fit = sm.OLS(y, design).fit(cov_type="HC2")
    assert res.abs_diff == pytest.approx(fit.params[1], rel=1e-10)
    assert res.se_abs_diff == pytest.approx(fit.bse[1], rel=0.01)
    assert res.status == "ok" and res.strata == 4 and res.strata_collapsed == 0


def test_with_covariate_equals_cell_ols_with_common_slope():
    sm = pytest.importorskip("statsmodels.api")
    rng = np.random.default_rng(7)
    y, x, strata, arm = _data(rng, 3000)
    res = compare_poststratified(_cells(y, x, strata, arm, 1), _cells(y, x, strata, arm, 0), covariate=True)
    levels = ["a", "b", "c", "d"]
    cell = np.column_stack([((strata == s) & (arm == j)).astype(float) for s in levels for j in (0, 1)])
    fit = sm.OLS(y, np.column_stack([cell, x])).fit()
    theta = fit.params[-1]
    w = np.array([(strata == s).mean() for s in levels])
    alpha = fit.params[:-1].reshape(4, 2)
    assert res.theta == pytest.approx(theta, rel=1e-9)
    assert res.abs_diff == pytest.approx(float(w @ (alpha[:, 1] - alpha[:, 0])), rel=1e-9)
    # closed form of the variance: within-cell residuals of the fitted common slope
    var = 0.0
    for j in (0, 1):
        for k, s in enumerate(levels):
            m = (strata == s) & (arm == j)
            r = y[m] - theta * x[m]
            var += w[k] ** 2 * r.var(ddof=1) / m.sum()
    assert res.se_abs_diff == pytest.approx(np.sqrt(var), rel=1e-9)
    plain = compare_poststratified({"all": CovariateStats.from_values(y[arm == 1], x[arm == 1])},
                                   {"all": CovariateStats.from_values(y[arm == 0], x[arm == 0])})
    assert res.variance_reduction > plain.variance_reduction + 0.3


def test_single_stratum_is_the_plain_difference():
    rng = np.random.default_rng(3)
    y1, y0 = rng.normal(1, 2, 50), rng.normal(0.5, 2, 70)
    res = compare_poststratified({"x": CovariateStats.from_values(y1, y1 * 0)},
                                 {"x": CovariateStats.from_values(y0, y0 * 0)})
    se = np.sqrt(y1.var(ddof=1) / 50 + y0.var(ddof=1) / 70)
    assert res.abs_diff == pytest.approx(y1.mean() - y0.mean())
    assert res.se_abs_diff == pytest.approx(se)
    assert res.variance_reduction == pytest.approx(0.0, abs=1e-12)


def test_small_strata_are_collapsed_never_crash():
    rng = np.random.default_rng(5)
    big = {k: CovariateStats.from_values(rng.normal(size=40), np.zeros(40)) for k in ("p", "q")}
    tiny_t = {"r": CovariateStats.from_values([1.0], [0.0]), "s": CovariateStats.from_values([2.0, 3.0], [0.0, 0.0])}
    tiny_c = {"r": CovariateStats.from_values([0.0, 4.0], [0.0, 0.0])}  # "s" absent from the control
    cells, collapsed, users = collapse_strata({**big, **tiny_t}, {**big, **tiny_c})
    assert collapsed == 2 and users == 1 + 2 + 2
    assert OTHER_STRATUM not in cells and set(cells) == {"p", "q"}  # the pool joined the largest stratum
    assert cells["q"][0].n == 43
    res = compare_poststratified({**big, **tiny_t}, {**big, **tiny_c})
    assert res.status == "ok" and res.strata == 2 and res.users_collapsed == 5
    # every stratum tiny: one pooled stratum, the plain difference
    only = compare_poststratified(tiny_t, tiny_c)
    assert only.strata == 1 and only.status == "ok"
    assert only.abs_diff == pytest.approx(2.0 - 2.0)
    # an empty arm: not enough data, no exception
    empty = compare_poststratified(tiny_t, {})
    assert empty.status == "not_enough_data" and empty.abs_ci is None


def test_constant_outcome_is_not_enough_data():
    a = {"x": CovariateStats.from_values([1.0] * 20, [0.0] * 20)}
    assert compare_poststratified(a, a).status == "not_enough_data"


STRATA = ("free-web", "free-mobile", "pro-web", "pro-mobile", "trial")
SHARES = np.array([0.45, 0.25, 0.15, 0.1, 0.05])
BASE = np.array([1.0, 0.6, 3.0, 2.2, 1.5])  # mean sessions per stratum in the control


def _simulate(seed: int, reps: int, n: int, effect: float = 0.2, covariate: bool = False) -> tuple[float, float]:
    """Coverage of the 95% interval and the mean variance reduction over ``reps`` experiments of
    ``n`` users: Poisson counts whose mean depends on the stratum, a relative effect (so the
    absolute effect differs by stratum), arms by a fair coin. The truth is the population effect
    Σ_s share_s · effect · base_s; per-cell sums come from np.bincount (not from the code under test).
    ``covariate``: each user also has an engagement g ~ Gamma(2, 1/2) (mean 1) multiplying the
    outcome's mean, and a pre-period count x ~ Poisson(2 g base_s): CUPED within strata."""
    rng = np.random.default_rng(seed)
    truth = effect * float(SHARES @ BASE)
    hits, vr = 0, []
    k = 2 * len(STRATA)
    for _ in range(reps):
        s = rng.choice(len(STRATA), size=n, p=SHARES)
        arm = (rng.random(n) < 0.5).astype(int)
        g = rng.gamma(2.0, 0.5, n) if covariate else np.ones(n)
        y = rng.poisson(BASE[s] * g * (1 + effect * arm)).astype(float)
        x = rng.poisson(2 * BASE[s] * g).astype(float) if covariate else np.zeros(n)
        cell = s * 2 + arm
        cnt, sy, syy, sx, sxx, sxy = (np.bincount(cell, weights=w, minlength=k)
                                      for w in (None, y, y * y, x, x * x, x * y))
        arms = [{STRATA[i]: CovariateStats(n=int(cnt[c]), sum_x=sx[c], sum_y=sy[c], sum_x2=sxx[c], sum_y2=syy[c],
                                           sum_xy=sxy[c])
                 for i in range(len(STRATA)) if cnt[c := 2 * i + j]} for j in (1, 0)]
        res = compare_poststratified(arms[0], arms[1], covariate=covariate)
        hits += res.abs_ci[0] <= truth <= res.abs_ci[1]
        vr.append(res.variance_reduction)
    return hits / reps, float(np.mean(vr))


def test_simulation_smoke():
    coverage, vr = _simulate(11, 100, 1000)
    assert 0.85 <= coverage <= 1.0 and 0.15 < vr < 0.6


@pytest.mark.slow
def test_calibration_coverage_and_variance_reduction():
    """Seeded: 4,000 experiments of 2,000 users; coverage in [0.94, 0.96] (docs/statistics.md)."""
    coverage, vr = _simulate(20261130, 4000, 2000)
    assert 0.94 <= coverage <= 0.96, coverage
    assert 0.25 < vr < 0.45, vr


@pytest.mark.slow
def test_calibration_with_cuped_within_strata():
    """Seeded: 2,000 experiments of 2,000 users with a pre-period covariate: coverage in [0.94, 0.96]."""
    coverage, vr = _simulate(20261201, 2000, 2000, covariate=True)
    assert 0.94 <= coverage <= 0.96, coverage
    assert vr > 0.35, vr
