"""scipy's own bootstrap tests (scipy/stats/tests/test_resampling.py, shipped with every SciPy install) run
against `scalecore.compat.bootstrap`: the test module's `bootstrap` and `stats.bootstrap` are swapped for ours,
and every test method of its TestBootstrap class is called with NumPy as the array namespace, with the
parameters of its own `parametrize` marks. The exclusions below test SciPy internals or other array backends,
or assert numbers only SciPy's random stream produces; each is listed with its reason (and the ported checks
follow).
"""

from __future__ import annotations

import importlib
import inspect
from typing import Any

import numpy as np
import pytest
import scipy.stats
from _scipy_suite import cases, stats_with
from scalecore import _core, compat

scipy_tests = pytest.importorskip("scipy.stats.tests.test_resampling")

EXCLUDED = {
    "test_bootstrap_iv_other": "tests array libraries other than NumPy (SciPy skips it for NumPy itself)",
    "test_BCa_acceleration_against_reference": "calls SciPy's private _bca_interval (ported below on our core)",
    "test_jackknife_resample": "tests SciPy's private _jackknife_resample",
    "test_bootstrap_resample": "tests SciPy's private _bootstrap_resample",
    "test_percentile_of_score": "tests SciPy's private _percentile_of_score",
    "test_vectorize_statistic": "tests SciPy's private _vectorize_statistic",
    "test_bootstrap_against_itself_1samp": "asserts the exact count SciPy's random stream gives (ported below)",
    "test_bootstrap_against_itself_2samp": "asserts the exact count SciPy's random stream gives (ported below)",
    "test_vector_valued_statistic_gh17715": "compares two bootstraps drawn from successive states of one Generator "
    "to 1e-15, true only where SciPy's stream puts both interpolated ends on the same order statistics; ported "
    "below with one seed for both",
    "test_bootstrap_against_theory": "its standard-error tolerance (3e-4) is about one Monte Carlo standard error of "
    "a 5000-resample estimate (2.8e-4), met by SciPy's stream; ported below with 50,000 resamples",
}


