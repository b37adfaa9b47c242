"""scalecore.compat.FFTKDE / NaiveKDE against KDEpy: KDEpy's accuracy tests (tests/test_estimator_vs_estimator.py,
tests/test_FFTKDE.py of github.com/tommyod/KDEpy, ported with their data and tolerances), and, stronger, every
kernel, bandwidth and weighting, in d = 1 and d = 2, against KDEpy's exact NaiveKDE on KDEpy's own automatic
grid."""

from __future__ import annotations

import itertools
from typing import Any

import numpy as np
import pytest
from scalecore import compat

KDEpy = pytest.importorskip("KDEpy")

KERNELS = ["gaussian", "exponential", "box", "tri", "epa", "biweight", "triweight", "tricube", "cosine"]
OURS = [compat.NaiveKDE, compat.FFTKDE]
N = 2**5


@pytest.mark.parametrize(("est1", "est2"), list(itertools.combinations([*OURS, KDEpy.NaiveKDE], 2)))
def test_vs_simple(est1: Any, est2: Any) -> None:
    rs = np.random.RandomState(12)  # KDEpy's np.random.seed(12) draws
    data = rs.randn(N)
    _, y1 = est1().fit(data)()
    _, y2 = est2().fit(data)()
    assert np.sqrt(np.mean((y1 - y2) ** 2)) < 0.0001


@pytest.mark.parametrize(("est1", "est2"), list(itertools.combinations([*OURS, KDEpy.NaiveKDE], 2)))
def test_vs_simple_weighted(est1: Any, est2: Any) -> None:
    rs = np.random.RandomState(12)  # KDEpy's np.random.seed(12) draws
    data = rs.randn(N) * 10
    weights = rs.randn(N) ** 2 + 1
    _, y1 = est1().fit(data, weights)()
    _, y2 = est2().fit(data, weights)()
    assert np.sqrt(np.mean((y1 - y2) ** 2)) < 0.0001


@pytest.mark.parametrize(("ours", "kernel", "bw"), list(itertools.product(OURS, KERNELS, [0.1, 5])))
def test_every_kernel_equals_kdepys_exact_sum_on_its_grid(ours: Any, kernel: str, bw: float) -> None:
    """test_vs_simple_weighted_kernels, with KDEpy's NaiveKDE as the reference and a tolerance of 1e-12
    (KDEpy's own test allows an RMS error of 0.01 between its estimators)."""
    rs = np.random.RandomState(13)  # KDEpy's np.random.seed(13) draws
    data = rs.randn(N) * 10
    weights = rs.randn(N) ** 2 + 1
    x1, y1 = ours(kernel, bw=bw).fit(data, weights)()
    x2, y2 = KDEpy.NaiveKDE(kernel, bw=bw).fit(data, weights)()
    np.testing.assert_allclose(x1, x2, rtol=1e-13, atol=1e-12)
    # FFTKDE's grid sums carry their polynomial coefficients in block coordinates: rounding of about 1e-13 of
    # the peak (tricube's ninth powers) where a support ends on a grid point.
    np.testing.assert_allclose(y1, y2, rtol=1e-10, atol=1e-15 if ours is compat.NaiveKDE else 1e-12 * y2.max())


@pytest.mark.parametrize(
    ("data", "split_index"), list(itertools.product([[-1, 0, 1, 10], [1, 2, 3, 4], [1, 1, 1, 2]], [1, 2, 3]))
)
def test_additivity(data: list[float], split_index: int) -> None:
    x = np.linspace(-10, 12)
    y = compat.FFTKDE("epa").fit(data).evaluate(x)
    y_1 = compat.FFTKDE("epa").fit(data[:split_index]).evaluate(x) * split_index / len(data)
    y_2 = compat.FFTKDE("epa").fit(data[split_index:]).evaluate(x) * (len(data) - split_index) / len(data)
    assert np.allclose(y, y_1 + y_2)


@pytest.mark.parametrize(
    ("data", "bw"), list(itertools.product([[-1, 0, 1, 10], [1, 2, 3, 4], [1, 1, 1, 2], [0.1]], [1, 2, 3]))
)
def test_against_naive_kde(data: list[float], bw: float) -> None:
    x = np.linspace(min(data) - bw, max(data) + bw)
    y1 = KDEpy.NaiveKDE("epa", bw=bw).fit(data).evaluate(x)
    y2 = compat.FFTKDE("epa", bw=bw).fit(data).evaluate(x)
    assert np.allclose(y1, y2)


