"""sc.ncx2_logcdf at large non-centrality (lam >= 1e5, where the core integrates the convolution of a squared
normal with a central chi-squared instead of summing the Poisson mixture, and from k + lam = 1e16 uses the
saddle-point approximation) against exact closed forms for odd k and 40-digit mpmath integrals of the density deep
in the lower tail; it stays fast, and finite to the ends of the double range."""

from __future__ import annotations

import math
import time

import numpy as np
import pytest
import scalecore as sc
from hypothesis import given
from hypothesis import strategies as st


def mp_logcdf_lower_tail(x: float, k: float, lam: float) -> float:
    """log P(X <= x) for x below the mode, as the integral of the density
    f(t) = e^(-(t + lam)/2) (t / lam)^(k/4 - 1/2) I_(k/2 - 1)(sqrt(lam t)) / 2 over [0, x], where f increases: the
    range is cut ever closer to x, where the mass lies."""
    mpmath = pytest.importorskip("mpmath")
    with mpmath.workdps(40):
        x_, k_, lam_ = mpmath.mpf(x), mpmath.mpf(k), mpmath.mpf(lam)

        def log_f(t: object) -> object:
            return (
                -(t + lam_) / 2
                + (k_ / 4 - mpmath.mpf(1) / 2) * mpmath.log(t / lam_)
                + mpmath.log(mpmath.besseli(k_ / 2 - 1, mpmath.sqrt(lam_ * t)))
                - mpmath.log(2)
            )

        top = log_f(x_)
        cuts = [mpmath.mpf(0)] + [x_ * (1 - mpmath.mpf(10) ** -j) for j in range(1, 30, 2)] + [x_]
        total = mpmath.quad(lambda t: mpmath.exp(log_f(t) - top) if t > 0 else mpmath.mpf(0), cuts)
        return float(top + mpmath.log(total))


def mp_logcdf_odd_k(x: float, k: int, lam: float) -> tuple[float, float]:
    """(log P(X <= x), x f(x) / F(x)) for odd k in 80-digit arithmetic: chi2'(1, lam) is (Z + sqrt lam)^2, so
    F(x; 1) = Phi(sqrt x - sqrt lam) - Phi(-sqrt x - sqrt lam), and F(x; k + 2) = F(x; k) - 2 f(x; k + 2) with the
    density f(x; k) = e^(-(x + lam)/2) (x / lam)^(k/4 - 1/2) I_(k/2 - 1)(sqrt(lam x)) / 2."""
    mpmath = pytest.importorskip("mpmath")
    with mpmath.workdps(80):
        x_, lam_ = mpmath.mpf(x), mpmath.mpf(lam)
        r, s = mpmath.sqrt(x_), mpmath.sqrt(lam_)

        def pdf(nu: int) -> object:
            return (
                mpmath.exp(-(x_ + lam_) / 2)
                * (x_ / lam_) ** (mpmath.mpf(nu) / 4 - mpmath.mpf(1) / 2)
                * mpmath.besseli(mpmath.mpf(nu) / 2 - 1, s * r)
                / 2
            )

        cdf = mpmath.ncdf(r - s) - mpmath.ncdf(-r - s)
        for nu in range(3, k + 1, 2):
            cdf -= 2 * pdf(nu)
        return float(mpmath.log(cdf)), float(x_ * pdf(k) / cdf)


# SciPy (Boost's series) is no reference at this size: at lam = 75,000, k = 1, z = -25 it is off by 2e-8
# relative (-356.2185332 where the closed form and ours give -356.2185414), and it warns of lost precision
# beyond lam ~ 1e10. The closed forms for odd k are exact at any lam.
@given(log_lam=st.floats(3.0, 30.0), m=st.integers(0, 30), z=st.floats(-38.0, 8.0))
def test_matches_the_exact_odd_k_values(log_lam: float, m: int, z: float) -> None:
    lam, k = 10.0**log_lam, 2 * m + 1
    x = k + lam + z * math.sqrt(2 * (k + 2 * lam))
    if x <= 0:
        return
    exact, x_f_over_f = mp_logcdf_odd_k(x, k, lam)
    # x is known to an ulp: log F is not defined more closely than x f / F times 1.1e-16.
    assert sc.ncx2_logcdf(x, k, lam) == pytest.approx(exact, rel=1e-10, abs=1e-15 + 4e-16 * x_f_over_f)


