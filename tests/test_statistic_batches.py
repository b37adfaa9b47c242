"""sc.bootstrap_statistic beyond one 1-D problem: `axis=` batches, vector-valued statistics, extending a
result, one-sided intervals, RandomState seeds, degenerate BCa per problem and BCa on demand."""

from __future__ import annotations

import pickle
import warnings
from typing import Any

import numpy as np
import pytest
import scalecore as sc
from hypothesis import given
from hypothesis import strategies as st
from scalecore import _core
from scalecore._reference import bootstrap as ref
from scalecore.statistic_bootstrap import DegenerateDataWarning


def _mean(x: Any, axis: int = -1) -> Any:
    return np.mean(x, axis=axis)


@given(
    st.sampled_from(["mean", "median", "std", "trimmed_mean", "callable"]),
    st.integers(2, 8),
    st.integers(5, 25),
    st.integers(0, 2**32),
    st.sampled_from([0, 1]),
)
def test_each_problem_of_a_batch_is_bootstrapped_as_if_alone(
    statistic: str, problems: int, n: int, seed: int, axis: int
) -> None:
    rng = np.random.default_rng(seed)
    data = rng.lognormal(size=(n, problems)) if axis == 0 else rng.lognormal(size=(problems, n))
    stat: Any = _mean if statistic == "callable" else statistic
    batch = sc.bootstrap_statistic(data, stat, axis=axis, n_resamples=50, seed=seed, method="bca")
    assert np.shape(batch.estimate) == (problems,)
    assert batch.distribution.shape == (problems, 50)
    for p in range(problems):
        alone = sc.bootstrap_statistic(np.take(data, p, axis=1 - axis), stat, n_resamples=50, seed=seed)
        # Built-ins give the same bits, except batched means (matrix products: rounding); NumPy may sum a
        # callable's batch in another order.
        exact = statistic not in ("mean", "callable")
        np.testing.assert_allclose(batch.distribution[p], alone.distribution, rtol=0 if exact else 1e-13)
        assert isinstance(batch.ci, sc.statistic_bootstrap.BatchInterval)
        if not exact and np.any(np.isclose(alone.distribution, alone.estimate, rtol=1e-12, atol=0)):
            # A replicate equal to the estimate (a permutation of a small sample) counts as below it or not
            # depending on rounding, which moves BCa's bias correction: batched means agree to rounding only.
            continue
        assert batch.ci.low[p] == pytest.approx(alone.ci.low, rel=1e-12, nan_ok=True)
        assert batch.ci.high[p] == pytest.approx(alone.ci.high, rel=1e-12, nan_ok=True)


def test_batched_intervals_equal_the_reference_bca() -> None:
    rng = np.random.default_rng(4)
    data = rng.gamma(2.0, size=(6, 40))
    r = sc.bootstrap_statistic(data, "mean", axis=1, n_resamples=400, seed=2, level=0.9)
    for p in range(6):
        lo, hi = ref.bca_interval(r.distribution[p], r.estimate[p], [r.jackknife[0][p]], 0.9)
        assert (r.ci.low[p], r.ci.high[p]) == pytest.approx((lo, hi), rel=1e-12)


def test_vector_valued_statistics() -> None:
    x = np.random.default_rng(1).normal(size=(3, 60))

    def both(a: Any, axis: int = -1) -> Any:
        return np.stack([np.mean(a, axis=axis), np.std(a, axis=axis, ddof=1)])

    r = sc.bootstrap_statistic(x, both, axis=-1, n_resamples=200, seed=3)
    assert r.distribution.shape == (2, 3, 200)
    assert np.shape(r.ci.low) == np.shape(r.se) == (2, 3)
    m = sc.bootstrap_statistic(x, _mean, axis=-1, n_resamples=200, seed=3)
    np.testing.assert_allclose(r.distribution[0], m.distribution, rtol=1e-14)
    np.testing.assert_allclose(r.ci.low[0], m.ci.low, rtol=1e-12)
    flat = sc.bootstrap_statistic(x[0], lambda a: np.array([a.mean(), a.std(ddof=1)]), n_resamples=200, seed=3)
    np.testing.assert_allclose(flat.distribution, r.distribution[:, 0], rtol=1e-13, atol=1e-15)


def test_extension_equals_one_longer_run_and_zero_recomputes() -> None:
    x = np.random.default_rng(5).exponential(size=80)
    first = sc.bootstrap_statistic(x, "median", n_resamples=300, seed=9, method="percentile")
    more = sc.bootstrap_statistic(x, "median", n_resamples=200, method="bca", bootstrap_result=first)
    whole = sc.bootstrap_statistic(x, "median", n_resamples=500, seed=9, method="bca")
    np.testing.assert_array_equal(more.distribution, whole.distribution)
    assert more.ci == whole.ci
    again = sc.bootstrap_statistic(x, "median", n_resamples=0, level=0.8, method="basic", bootstrap_result=whole)
    np.testing.assert_array_equal(again.distribution, whole.distribution)
    assert again.ci == whole.interval(level=0.8, method="basic")
    with pytest.raises(sc.InvalidInputError, match="n_resamples"):
        sc.bootstrap_statistic(x, "median", n_resamples=0)


