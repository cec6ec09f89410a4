"""holm / benjamini_hochberg / adjust against statsmodels multipletests and hand computation."""
from __future__ import annotations

import numpy as np
import pytest
from statsmodels.stats.multitest import multipletests

from guidelab.stats import adjust, benjamini_hochberg, holm

FAMILIES = [
    [0.01, 0.04, 0.03, 0.005],
    [0.5],
    [0.0, 1.0, 0.2],
    [0.01, 0.01, 0.01, 0.2, 0.2],  # ties
    [0.9, 0.8, 0.7, 0.95],  # clipped at 1
    [0.049, 0.051],
    list(np.random.default_rng(3).uniform(size=25)),
    list(np.random.default_rng(4).uniform(size=40) ** 4),
]


@pytest.mark.parametrize("pvals", FAMILIES)
def test_holm_matches_statsmodels(pvals):
    expected = multipletests(pvals, method="holm")[1]
    assert holm(pvals) == pytest.approx(list(expected), abs=1e-12)


@pytest.mark.parametrize("pvals", FAMILIES)
def test_bh_matches_statsmodels(pvals):
    expected = multipletests(pvals, method="fdr_bh")[1]
    assert benjamini_hochberg(pvals) == pytest.approx(list(expected), abs=1e-12)


def test_holm_hand_example():
    # sorted 0.005, 0.01, 0.03, 0.04 -> 4*0.005=0.02, 3*0.01=0.03, 2*0.03=0.06, 1*0.04 -> max(0.06, 0.04)
    assert holm([0.01, 0.04, 0.03, 0.005]) == pytest.approx([0.03, 0.06, 0.06, 0.02], abs=1e-15)


def test_bh_hand_example():
    # sorted 0.005, 0.01, 0.03, 0.04 -> 4p/rank: 0.02, 0.02, 0.04, 0.04
    assert benjamini_hochberg([0.01, 0.04, 0.03, 0.005]) == pytest.approx([0.02, 0.04, 0.04, 0.02], abs=1e-15)


def test_none_stays_none_but_counts_in_the_family():
    """Issue 9: the family never shrinks while an arm has no data (None counts as p = 1)."""
    pvals = [0.01, None, 0.04, None, 0.03]
    full = [0.01, 1.0, 0.04, 1.0, 0.03]
    out_h = holm(pvals)
    out_b = benjamini_hochberg(pvals)
    assert out_h[1] is None and out_h[3] is None and out_b[1] is None and out_b[3] is None
    sm_h, sm_b = multipletests(full, method="holm")[1], multipletests(full, method="fdr_bh")[1]
    assert [out_h[i] for i in (0, 2, 4)] == pytest.approx([sm_h[i] for i in (0, 2, 4)], abs=1e-12)
    assert [out_b[i] for i in (0, 2, 4)] == pytest.approx([sm_b[i] for i in (0, 2, 4)], abs=1e-12)
    # by hand: three arms, one without data: 0.01 * 3 and max(0.03, 0.04 * 2)
    assert holm([0.01, None, 0.04]) == pytest.approx([0.03, None, 0.08], abs=1e-12)
    assert holm([0.01, None, 0.04]) != holm([0.01, 0.04]) + [None]  # not the shrunken family
    assert holm([None, None]) == [None, None]
    assert holm([]) == []


def test_adjust_dispatch():
    pvals = [0.01, None, 0.04]
    assert adjust(pvals, "holm") == holm(pvals)
    assert adjust(pvals, "bh") == benjamini_hochberg(pvals)
    assert adjust(pvals, "none") == [0.01, None, 0.04]
    with pytest.raises(ValueError, match="method must be"):
        adjust(pvals, "bonferroni")  # type: ignore[arg-type]


def test_outputs_are_plain_floats():
    out = holm([np.float64(0.01), 0.5])
    assert all(type(v) is float for v in out)


@pytest.mark.parametrize("bad", [[-0.1], [1.1], [float("nan")], ["0.1"], [True]])
def test_invalid_p_values(bad):
    for fn in (holm, benjamini_hochberg):
        with pytest.raises(ValueError, match=r"p-value #0 must be a number in \[0, 1\] or None"):
            fn(bad)
