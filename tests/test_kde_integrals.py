"""sc.KDE's integrals, marginals and bandwidth changes (scipy.stats.gaussian_kde's methods; docs/kde.md):
against scipy.stats.gaussian_kde for the Gaussian kernel (to 1e-12), against the tail-accurate oracle of
`_reference.kde_integrals` and against quadrature for the other kernels, and on bad input."""

from __future__ import annotations

import pickle

import numpy as np
import pytest
import scalecore as sc
from hypothesis import given
from hypothesis import strategies as st
from scalecore._reference import kde_integrals as ref
from scalecore.kde import KERNELS
from scipy import stats


def _data(seed: int, n: int, d: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, d))
    if d > 1:
        x[:, 1] += 0.7 * x[:, 0]
    return (x[:, 0] if d == 1 else x), rng.uniform(0.1, 2.0, n)


def _scotts(kde: sc.KDE) -> float:
    return float(kde.n_eff ** (-1.0 / (kde.d + 4)))


def _pair(seed: int, n: int, d: int) -> tuple[sc.KDE, stats.gaussian_kde]:
    """The same weighted Gaussian estimate in scalecore (callable bandwidth, scipy's convention) and scipy."""
    x, w = _data(seed, n, d)
    return sc.KDE(x, bandwidth=_scotts, weights=w), stats.gaussian_kde(x.T, weights=w)


def _close(a: float, b: float, rel: float = 1e-12) -> bool:
    return abs(a - b) <= rel * max(abs(a), abs(b)) + 1e-300


# --- callable bandwidth and with_bandwidth ----------------------------------------------------------------------


@given(seed=st.integers(0, 2**32 - 1), n=st.integers(5, 200), d=st.integers(1, 3))
def test_a_callable_bandwidth_is_scipys_factor_of_the_weighted_covariance(seed: int, n: int, d: int) -> None:
    ours, theirs = _pair(seed, n, d)
    assert np.allclose(ours.bandwidth_matrix, theirs.covariance, rtol=1e-12, atol=0.0)
    q = _data(seed + 1, 7, d)[0]
    # 1e-12 relative in the bulk; far in the tail both round the exponent, so compare the logarithms there.
    assert np.allclose(ours.logpdf(q), theirs.logpdf(q.T), rtol=1e-12, atol=1e-12)


def test_the_callable_receives_a_kde_and_must_return_a_positive_number() -> None:
    seen: list[sc.KDE] = []

    def rule(kde: sc.KDE) -> float:
        seen.append(kde)
        return 0.5

    x = np.random.default_rng(0).normal(size=50)
    kde = sc.KDE(x, bandwidth=rule, kernel="tri")
    assert isinstance(seen[0], sc.KDE) and seen[0].n == 50 and seen[0].kernel == "tri"
    assert kde.bandwidth == pytest.approx(0.5 * np.std(x, ddof=1), rel=1e-13)
    for bad in (lambda k: -1.0, lambda k: np.nan, lambda k: "0.3", lambda k: None):
        with pytest.raises(sc.InvalidInputError, match="bandwidth"):
            sc.KDE(x, bandwidth=bad)


def test_with_bandwidth_returns_a_new_estimate_and_leaves_this_one() -> None:
    x, w = _data(3, 80, 1)
    kde = sc.KDE(x, weights=w, kernel="biweight", bounds=(-10, None))
    other = kde.with_bandwidth(0.25)
    assert kde.bandwidth != 0.25 and other.bandwidth == 0.25
    direct = sc.KDE(x, bandwidth=0.25, weights=w, kernel="biweight", bounds=(-10, None))
    q = np.linspace(-3, 3, 11)
    assert np.array_equal(other.pdf(q), direct.pdf(q))
    assert other.with_bandwidth("isj").rule == "isj"
    # After a pickle round trip the weights are the normalised ones: the same estimate.
    again = pickle.loads(pickle.dumps(kde)).with_bandwidth(0.25)
    assert np.allclose(again.pdf(q), direct.pdf(q), rtol=1e-14)


def _gauss_legendre(kde: sc.KDE, cuts: np.ndarray) -> float:
    """The integral of the density over [cuts[0], cuts[-1]] by 24-point Gauss-Legendre on each piece between
    the cuts (the density is smooth between its kinks, and polynomial there for the compact kernels)."""
    nodes, weights = np.polynomial.legendre.leggauss(24)
    a, b = cuts[:-1, None], cuts[1:, None]
    v = (a + b) / 2 + (b - a) / 2 * nodes
    return float(np.sum(kde.pdf(v) * weights * (b - a) / 2))


# --- integrate_box_1d -------------------------------------------------------------------------------------------


@given(seed=st.integers(0, 2**32 - 1), a=st.floats(-6, 6), width=st.floats(0, 8))
def test_integrate_box_1d_matches_scipy_and_the_tail_accurate_oracle(seed: int, a: float, width: float) -> None:
    ours, theirs = _pair(seed, 60, 1)
    got = ours.integrate_box_1d(a, a + width)
    expect = ref.interval_mass_1d(
        theirs.dataset[0], theirs.weights, float(np.sqrt(theirs.covariance[0, 0])), a, a + width
    )
    # Relative 1e-11, or the rounding of a difference of two cdf values near 1/2 for a narrow interval.
    assert abs(got - expect) <= 1e-11 * abs(expect) + 1e-15
    # scipy's difference of ndtr values loses relative accuracy far in the upper tail; absolutely it agrees.
    assert abs(got - theirs.integrate_box_1d(a, a + width)) <= 1e-12


