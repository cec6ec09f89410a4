"""segment_effects: Cochran's Q / I^2 against statsmodels, calibration and power, edge cases."""
from __future__ import annotations

import json

import numpy as np
import pytest
from statsmodels.stats.meta_analysis import combine_effects
from statsmodels.stats.multitest import multipletests

from guidelab.stats import compare_proportions
from guidelab.stats.segments import SEGMENT_WARNING, _cochran_q_arrays, segment_effects

SEGMENTS = {
    "web": (520, 4000, 455, 4010),
    "ios": (300, 2500, 250, 2480),
    "android": (410, 3900, 402, 3850),
    "desktop_app": (95, 700, 60, 690),
}


def wald_var(x1, n1, x0, n0):
    p1, p0 = x1 / n1, x0 / n0
    return p1 * (1 - p1) / n1 + p0 * (1 - p0) / n0


@pytest.mark.parametrize("correction,sm_method", [("holm", "holm"), ("bh", "fdr_bh")])
def test_matches_statsmodels_combine_effects(correction, sm_method):
    res = segment_effects(SEGMENTS, alpha=0.05, correction=correction)
    effects = np.array([x1 / n1 - x0 / n0 for x1, n1, x0, n0 in SEGMENTS.values()])
    variances = np.array([wald_var(*c) for c in SEGMENTS.values()])
    sm = combine_effects(effects, variances)
    hom = sm.test_homogeneity()

    assert res.status == "ok" and res.excluded == () and res.note is None
    assert res.q_df == 3 == hom.df
    assert res.q_statistic == pytest.approx(float(sm.q), abs=1e-9, rel=1e-9)
    assert res.q_statistic == pytest.approx(float(hom.statistic), abs=1e-9, rel=1e-9)
    assert res.q_p_value == pytest.approx(float(hom.pvalue), abs=1e-9)
    assert res.i_squared == pytest.approx(float(sm.i2), abs=1e-9)
    assert res.pooled_abs_diff == pytest.approx(float(sm.mean_effect_fe), abs=1e-12)
    assert res.pooled_se == pytest.approx(float(sm.sd_eff_w_fe), rel=1e-9)
    assert res.heterogeneity_significant == (res.q_p_value < 0.05)

    # per segment: exactly compare_proportions; adjusted p-values: statsmodels multipletests
    raw = []
    for name, counts in SEGMENTS.items():
        assert res.segments[name] == compare_proportions(*counts, alpha=0.05)
        raw.append(res.segments[name].p_value)
    expected_adj = multipletests(raw, method=sm_method)[1]
    assert [res.adjusted_p_values[k] for k in SEGMENTS] == pytest.approx(list(expected_adj), abs=1e-12)

    assert res.warning == SEGMENT_WARNING
    assert "exploratory" in res.warning and "heterogeneity" in res.warning
    json.dumps(res.to_dict(), allow_nan=False)


def test_homogeneous_segments_give_small_q_and_zero_i2():
    same = {"a": (100, 1000, 80, 1000), "b": (100, 1000, 80, 1000), "c": (200, 2000, 160, 2000)}
    res = segment_effects(same)
    assert res.q_statistic == pytest.approx(0.0, abs=1e-12)
    assert res.i_squared == 0.0 and res.q_p_value == pytest.approx(1.0)
    assert res.heterogeneity_significant is False


# --------------------------------------------------------------------------- calibration / power

BASELINES = np.array([0.08, 0.15, 0.25, 0.40])  # four segments with different baseline rates


def simulate_q_p_values(effects: np.ndarray, n: int, sims: int, seed: int) -> np.ndarray:
    """Q-test p-values for `sims` experiments of 4 segments, n users per arm per segment."""
    rng = np.random.default_rng(seed)
    x0 = rng.binomial(n, BASELINES, size=(sims, 4))
    x1 = rng.binomial(n, BASELINES + effects, size=(sims, 4))
    p1, p0 = x1 / n, x0 / n
    var = p1 * (1 - p1) / n + p0 * (1 - p0) / n
    return _cochran_q_arrays(p1 - p0, var).p_value


