"""Botev's two-dimensional ISJ bandwidth (`bandwidth="isj"` / `"isj_botev"` on (n, 2) samples) against the
NumPy/SciPy transcription of Botev et al.'s kde2d program, on bivariate normals, and its fallback."""

from __future__ import annotations

import pickle
import re
import warnings

import numpy as np
import pytest
import scalecore as sc
from hypothesis import given
from hypothesis import strategies as st
from scalecore._reference import isj_2d as ref


def _diagonal(kde: sc.KDE) -> np.ndarray:
    return np.sqrt(np.diag(kde.bandwidth_matrix))


def _sample(n: int, seed: int, shape: int) -> np.ndarray:
    """Bivariate samples of several shapes, scales and offsets: correlated normal, heavy tails, a two-cluster
    column, a rounded (tied) column."""
    rng = np.random.default_rng(seed)
    scales = 10.0 ** rng.uniform(-3, 3, 2)
    offsets = rng.uniform(-100, 100, 2)
    if shape == 0:
        z = rng.multivariate_normal([0, 0], [[1, 0.7], [0.7, 1]], n)
    elif shape == 1:
        z = rng.standard_t(3, (n, 2))
    elif shape == 2:
        z = np.column_stack([rng.standard_normal(n), rng.normal(0, 0.2, n) + 5 * (rng.uniform(size=n) < 0.4)])
    else:
        z = np.column_stack([np.round(rng.standard_normal(n), 1), rng.exponential(1, n)])
    return np.asarray(z * scales + offsets)


@given(
    n=st.integers(20, 3000),
    seed=st.integers(0, 2**32 - 1),
    shape=st.integers(0, 3),
    weighted=st.booleans(),
)
def test_equals_the_kde2d_transcription(n: int, seed: int, shape: int, weighted: bool) -> None:
    x = _sample(n, seed, shape)
    w = np.random.default_rng(seed + 1).uniform(0.1, 3, n) if weighted else None
    try:
        want = ref.isj_2d(x, w)
    except ref.NoRootError:
        with pytest.warns(sc.BandwidthWarning, match="two-dimensional ISJ fixed-point equation has no root"):
            kde = sc.KDE(x, bandwidth="isj", weights=w)
        margins = [sc.KDE(x[:, j], bandwidth="normal_reference_robust", weights=w).bandwidth for j in range(2)]
        np.testing.assert_array_equal(_diagonal(kde), margins)
        return
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        kde = sc.KDE(x, bandwidth="isj", weights=w)
    np.testing.assert_allclose(_diagonal(kde), want, rtol=1e-10)
    assert kde.bandwidth_matrix[0, 1] == 0.0 and kde.bandwidth_matrix[1, 0] == 0.0
    assert kde.rule == "isj"


def test_isj_and_isj_botev_are_the_same_selector_in_two_dimensions() -> None:
    x = _sample(800, 5, 0)
    a, b = sc.KDE(x, bandwidth="isj"), sc.KDE(x, bandwidth="isj_botev")
    assert np.array_equal(a.bandwidth_matrix, b.bandwidth_matrix)
    assert (a.rule, b.rule) == ("isj", "isj_botev")


def test_per_margin_isj_stays_available_as_a_sequence() -> None:
    x = _sample(600, 6, 2)
    per_margin = sc.KDE(x, bandwidth=["isj", "isj"])
    assert np.array_equal(_diagonal(per_margin), [sc.KDE(x[:, j], bandwidth="isj").bandwidth for j in range(2)])
    assert not np.allclose(_diagonal(per_margin), _diagonal(sc.KDE(x, bandwidth="isj")), rtol=1e-3)


def _normal_reference_ratio(n: int, seed: int) -> np.ndarray:
    """Botev's bandwidths over the normal-reference ones, sigma_j n^(-1/6): the AMISE-optimal diagonal
    bandwidths of a product Gaussian kernel when the density is an uncorrelated bivariate normal."""
    x = np.random.default_rng(seed).standard_normal((n, 2)) * [0.5, 20.0] + [3.0, -7.0]
    return np.asarray(_diagonal(sc.KDE(x, bandwidth="isj")) / (x.std(axis=0, ddof=1) * n ** (-1 / 6)))


