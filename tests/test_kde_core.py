"""sc.KDE as one core handle: boundary crossings per public call, pickling bit for bit, and equal weights
never changing a bandwidth rule (issue 15)."""

from __future__ import annotations

import pickle
from collections import Counter
from typing import Any

import numpy as np
import pytest
import scalecore as sc
import scalecore.kde as kde_module
from hypothesis import given
from hypothesis import strategies as st
from scalecore.kde import BANDWIDTH_RULES


class _CountingHandle:
    """Stands for a `_core.KdeEstimator`: every attribute read (a getter or a method) is one crossing."""

    def __init__(self, inner: Any, counts: Counter[str]) -> None:
        self._inner, self._counts = inner, counts

    def __getattr__(self, name: str) -> Any:
        self._counts[name] += 1
        return getattr(self._inner, name)


class _CountingCore:
    """Stands for `scalecore._core` inside scalecore.kde: counts every entry point used and wraps the handles
    the estimator class returns."""

    def __init__(self, counts: Counter[str]) -> None:
        self._counts = counts

    def __getattr__(self, name: str) -> Any:
        target = getattr(sc._core, name)
        if not callable(target):
            return target
        counts = self._counts

        def call(*args: Any, **kwargs: Any) -> Any:
            counts[name] += 1
            out = target(*args, **kwargs)
            return _CountingHandle(out, counts) if isinstance(out, sc._core.KdeEstimator) else out

        return call


@pytest.fixture
def counts(monkeypatch: pytest.MonkeyPatch) -> Counter[str]:
    c: Counter[str] = Counter()
    monkeypatch.setattr(kde_module, "_core", _CountingCore(c))
    return c


@pytest.mark.parametrize("method", ["exact", "binned"])
def test_each_query_crosses_the_boundary_once(counts: Counter[str], method: str) -> None:
    x = np.random.default_rng(0).standard_normal(3000)
    k = sc.KDE(x, bandwidth="isj", method=method)
    assert counts["KdeEstimator"] == 1
    calls = [
        ("quantile", lambda: k.quantile(np.linspace(0.01, 0.99, 12))),
        ("mode", k.mode),
        ("hdi", lambda: k.hdi(0.9)),
        ("density", lambda: k.pdf(np.linspace(-3, 3, 50))),
        ("density", lambda: k.logpdf(0.5)),
        ("tail", lambda: k.cdf([0.0, 1.0])),
        ("tail", lambda: k.sf(0.0)),
        ("grid", lambda: k.grid(256)),
        ("diagnostics", lambda: k.diagnostics([0.0])),
    ]
    for name, call in calls:
        counts.clear()
        call()
        assert counts == Counter({name: 1}), name


def test_multivariate_queries_cross_once(counts: Counter[str]) -> None:
    x = np.random.default_rng(1).standard_normal((500, 2))
    k = sc.KDE(x)
    for name, call in [("mode", k.mode), ("density", lambda: k.pdf(x[:10]))]:
        counts.clear()
        call()
        assert counts == Counter({name: 1}), name


@pytest.mark.parametrize(
    "kwargs",
    [
        {"bandwidth": "isj", "kernel": "biweight", "weights": np.arange(400.0)},
        {"bandwidth": "loo_ml"},
        {"bandwidth": "normal_reference_robust", "method": "binned", "tolerance": 1e-8},
        {"bandwidth": 0.3, "kernel": "laplace"},
    ],
)
def test_pickle_round_trip_is_bit_for_bit(kwargs: dict[str, Any]) -> None:
    x = np.random.default_rng(2).standard_normal(400)
    k = sc.KDE(x, **kwargs)
    q = np.linspace(-4, 4, 101)
    before = (k.pdf(q), k.cdf(q), k.quantile([0.1, 0.9]), k.mode(), k.hdi(0.8))
    k2 = pickle.loads(pickle.dumps(k))
    assert k2.bandwidth == k.bandwidth
    assert (k2.rule, k2.kernel, k2.method, k2.tolerance, k2.n_eff) == (k.rule, k.kernel, k.method, k.tolerance, k.n_eff)
    assert repr(k2) == repr(k)
    after = (k2.pdf(q), k2.cdf(q), k2.quantile([0.1, 0.9]), k2.mode(), k2.hdi(0.8))
    for a, b in zip(before, after, strict=True):
        assert np.array_equal(np.asarray(a), np.asarray(b))
    # compact: the samples and weights, not the sorted copy or the binned grid
    assert len(pickle.dumps(k)) < 8 * x.size * (2 if "weights" in kwargs else 1) + 2000