def test_q_false_positive_rate_under_common_effect():
    """Same +2pp effect in 4 segments, 5,000 users/arm/segment: Q rejects at 5% in 3.5-6.5%."""
    p = simulate_q_p_values(np.full(4, 0.02), n=5000, sims=10_000, seed=11)
    rate = float(np.mean(p < 0.05))
    assert 0.035 <= rate <= 0.065, rate


def test_q_detects_real_heterogeneity():
    """Effects 0, 0, +3.5pp, +3.5pp, 5,000 users/arm/segment: Q detects at 5% in > 80%."""
    p = simulate_q_p_values(np.array([0.0, 0.0, 0.035, 0.035]), n=5000, sims=4000, seed=12)
    power = float(np.mean(p < 0.05))
    assert power > 0.8, power


def test_vectorised_core_is_what_segment_effects_returns():
    rng = np.random.default_rng(3)
    x0 = rng.binomial(3000, BASELINES)
    x1 = rng.binomial(3000, BASELINES + 0.01)
    res = segment_effects({f"s{i}": (int(x1[i]), 3000, int(x0[i]), 3000) for i in range(4)})
    p1, p0 = x1 / 3000, x0 / 3000
    core = _cochran_q_arrays(p1 - p0, p1 * (1 - p1) / 3000 + p0 * (1 - p0) / 3000)
    assert res.q_p_value == pytest.approx(float(core.p_value), rel=1e-12)


# --------------------------------------------------------------------------- degenerate inputs


def test_empty_segment_left_out_of_q():
    segs = dict(SEGMENTS, empty=(0, 0, 5, 40), zero_var=(0, 50, 0, 60))
    res = segment_effects(segs)
    assert res.status == "ok"
    assert res.excluded == ("empty", "zero_var")
    assert res.segments["empty"].status == "not_enough_data"
    assert res.adjusted_p_values["empty"] is None
    assert res.adjusted_p_values["zero_var"] is not None  # Agresti-Caffo p-value, still in the family
    assert res.q_df == 3 and "empty" in res.note and "zero variance" in res.note
    base = segment_effects(SEGMENTS)
    assert res.q_statistic == pytest.approx(base.q_statistic, abs=1e-12)
    json.dumps(res.to_dict(), allow_nan=False)


def test_fewer_than_two_usable_segments():
    res = segment_effects({"only": (10, 100, 8, 100), "empty": (0, 0, 0, 0)})
    assert res.status == "not_enough_data"
    assert res.q_statistic is None and res.q_p_value is None and res.i_squared is None
    assert res.heterogeneity_significant is None and res.excluded == ("empty",)
    # the empty segment still counts in the Holm family (as p = 1): the family never shrinks
    assert res.adjusted_p_values["only"] == pytest.approx(min(1.0, 2 * res.segments["only"].p_value))
    d = res.to_dict()
    json.dumps(d, allow_nan=False)
    assert d["warning"] == SEGMENT_WARNING

    all_empty = segment_effects({"a": (0, 0, 0, 0)})
    assert all_empty.status == "not_enough_data" and all_empty.adjusted_p_values == {"a": None}
    json.dumps(all_empty.to_dict(), allow_nan=False)


@pytest.mark.parametrize(
    "segments,kwargs,match",
    [
        ({}, {}, "non-empty"),
        ({"a": (1, 10, 1)}, {}, "successes_t, n_t"),
        ({"a": (11, 10, 1, 10)}, {}, "cannot exceed"),
        ({"a": (1, 10, 1, 10)}, {"correction": "bonferroni"}, "method"),
        ({"a": (1, 10, 1, 10)}, {"alpha": 0}, "alpha"),
    ],
)
def test_invalid_inputs(segments, kwargs, match):
    with pytest.raises(ValueError, match=match):
        segment_effects(segments, **kwargs)
