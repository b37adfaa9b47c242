"""sc.regimes.intrinsic_dimension against a brute-force NumPy search: the k-d tree search must find exactly the
neighbours every pair of points would give, including tied distances, duplicates and degenerate clouds."""

from __future__ import annotations

import numpy as np
import pytest
import scalecore as sc
from hypothesis import given
from hypothesis import strategies as st


def brute_force(points: np.ndarray, k: int) -> np.ndarray:
    """Distances from each point to its k nearest other points (n x k, ascending), from all pairs (in blocks of rows
    to bound the memory)."""
    out = []
    for first in range(0, len(points), 32):
        diff = points[first : first + 32, None, :] - points[None, :, :]
        d = np.sqrt(np.einsum("ijc,ijc->ij", diff, diff))
        d[np.arange(d.shape[0]), first + np.arange(d.shape[0])] = np.inf
        out.append(np.sort(d, axis=1)[:, :k])
    return np.concatenate(out)


def log_ratios(points: np.ndarray, k: int) -> tuple[np.ndarray, int]:
    """Per point with a positive first distance, the mean of log(T_k / T_j) over j < k; and the number of those points
    (Levina & Bickel 2004; with k = 2 the TwoNN statistic log(r2 / r1) of Facco et al. 2017)."""
    d = brute_force(points, k)
    d = d[d[:, 0] > 0]
    return np.mean(np.log(d[:, k - 1 : k] / d[:, : k - 1]), axis=1), d.shape[0]


def check(points: np.ndarray, method: str, k: int) -> None:
    """The estimate equals the brute-force one; a cloud without distances is refused. Clouds whose log ratios are all
    (nearly) zero are left out: there a tie the brute force sees exactly may differ by rounding in the principal-axis
    frame the search works in, and the estimate is an arbitrary large number either way."""
    terms, used = log_ratios(points, k)
    if used == 0:
        with pytest.raises(sc.InvalidInputError, match="duplicates"):
            sc.regimes.intrinsic_dimension(points, method, k=k)
        return
    if np.sum(terms) < 1e-6 * used:
        return
    got = sc.regimes.intrinsic_dimension(points, method, k=k)
    assert got.n_used == used
    assert got.d == pytest.approx(used / np.sum(terms), rel=1e-9)


def cloud(kind: str, n: int, dim: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    if kind == "grid":  # integer coordinates: many exactly tied distances
        return rng.integers(0, 3, size=(n, dim)).astype(np.float64)
    if kind == "line":  # collinear points, embedded in dim coordinates
        return rng.standard_normal((n, 1)) * rng.standard_normal((1, dim))
    if kind == "duplicates":  # a third of the points copies of a few
        pts = rng.standard_normal((n, dim))
        pts[: n // 3] = pts[n // 3 : n // 3 + 3][rng.integers(0, 3, size=n // 3)]
        return pts
    d = rng.integers(1, dim + 1)  # a Gaussian of lower dimension, rotated into dim coordinates
    q, _ = np.linalg.qr(rng.standard_normal((dim, d)))
    return np.asarray(rng.standard_normal((n, d)) @ q.T * 10.0 ** rng.integers(-3, 4))


@given(
    st.sampled_from(["grid", "line", "duplicates", "embedded"]),
    st.integers(20, 400),
    st.integers(1, 13),
    st.integers(3, 12),
    st.integers(0, 2**31),
)
def test_matches_a_brute_force_search(kind: str, n: int, dim: int, k: int, seed: int) -> None:
    pts = cloud(kind, n, dim, seed)
    check(pts, "twonn", 2)
    check(pts, "mle", k)


def test_all_equal_points_are_refused() -> None:
    with pytest.raises(sc.InvalidInputError, match="duplicates"):
        sc.regimes.intrinsic_dimension(np.full((3000, 5), 2.5))


def test_a_large_cloud_matches_brute_force_at_intrinsic_dimension_10() -> None:
    # Deep enough for the walk to skip most of the tree, small enough for the brute force.
    rng = np.random.default_rng(1)
    q, _ = np.linalg.qr(rng.standard_normal((64, 10)))
    pts = rng.standard_normal((3000, 10)) @ q.T
    check(pts, "twonn", 2)
    check(pts, "mle", 10)