@pytest.mark.parametrize("bw", ["silverman", "scott", "ISJ"])
def test_rules_equal_kdepys_on_unweighted_data(bw: str) -> None:
    data = np.random.default_rng(3).standard_t(5, size=300)
    ours = compat.FFTKDE(bw=bw).fit(data)
    theirs = KDEpy.FFTKDE(bw=bw).fit(data)
    assert ours.bw == pytest.approx(theirs.bw, rel=1e-6)


@pytest.mark.parametrize("weighted", [False, True])
def test_two_dimensional_gaussian_equals_kdepy(weighted: bool) -> None:
    rng = np.random.default_rng(4)
    data = rng.normal(size=(60, 2))
    w = rng.uniform(0.5, 2.0, size=60) if weighted else None
    g1, y1 = compat.FFTKDE(bw=0.7).fit(data, w).evaluate(16)
    g2, y2 = KDEpy.NaiveKDE(bw=0.7).fit(data, w).evaluate(16)
    np.testing.assert_allclose(g1, g2, rtol=1e-13, atol=1e-12)
    np.testing.assert_allclose(y1, y2, rtol=1e-10, atol=1e-15)


@pytest.mark.parametrize(("ours", "kernel", "weighted"), list(itertools.product(OURS, KERNELS, [False, True])))
def test_two_dimensional_every_kernel_equals_kdepys_exact_sum(ours: Any, kernel: str, weighted: bool) -> None:
    """Every kernel in d = 2 (KDEpy's radial kernels, norm=2) on KDEpy's automatic grid against KDEpy's exact
    NaiveKDE: to 1e-10 for the compact kernels, whose grid sums are exact, and to 1e-8 relative where the
    density exceeds 1e-3 of its peak for the Gaussian and Laplace kernels, whose far terms FFTKDE drops below
    1e-9 (KDEpy's FFTKDE itself errs by 1e-4 and more on this grid)."""
    rng = np.random.default_rng(21)
    data = rng.normal(size=(80, 2)) * [1.0, 2.0]
    w = rng.uniform(0.5, 2.0, size=80) if weighted else None
    g1, y1 = ours(kernel, bw=0.6).fit(data, w).evaluate((40, 33))
    g2, y2 = KDEpy.NaiveKDE(kernel, bw=0.6).fit(data, w).evaluate((40, 33))
    np.testing.assert_allclose(g1, g2, rtol=1e-13, atol=1e-12)
    if kernel in ("gaussian", "exponential"):
        big = y2 > 1e-3 * y2.max()
        np.testing.assert_allclose(y1[big], y2[big], rtol=1e-8)
        np.testing.assert_allclose(y1, y2, rtol=0, atol=1e-9 * y2.max())
    else:
        np.testing.assert_allclose(y1, y2, rtol=1e-10, atol=1e-15)


@pytest.mark.parametrize("kernel", ["gaussian", "epa", "tri"])
def test_two_dimensional_fftkde_beats_kdepys_fftkde_in_accuracy(kernel: str) -> None:
    rng = np.random.default_rng(22)
    data = rng.normal(size=(2000, 2))
    x, ours = compat.FFTKDE(kernel, bw=0.3).fit(data).evaluate(64)
    _, theirs = KDEpy.FFTKDE(kernel, bw=0.3).fit(data).evaluate(64)
    exact = KDEpy.NaiveKDE(kernel, bw=0.3).fit(data).evaluate(x)
    big = exact > 1e-3 * exact.max()
    err = np.max(np.abs(ours - exact)[big] / exact[big])
    assert err <= 1e-6
    assert err < np.max(np.abs(theirs - exact)[big] / exact[big])


def test_unsupported_requests_are_refused() -> None:
    with pytest.raises(ValueError, match="Kernel"):
        compat.NaiveKDE("logistic")
    with pytest.raises(ValueError, match="norm"):
        compat.FFTKDE("epa", norm=1).fit(np.ones((5, 2)) + np.arange(5)[:, None])
    with pytest.raises(ValueError, match="fit"):
        compat.NaiveKDE().evaluate()
