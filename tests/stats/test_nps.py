"""nps / compare_nps: trinomial variance against an independent computation, calibration, edge cases."""
from __future__ import annotations

import json
import math

import numpy as np
import pytest
from scipy.stats import norm
from statsmodels.stats.proportion import proportion_confint

from guidelab.stats.nps import (
    NPSCounts,
    _nps_ci_arrays,
    _nps_diff_arrays,
    compare_nps,
    nps,
)

FIXED = [
    ((3, 1, 2, 5, 8, 10, 14, 30, 41, 52, 60), 900),
    ((0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 3), 10),
    ((50, 0, 0, 0, 0, 0, 0, 12, 0, 40, 0), 500),
    ((1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11), 66),
]


def expand(scores) -> np.ndarray:
    """Per-respondent answers 0..10 from the counts."""
    return np.repeat(np.arange(11), np.asarray(scores))


def assert_json_clean(d: dict) -> None:
    json.dumps(d, allow_nan=False)  # raises on NaN/inf


@pytest.mark.parametrize("scores,shown", FIXED)
@pytest.mark.parametrize("alpha", [0.05, 0.01, 0.2])
def test_matches_independent_computation_on_expanded_data(scores, shown, alpha):
    res = nps(NPSCounts(scores, shown), alpha=alpha)
    answers = expand(scores)
    s = np.where(answers >= 9, 1, np.where(answers >= 7, 0, -1))  # per-respondent +1/0/-1
    n = answers.size
    assert res.status == "ok"
    assert res.n == n
    assert res.promoters == int((s == 1).sum()) and res.detractors == int((s == -1).sum())
    assert res.passives == int((s == 0).sum())
    assert res.nps == pytest.approx(float(s.mean()), abs=1e-12)
    # the trinomial formula equals Var(s) (ddof=0) / n computed by numpy on the raw data
    assert res.se ** 2 == pytest.approx(float(np.var(s, ddof=0)) / n, rel=1e-12, abs=1e-15)
    z = norm.ppf(1 - alpha / 2)
    assert res.ci[0] == pytest.approx(max(-1.0, s.mean() - z * res.se), abs=1e-12)
    assert res.ci[1] == pytest.approx(min(1.0, s.mean() + z * res.se), abs=1e-12)
    assert res.mean_score == pytest.approx(float(answers.mean()), abs=1e-12)
    assert res.distribution == pytest.approx(tuple(np.bincount(answers, minlength=11) / n), abs=1e-15)
    assert sum(res.distribution) == pytest.approx(1.0)
    # response rate: Wilson, same as statsmodels
    lo, hi = proportion_confint(n, shown, alpha=alpha, method="wilson")
    assert res.response_rate == pytest.approx(n / shown)
    assert res.response_rate_ci == pytest.approx((lo, hi), abs=1e-9)
    assert_json_clean(res.to_dict())


def test_compare_nps_hand_formula():
    t = NPSCounts((3, 1, 2, 5, 8, 10, 14, 30, 41, 52, 60), 900)
    c = NPSCounts((5, 3, 4, 6, 9, 12, 20, 35, 40, 45, 41), 950)
    res = compare_nps(t, c, alpha=0.05)
    rt, rc = nps(t), nps(c)
    se = math.sqrt(rt.se ** 2 + rc.se ** 2)
    assert res.status == "ok" and res.note is None
    assert res.diff == pytest.approx(rt.nps - rc.nps, abs=1e-12)
    assert res.se == pytest.approx(se, rel=1e-12)
    assert res.p_value == pytest.approx(2 * norm.sf(abs(res.diff) / se), rel=1e-9)
    assert res.ci == pytest.approx((res.diff - 1.959963984540054 * se, res.diff + 1.959963984540054 * se), abs=1e-9)
    assert (res.p_value < 0.05) == (res.ci[0] > 0 or res.ci[1] < 0)
    assert_json_clean(res.to_dict())


# --------------------------------------------------------------------------- calibration

PROBS = np.array([0.45, 0.25, 0.30])  # promoter, passive, detractor -> true NPS 0.15


def test_ci_coverage_simulation():
    """10,000 multinomial draws, n = 400: the 95% interval covers the true NPS 94-96% of the time."""
    rng = np.random.default_rng(20240611)
    n, sims = 400, 10_000
    draws = rng.multinomial(n, PROBS, size=sims)
    true_nps = PROBS[0] - PROBS[2]
    r = _nps_ci_arrays(draws[:, 0], draws[:, 2], n, norm.ppf(0.975))
    coverage = float(np.mean((r.ci_low <= true_nps) & (true_nps <= r.ci_high)))
    assert 0.94 <= coverage <= 0.96, coverage
    # the vectorised core is what nps() returns
    one = nps(NPSCounts((draws[0, 2], 0, 0, 0, 0, 0, 0, draws[0, 1], 0, draws[0, 0], 0), n))
    assert one.ci == pytest.approx((float(r.ci_low[0]), float(r.ci_high[0])), abs=1e-15)


