"""sc.KDE(bounds=...): the estimate reflected at the bounds of the support (Silverman 1986, section 2.10;
docs/kde.md), against the literal image sum of `_reference.kde_bounded`, by quadrature, and on bad input."""

from __future__ import annotations

import pickle
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
import scalecore as sc
from hypothesis import given
from hypothesis import strategies as st
from scalecore._reference import kde_bounded as ref
from scalecore.kde import KERNELS

INF = np.inf
SUPPORTS = {"lower": (0.0, None), "upper": (None, 1.0), "both": (0.0, 1.0)}


def _sample(kind: str, n: int, rng: np.random.Generator) -> np.ndarray:
    if kind == "lower":
        return rng.exponential(1.0, n)
    if kind == "upper":
        return 1.0 - rng.exponential(0.5, n)
    return rng.beta(0.6, 2.0, n)


def _integral(f: Callable[[np.ndarray], np.ndarray], a: float, b: float, panels: int = 20_000) -> float:
    """Composite 8-point Gauss-Legendre quadrature of f on [a, b]."""
    nodes, weights = np.polynomial.legendre.leggauss(8)
    edges = np.linspace(a, b, panels + 1)
    half = np.diff(edges)[:, None] / 2
    x = (edges[:-1, None] + half) + half * nodes
    return float(np.sum(f(x.ravel()).reshape(x.shape) * weights * half))


def _pair(bounds: tuple[float | None, float | None]) -> tuple[float, float]:
    return (-INF if bounds[0] is None else bounds[0], INF if bounds[1] is None else bounds[1])


