"""The distribution tails of guidelab.stats._common against scipy.stats on a grid."""
from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from guidelab.stats._common import chi2_sf, f_sf, t_ppf, t_sf

X = np.array([-np.inf, -40.0, -3.5, -1e-9, 0.0, 1e-9, 0.3, 1.0, 1.96, 3.5, 12.0, 40.0, np.inf, np.nan])
DF = np.array([-1.0, 0.0, 0.5, 1.0, 2.0, 3.0, 7.5, 29.0, 120.0, 1e6, np.inf])
Q = np.array([-0.1, 0.0, 1e-12, 0.001, 0.025, 0.5, 0.9, 0.975, 0.999, 1.0 - 1e-12, 1.0, 1.1, np.nan])


def close(ours, reference):
    ours, reference = np.asarray(ours), np.asarray(reference)
    assert ours.shape == reference.shape
    np.testing.assert_allclose(ours, reference, rtol=1e-12, atol=1e-300, equal_nan=True)


@pytest.mark.parametrize(("ours", "reference", "first"), [
    (t_sf, stats.t.sf, X), (t_ppf, stats.t.ppf, Q), (chi2_sf, stats.chi2.sf, X)])
def test_one_parameter_family_matches_scipy_stats(ours, reference, first):
    a, df = np.meshgrid(first, DF)
    with np.errstate(all="ignore"):
        close(ours(a, df), reference(a, df))


def test_f_sf_matches_scipy_stats():
    x, dfn, dfd = np.meshgrid(X, DF, DF)
    with np.errstate(all="ignore"):
        close(f_sf(x, dfn, dfd), stats.f.sf(x, dfn, dfd))


def test_scalars_come_back_as_numpy_floats():
    for value in (t_sf(1.5, 10), t_ppf(0.975, 10), chi2_sf(3.0, 2), f_sf(2.0, 3, 40)):
        assert isinstance(value, np.float64)
    assert float(t_ppf(0.975, 10)) == pytest.approx(2.228138851986274, rel=1e-12)  # the printed table value
    assert float(chi2_sf(3.841458820694124, 1)) == pytest.approx(0.05, rel=1e-12)
