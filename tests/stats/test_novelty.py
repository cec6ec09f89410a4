"""daily_effects / novelty_test: closed-form WLS, calibration and power simulations, edge cases."""
from __future__ import annotations

import datetime as dt
import json
import math

import numpy as np
import pytest
from scipy.stats import t as student_t

from guidelab.stats import compare_proportions
from guidelab.stats.novelty import (
    DailyEffects,
    _classify,
    _daily_arrays,
    _trend_test,
    daily_effects,
    novelty_test,
)

DAYS = 28
BASE = 0.10


def closed_form_wls(x, y, var):
    """Weighted regression of y on x with weights 1/var, scale estimated (k - 2 df), by hand."""
    w = 1.0 / np.asarray(var, dtype=float)
    x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    xw, yw = np.sum(w * x) / np.sum(w), np.sum(w * y) / np.sum(w)
    sxx = np.sum(w * (x - xw) ** 2)
    slope = np.sum(w * (x - xw) * (y - yw)) / sxx
    intercept = yw - slope * xw
    resid = y - intercept - slope * x
    df = x.size - 2
    s2 = np.sum(w * resid ** 2) / df
    se = math.sqrt(s2 / sxx)
    p = 2.0 * student_t.sf(abs(slope / se), df)
    return slope, se, p, intercept, yw, df


def make_counts(seed, n=4000, effects=None):
    rng = np.random.default_rng(seed)
    eff = np.full(DAYS, 0.01) if effects is None else effects
    x0 = rng.binomial(n, BASE, size=DAYS)
    x1 = rng.binomial(n, BASE + eff, size=DAYS)
    return list(range(DAYS)), x1.tolist(), [n] * DAYS, x0.tolist(), [n] * DAYS


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_daily_and_cumulative_match_compare_proportions(seed):
    days, x1, n1, x0, n0 = make_counts(seed)
    res = daily_effects(days, x1, n1, x0, n0, alpha=0.1)
    assert len(res.days) == DAYS and res.note is None
    for i, d in enumerate(res.days):
        assert d.day == i and d.day_index == i
        assert d.daily == compare_proportions(x1[i], n1[i], x0[i], n0[i], alpha=0.1)
        assert d.cumulative == compare_proportions(
            sum(x1[: i + 1]), sum(n1[: i + 1]), sum(x0[: i + 1]), sum(n0[: i + 1]), alpha=0.1
        )
        p1, p0 = x1[i] / n1[i], x0[i] / n0[i]
        assert d.se == pytest.approx(math.sqrt(p1 * (1 - p1) / n1[i] + p0 * (1 - p0) / n0[i]), rel=1e-12)
    json.dumps(res.to_dict(), allow_nan=False)


@pytest.mark.parametrize("seed", [1, 2, 3, 4])
def test_trend_matches_closed_form_weighted_regression(seed):
    days, x1, n1, x0, n0 = make_counts(seed, effects=0.03 * 0.5 ** (np.arange(DAYS) / 3))
    daily = daily_effects(days, x1, n1, x0, n0)
    res = novelty_test(daily)
    y = [d.daily.abs_diff for d in daily.days]
    var = [d.se ** 2 for d in daily.days]
    slope, se, p, intercept, mean_effect, df = closed_form_wls(days, y, var)
    assert res.status == "ok" and res.days_used == DAYS and res.days_skipped == ()
    assert res.slope == pytest.approx(slope, abs=1e-9, rel=1e-9)
    assert res.slope_se == pytest.approx(se, abs=1e-9, rel=1e-9)
    assert res.p_value == pytest.approx(p, abs=1e-9)
    assert res.intercept == pytest.approx(intercept, abs=1e-9)
    assert res.mean_effect == pytest.approx(mean_effect, abs=1e-12)
    assert res.df == df == DAYS - 2
    tq = student_t.ppf(0.975, df)
    assert res.slope_ci == pytest.approx((slope - tq * se, slope + tq * se), abs=1e-9)
    expected = "stable" if p >= 0.05 else ("novelty" if slope * mean_effect < 0 else "primacy")
    assert res.classification == expected
    json.dumps(res.to_dict(), allow_nan=False)