def test_integrate_box_1d_broadcasts_and_keeps_far_tails() -> None:
    kde = sc.KDE(np.array([0.0, 1.0]), bandwidth=1.0)
    got = kde.integrate_box_1d([[-np.inf], [30.0]], [np.inf, 35.0])
    assert got.shape == (2, 2)
    assert got[0, 0] == pytest.approx(1.0, abs=1e-15)
    assert got[1, 1] == pytest.approx(ref.interval_mass_1d([0.0, 1.0], [1.0, 1.0], 1.0, 30.0, 35.0), rel=1e-12)
    assert got[1, 1] > 0.0
    assert isinstance(kde.integrate_box_1d(0.0, 1.0), float)
    assert kde.integrate_box_1d(1.0, 0.0) == pytest.approx(-kde.integrate_box_1d(0.0, 1.0), rel=1e-14)


@pytest.mark.parametrize("bounds", [None, (0.0, None), (0.0, 1.0)])
@pytest.mark.parametrize("kernel", KERNELS)
def test_integrate_box_1d_is_the_integral_of_the_density_for_every_kernel(kernel: str, bounds: object) -> None:
    rng = np.random.default_rng(KERNELS.index(kernel))
    x = rng.beta(0.7, 2.0, 40) if bounds else rng.normal(size=40)
    kde = sc.KDE(x, kernel=kernel, weights=rng.uniform(0.5, 1.5, 40), bounds=bounds)
    # The kernels' support half-widths in bandwidths (the density's kinks and jumps), and the bounds.
    edges = np.sqrt([3.0, 5.0, 6.0, 7.0, 9.0, 243 / 35, 1 / (1 - 8 / np.pi**2)]) * float(kde.bandwidth)
    lo, hi = kde.bounds or (-np.inf, np.inf)
    for a, b in ((0.05, 0.3), (0.2, 0.9), (-0.4, 0.6)):
        a_in, b_in = max(a, lo), min(b, hi)
        # The sample and its first reflections (the bandwidth is well below the width of [0, 1]).
        images = np.concatenate([x, *(2 * end - x for end in (lo, hi) if np.isfinite(end))])
        kinks = np.concatenate([images, *(images + e for e in edges), *(images - e for e in edges)])
        cuts = np.unique(np.concatenate([[a_in, b_in], kinks[(kinks > a_in) & (kinks < b_in)]]))
        assert kde.integrate_box_1d(a, b) == pytest.approx(_gauss_legendre(kde, cuts), abs=1e-10)


# --- integrate_box (d > 1) --------------------------------------------------------------------------------------


@given(seed=st.integers(0, 2**32 - 1), d=st.integers(2, 3), data=st.data())
def test_integrate_box_with_a_diagonal_bandwidth_is_the_exact_product(seed: int, d: int, data: st.DataObject) -> None:
    x, w = _data(seed, 70, d)
    sd = np.array(data.draw(st.lists(st.floats(0.05, 3.0), min_size=d, max_size=d)))
    low = np.array(data.draw(st.lists(st.floats(-4, 4), min_size=d, max_size=d)))
    high = low + np.array(data.draw(st.lists(st.floats(0, 5), min_size=d, max_size=d)))
    kde = sc.KDE(x, bandwidth=list(sd), weights=w)
    expect = ref.box_probability_diagonal(x, w, sd, low, high)
    # Relative 1e-12, or the rounding of a difference of cdf values near 1/2 for a box of width ~1e-16.
    assert abs(kde.integrate_box(low, high) - expect) <= 1e-12 * abs(expect) + 1e-15
    # scipy's integrate_box: its quasi-Monte Carlo error is about 1e-5.
    theirs = stats.gaussian_kde(x.T, weights=w)
    theirs.covariance = np.diag(sd**2)
    assert abs(kde.integrate_box(low, high) - theirs.integrate_box(low, high, rng=0)) < 1e-4


def test_integrate_box_with_a_full_bandwidth_matrix_follows_scipy() -> None:
    ours, theirs = _pair(11, 80, 3)
    low, high = np.array([-1.0, -1.0, -1.0]), np.array([1.0, 2.0, 0.5])
    assert abs(ours.integrate_box(low, high) - theirs.integrate_box(low, high, rng=0)) < 1e-4
    assert ours.integrate_box(low, high) == ours.integrate_box(low, high)  # a fixed stream: calls repeat
    inf = np.full(3, np.inf)
    assert ours.integrate_box(-inf, inf) == pytest.approx(1.0, abs=1e-5)