def test_aa_false_positive_rate():
    """A/A: two arms of 400 from the same distribution; compare_nps rejects at 5% in 3.5-6.5%."""
    rng = np.random.default_rng(7)
    n, sims = 400, 10_000
    t = rng.multinomial(n, PROBS, size=sims)
    c = rng.multinomial(n, PROBS, size=sims)
    d = _nps_diff_arrays(t[:, 0], t[:, 2], n, c[:, 0], c[:, 2], n, norm.ppf(0.975))
    fpr = float(np.mean(d.p_value < 0.05))
    assert 0.035 <= fpr <= 0.065, fpr
    one = compare_nps(
        NPSCounts((t[0, 2], 0, 0, 0, 0, 0, 0, t[0, 1], 0, t[0, 0], 0), n),
        NPSCounts((c[0, 2], 0, 0, 0, 0, 0, 0, c[0, 1], 0, c[0, 0], 0), n),
    )
    assert one.p_value == pytest.approx(float(d.p_value[0]), abs=1e-15)


# --------------------------------------------------------------------------- degenerate inputs


def test_no_responses():
    res = nps(NPSCounts((0,) * 11, 200))
    assert res.status == "not_enough_data"
    assert res.nps is None and res.ci is None and res.se is None and res.distribution is None
    assert res.response_rate == 0.0 and res.response_rate_ci[0] == 0.0 and 0 < res.response_rate_ci[1] < 0.05
    assert "no respondents" in res.note
    assert_json_clean(res.to_dict())

    nobody = nps(NPSCounts((0,) * 11, 0))
    assert nobody.response_rate is None and nobody.response_rate_ci is None
    assert_json_clean(nobody.to_dict())

    cmp = compare_nps(NPSCounts((0,) * 11, 10), NPSCounts((1,) * 11, 20))
    assert cmp.status == "not_enough_data" and cmp.diff is None and cmp.p_value is None
    assert cmp.note == "treatment arm has no respondents"
    assert_json_clean(cmp.to_dict())


@pytest.mark.parametrize("group_index", [10, 8, 0])  # all promoters, all passives, all detractors
def test_one_group_only_is_finite(group_index):
    scores = [0] * 11
    scores[group_index] = 50
    res = nps(NPSCounts(tuple(scores), 80))
    assert res.status == "ok" and "pseudo-respondent" in res.note
    assert math.isfinite(res.se) and res.se > 0
    assert -1.0 <= res.ci[0] < res.ci[1] <= 1.0
    assert res.ci[0] <= res.nps <= res.ci[1]
    assert_json_clean(res.to_dict())

    cmp = compare_nps(NPSCounts(tuple(scores), 50), NPSCounts(tuple(scores), 50))
    assert cmp.diff == 0.0 and cmp.p_value == pytest.approx(1.0, rel=1e-12) and cmp.se > 0
    assert "pseudo-respondent" in cmp.note
    assert_json_clean(cmp.to_dict())


def test_all_promoters_vs_all_detractors():
    cmp = compare_nps(NPSCounts((0,) * 10 + (30,)), NPSCounts((30,) + (0,) * 10))
    assert cmp.diff == 2.0 and cmp.ci[1] == 2.0 and cmp.p_value < 1e-6
    assert cmp.treatment.response_rate is None and "shown not given" in cmp.treatment.note
    assert_json_clean(cmp.to_dict())


@pytest.mark.parametrize(
    "scores,shown,match",
    [
        ((1,) * 10, 20, "11 counts"),
        ((1,) * 11, 5, "shown"),
        ((1,) * 10 + (-1,), 20, ">= 0"),
        ((1,) * 10 + (1.5,), 20, "whole number"),
        (5, 20, "sequence"),
    ],
)
def test_invalid_counts(scores, shown, match):
    with pytest.raises(ValueError, match=match):
        NPSCounts(scores, shown)


def test_invalid_arguments():
    with pytest.raises(ValueError, match="alpha"):
        nps(NPSCounts((1,) * 11), alpha=1.5)
    with pytest.raises(ValueError, match="NPSCounts"):
        nps((1,) * 11)  # type: ignore[arg-type]
