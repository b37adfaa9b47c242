"""NumPy's convention across the query API: a scalar in gives a NumPy scalar out, arrays broadcast and the result
takes the broadcast shape, with the same values as element-by-element queries."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import scalecore as sc
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

P = sc.datasets.HOFFMANN_PARAMS
FIT = sc.fit(sc.datasets.chinchilla_sweep(0))


def test_scalar_queries_give_numpy_scalars() -> None:
    loss = FIT.predict(N=1e9, D=2e10)
    assert isinstance(loss, np.float64)
    assert float(loss) == float(FIT.predict(N=[1e9], D=[2e10])[0])
    alloc = sc.allocate(P, compute=5.76e23, law="chinchilla")
    assert isinstance(alloc.N, np.float64) and isinstance(alloc.extrapolated, np.bool_)
    assert float(alloc.N) == pytest.approx(4.0361e10, rel=5e-5)
    assert float(alloc.tokens_per_param) == pytest.approx(float(alloc.D) / float(alloc.N))
    with pytest.raises(TypeError):
        len(alloc)
    inverse = sc.compute_for_loss(P, 2.0)
    assert isinstance(inverse.compute, np.float64)
    assert float(sc.allocate(P, compute=inverse.compute).loss) == pytest.approx(2.0, rel=1e-9)
    kde = sc.KDE(np.random.default_rng(0).normal(size=200))
    for query in (kde.pdf, kde.logpdf, kde.cdf, kde.sf):
        assert isinstance(query(0.3), np.float64)
    assert isinstance(kde.quantile(0.5), np.float64)
    bound = sc.bounds.InverseLinear(1.0, 2.0)
    assert isinstance(bound.evaluate(1e3, 1e4), np.float64)
    assert float(bound.evaluate(1e3, 1e4)) == pytest.approx(1e-3 + 2e-4)
    terms = bound.terms(1e3, 1e4)
    assert isinstance(terms.estimation, np.float64)


def test_a_bootstrap_allocation_of_a_scalar_budget_has_a_pair_interval() -> None:
    boot = sc.bootstrap(sc.datasets.chinchilla_sweep(0), n_resamples=30, seed=0, progress=False)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", sc.ExtrapolationWarning)
        alloc = sc.allocate(boot, compute=1e22)
        many = sc.allocate(boot, compute=[1e22])
    assert alloc.N_ci is not None and many.N_ci is not None
    assert alloc.N_ci.shape == (2,)
    np.testing.assert_array_equal(alloc.N_ci, many.N_ci[0])
    assert "C=1e+22" in repr(alloc)
    direct = boot.allocate(1e22)
    assert isinstance(direct.N, np.float64) and direct.N_ci.shape == (2,)
    np.testing.assert_array_equal(direct.N_ci, boot.allocate([1e22]).N_ci[0])
    assert "C=1e+22" in repr(direct)


def test_arrays_take_the_broadcast_shape() -> None:
    N = np.geomspace(1e8, 1e10, 4).reshape(4, 1)
    D = np.geomspace(1e9, 1e12, 3)
    out = FIT.predict(N=N, D=D)
    assert out.shape == (4, 3)
    np.testing.assert_array_equal(out[2], FIT.predict(N=np.full(3, N[2, 0]), D=D))
    C = np.array([[1e20, 1e21], [1e22, 1e23]])
    alloc = sc.allocate(P, compute=C)
    assert alloc.N.shape == alloc.D.shape == alloc.loss.shape == alloc.extrapolated.shape == (2, 2)
    np.testing.assert_array_equal(alloc.N.ravel(), sc.allocate(P, compute=C.ravel()).N)
    bound = sc.bounds.PowerLaw.from_params(P)
    assert bound.evaluate(N, D).shape == (4, 3)
    kde = sc.KDE(np.random.default_rng(1).normal(size=100))
    assert kde.pdf(np.zeros((2, 5))).shape == (2, 5)
    with pytest.raises(sc.InvalidInputError, match="do not broadcast"):
        FIT.predict(N=np.ones(3) * 1e9, D=np.ones(4) * 1e10)


shapes = hnp.mutually_broadcastable_shapes(num_shapes=2, min_dims=0, max_dims=3, max_side=4)


@given(shapes=shapes, seed=st.integers(0, 2**32 - 1))
def test_predict_broadcasts_like_numpy(shapes: hnp.BroadcastableShapes, seed: int) -> None:
    rng = np.random.default_rng(seed)
    n_shape, d_shape = shapes.input_shapes
    N = 10 ** rng.uniform(7, 11, size=n_shape)
    D = 10 ** rng.uniform(8, 13, size=d_shape)
    out = FIT.predict(N=N, D=D)
    assert np.shape(out) == shapes.result_shape
    bN, bD = np.broadcast_arrays(N, D)
    expected = FIT.law_.predict(FIT.params, N=bN.ravel(), D=bD.ravel()) if bN.size else np.empty(0)
    np.testing.assert_allclose(np.ravel(out), expected, rtol=1e-13)
    if not shapes.result_shape:
        assert isinstance(out, np.float64)
