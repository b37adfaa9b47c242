"""sc.KDE.resample: draws from the estimate (docs/kde.md), checked by the Kolmogorov-Smirnov distance of 10^5
draws to the exact cdf (every kernel, bounded and unbounded, weighted), by the radial distribution of the
multivariate kernels, by determinism over thread counts, and on bad input."""

from __future__ import annotations

import numpy as np
import pytest
import scalecore as sc
from hypothesis import given
from hypothesis import strategies as st
from scalecore.kde import KERNELS
from scipy import stats

SUPPORTS = {"none": None, "lower": (0.0, None), "upper": (None, 1.0), "both": (0.0, 1.0)}


def _sample(kind: str, n: int, rng: np.random.Generator) -> np.ndarray:
    if kind == "lower":
        return rng.exponential(1.0, n)
    if kind == "upper":
        return 1.0 - rng.exponential(0.5, n)
    if kind == "both":
        return rng.beta(0.6, 2.0, n)
    return np.concatenate([rng.normal(-2.0, 1.0, n // 2), rng.normal(1.5, 0.5, n - n // 2)])


@pytest.mark.parametrize("support", list(SUPPORTS))
@pytest.mark.parametrize("kernel", KERNELS)
def test_draws_follow_the_cdf_and_stay_inside_the_bounds(kernel: str, support: str) -> None:
    rng = np.random.default_rng(10 * KERNELS.index(kernel) + list(SUPPORTS).index(support))
    x = _sample(support, 300, rng)
    w = rng.uniform(0.1, 2.0, x.size)
    kde = sc.KDE(x, kernel=kernel, weights=w, bounds=SUPPORTS[support])
    draws = kde.resample(100_000, seed=12345)
    assert draws.shape == (100_000,)
    lo, hi = kde.bounds or (-np.inf, np.inf)
    assert draws.min() >= lo and draws.max() <= hi
    # Fixed seed: deterministic. A wrong sampler (kernel scale, weights, folding) gives p < 1e-10 here.
    assert stats.kstest(draws, kde.cdf).pvalue > 1e-4


@pytest.mark.parametrize("kernel", ["gaussian", "epanechnikov", "laplace"])
def test_a_bandwidth_wider_than_the_support_still_folds_inside(kernel: str) -> None:
    x = np.array([0.1, 0.15, 0.9])
    kde = sc.KDE(x, bandwidth=2.5, kernel=kernel, bounds=(0.0, 1.0))
    draws = kde.resample(50_000, seed=3)
    assert draws.min() >= 0.0 and draws.max() <= 1.0
    assert stats.kstest(draws, kde.cdf).pvalue > 1e-4


def _radius_cdf(kde: sc.KDE, d: int, r_max: float) -> tuple[np.ndarray, np.ndarray]:
    """The cdf of |y - x| for one sample point at 0 with H = I, from the density along a ray: the radius has
    density S_(d-1) r^(d-1) f(r e_1)."""
    r = np.linspace(0.0, r_max, 20_001)
    pts = np.zeros((r.size, d))
    pts[:, 0] = r
    sphere = 2 * np.pi if d == 2 else 4 * np.pi
    g = sphere * r ** (d - 1) * kde.pdf(pts)
    cdf = np.concatenate([[0.0], np.cumsum((g[1:] + g[:-1]) / 2 * np.diff(r))])
    return r, cdf / cdf[-1]


@pytest.mark.parametrize("d", [2, 3])
@pytest.mark.parametrize("kernel", KERNELS)
def test_multivariate_draws_have_the_radial_kernels_radius(kernel: str, d: int) -> None:
    kde = sc.KDE(np.zeros((1, d)), bandwidth=1.0, kernel=kernel)
    draws = kde.resample(50_000, seed=5)
    assert draws.shape == (50_000, d)
    radius = np.linalg.norm(draws, axis=1)
    r, cdf = _radius_cdf(kde, d, 30.0 if kernel in ("gaussian", "laplace") else 4.0)
    assert radius.max() <= r[-1]
    assert stats.kstest(radius, lambda v: np.interp(v, r, cdf)).pvalue > 1e-4
    # The direction is uniform: the mean of the unit vectors is ~0.
    assert np.abs((draws / radius[:, None]).mean(axis=0)).max() < 0.02


def test_multivariate_gaussian_draws_have_the_estimates_mean_and_covariance() -> None:
    rng = np.random.default_rng(7)
    x = rng.normal(size=(400, 2)) @ np.array([[1.0, 0.0], [0.8, 0.5]])
    w = rng.uniform(0.5, 1.5, 400)
    kde = sc.KDE(x, weights=w, bandwidth=np.array([[0.3, 0.1], [0.1, 0.2]]))
    draws = kde.resample(400_000, seed=1)
    mean = kde.weights @ x
    cov = (x - mean).T @ ((x - mean) * kde.weights[:, None]) + kde.bandwidth_matrix
    assert np.allclose(draws.mean(axis=0), mean, atol=0.01)
    assert np.allclose(np.cov(draws.T), cov, atol=0.02)


@given(seed=st.integers(0, 2**64 - 1), size=st.integers(0, 5000))
def test_draws_depend_on_the_seed_only(seed: int, size: int) -> None:
    x = np.random.default_rng(0).normal(size=(50, 2))
    one = sc.KDE(x, kernel="biweight", n_threads=1).resample(size, seed=seed)
    two = sc.KDE(x, kernel="biweight", n_threads=2).resample(size, seed=seed)
    assert np.array_equal(one, two)
    assert one.shape == (size, 2)
    # A larger request starts with the smaller one's draws.
    assert np.array_equal(sc.KDE(x, kernel="biweight").resample(size + 1500, seed=seed)[:size], one)


def test_seeds_generators_and_defaults() -> None:
    x = np.random.default_rng(1).normal(size=30)
    kde = sc.KDE(x, weights=np.linspace(1.0, 2.0, 30))
    assert not np.array_equal(kde.resample(10, seed=1), kde.resample(10, seed=2))
    a = kde.resample(10, seed=np.random.default_rng(4))
    assert np.array_equal(a, kde.resample(10, seed=np.random.default_rng(4)))
    assert kde.resample(seed=np.random.RandomState(3)).shape == (int(kde.n_eff),)
    assert kde.resample(0, seed=1).shape == (0,)


@pytest.mark.parametrize("size", [-1, 1.5, True, "10", 2**64, None])
def test_bad_sizes_are_refused_naming_size(size: object) -> None:
    kde = sc.KDE(np.arange(5.0))
    if size is None:
        assert kde.resample(size, seed=0).shape == (5,)
        return
    with pytest.raises(sc.InvalidInputError, match="size"):
        kde.resample(size, seed=0)  # type: ignore[arg-type]


def test_an_unallocatable_size_is_refused() -> None:
    with pytest.raises(sc.InvalidInputError, match="size"):
        sc.KDE(np.random.default_rng(0).normal(size=(10, 3))).resample(2**62, seed=0)


def test_bad_seeds_are_refused_and_nothing_is_modified() -> None:
    x = np.random.default_rng(2).normal(size=20)
    before = x.copy()
    kde = sc.KDE(x)
    for bad in (-1, 1.5, "a"):
        with pytest.raises(sc.InvalidInputError, match="seed"):
            kde.resample(10, seed=bad)
    kde.resample(100, seed=0)
    assert np.array_equal(x, before)
