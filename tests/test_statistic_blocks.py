"""Block bootstraps of a statistic for dependent data (moving, circular, stationary blocks) and Politis &
White's automatic block length: against a literal NumPy reference, the structure of the drawn resamples,
the coverage a block bootstrap exists for, determinism, and bad input."""

from __future__ import annotations

import pickle

import numpy as np
import pytest
import scalecore as sc
from hypothesis import given, settings
from hypothesis import strategies as st
from scalecore import _core
from scalecore._reference import blocks as ref
from scalecore.statistic_bootstrap import optimal_block_length


def ar1(n: int, phi: float, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    e = rng.standard_normal(n)
    x = np.empty(n)
    x[0] = e[0] / np.sqrt(1 - phi**2)
    for t in range(1, n):
        x[t] = phi * x[t - 1] + e[t]
    return x


@settings(max_examples=40, deadline=None)
@given(
    n=st.integers(4, 3000),
    phi=st.floats(-0.95, 0.98),
    seed=st.integers(0, 2**32 - 1),
)
def test_block_length_equals_the_reference(n: int, phi: float, seed: int) -> None:
    x = ar1(n, phi, seed)
    ours = optimal_block_length(x)
    theirs = ref.optimal_block_length(x)
    np.testing.assert_allclose(ours, theirs, rtol=1e-9)


def test_block_length_follows_the_dependence() -> None:
    white = optimal_block_length(np.random.default_rng(0).standard_normal(5000))
    strong = optimal_block_length(ar1(5000, 0.9, 1))
    assert max(white) < 3 < 10 < strong[0] < strong[1]
    # The arch package implements the same rule with slightly different autocorrelation estimates and lag
    # count: a coarse comparison, when it is installed.
    arch = pytest.importorskip("arch.bootstrap")
    theirs = arch.optimal_block_length(ar1(5000, 0.9, 1)).to_numpy()[0]
    np.testing.assert_allclose(strong, theirs, rtol=0.15)


@pytest.mark.parametrize("block", ["moving", "circular"])
def test_fixed_blocks_are_runs_of_consecutive_observations(block: str) -> None:
    n, length = 103, 10
    (idx,) = _core.bootstrap_indices([n], block=block, block_length=length, seed=3, count=20)
    for row in idx.astype(np.int64):
        for s in range(0, n, length):
            run = row[s : s + length]
            step = np.diff(run) % n if block == "circular" else np.diff(run)
            assert (step == 1).all()
            if block == "moving":
                assert run[0] + length <= n


def test_stationary_blocks_have_geometric_lengths_with_the_mean() -> None:
    n, mean = 2000, 12.5
    (idx,) = _core.bootstrap_indices([n], block="stationary", block_length=mean, seed=4, count=50)
    breaks = (np.diff(idx.astype(np.int64), axis=1) % n != 1).sum()
    assert abs(idx.size / (breaks + 50) - mean) < 0.8


@pytest.mark.parametrize("block", ["moving", "circular", "stationary"])
def test_built_in_statistics_equal_the_callable_on_the_same_resamples(block: str) -> None:
    x = ar1(300, 0.7, 5)
    kw = dict(block=block, block_length=8, method="percentile", n_resamples=200, seed=11)
    built = sc.bootstrap_statistic(x, "median", **kw)
    called = sc.bootstrap_statistic(x, np.median, **kw)
    np.testing.assert_array_equal(built.distribution, called.distribution)
    mean = sc.bootstrap_statistic(x, "mean", **kw)
    np.testing.assert_allclose(mean.distribution, sc.bootstrap_statistic(x, np.mean, **kw).distribution, rtol=1e-13)


def test_block_bootstrap_covers_the_mean_of_a_dependent_series_where_iid_does_not() -> None:
    # AR(1) with phi = 0.8: the variance of the mean is about (1 + phi) / (1 - phi) = 9x the iid one, so an
    # iid interval covers far too rarely; circular blocks of the automatic length come close to nominal.
    hits = {"iid": 0, "circular": 0}
    trials = 80
    for s in range(trials):
        x = ar1(400, 0.8, 100 + s)
        for name, block in (("iid", None), ("circular", "circular")):
            r = sc.bootstrap_statistic(x, "mean", block=block, method="percentile", n_resamples=400, seed=s)
            hits[name] += r.ci.low <= 0.0 <= r.ci.high
    assert hits["iid"] / trials < 0.65
    assert hits["circular"] / trials > 0.8


def test_same_seed_same_answer_across_threads_and_continuation() -> None:
    x = ar1(500, 0.5, 6)
    kw = dict(block="stationary", method="percentile", seed=7)
    one = sc.bootstrap_statistic(x, "mean", n_resamples=300, n_threads=1, **kw)
    two = sc.bootstrap_statistic(x, "mean", n_resamples=300, n_threads=2, **kw)
    np.testing.assert_array_equal(one.distribution, two.distribution)
    head = sc.bootstrap_statistic(x, "mean", n_resamples=100, **kw)
    longer = sc.bootstrap_statistic(x, "mean", n_resamples=200, method="percentile", bootstrap_result=head)
    np.testing.assert_array_equal(longer.distribution, one.distribution)
    assert longer.block == "stationary" and longer.block_length == one.block_length
    again = pickle.loads(pickle.dumps(one))
    assert again.block_length == one.block_length


def test_batches_use_the_blocks_too() -> None:
    x = np.stack([ar1(200, 0.6, 20 + p) for p in range(8)])
    batch = sc.bootstrap_statistic(x, "mean", axis=-1, block="moving", block_length=6, method="basic", seed=2)
    for p in (0, 5):
        alone = sc.bootstrap_statistic(x[p], "mean", block="moving", block_length=6, method="basic", seed=2)
        np.testing.assert_allclose(batch.distribution[p], alone.distribution, rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize(
    ("kwargs", "name"),
    [
        ({"block": "tapered"}, "block"),
        ({"block": "moving", "block_length": 2.5, "method": "percentile"}, "block_length"),
        ({"block": "moving", "block_length": 1000, "method": "percentile"}, "block_length"),
        ({"block": "stationary", "block_length": 0.5, "method": "percentile"}, "block_length"),
        ({"block": "stationary", "block_length": np.nan, "method": "percentile"}, "block_length"),
        ({"block": "circular"}, "method"),
    ],
)
def test_bad_blocks_name_their_argument(kwargs: dict[str, object], name: str) -> None:
    with pytest.raises(sc.InvalidInputError, match=f"^{name}"):
        sc.bootstrap_statistic(ar1(50, 0.5, 0), "mean", n_resamples=10, seed=0, **kwargs)


def test_block_length_needs_a_series() -> None:
    with pytest.raises(sc.InvalidInputError, match=r"^x"):
        optimal_block_length(np.ones((3, 3)))
    with pytest.raises(sc.InvalidInputError, match=r"^x"):
        optimal_block_length([1.0, 2.0, np.inf, 4.0, 5.0])
    with pytest.raises(sc.InvalidInputError, match=r"^block_length"):
        sc.bootstrap_statistic([1.0, 2.0, 3.0], "mean", block="circular", method="percentile", n_resamples=5)