@given(
    n=st.integers(1, 60),
    seed=st.integers(0, 2**32 - 1),
    kind=st.sampled_from(sorted(SUPPORTS)),
    kernel=st.sampled_from(KERNELS),
    h=st.floats(0.01, 3.0),
    weighted=st.booleans(),
)
def test_reflection_equals_the_image_sum(n: int, seed: int, kind: str, kernel: str, h: float, weighted: bool) -> None:
    rng = np.random.default_rng(seed)
    x = _sample(kind, n, rng)
    w = rng.uniform(0.1, 2.0, n) if weighted else None
    bounds = SUPPORTS[kind]
    lo, hi = _pair(bounds)
    kde = sc.KDE(x, bandwidth=h, kernel=kernel, weights=w, bounds=bounds, method="exact")
    q = np.concatenate([np.linspace(-1.5, 2.5, 81), x[:5], [0.0, 1.0]])
    want = ref.reflected_pdf(x, h, q, lo, hi, kernel, w)
    got = kde.pdf(q)
    assert np.allclose(got, want, rtol=1e-10, atol=1e-12 * np.max(want)), np.max(np.abs(got - want))
    assert np.all(got[(q < lo) | (q > hi)] == 0)
    positive = want > 1e-250
    assert np.allclose(kde.logpdf(q)[positive], np.log(want[positive]), rtol=1e-10, atol=1e-10)
    assert np.all(kde.logpdf(q)[(q < lo) | (q > hi)] == -INF)
    cdf_want = ref.reflected_cdf(x, h, q, lo, hi, kernel, w)
    assert np.allclose(kde.cdf(q), cdf_want, rtol=1e-9, atol=1e-12)
    assert np.allclose(kde.sf(q), 1 - cdf_want, rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("kernel", KERNELS)
@pytest.mark.parametrize("kind", sorted(SUPPORTS))
def test_density_integrates_to_one_on_the_support(kernel: str, kind: str) -> None:
    rng = np.random.default_rng(7)
    x = _sample(kind, 300, rng)
    kde = sc.KDE(x, bandwidth="normal_reference_robust", kernel=kernel, bounds=SUPPORTS[kind])
    lo, hi = _pair(SUPPORTS[kind])
    a, b = max(lo, x.min() - 50 * kde.bandwidth), min(hi, x.max() + 50 * kde.bandwidth)
    total = _integral(kde.pdf, a, b)
    # the tophat's jumps cost composite quadrature about (jump x panel width) each; the other kernels are continuous
    assert total == pytest.approx(1.0, abs=2e-5 if kernel == "tophat" else 1e-8)
    assert kde.cdf(hi if np.isfinite(hi) else 1e6) == pytest.approx(1.0, abs=1e-12)
    assert kde.cdf(lo if np.isfinite(lo) else -1e6) == pytest.approx(0.0, abs=1e-12)
    # the unbounded estimate puts mass outside: reflection is what brings it back
    plain = sc.KDE(x, bandwidth=kde.bandwidth, kernel=kernel)
    outside = plain.cdf(lo) if np.isfinite(lo) else plain.sf(hi)
    assert outside > 1e-3


def test_a_bandwidth_wider_than_the_support_still_integrates_to_one() -> None:
    x = np.array([0.1, 0.2, 0.9])
    kde = sc.KDE(x, bandwidth=2.5, bounds=(0, 1))
    assert _integral(kde.pdf, 0, 1, 200) == pytest.approx(1.0, abs=1e-12)
    # nearly uniform: the images fill the interval
    assert np.ptp(kde.pdf(np.linspace(0, 1, 11))) < 0.05
    np.testing.assert_allclose(kde.pdf([0.3, 0.7]), ref.reflected_pdf(x, 2.5, np.array([0.3, 0.7]), 0, 1), rtol=1e-10)


def test_queries_stay_inside_the_support() -> None:
    x = np.random.default_rng(3).exponential(1.0, 500)
    kde = sc.KDE(x, bounds=(0, None))
    p = np.array([1e-6, 0.01, 0.3, 0.5, 0.9, 0.999])
    qs = kde.quantile(p)
    assert np.all(qs >= 0)
    # near the bound the cdf is a difference of two image sums, accurate to about 1e-16 absolute
    np.testing.assert_allclose(kde.cdf(qs), p, rtol=1e-8)
    grid_x, grid_f = kde.grid(256)
    assert grid_x[0] == 0.0 and np.all(grid_f > 0)
    # exponential data: the reflected density is highest at the bound, where the plain one dips
    assert kde.mode() == pytest.approx(0.0, abs=1e-6)
    assert sc.KDE(x).pdf(0.0) < 0.7 * kde.pdf(0.0)
    assert kde.bounds == (0.0, INF)


def test_binned_evaluation_with_bounds_agrees_with_exact() -> None:
    x = np.random.default_rng(5).beta(2, 5, 20_000)
    exact = sc.KDE(x, bounds=(0, 1), method="exact")
    binned = sc.KDE(x, bounds=(0, 1), method="binned", tolerance=1e-8)
    q = np.linspace(0.001, 0.999, 500)
    np.testing.assert_allclose(binned.pdf(q), exact.pdf(q), rtol=1e-7)


def test_bounds_pickle_and_save(tmp_path: Path) -> None:
    x = np.random.default_rng(1).uniform(0, 1, 200)
    kde = sc.KDE(x, bandwidth="isj", bounds=(0, 1))
    again = pickle.loads(pickle.dumps(kde))
    q = np.linspace(-0.1, 1.1, 50)
    assert again.bounds == (0.0, 1.0)
    assert np.array_equal(again.pdf(q), kde.pdf(q))
    kde.save(tmp_path / "k.npz")
    loaded = sc.KDE.load(tmp_path / "k.npz")
    assert loaded.bounds == (0.0, 1.0) and np.array_equal(loaded.pdf(q), kde.pdf(q))
    assert "bounds=(0.0, 1.0)" in repr(kde)
    half = sc.KDE(x, bounds=(None, 1))
    assert pickle.loads(pickle.dumps(half)).bounds == (-INF, 1.0)


def test_no_bounds_is_the_plain_estimate() -> None:
    x = np.random.default_rng(2).standard_normal(100)
    q = np.linspace(-4, 4, 30)
    assert np.array_equal(sc.KDE(x, bounds=(None, None)).pdf(q), sc.KDE(x).pdf(q))
    assert sc.KDE(x, bounds=(None, None)).bounds is None


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"samples": [0.5, -0.1, 0.2], "bounds": (0, 1)}, r"bounds: .*1 samples outside, e\.g\. -0\.1"),
        ({"samples": [0.5, 0.2], "bounds": (1, 0)}, "bounds: need lo < hi"),
        ({"samples": [0.5, 0.2], "bounds": (0, float("nan"))}, "bounds: need lo < hi"),
        ({"samples": [0.5, 0.2], "bounds": (0,)}, "bounds: expected a pair"),
        ({"samples": [0.5, 0.2], "bounds": "0,1"}, "bounds: expected a pair"),
        ({"samples": [0.5, 0.2], "bounds": ("a", 1)}, "bounds: must be a real number"),
        ({"samples": [[0.5, 0.2], [0.1, 0.3], [0.4, 0.4]], "bounds": (0, 1)}, "bounds: available for 1-D"),
        ({"samples": [2e-301, 5e-301], "bounds": (0, 1e-300), "bandwidth": 1.0}, "bounds: .*too many reflections"),
    ],
)
def test_bad_bounds_are_named(kwargs: dict[str, object], match: str) -> None:
    with pytest.raises(sc.InvalidInputError, match=match):
        sc.KDE(**kwargs)  # type: ignore[arg-type]


def test_hdi_is_refused_with_bounds() -> None:
    with pytest.raises(sc.InvalidInputError, match="hdi"):
        sc.KDE([0.1, 0.5, 0.7], bounds=(0, 1)).hdi(0.9)
