"""Grid evaluation of the KDE for every kernel (issue 15): the core's exact grid sums (difference arrays of the
kernels' polynomial pieces in 1-D, the row-block scatter in 2-D) against brute-force NumPy sums with
normalising constants found by quadrature (`_reference.kde_grid`), to 1e-6 relative wherever the density
exceeds 1e-3 of its peak (the acceptance tolerance); in fact to about 1e-12 for the compact kernels. Also the
radial kernels' pointwise density in d = 2, determinism across thread counts and the refusals."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
import scalecore as sc
from hypothesis import given
from hypothesis import strategies as st
from scalecore import _core
from scalecore._reference import kde_grid as ref

KERNELS = list(_core.KDE_KERNELS)
COMPACT = [k for k in KERNELS if k not in ("gaussian", "laplace")]


def _close(got: Any, want: Any, rel: float = 1e-6, peak: float = 0.0) -> None:
    """Relative `rel` where the density exceeds 1e-3 of its peak (at least `peak`), absolute 1e-8 of the
    peak elsewhere."""
    peak = max(peak, float(np.max(want)))
    big = want > 1e-3 * peak
    assert np.all(np.abs(got[big] - want[big]) <= rel * want[big]), float(
        np.max(np.abs(got[big] - want[big]) / want[big])
    )
    assert np.all(np.abs(got - want)[~big] <= 1e-8 * peak)
    assert np.all(got >= 0)


def _sample(seed: int, n: int, d: int, weighted: bool) -> tuple[Any, Any]:
    rng = np.random.default_rng(seed)
    x = rng.standard_t(4, size=(n, d)) * rng.uniform(0.1, 10)
    x = x[:, 0] if d == 1 else x
    w = rng.uniform(0, 3, size=n) if weighted else None
    if w is not None:
        w[0] = 1.0  # not all zero
    return x, w


@given(
    kernel=st.sampled_from(KERNELS),
    n=st.integers(1, 300),
    m=st.integers(2, 700),
    seed=st.integers(0, 2**32 - 1),
    weighted=st.booleans(),
    h_scale=st.floats(0.01, 3.0),
)
def test_1d_grid_equals_the_direct_sum(kernel: str, n: int, m: int, seed: int, weighted: bool, h_scale: float) -> None:
    x, w = _sample(seed, n, 1, weighted)
    h = h_scale * (float(np.std(x)) + 1e-3)
    kde = sc.KDE(x, bandwidth=h, kernel=kernel, weights=w, method="binned" if kernel != "laplace" else "auto")
    g, f = kde.grid(m)
    # The peak is at least the density at a sample (a coarse grid may only touch the supports' ends).
    at_samples = float(np.max(ref.tensor_grid(x, h, [np.sort(x)], kernel, w)))
    _close(f, ref.tensor_grid(x, h, [g], kernel, w), peak=at_samples)


@pytest.mark.parametrize("kernel", COMPACT)
def test_1d_compact_grid_is_exact_on_large_samples(kernel: str) -> None:
    x, w = _sample(5, 100_000, 1, True)
    kde = sc.KDE(x, bandwidth=0.05, kernel=kernel, weights=w)
    g, f = kde.grid(512, lo=-3, hi=3)
    exact = sc.KDE(x, bandwidth=0.05, kernel=kernel, weights=w, method="exact").pdf(g)
    assert np.max(np.abs(f - exact)) <= 1e-11 * np.max(exact)


@given(
    n=st.integers(1, 400),
    m=st.integers(2, 700),
    seed=st.integers(0, 2**32 - 1),
    weighted=st.booleans(),
    h_scale=st.floats(0.002, 3.0),
)
def test_1d_gaussian_grid_binned_on_the_grid(n: int, m: int, seed: int, weighted: bool, h_scale: float) -> None:
    # Taylor-moment binning on the grid itself (refined where the grid is coarse for the bandwidth).
    x, w = _sample(seed, n, 1, weighted)
    h = h_scale * (float(np.std(x)) + 1e-3)
    g = np.linspace(x.min() - 3 * h, x.max() + 3 * h, m)
    got = _core.KdeEstimator(x, h, "gaussian", w, "binned", 1e-9).density_grid([g])
    at_samples = float(np.max(ref.tensor_grid(x, h, [np.sort(x)], "gaussian", w)))
    _close(got, ref.tensor_grid(x, h, [g], "gaussian", w), rel=1e-8, peak=at_samples)


# Kernel variances on [-1, 1]: the support half-width of a unit-variance kernel is 1 / sqrt(var).
_VAR = {"tophat": 1 / 3, "tri": 1 / 6, "epanechnikov": 1 / 5, "biweight": 1 / 7, "triweight": 1 / 9}
_VAR |= {"tricube": 35 / 243, "cosine": 1 - 8 / np.pi**2}


@pytest.mark.parametrize("kernel", COMPACT)
def test_1d_grid_samples_on_the_support_edges(kernel: str) -> None:
    # A radius of 6 grid steps and samples on grid points, half steps and within 1e-9 steps of grid points:
    # every sample's range is decided at the edge, where the exact test decides (the tophat jumps there).
    g = np.linspace(0.0, 99.0, 100)
    h = 6.0 * np.sqrt(_VAR[kernel])
    base = np.arange(-8.0, 108.0)
    rng = np.random.default_rng(4)
    x = np.concatenate([base, base + 0.5, base + 1e-9, base - 1e-9, rng.uniform(-8, 108, 500)])
    w = rng.uniform(0.5, 2.0, size=x.size)
    got = _core.KdeEstimator(x, h, kernel, w, "binned", 1e-9).density_grid([g])
    exact = _core.KdeEstimator(x, h, kernel, w, "exact", 1e-9).density_grid([g])
    assert np.max(np.abs(got - exact)) <= 1e-11 * np.max(exact)


@pytest.mark.parametrize("kernel", ["gaussian", "epanechnikov", "tophat", "tricube", "cosine"])
def test_1d_grid_of_a_large_sample_is_bit_identical_across_thread_counts(kernel: str) -> None:
    # More samples than one binning block, so that the blocks' sums are combined.
    x, w = _sample(21, 150_000, 1, True)
    lo, hi = np.quantile(x, [0.001, 0.999])
    g = np.linspace(lo, hi, 1000)
    h = 0.02 * (hi - lo)
    got = [_core.KdeEstimator(x, h, kernel, w, "binned", 1e-9, t).density_grid([g]) for t in (1, 2, 3)]
    assert np.array_equal(got[0], got[1]) and np.array_equal(got[0], got[2])
    exact = _core.KdeEstimator(x, h, kernel, w, "exact", 1e-9).density_grid([g])
    if kernel == "gaussian":
        _close(got[0], exact, rel=1e-8)
    else:
        assert np.max(np.abs(got[0] - exact)) <= 1e-11 * np.max(exact)


@pytest.mark.parametrize("kernel", ["gaussian", "epanechnikov", "biweight"])
def test_1d_unweighted_grid_is_thread_independent_and_reads_any_layout(kernel: str) -> None:
    # The unit-weight path of the chunked binning, a last partial chunk (n not a multiple of 128), samples
    # beyond the grid, and the sample as a read-only, big-endian, strided or (n, 1)-column array: the same
    # bits every way, the caller's array untouched, and the range the estimator reports is the sample's.
    x = np.random.default_rng(8).standard_t(3, size=200_003)
    g = np.linspace(-4.0, 4.0, 1024)
    got = [_core.KdeEstimator(x, 0.05, kernel, None, "binned", 1e-9, t).density_grid([g]) for t in (1, 2)]
    assert np.array_equal(got[0], got[1])
    exact = _core.KdeEstimator(x, 0.05, kernel, None, "exact", 1e-9).density_grid([g])
    if kernel == "gaussian":
        _close(got[0], exact, rel=1e-8)
    else:
        assert np.max(np.abs(got[0] - exact)) <= 1e-11 * np.max(exact)
    frozen = x.copy()
    frozen.setflags(write=False)
    wide = np.zeros((x.size, 3))
    wide[:, 1] = x
    for form in (frozen, x.astype(">f8"), wide[:, 1], x.reshape(-1, 1)):
        before = form.copy()
        est = _core.KdeEstimator(form, 0.05, kernel, None, "binned", 1e-9)
        assert np.array_equal(est.density_grid([g]), got[0])
        assert est.data_range == (float(x.min()), float(x.max()))
        assert np.array_equal(form, before)


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_non_finite_samples_are_refused_by_the_one_pass_check(bad: float) -> None:
    x = np.random.default_rng(9).normal(size=100_001)
    x[77_777] = bad
    with pytest.raises(sc.InvalidInputError, match=r"samples.*must be finite"):
        _core.KdeEstimator(x, 0.1, "gaussian", None, "auto", 1e-9)


@given(
    kernel=st.sampled_from(KERNELS),
    n=st.integers(1, 120),
    shape=st.tuples(st.integers(1, 40), st.integers(1, 40)),
    seed=st.integers(0, 2**32 - 1),
    weighted=st.booleans(),
    form=st.sampled_from(["isotropic", "diagonal", "full"]),
    inner=st.booleans(),
)
def test_2d_grid_equals_the_direct_sum(
    kernel: str, n: int, shape: tuple[int, int], seed: int, weighted: bool, form: str, inner: bool
) -> None:
    x, w = _sample(seed, n, 2, weighted)
    rng = np.random.default_rng(seed + 1)
    s = float(np.std(x)) + 1e-3
    h = rng.uniform(0.05, 1.0, size=2) * s
    if form == "isotropic":
        H = np.eye(2) * h[0] ** 2
    elif form == "diagonal":
        H = np.diag(h**2)
    else:
        r = rng.uniform(-0.9, 0.9)
        H = np.array([[h[0] ** 2, r * h[0] * h[1]], [r * h[0] * h[1], h[1] ** 2]])
    lo, hi = x.min(axis=0) - 2 * h, x.max(axis=0) + 2 * h
    if inner:  # a window inside the data: samples beyond either end of an axis
        lo, hi = lo + 0.3 * (hi - lo), hi - 0.3 * (hi - lo)
    axes = [np.linspace(lo[i], hi[i], shape[i]) for i in range(2)]
    est = _core.KdeEstimator(x, H, kernel, w, "binned", 1e-9)
    got = est.density_grid(axes)
    # The tolerance is relative where the density exceeds 1e-3 of its maximum, which may lie off the grid
    # (the core's truncation of the unbounded kernels is set by that maximum): at least the largest at a sample.
    peak = float(np.max(ref.pdf_radial(x, H, x, kernel, w)))
    _close(got, ref.tensor_grid(x, H, axes, kernel, w), rel=1e-8, peak=peak)
    # The exact method gives the same values pointwise.
    exact = _core.KdeEstimator(x, H, kernel, w, "exact", 1e-9).density_grid(axes)
    _close(got, exact, rel=1e-8, peak=peak)


@pytest.mark.parametrize("kernel", KERNELS)
def test_2d_pointwise_density_of_every_kernel(kernel: str) -> None:
    x, w = _sample(3, 200, 2, True)
    H = np.array([[0.8, 0.3], [0.3, 0.5]])
    q = np.random.default_rng(9).normal(size=(300, 2)) * 2
    kde = sc.KDE(x, bandwidth=H, kernel=kernel, weights=w)
    want = ref.pdf_radial(x, H, q, kernel, w)
    got = kde.pdf(q)
    np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-15 * want.max())
    big = want > 1e-6 * want.max()
    np.testing.assert_allclose(kde.logpdf(q)[big], np.log(want[big]), rtol=0, atol=1e-9)
    if kernel != "laplace":
        assert np.all(kde.logpdf(q)[want == 0] == -np.inf)


def test_2d_laplace_logpdf_is_finite_far_away() -> None:
    kde = sc.KDE(np.zeros((3, 2)) + np.arange(3)[:, None], bandwidth=0.1, kernel="laplace")
    far = kde.logpdf(np.array([[1e3, 1e3]]))
    assert np.isfinite(far).all() and far[0] < -1e4


@pytest.mark.parametrize("kernel", ["gaussian", "epanechnikov", "tricube", "laplace"])
def test_grid_is_bit_identical_across_thread_counts(kernel: str) -> None:
    x, w = _sample(11, 5000, 2, True)
    axes = [np.linspace(-20, 20, 101), np.linspace(-15, 15, 77)]
    H = np.eye(2) * 0.5
    one = _core.KdeEstimator(x, H, kernel, w, "binned", 1e-6, 1).density_grid(axes)
    two = _core.KdeEstimator(x, H, kernel, w, "binned", 1e-6, 2).density_grid(axes)
    four = _core.KdeEstimator(x, H, kernel, w, "binned", 1e-6, 4).density_grid(axes)
    assert np.array_equal(one, two) and np.array_equal(one, four)
    x1 = x[:, 0].copy()
    g1 = [np.linspace(-30, 30, 4001)]
    a = _core.KdeEstimator(x1, 0.3, "epanechnikov", w, "binned", 1e-6, 1).density_grid(g1)
    b = _core.KdeEstimator(x1, 0.3, "epanechnikov", w, "binned", 1e-6, 3).density_grid(g1)
    assert np.array_equal(a, b)


def test_bad_grids_and_requests_are_refused() -> None:
    est = _core.KdeEstimator(np.ones((4, 2)) + np.arange(4)[:, None], 0.5, "epanechnikov", None, "binned", 1e-6)
    with pytest.raises(sc.InvalidInputError, match="grid"):
        est.density_grid([np.linspace(0, 1, 5)])
    with pytest.raises(sc.InvalidInputError, match="grid"):
        est.density_grid([np.array([1.0, 0.0]), np.linspace(0, 1, 5)])
    with pytest.raises(sc.InvalidInputError, match="grid"):
        est.density_grid([np.array([0.0, np.nan]), np.linspace(0, 1, 5)])
    with pytest.raises(sc.InvalidInputError, match="kernel"):
        sc.KDE(np.ones((4, 2)) + np.arange(4)[:, None], bandwidth=0.5, kernel="epanechnikov").mode()
    with pytest.raises(sc.InvalidInputError, match="method"):
        sc.KDE(np.random.default_rng(0).normal(size=(10, 3)), bandwidth=0.5, method="binned")
