"""Retention curves, funnels and time to complete: closed forms, statsmodels, edge cases, coverage."""
from __future__ import annotations

import json
import math

import numpy as np
import pytest
from scipy.stats import t as student_t
from statsmodels.stats.proportion import proportion_confint

from guidelab.stats.curves import (
    Funnel,
    RetentionCurve,
    compare_curves,
    compare_funnels,
    funnel,
    retention_curve,
    time_to_complete,
)
from guidelab.stats.proportions import compare_proportions


def _clean_json(d: dict) -> dict:
    json.dumps(d, allow_nan=False)  # raises on NaN/inf
    return d


# --------------------------------------------------------------------------- retention


@pytest.mark.parametrize("alpha", [0.05, 0.1, 0.01])
def test_retention_curve_wilson_matches_statsmodels(alpha):
    days, n, active = [1, 7, 14, 30], [1000, 820, 600, 37], [412, 230, 150, 0]
    curve = retention_curve(days, n, active, alpha=alpha)
    assert isinstance(curve, RetentionCurve) and curve.status == "ok" and curve.note is None
    assert curve.days == (1, 7, 14, 30)
    for p, m, x in zip(curve.points, n, active):
        lo, hi = proportion_confint(x, m, alpha=alpha, method="wilson")
        assert p.rate == x / m
        assert p.ci[0] == pytest.approx(lo, abs=1e-12) and p.ci[1] == pytest.approx(hi, abs=1e-12)
    _clean_json(curve.to_dict())


def test_retention_curve_skips_days_without_matured_users():
    curve = retention_curve([1, 7, 30], [50, 10, 0], [20, 3, 0])
    last = curve.points[-1]
    assert last.status == "not_enough_data" and last.rate is None and last.ci is None
    assert curve.status == "ok" and "day(s) 30" in curve.note
    assert retention_curve([1], [0], [0]).status == "not_enough_data"
    assert retention_curve([], [], []).status == "not_enough_data"
    _clean_json(curve.to_dict())


@pytest.mark.parametrize(
    "args,match",
    [
        (([1, 2], [10], [1, 2]), "same length"),
        (([1, 1], [10, 10], [1, 2]), "strictly increasing"),
        (([1], [10], [11]), "cannot exceed"),
        (([1], [-1], [0]), ">= 0"),
    ],
)
def test_retention_curve_validation(args, match):
    with pytest.raises(ValueError, match=match):
        retention_curve(*args)


def test_compare_curves_reuses_compare_proportions():
    t = retention_curve([1, 7, 14], [1000, 800, 500], [450, 260, 140])
    c = retention_curve([1, 7, 30], [990, 790, 100], [400, 220, 20])
    cmp = compare_curves(t, c, alpha=0.1)
    assert cmp.days == (1, 7) and "14, 30" in cmp.note
    for comp, (x1, n1, x0, n0) in zip(cmp.comparisons, [(450, 1000, 400, 990), (260, 800, 220, 790)]):
        assert comp == compare_proportions(x1, n1, x0, n0, alpha=0.1)
        assert comp.rel_lift == pytest.approx((x1 / n1) / (x0 / n0) - 1, abs=1e-12)
    d = _clean_json(cmp.to_dict())
    assert d["points"][0]["day"] == 1 and d["points"][0]["rel_ci"] is not None
    # an arm with no matured users on a day -> that day is not_enough_data, not an error
    e = compare_curves(retention_curve([1], [0], [0]), retention_curve([1], [5], [1]))
    assert e.comparisons[0].status == "not_enough_data"
    _clean_json(e.to_dict())


@pytest.mark.slow
def test_wilson_retention_point_coverage():
    # 10,000 simulated cohorts for each of four (n, p); the CIs come from retention_curve itself,
    # evaluated once per distinct count (vectorised lookup).
    rng = np.random.default_rng(7)
    covered = []
    for n, p in [(200, 0.3), (500, 0.3), (1000, 0.2), (300, 0.4)]:
        x = rng.binomial(n, p, 10_000)
        ux, inv = np.unique(x, return_inverse=True)
        curve = retention_curve(list(range(ux.size)), [n] * ux.size, ux.tolist())
        lo = np.array([pt.ci[0] for pt in curve.points])[inv]
        hi = np.array([pt.ci[1] for pt in curve.points])[inv]
        covered.append((lo <= p) & (p <= hi))
    coverage = float(np.mean(np.concatenate(covered)))
    assert 0.94 <= coverage <= 0.96, coverage


# --------------------------------------------------------------------------- funnels


STEPS = ["opened", "step 2", "step 3", "completed"]


def test_funnel_closed_form():
    f = funnel(STEPS, [900, 600, 540, 300], entered=1000, alpha=0.05)
    assert isinstance(f, Funnel) and f.status == "ok" and f.note is None
    prev = [1000, 900, 600, 540]
    for s, r, m in zip(f.steps, [900, 600, 540, 300], prev):
        assert s.previous == m and s.dropped == m - r
        assert s.conversion == r / m and s.drop_share == (m - r) / m
        lo, hi = proportion_confint(r, m, alpha=0.05, method="wilson")
        assert s.conversion_ci == (pytest.approx(lo, abs=1e-12), pytest.approx(hi, abs=1e-12))
        lo, hi = proportion_confint(r, 1000, alpha=0.05, method="wilson")
        assert s.reach_rate == r / 1000 and s.reach_ci[0] == pytest.approx(lo, abs=1e-12)
    assert f.completion == 0.3
    lo, hi = proportion_confint(300, 1000, method="wilson")
    assert f.completion_ci == (pytest.approx(lo, abs=1e-12), pytest.approx(hi, abs=1e-12))
    # drops: 100 (10%), 300 (33%), 60 (10%), 240 (44%)
    assert (f.largest_drop.step, f.largest_drop.users) == ("step 2", 300)
    assert f.largest_drop.share == pytest.approx(1 / 3)
    assert (f.largest_relative_drop.step, f.largest_relative_drop.users) == ("completed", 240)
    assert f.largest_relative_drop.share == pytest.approx(240 / 540)
    _clean_json(f.to_dict())


