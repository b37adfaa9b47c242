"""Issue 14: kernel density estimates at the extremes of the floating-point range give numbers (or a
documented error), never NaN and never a wrong infinity."""

from __future__ import annotations

import numpy as np
import pytest
import scalecore as sc
from scipy import stats

X2 = np.random.default_rng(0).normal(size=(200, 2))
X1 = np.random.default_rng(1).normal(size=200)


@pytest.mark.parametrize("q", [1e100, 1e154, 1e155, 1e200, 1e300, 1e308])
def test_2d_density_far_from_the_data_is_zero_and_its_log_the_gaussian_tail(q: float) -> None:
    k = sc.KDE(X2)
    chol = np.linalg.cholesky(k.bandwidth_matrix)
    for point in ([q, q], [q, 0.0], [-q, q]):
        pdf, logpdf = k.pdf([point])[0], k.logpdf([point])[0]
        assert pdf == 0.0
        assert not np.isnan(logpdf)
        if q < 1e150:
            # Far out, log p = -r^2 / 2 + O(log n) with r the Mahalanobis distance (the data's O(1)
            # coordinates vanish beside q).
            z = np.linalg.solve(chol, np.asarray(point))
            assert logpdf == pytest.approx(-0.5 * float(z @ z), rel=1e-9)
        else:
            # -r^2 / 2 is beyond -1e300 (or beyond the floating-point range: -inf).
            assert logpdf < -1e300


def test_2d_density_near_the_data_matches_scipy_at_every_scale() -> None:
    q = np.array([[0.0, 0.0], [0.5, -0.3], [3.0, 3.0]])
    ref = stats.gaussian_kde(X2.T)(q.T)
    for scale in (1.0, 2.0**-400, 2.0**500, 1e154 / 2.0**3):
        k = sc.KDE(X2 * scale)
        # Scaling by a power of two is exact: the density scales by 1 / scale^2 exactly.
        got = k.logpdf(q * scale) + 2 * np.log(scale)
        np.testing.assert_allclose(got, np.log(ref), rtol=1e-10, err_msg=f"scale {scale}")


def test_data_beyond_1e154_has_a_bandwidth_and_a_density() -> None:
    for scale in (1e154, 1e200, 1e300):
        k = sc.KDE(X1 * scale)
        assert np.isfinite(k.bandwidth) and k.bandwidth > 0
        np.testing.assert_allclose(k.pdf([0.0]) * scale, sc.KDE(X1).pdf([0.0]), rtol=1e-9)
    for scale in (1e-154, 1e-200, 1e-300):
        k = sc.KDE(X1 * scale)
        np.testing.assert_allclose(k.logpdf([0.0]) + np.log(scale), sc.KDE(X1).logpdf([0.0]), rtol=1e-9)


def test_2d_data_whose_bandwidth_matrix_is_not_representable_is_an_input_error() -> None:
    for scale in (1e300, 1e-300):
        with pytest.raises(sc.InvalidInputError, match="samples: the bandwidth matrix"):
            sc.KDE(X2 * scale)


def test_a_tiny_sample_has_a_finite_tail() -> None:
    # The bandwidth is 3.2e-31; 1e-20 lies 3e10 bandwidths out: log p = -z^2 / 2 + ..., finite.
    k = sc.KDE([1e-30, 0, 0, 0, 0])
    logpdf = k.logpdf([5.0, 1e-20])
    assert np.isfinite(logpdf).all() and (logpdf < 0).all()
    z = 1e-20 / k.bandwidth
    assert logpdf[1] == pytest.approx(-0.5 * z * z, rel=1e-9)
    assert k.logpdf(1e-20) == logpdf[1]