def test_integrate_box_refuses_radial_kernels_and_bad_boxes() -> None:
    x, _ = _data(0, 30, 2)
    with pytest.raises(sc.InvalidInputError, match="kernel"):
        sc.KDE(x, kernel="epanechnikov").integrate_box([0, 0], [1, 1])
    kde = sc.KDE(x, bandwidth=0.5)
    for low, high, name in (([0, 0, 0], [1, 1], "low"), ([0, 0], [1, np.nan], "high"), ("ab", [1, 1], "low")):
        with pytest.raises(sc.InvalidInputError, match=name):
            kde.integrate_box(low, high)
    one = sc.KDE(x[:, 0], kernel="cosine")
    assert one.integrate_box([-0.5], [0.5]) == pytest.approx(one.integrate_box_1d(-0.5, 0.5), rel=1e-15)
    with pytest.raises(sc.InvalidInputError, match="integrate_box_1d"):
        kde.integrate_box_1d(0.0, 1.0)
    with pytest.raises(sc.InvalidInputError, match="low"):
        one.integrate_box([0.0, 1.0], [1.0])


# --- integrate_gaussian and integrate_kde -------------------------------------------------------------------------


@given(seed=st.integers(0, 2**32 - 1), d=st.integers(1, 3), scale=st.floats(0.01, 10.0))
def test_integrate_gaussian_matches_scipy(seed: int, d: int, scale: float) -> None:
    ours, theirs = _pair(seed, 50, d)
    rng = np.random.default_rng(seed)
    mean = rng.normal(size=d)
    a = rng.normal(size=(d, d))
    cov = scale * (a @ a.T + np.eye(d))
    assert _close(ours.integrate_gaussian(mean, cov), float(theirs.integrate_gaussian(mean, cov)))


@given(seed=st.integers(0, 2**32 - 1), d=st.integers(1, 3), n=st.integers(2, 90))
def test_integrate_kde_matches_scipy_and_is_symmetric(seed: int, d: int, n: int) -> None:
    ours, theirs = _pair(seed, 60, d)
    ours2, theirs2 = _pair(seed + 1, max(n, d + 1), d)
    expect = float(theirs.integrate_kde(theirs2))
    assert _close(ours.integrate_kde(ours2), expect)
    assert _close(ours2.integrate_kde(ours), expect)


def test_the_gaussian_integrals_refuse_other_kernels_bounds_and_bad_arguments() -> None:
    x, _ = _data(1, 40, 1)
    kde = sc.KDE(x)
    with pytest.raises(sc.InvalidInputError, match="kernel"):
        sc.KDE(x, kernel="tri").integrate_gaussian(0.0, 1.0)
    with pytest.raises(sc.InvalidInputError, match="bounds"):
        sc.KDE(np.abs(x), bounds=(0, None)).integrate_kde(kde)
    with pytest.raises(sc.InvalidInputError, match="other"):
        kde.integrate_kde(sc.KDE(x, kernel="laplace"))
    with pytest.raises(sc.InvalidInputError, match="other"):
        kde.integrate_kde(sc.KDE(np.c_[x, x**2]))
    with pytest.raises(sc.InvalidInputError, match="other"):
        kde.integrate_kde(stats.gaussian_kde(x))
    for mean, cov, name in ((np.nan, 1.0, "mean"), ([0, 1], 1.0, "mean"), (0.0, -1.0, "cov"), (0.0, "a", "cov")):
        with pytest.raises(sc.InvalidInputError, match=name):
            kde.integrate_gaussian(mean, cov)
    assert kde.integrate_gaussian(0.2, 0.0) == pytest.approx(float(kde.pdf(0.2)), rel=1e-13)


# --- marginal ---------------------------------------------------------------------------------------------------


@given(seed=st.integers(0, 2**32 - 1), data=st.data())
def test_marginal_matches_scipy(seed: int, data: st.DataObject) -> None:
    ours, theirs = _pair(seed, 60, 3)
    dims = data.draw(st.lists(st.integers(-3, 2), min_size=1, max_size=3, unique_by=lambda v: v % 3))
    m, sm = ours.marginal(dims), theirs.marginal(dims)
    assert m.d == len(dims)
    assert np.allclose(m.bandwidth_matrix, sm.covariance, rtol=1e-12, atol=0.0)
    q = _data(seed + 2, 5, len(dims))[0]
    assert np.allclose(m.pdf(q), sm(q.T), rtol=1e-12, atol=0.0)


def test_marginal_refuses_bad_dimensions_and_radial_kernels() -> None:
    x, _ = _data(2, 40, 3)
    kde = sc.KDE(x)
    for bad in ([0, 0], [3], [-4], [0.5], ["a"], [], [True]):
        with pytest.raises(sc.InvalidInputError, match="dimensions"):
            kde.marginal(bad)
    radial = sc.KDE(x, kernel="epanechnikov")
    with pytest.raises(sc.InvalidInputError, match="kernel"):
        radial.marginal([0, 1])
    # Keeping every dimension (reordered) is the same radial estimate.
    q = x[:4]
    assert np.allclose(radial.marginal([2, 0, 1]).pdf(q[:, [2, 0, 1]]), radial.pdf(q), rtol=1e-12)
    assert np.array_equal(sc.KDE(x[:, 0]).marginal(0).pdf([0.1]), sc.KDE(x[:, 0]).pdf([0.1]))