@pytest.mark.parametrize(
    ("x", "k", "lam"),
    [
        # Found by the core's fuzzer: the Poisson mixture gave NaN here (indices beyond 2^52).
        (1.2677717512220568 / 2.449743085523365, 0.6720384245452888, 129382864732376820.0),
        (15.149863495486196 / 1.890470478426554, 1.9112841806974181, 14402981888038446.0),
        # The mixture gave -26.1 (truth -4.3e10) and -inf at half and 0.9 of the mean.
        (5e11, 3.0, 1e12),
        (0.9e14, 3.0, 1e14),
        (1e-3, 40.0, 3e5),
        (2e5, 0.3, 3e5),
    ],
)
def test_deep_lower_tail_matches_mpmath(x: float, k: float, lam: float) -> None:
    ours = sc.ncx2_logcdf(x, k, lam)
    assert math.isfinite(ours)
    assert ours == pytest.approx(mp_logcdf_lower_tail(x, k, lam), rel=1e-8)


# k >= 1: below, the density's t^(k/2 - 1) at 0 puts mass below any scale mpmath's quadrature reaches (at
# k = 0.05, x = 1e-4, lam = 1e5 it misses 1.4 % of it; the core's value there agrees with the Poisson mixture
# just below lam = 1e5, which the core's own tests compare at k = 0.3).
@given(log_lam=st.floats(5.0, 18.0), k=st.floats(1.0, 60.0), log_ratio=st.floats(-20.0, math.log10(0.7)))
def test_lower_tail_matches_mpmath_at_any_lam(log_lam: float, k: float, log_ratio: float) -> None:
    lam = 10.0**log_lam
    x = lam * 10.0**log_ratio
    assert sc.ncx2_logcdf(x, k, lam) == pytest.approx(mp_logcdf_lower_tail(x, k, lam), rel=1e-8)


def test_huge_lam_is_fast_and_monotone() -> None:
    # The mixture needed 1e7 terms at lam = 1e12 and never finished at 1e16; the integral's work does not grow.
    for lam in (1e8, 1e12, 1e16, 1e20, 1e100):
        sd = math.sqrt(2 * (3.0 + 2 * lam))
        xs = np.array([0.5 * lam, lam - 30 * sd, lam - 3 * sd, lam, lam + 3 * sd, lam + 20 * sd])
        started = time.perf_counter()
        values = sc.ncx2_logcdf(xs, 3.0, lam)
        assert time.perf_counter() - started < 2.0, lam
        assert np.all(np.isfinite(values)), (lam, values)
        # At lam = 1e100 the points lam + z sd are one double (sd = 2e50 is below an ulp of lam).
        assert lam > 1e30 or np.all(np.diff(values) > 0), (lam, values)
        assert values[3] == pytest.approx(math.log(0.5), abs=1e-3)


M = np.finfo(np.float64).max


@pytest.mark.parametrize(
    ("x", "k", "lam", "scale"),
    [
        # Found by the core's fuzzer, each NaN before: x / scale subnormal with a large lam,
        (1e-310, 2.71, 1.37e8, 1.15e4),
        (2.88, 18.3, 6.49e5, M),
        # lam or k at the top of the double range,
        (M, 14.6, M, 2.81),
        (1e308, 1e308, 2.53e35, 1.0),
        (0.816, 1e-308, M, 1e-308),
        # and a chi-squared factor of 1e5 degrees of freedom three standard deviations up.
        (1e5 + 1e9 + 3 * math.sqrt(2 * (1e5 + 2e9)), 1e5, 1e9, 1.0),
    ],
)
def test_the_ends_of_the_double_range_give_log_probabilities(x: float, k: float, lam: float, scale: float) -> None:
    v = sc.ncx2_logcdf(x, k, lam, scale)
    assert math.isfinite(v)
    assert v <= 0.0


def test_a_subnormal_argument_is_the_leading_mixture_term() -> None:
    # With lam x tiny only the j = 0 term of the mixture counts: e^(-lam/2) P(k/2, x/2), and for x/2 this small
    # P(a, y) = y^a / Gamma(a + 1) to the last digit.
    x, k, lam = 1e-310 / 1.15e4, 2.71, 1.37e8
    lead = -lam / 2 + k / 2 * math.log(x / 2) - math.lgamma(k / 2 + 1)
    assert sc.ncx2_logcdf(x, k, lam) == pytest.approx(lead, rel=1e-12)


def test_huge_k_and_lam_follow_their_leading_behaviour() -> None:
    # Deep lower tail at lam = f64::MAX: ln F ~ -(sqrt lam - sqrt x)^2 / 2; k = 1e308 at x = k: the mean 2.5e35 of
    # the squared normal is far below an ulp of x, so F is one half to within the skewness.
    lead = -((math.sqrt(M) - math.sqrt(M / 2.81)) ** 2) / 2
    assert sc.ncx2_logcdf(M / 2.81, 14.6, M) == pytest.approx(lead, rel=1e-12)
    assert sc.ncx2_logcdf(1e308, 1e308, 2.53e35) == pytest.approx(math.log(0.5), abs=1e-12)
