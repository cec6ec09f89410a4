"""srm_test against scipy.stats.chisquare and a hand Pearson statistic, plus edge cases."""
from __future__ import annotations

import json

import pytest
from scipy.stats import chi2, chisquare

from guidelab.stats import SRMResult, srm_test

CASES = [
    ({"control": 5000, "treatment": 5100}, {"control": 0.5, "treatment": 0.5}),
    ({"control": 10_321, "treatment": 9_679}, {"control": 1, "treatment": 1}),
    ({"a": 3300, "b": 3350, "c": 3200}, {"a": 1 / 3, "b": 1 / 3, "c": 1 / 3}),
    ({"control": 8000, "treatment": 2100}, {"control": 0.8, "treatment": 0.2}),
    ({"a": 11, "b": 3, "c": 7, "d": 0}, {"a": 40, "b": 20, "c": 20, "d": 20}),
    ({"a": 1_000_123, "b": 998_877}, {"a": 0.5, "b": 0.5, "unused": 0.3}),
]


@pytest.mark.parametrize("counts,weights", CASES)
def test_matches_scipy_chisquare(counts, weights):
    res = srm_test(counts, weights)
    keys = list(counts)
    total = sum(counts.values())
    wsum = sum(weights[k] for k in keys)
    f_exp = [total * weights[k] / wsum for k in keys]
    sp = chisquare([counts[k] for k in keys], f_exp)
    assert res.status == "ok"
    assert res.statistic == pytest.approx(float(sp.statistic), rel=1e-12, abs=1e-9)
    assert res.p_value == pytest.approx(float(sp.pvalue), abs=1e-9)
    assert res.df == len(keys) - 1
    assert res.expected == pytest.approx(dict(zip(keys, f_exp)), rel=1e-12)
    assert res.counts == counts
    # hand Pearson statistic
    hand = sum((counts[k] - e) ** 2 / e for k, e in zip(keys, f_exp))
    assert res.statistic == pytest.approx(hand, rel=1e-12)
    assert res.p_value == pytest.approx(chi2.sf(hand, len(keys) - 1), abs=1e-12)


def test_to_dict_shape_and_json():
    res = srm_test({"control": 5000, "treatment": 5100}, {"control": 0.5, "treatment": 0.5})
    d = res.to_dict()
    assert set(d) == {"p_value", "counts", "expected", "statistic", "df"}
    assert d["counts"] == {"control": 5000, "treatment": 5100}
    assert d["expected"] == {"control": 5050.0, "treatment": 5050.0}
    assert type(d["p_value"]) is float and type(d["statistic"]) is float and d["df"] == 1
    json.dumps(d, allow_nan=False)


def test_zero_total_is_not_enough_data():
    res = srm_test({"control": 0, "treatment": 0}, {"control": 0.5, "treatment": 0.5})
    assert res.status == "not_enough_data"
    assert res.p_value is None and res.statistic is None
    d = res.to_dict()
    assert d["p_value"] is None and d["expected"] == {"control": 0.0, "treatment": 0.0}
    json.dumps(d, allow_nan=False)


def test_zero_weight_with_users_gives_p_zero():
    res = srm_test({"control": 100, "treatment": 100, "off": 3}, {"control": 0.5, "treatment": 0.5, "off": 0})
    assert res.status == "ok"
    assert res.p_value == 0.0 and res.statistic is None
    assert res.expected["off"] == 0.0
    json.dumps(res.to_dict(), allow_nan=False)


def test_zero_weight_without_users_is_dropped():
    with_off = srm_test({"control": 480, "treatment": 520, "off": 0}, {"control": 1, "treatment": 1, "off": 0})
    without = srm_test({"control": 480, "treatment": 520}, {"control": 1, "treatment": 1})
    assert with_off.df == 1
    assert with_off.statistic == pytest.approx(without.statistic, rel=1e-15)
    assert with_off.p_value == pytest.approx(without.p_value, rel=1e-15)


def test_single_positive_weight_variant():
    res = srm_test({"control": 100, "off": 0}, {"control": 1, "off": 0})
    assert (res.statistic, res.p_value, res.df) == (0.0, 1.0, 0)


def test_perfect_split_p_is_one():
    res = srm_test({"a": 500, "b": 500}, {"a": 0.5, "b": 0.5})
    assert res.statistic == 0.0 and res.p_value == pytest.approx(1.0)


def test_result_type():
    assert isinstance(srm_test({"a": 1, "b": 2}, {"a": 1, "b": 1}), SRMResult)


@pytest.mark.parametrize(
    "counts,weights,match",
    [
        ({"a": -1, "b": 2}, {"a": 1, "b": 1}, "must be >= 0"),
        ({"a": 1.5, "b": 2}, {"a": 1, "b": 1}, "whole number"),
        ({"a": 1, "b": 2}, {"a": 1}, "no weight given"),
        ({"a": 1, "b": 2}, {"a": -1, "b": 1}, "must be a finite number >= 0"),
        ({"a": 1, "b": 2}, {"a": float("inf"), "b": 1}, "must be a finite number >= 0"),
        ({"a": 1, "b": 2}, {"a": 0, "b": 0}, "must not all be 0"),
        ({}, {}, "at least one variant"),
    ],
)
def test_invalid_inputs(counts, weights, match):
    with pytest.raises(ValueError, match=match):
        srm_test(counts, weights)