@pytest.mark.parametrize("method", ["percentile", "basic", "bca"])
def test_one_sided_intervals_are_one_end_of_a_wider_two_sided_one(method: str) -> None:
    x = np.random.default_rng(6).lognormal(size=70)
    two = sc.bootstrap_statistic(x, "mean", n_resamples=500, seed=1, level=0.9, method=method)
    less = sc.bootstrap_statistic(x, "mean", n_resamples=500, seed=1, level=0.95, method=method, alternative="less")
    greater = two.interval(level=0.95, alternative="greater")
    assert less.ci.low == -np.inf and less.ci.high == pytest.approx(two.ci.high, rel=1e-14)
    assert greater.high == np.inf and greater.low == pytest.approx(two.ci.low, rel=1e-14)
    with pytest.raises(sc.InvalidInputError, match="alternative"):
        sc.bootstrap_statistic(x, "mean", alternative="sideways")


def test_random_state_seeds_and_strict_vectorized() -> None:
    x = np.random.default_rng(7).normal(size=30)
    a = sc.bootstrap_statistic(x, "mean", n_resamples=100, seed=np.random.RandomState(3))
    b = sc.bootstrap_statistic(x, "mean", n_resamples=100, seed=np.random.RandomState(3))
    np.testing.assert_array_equal(a.distribution, b.distribution)
    with pytest.raises(sc.InvalidInputError, match="vectorized"):
        sc.bootstrap_statistic(x, _mean, vectorized="ekki")  # type: ignore[arg-type]


def test_bca_on_constant_problems_is_nan_with_a_warning() -> None:
    data = np.vstack([np.full(20, 3.0), np.random.default_rng(8).normal(size=20)])
    with pytest.warns(DegenerateDataWarning, match="BCa"):
        r = sc.bootstrap_statistic(data, "mean", axis=1, n_resamples=200, seed=1)
    assert np.isnan(r.ci.low[0]) and np.isnan(r.ci.high[0])
    assert np.isfinite(r.ci.low[1]) and np.isfinite(r.ci.high[1])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        p = sc.bootstrap_statistic(data, "mean", axis=1, n_resamples=200, seed=1, method="percentile")
    assert (p.ci.low[0], p.ci.high[0]) == (3.0, 3.0)


@pytest.mark.parametrize("statistic", ["median", "callable"])
def test_bca_on_demand_from_a_percentile_result(statistic: str) -> None:
    x = np.random.default_rng(9).lognormal(size=50)
    stat: Any = _mean if statistic == "callable" else statistic
    pct = sc.bootstrap_statistic(x, stat, n_resamples=400, seed=4, method="percentile")
    bca = sc.bootstrap_statistic(x, stat, n_resamples=400, seed=4, method="bca")
    assert pct.interval(method="bca") == bca.ci


def test_results_pickle_with_or_without_their_statistic() -> None:
    x = np.random.default_rng(10).normal(size=(2, 30))
    r = sc.bootstrap_statistic(
        x, lambda a, axis=-1: a.max(axis=axis), axis=1, n_resamples=50, seed=1, method="percentile"
    )
    r2 = pickle.loads(pickle.dumps(r))
    np.testing.assert_array_equal(r2.ci.low, r.ci.low)
    with pytest.raises(sc.InvalidInputError, match="statistic"):
        r2.interval(method="bca")
    s = _core.bootstrap_statistic([x], "mean", count=5, seed=1)
    s2 = pickle.loads(pickle.dumps(s))
    np.testing.assert_array_equal(s2.distribution, s.distribution)
    iv = _core.bootstrap_interval(s.distribution[0], float(s.estimate[0]), [], 0.9, "percentile")
    assert pickle.loads(pickle.dumps(iv)).low == iv.low


def test_batches_broadcast_and_reject_mismatched_shapes() -> None:
    rng = np.random.default_rng(11)
    x, y = rng.normal(size=(3, 20)), rng.normal(size=(1, 25))
    r = sc.bootstrap_statistic((x, y), "mean_difference", axis=1, n_resamples=50, seed=2)
    assert np.shape(r.estimate) == (3,)
    with pytest.raises(sc.InvalidInputError, match="broadcast"):
        sc.bootstrap_statistic((x, rng.normal(size=(2, 20))), "mean_difference", axis=1, n_resamples=50)
    with pytest.raises(sc.InvalidInputError, match="axis"):
        sc.bootstrap_statistic(x, "mean", axis=2)