@pytest.mark.parametrize(("name", "params"), cases(scipy_tests.TestBootstrap, EXCLUDED))
def test_scipy_bootstrap_suite(name: str, params: dict[str, Any], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(scipy_tests, "bootstrap", compat.bootstrap)
    monkeypatch.setattr(scipy_tests, "stats", stats_with(bootstrap=compat.bootstrap))
    test = getattr(scipy_tests.TestBootstrap(), name)
    if "xp" in inspect.signature(test).parameters:
        params = {"xp": np, **params}
    test(**params)


def test_the_suite_is_scipys_own() -> None:
    assert importlib.import_module("scipy.stats.tests.test_resampling") is scipy_tests
    assert len(cases(scipy_tests.TestBootstrap, EXCLUDED)) > 60


# --- ports of the excluded checks --------------------------------------------------------------------------


def test_bca_acceleration_against_reference() -> None:
    """scipy's reference acceleration 0.011008228344026734 (Efron & Tibshirani's two-sample example), from our
    jackknife of the difference of means and our acceleration formula."""
    y = np.array([10.0, 27.0, 31.0, 40.0, 46.0, 50.0, 52.0, 104.0, 146.0])
    z = np.array([16.0, 23.0, 38.0, 94.0, 99.0, 141.0, 197.0])
    res = compat.bootstrap((z, y), lambda a, b, axis=0: np.mean(a, axis=axis) - np.mean(b, axis=axis), rng=0)
    assert res.result is not None
    jack = [j.ravel() for j in res.result.jackknife]
    iv = _core.bootstrap_interval(res.bootstrap_distribution, float(z.mean() - y.mean()), jack, 0.95, "bca")
    np.testing.assert_allclose(iv.a_hat, 0.011008228344026734, rtol=1e-12)


@pytest.mark.slow
@pytest.mark.parametrize("method", ["basic", "percentile", "BCa"])
def test_coverage_of_2000_one_sample_intervals(method: str) -> None:
    """test_bootstrap_against_itself_1samp without SciPy's exact count: 2000 problems in one `axis=` batch,
    90 % intervals, the count of intervals covering the true mean consistent with 90 %."""
    rng = np.random.default_rng(9123847)
    data = scipy.stats.norm(loc=5, scale=1).rvs(size=(2000, 100), random_state=rng)
    res = compat.bootstrap(
        (data,), np.mean, confidence_level=0.9, n_resamples=999, batch=50, method=method, axis=-1, rng=rng
    )
    low, high = res.confidence_interval
    covered = int(np.count_nonzero((low < 5.0) & (high > 5.0)))
    assert scipy.stats.binomtest(covered, 2000, 0.9).pvalue > 0.01


@pytest.mark.slow
@pytest.mark.parametrize("method", ["basic", "percentile"])
def test_coverage_of_1000_two_sample_intervals(method: str) -> None:
    """test_bootstrap_against_itself_2samp without SciPy's exact count."""
    rng = np.random.RandomState(0)
    data1 = scipy.stats.norm(loc=0, scale=1).rvs(size=(1000, 100), random_state=rng)
    data2 = scipy.stats.norm(loc=0.1, scale=1).rvs(size=(1000, 120), random_state=rng)

    def diff(a: Any, b: Any, axis: int = -1) -> Any:
        return np.mean(a, axis=axis) - np.mean(b, axis=axis)

    res = compat.bootstrap(
        (data1, data2), diff, confidence_level=0.9, n_resamples=999, batch=50, method=method, axis=-1, random_state=rng
    )
    low, high = res.confidence_interval
    covered = int(np.count_nonzero((low < -0.1) & (high > -0.1)))
    assert scipy.stats.binomtest(covered, 1000, 0.9).pvalue > 0.01


@pytest.mark.slow
@pytest.mark.parametrize("method", ["basic", "percentile", "BCa"])
def test_bootstrap_against_theory(method: str) -> None:
    """scipy's test_bootstrap_against_theory with 50,000 resamples instead of 5,000, so that its tolerances hold
    for any random stream (the Monte Carlo error of the standard error falls to 0.9e-4)."""
    rng = np.random.default_rng(2442101192988600726)
    data = scipy.stats.norm.rvs(loc=5, scale=2, size=5000, random_state=rng)
    dist = scipy.stats.t(df=len(data) - 1, loc=np.mean(data), scale=scipy.stats.sem(data))
    ref_low, ref_high = dist.interval(confidence=0.95)
    config: dict[str, Any] = {"data": (data,), "statistic": np.mean, "n_resamples": 50_000, "method": method}
    res = compat.bootstrap(**config, confidence_level=0.95, rng=rng)
    np.testing.assert_allclose(res.confidence_interval.low, ref_low, rtol=5e-4)
    np.testing.assert_allclose(res.confidence_interval.high, ref_high, rtol=5e-4)
    np.testing.assert_allclose(res.standard_error, dist.std(), atol=3e-4)
    config.update(n_resamples=0, bootstrap_result=res)
    less = compat.bootstrap(**config, confidence_level=0.95, alternative="less")
    np.testing.assert_allclose(less.confidence_interval.high, dist.ppf(0.95), rtol=5e-4)
    greater = compat.bootstrap(**config, confidence_level=0.95, alternative="greater")
    np.testing.assert_allclose(greater.confidence_interval.low, dist.ppf(0.05), rtol=5e-4)


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
def test_vector_valued_statistic_gh17715() -> None:
    """scipy's gh-17715 check (a vector-valued multi-sample BCa equals the scalar one) with the same seed for
    both bootstraps."""

    def concordance(x: Any, y: Any, axis: int) -> Any:
        xm, ym = x.mean(axis), y.mean(axis)
        cov = ((x - xm[..., None]) * (y - ym[..., None])).mean(axis)
        return (2 * cov) / (x.var(axis) + y.var(axis) + (xm - ym) ** 2)

    def statistic(tp: Any, tn: Any, fp: Any, fn: Any, axis: int) -> Any:
        return np.nan_to_num(concordance(tp + fp, tp + fn, axis))

    def statistic_extradim(*args: Any, axis: int) -> Any:
        return statistic(*args, axis)[np.newaxis, ...]

    data = np.array([[4, 0, 0, 2], [2, 1, 2, 1], [0, 6, 0, 0], [0, 6, 3, 0], [0, 8, 1, 0]]).T
    res = compat.bootstrap(data, statistic_extradim, rng=np.random.default_rng(141921000979291141), paired=True)
    ref = compat.bootstrap(data, statistic, rng=np.random.default_rng(141921000979291141), paired=True)
    np.testing.assert_allclose(res.confidence_interval.low[0], ref.confidence_interval.low, atol=1e-15)
    np.testing.assert_allclose(res.confidence_interval.high[0], ref.confidence_interval.high, atol=1e-15)