def test_funnel_largest_drop_ties_go_to_the_earliest_step():
    f = funnel(["a", "b", "c"], [80, 60, 40], entered=100)
    assert f.largest_drop.step == "a" and f.largest_drop.users == 20
    assert f.largest_relative_drop.step == "c"  # 20/60 beats 20/80 and 20/100


def test_funnel_monotonicity_errors_name_the_step():
    with pytest.raises(ValueError, match=r"step 'step 3' has 700 users but 'step 2' has only 600"):
        funnel(STEPS, [900, 600, 700, 300], entered=1000)
    with pytest.raises(ValueError, match=r"step 'opened' has 1001 users but 'entered' has only 1000"):
        funnel(STEPS, [1001, 600, 500, 300], entered=1000)


@pytest.mark.parametrize(
    "names,reached,entered,match",
    [
        ([], [], 10, "at least one step"),
        (["a", "a"], [5, 4], 10, "unique"),
        (["a", ""], [5, 4], 10, "non-empty"),
        (["a", "b"], [5], 10, "same length"),
        (["a"], [-1], 10, ">= 0"),
        (["a"], [1.5], 10, "whole number"),
    ],
)
def test_funnel_validation(names, reached, entered, match):
    with pytest.raises(ValueError, match=match):
        funnel(names, reached, entered)


def test_funnel_no_users_at_a_step():
    f = funnel(STEPS, [40, 0, 0, 0], entered=50)
    assert f.status == "ok" and f.completion == 0.0 and f.completion_ci[0] == 0.0
    s2, s3 = f.steps[1], f.steps[2]
    assert s2.conversion == 0.0 and s2.status == "ok"
    assert s3.previous == 0 and s3.conversion is None and s3.conversion_ci is None
    assert s3.drop_share is None and s3.status == "not_enough_data"
    assert "'step 3', 'completed'" in f.note
    assert f.largest_drop.step == "step 2"
    _clean_json(f.to_dict())


def test_empty_funnel():
    f = funnel(STEPS, [0, 0, 0, 0], entered=0)
    assert f.status == "not_enough_data" and f.completion is None and f.completion_ci is None
    assert f.largest_drop is None and f.largest_relative_drop is None
    assert all(s.conversion is None and s.reach_rate is None for s in f.steps)
    assert "no users entered" in f.note
    _clean_json(f.to_dict())
    nodrop = funnel(["a"], [10], entered=10)
    assert nodrop.largest_drop is None and "no step loses" in nodrop.note


def test_compare_funnels():
    t = funnel(STEPS, [920, 650, 600, 360], entered=1000)
    c = funnel(STEPS, [900, 600, 540, 300], entered=1010)
    cmp = compare_funnels(t, c, alpha=0.05)
    assert cmp.completion == compare_proportions(360, 1000, 300, 1010)
    assert cmp.step_conversion[2] == compare_proportions(600, 650, 540, 600)
    assert cmp.step_reach[1] == compare_proportions(650, 1000, 600, 1010)
    _clean_json(cmp.to_dict())
    with pytest.raises(ValueError, match="different steps"):
        compare_funnels(t, funnel(["x", "y", "z", "w"], [1, 1, 1, 1], 2))
    empty = compare_funnels(funnel(STEPS, [0, 0, 0, 0], 0), c)
    assert empty.completion.status == "not_enough_data"
    _clean_json(empty.to_dict())


# --------------------------------------------------------------------------- time to complete


@pytest.mark.parametrize("alpha", [0.05, 0.1])
def test_time_to_complete_matches_t_interval(alpha):
    rng = np.random.default_rng(3)
    v = rng.lognormal(4.0, 0.8, 57)
    mean, ci = time_to_complete(float(v.sum()), float(np.dot(v, v)), v.size, alpha=alpha)
    lo, hi = student_t.interval(1 - alpha, v.size - 1, loc=v.mean(), scale=v.std(ddof=1) / math.sqrt(v.size))
    assert mean == pytest.approx(v.mean(), rel=1e-12)
    assert ci[0] == pytest.approx(lo, rel=1e-9) and ci[1] == pytest.approx(hi, rel=1e-9)


def test_time_to_complete_degenerate():
    assert time_to_complete(0.0, 0.0, 0) == (None, None)
    assert time_to_complete(42.0, 42.0**2, 1) == (42.0, None)
    assert time_to_complete(30.0, 300.0, 3) == (10.0, (10.0, 10.0))
    with pytest.raises(ValueError, match="inconsistent"):
        time_to_complete(100.0, 10.0, 2)
    with pytest.raises(ValueError, match="non-zero"):
        time_to_complete(5.0, 25.0, 0)