def test_multivariate_pickle_round_trip_is_bit_for_bit() -> None:
    x = np.random.default_rng(3).standard_normal((300, 3))
    k = sc.KDE(x, bandwidth="normal_reference", weights=np.linspace(1, 2, 300))
    k2 = pickle.loads(pickle.dumps(k))
    assert np.array_equal(k2.bandwidth, k.bandwidth)
    assert np.array_equal(k2.pdf(x[:20]), k.pdf(x[:20]))
    assert np.array_equal(k2.mode(), k.mode())


def test_equal_weights_keep_the_robust_bandwidths_of_issue_15() -> None:
    # KDEpy: 2.22944 with and without weights (its rule ignores weights)
    x = np.array([0, 1, 2, 3, 4, 5, 6, 7, 8, 100.0])
    for rule in ["normal_reference_robust", "scott_robust", "rule_of_thumb"]:
        plain = sc.KDE(x, bandwidth=rule).bandwidth
        assert sc.KDE(x, bandwidth=rule, weights=np.ones(10)).bandwidth == plain, rule
    assert sc.KDE(x, bandwidth="normal_reference_robust").bandwidth == pytest.approx(2.22944, abs=5e-6)


@pytest.mark.filterwarnings("ignore::scalecore.errors.BandwidthWarning")  # ISJ on a few points falls back
@given(
    n=st.integers(3, 200),
    seed=st.integers(0, 2**32 - 1),
    weight=st.floats(1e-6, 1e6),
    rule=st.sampled_from(BANDWIDTH_RULES),
)
def test_equal_weights_never_change_a_bandwidth_rule(n: int, seed: int, weight: float, rule: str) -> None:
    rng = np.random.default_rng(seed)
    x = np.round(rng.standard_t(3, n), 2)  # ties and outliers
    if np.ptp(x) == 0:
        return
    try:
        plain = sc.KDE(x, bandwidth=rule).bandwidth
    except (sc.InvalidInputError, sc.ConvergenceError) as exc:  # loo_ml with ties
        with pytest.raises(type(exc)):
            sc.KDE(x, bandwidth=rule, weights=np.full(n, weight))
        return
    assert sc.KDE(x, bandwidth=rule, weights=np.full(n, weight)).bandwidth == plain


def test_nearly_equal_weights_give_nearly_the_unweighted_robust_rules() -> None:
    # The weighted quantile's plotting positions reduce to np.percentile's, so the weighted rules are
    # continuous at equal weights (mid-weight positions jumped by the n / (n - 1) convention).
    x = np.array([0, 1, 2, 3, 4, 5, 6, 7, 8, 100.0])
    w = np.ones(10)
    w[3] += 1e-9
    for rule in ["normal_reference_robust", "scott_robust", "rule_of_thumb"]:
        assert sc.KDE(x, bandwidth=rule, weights=w).bandwidth == pytest.approx(
            sc.KDE(x, bandwidth=rule).bandwidth, rel=1e-7
        )


def test_option_names_come_from_the_core() -> None:
    assert tuple(sc._core.KDE_KERNELS) == kde_module.KERNELS
    assert "loo_ml" in kde_module.BANDWIDTH_RULES
    with pytest.raises(sc.InvalidInputError, match="known"):
        sc.KDE(np.arange(5.0), bandwidth="nope")