def test_recovers_the_normal_reference_bandwidths_as_n_grows() -> None:
    small = np.array([_normal_reference_ratio(300, s) for s in range(6)])
    large = np.array([_normal_reference_ratio(200_000, s) for s in range(6)])
    assert np.all(np.abs(large - 1) < 0.06), large
    assert np.median(np.abs(np.log(large))) < np.median(np.abs(np.log(small))), (small, large)


def test_a_two_cluster_column_gets_the_smaller_bandwidth_and_columns_swap() -> None:
    rng = np.random.default_rng(7)
    n = 4000
    clustered = rng.normal(0, 0.3, n) + 8 * (rng.uniform(size=n) < 0.5)
    x = np.column_stack([rng.standard_normal(n), clustered])
    h = _diagonal(sc.KDE(x, bandwidth="isj"))
    # relative to its standard deviation the two-cluster column needs far less smoothing
    assert h[1] / np.std(clustered) < 0.3 * h[0] / np.std(x[:, 0])
    assert h[1] < 0.3  # about the clusters' own scale, not the column's (sd 4)
    swapped = _diagonal(sc.KDE(x[:, ::-1], bandwidth="isj"))
    np.testing.assert_allclose(swapped, h[::-1], rtol=1e-9)


def test_scale_equivariant_per_axis() -> None:
    x = _sample(1500, 8, 1)
    h = _diagonal(sc.KDE(x, bandwidth="isj"))
    scaled = _diagonal(sc.KDE(x * [2.0**-10, 2.0**12], bandwidth="isj"))
    np.testing.assert_allclose(scaled, h * [2.0**-10, 2.0**12], rtol=1e-12)


TOO_FEW = np.random.default_rng(0).standard_normal((5, 2))


def test_without_a_root_falls_back_with_a_warning() -> None:
    with pytest.raises(ref.NoRootError):
        ref.isj_2d(TOO_FEW)
    for rule in ("isj", "isj_botev"):
        with pytest.warns(sc.BandwidthWarning, match=rf"'{rule}': the two-dimensional ISJ fixed-point") as caught:
            kde = sc.KDE(TOO_FEW, bandwidth=rule)
        assert len(caught) == 1
        margins = [sc.KDE(TOO_FEW[:, j], bandwidth="normal_reference_robust").bandwidth for j in range(2)]
        np.testing.assert_array_equal(_diagonal(kde), margins)
        assert re.search(re.escape(f"per dimension = [{margins[0]!r}, {margins[1]!r}]"), str(caught[0].message))
        assert kde.rule == rule
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            again = pickle.loads(pickle.dumps(kde))
        assert np.array_equal(again.bandwidth_matrix, kde.bandwidth_matrix)


def test_with_a_root_does_not_warn_and_pickles() -> None:
    x = _sample(500, 9, 0)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        kde = sc.KDE(x, bandwidth="isj")
        again = pickle.loads(pickle.dumps(kde))
    assert np.array_equal(again.bandwidth_matrix, kde.bandwidth_matrix)
    assert np.array_equal(again.pdf(x[:5]), kde.pdf(x[:5]))


def test_zero_weights_drop_their_rows() -> None:
    x = _sample(700, 10, 3)
    w = np.ones(700)
    w[::7] = 0.0
    kept = sc.KDE(x[w > 0], bandwidth="isj")
    np.testing.assert_allclose(_diagonal(sc.KDE(x, bandwidth="isj", weights=w)), _diagonal(kept), rtol=1e-12)


@pytest.mark.parametrize("column", [0, 1])
def test_a_constant_column_is_refused_by_name(column: int) -> None:
    x = np.random.default_rng(1).standard_normal((50, 2))
    x[:, column] = 3.0
    with pytest.raises(sc.InvalidInputError, match=f"dimension {column}: the data-driven rule 'isj' needs"):
        sc.KDE(x, bandwidth="isj")