@pytest.mark.parametrize("seed", [5, 6, 7])
def test_trend_matches_statsmodels_wls(seed):
    """The fit is statsmodels' WLS (numbers, not code, are shared): slope, intercept, SE, p, df."""
    from statsmodels.regression.linear_model import WLS
    from statsmodels.tools.tools import add_constant

    rng = np.random.default_rng(seed)
    x = np.sort(rng.choice(60, size=20, replace=False)).astype(float)
    var = rng.uniform(1e-5, 4e-5, size=20)
    y = 0.02 - 0.0004 * x + rng.normal(0.0, np.sqrt(var) * rng.uniform(0.5, 2.0))
    fit = WLS(y, add_constant(x), weights=1.0 / var).fit()
    trend = _trend_test(x, y, var)
    assert trend.slope == pytest.approx(fit.params[1], rel=1e-9)
    assert trend.intercept == pytest.approx(fit.params[0], rel=1e-9)
    assert trend.slope_se == pytest.approx(fit.bse[1], rel=1e-9)
    assert trend.p_value == pytest.approx(fit.pvalues[1], rel=1e-7, abs=1e-15)
    assert trend.df == fit.df_resid == 18


def test_calendar_dates_use_real_spacing():
    start = dt.date(2024, 3, 1)
    days = [start, start + dt.timedelta(days=1), start + dt.timedelta(days=3), start + dt.timedelta(days=7)]
    res = daily_effects(days, [110, 120, 90, 100], [1000] * 4, [100, 100, 100, 100], [1000] * 4)
    assert [d.day_index for d in res.days] == [0, 1, 3, 7]
    assert res.to_dict()["days"][2]["day"] == "2024-03-04"
    nov = novelty_test(res)
    y = [d.daily.abs_diff for d in res.days]
    slope, *_ = closed_form_wls([0, 1, 3, 7], y, [d.se ** 2 for d in res.days])
    assert nov.slope == pytest.approx(slope, abs=1e-12)


def test_novelty_and_primacy_labels():
    days = list(range(10))
    n = [20000] * 10
    x0 = [2000] * 10
    fading = novelty_test(daily_effects(days, [2600 - 60 * i + (i % 2) * 7 for i in days], n, x0, n))
    assert fading.classification == "novelty" and fading.slope < 0 < fading.mean_effect
    growing = novelty_test(daily_effects(days, [2100 + 60 * i + (i % 2) * 7 for i in days], n, x0, n))
    assert growing.classification == "primacy" and growing.slope > 0 and growing.mean_effect > 0
    negative_fading = novelty_test(daily_effects(days, [1400 + 60 * i + (i % 3) * 9 for i in days], n, x0, n))
    assert negative_fading.classification == "novelty" and negative_fading.slope > 0 > negative_fading.mean_effect


# --------------------------------------------------------------------------- calibration / power


def simulate_classifications(effects: np.ndarray, n: int, sims: int, seed: int) -> np.ndarray:
    """Classification of `sims` 28-day experiments, n users per arm per day (same code path as
    novelty_test: _daily_arrays for the daily effects and variances, _trend_test for the fit)."""
    rng = np.random.default_rng(seed)
    x0 = rng.binomial(n, BASE, size=(sims, DAYS))
    x1 = rng.binomial(n, BASE + effects, size=(sims, DAYS))
    a = _daily_arrays(x1, n, x0, n)
    idx = np.arange(DAYS)
    return np.array([_classify(_trend_test(idx, a.abs_diff[i], a.var[i]), 0.05) for i in range(sims)])


def test_constant_effect_false_trend_rate():
    """Constant +10% relative effect (10% -> 11%), 28 days, 4,000 users/arm/day, 4,000 runs:
    "novelty" or "primacy" in 3-7% of runs at alpha 0.05."""
    labels = simulate_classifications(np.full(DAYS, 0.01), n=4000, sims=4000, seed=2024)
    rate = float(np.mean(labels != "stable"))
    assert 0.03 <= rate <= 0.07, rate


def test_decaying_effect_detected_as_novelty():
    """+30% relative on day 0 (10% -> 13%) halving every 3 days towards +0%, 28 days,
    2,000 users/arm/day, 2,000 runs: classified "novelty" in > 80% of runs."""
    effects = BASE * 0.30 * 0.5 ** (np.arange(DAYS) / 3.0)
    labels = simulate_classifications(effects, n=2000, sims=2000, seed=99)
    power = float(np.mean(labels == "novelty"))
    assert power > 0.8, power
    assert float(np.mean(labels == "primacy")) < 0.01


def test_simulation_core_is_what_novelty_test_returns():
    days, x1, n1, x0, n0 = make_counts(5)
    res = novelty_test(daily_effects(days, x1, n1, x0, n0))
    a = _daily_arrays(np.array(x1), np.array(n1), np.array(x0), np.array(n0))
    core = _trend_test(np.arange(DAYS), a.abs_diff, a.var)
    assert res.p_value == pytest.approx(core.p_value, rel=1e-12) and res.slope == pytest.approx(core.slope, rel=1e-12)


# --------------------------------------------------------------------------- degenerate inputs


def test_empty_days_are_skipped():
    days, x1, n1, x0, n0 = make_counts(6)
    n1[3] = 0
    x1[3] = 0
    x0[10], n0[10] = 0, 0
    x1[12], x0[12] = 0, 0  # zero variance day: both rates 0
    daily = daily_effects(days, x1, n1, x0, n0)
    assert daily.days[3].daily.status == "not_enough_data" and daily.days[3].se is None
    assert daily.days[3].cumulative.status == "ok"
    assert daily.days[12].se is None and daily.days[12].daily.status == "ok"
    assert "3" in daily.note and "10" in daily.note
    res = novelty_test(daily)
    assert res.status == "ok" and res.days_skipped == (3, 10, 12) and res.days_used == DAYS - 3
    keep = [i for i in range(DAYS) if i not in (3, 10, 12)]
    y = [daily.days[i].daily.abs_diff for i in keep]
    slope, _se, p, *_ = closed_form_wls(keep, y, [daily.days[i].se ** 2 for i in keep])
    assert res.slope == pytest.approx(slope, abs=1e-12) and res.p_value == pytest.approx(p, abs=1e-9)
    assert res.df == DAYS - 5
    json.dumps(daily.to_dict(), allow_nan=False)
    json.dumps(res.to_dict(), allow_nan=False)


def test_not_enough_days():
    daily = daily_effects([0, 1, 2], [10, 0, 12], [100, 0, 100], [8, 5, 9], [100, 50, 100])
    assert daily.days[0].cumulative.status == "ok"
    res = novelty_test(daily)
    assert res.status == "not_enough_data" and res.classification is None and res.p_value is None
    assert res.days_used == 2 and res.days_skipped == (1,)
    json.dumps(res.to_dict(), allow_nan=False)

    all_empty = daily_effects([0], [0], [0], [0], [0])
    assert all_empty.days[0].cumulative.status == "not_enough_data"
    json.dumps(all_empty.to_dict(), allow_nan=False)
    assert novelty_test(all_empty).status == "not_enough_data"


def test_effects_exactly_on_a_line():
    # daily differences 0.01, 0.02, 0.03 exactly: residual variance 0
    daily = daily_effects([0, 1, 2], [110, 120, 130], [1000] * 3, [100] * 3, [1000] * 3)
    res = novelty_test(daily)
    assert res.status == "not_enough_data" and res.classification is None
    assert res.slope == pytest.approx(0.01) and res.p_value is None
    json.dumps(res.to_dict(), allow_nan=False)


@pytest.mark.parametrize(
    "args,match",
    [
        (([], [], [], [], []), "at least one day"),
        (([0, 1], [1], [10, 10], [1, 1], [10, 10]), "same length"),
        (([1, 0], [1, 1], [10, 10], [1, 1], [10, 10]), "strictly increasing"),
        ((["mon", "tue"], [1, 1], [10, 10], [1, 1], [10, 10]), "ints"),
        (([0, 1], [11, 1], [10, 10], [1, 1], [10, 10]), "cannot exceed"),
    ],
)
def test_invalid_inputs(args, match):
    with pytest.raises(ValueError, match=match):
        daily_effects(*args)


def test_invalid_novelty_arguments():
    with pytest.raises(ValueError, match="DailyEffects"):
        novelty_test([])  # type: ignore[arg-type]
    daily = daily_effects([0, 1, 2], [10, 11, 12], [100] * 3, [8, 9, 9], [100] * 3)
    assert isinstance(daily, DailyEffects)
    with pytest.raises(ValueError, match="alpha"):
        novelty_test(daily, alpha=2)
