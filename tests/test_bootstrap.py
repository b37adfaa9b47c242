"""Bootstrap engine: intervals against scipy, reproducibility, schemes, derived quantities, coverage."""

from __future__ import annotations

import pickle
import time
import warnings
from typing import Any

import numpy as np
import pytest
import scalecore as sc
import scipy.stats
from hypothesis import given
from hypothesis import strategies as st
from scalecore import _core, _reference
from scalecore._reference import bootstrap as ref
from scalecore.allocation import chinchilla_allocation
from scalecore.datasets import HOFFMANN_PARAMS

LAW = sc.laws.get("chinchilla")


def grid_runs(seed: int, noise: float = 0.02, sizes: int = 7, tokens: int = 7) -> sc.Runs:
    """Planted Hoffmann law on a full N x D grid (well identified), multiplicative log-normal noise."""
    rng = np.random.default_rng(seed)
    n, d = np.meshgrid(np.geomspace(5e7, 5e9, sizes), np.geomspace(1e9, 2e11, tokens))
    n, d = n.ravel(), d.ravel()
    p = HOFFMANN_PARAMS
    clean = p["E"] + p["A"] / n ** p["alpha"] + p["B"] / d ** p["beta"]
    return sc.Runs(N=n, D=d, loss=clean * np.exp(noise * rng.standard_normal(len(n))))


@pytest.fixture(scope="module")
def runs() -> sc.Runs:
    return sc.datasets.chinchilla_sweep(seed=1)


@pytest.fixture(scope="module")
def boot(runs: sc.Runs) -> sc.BootstrapResult:
    return sc.bootstrap(runs, n_resamples=300, seed=7)


# --- intervals: scipy's formula ----------------------------------------------------------------------


@given(
    st.integers(0, 2**32 - 1),
    st.integers(20, 400),
    st.integers(3, 60),
    st.floats(0.5, 0.99),
    st.booleans(),
)
def test_bca_equals_scipys_formula(seed: int, b: int, n: int, level: float, two_samples: bool) -> None:
    rng = np.random.default_rng(seed)
    dist = rng.gamma(2.0, size=b)
    theta_hat = float(np.quantile(dist, rng.uniform(0.2, 0.8)))
    jack = [rng.gamma(3.0, size=n)] + ([rng.normal(size=n + 3)] if two_samples else [])
    ours = _core.bootstrap_interval(dist, theta_hat, jack, level, "bca")
    a1, a2, z0, a_hat = ref.bca_levels(dist, theta_hat, jack, level)
    assert ours.z0 == pytest.approx(z0, abs=1e-12)
    assert ours.a_hat == pytest.approx(a_hat, rel=1e-12, abs=1e-15)
    assert ours.levels == pytest.approx((a1, a2), abs=1e-12)
    lo, hi = ref.bca_interval(dist, theta_hat, jack, level)
    assert ours.low == pytest.approx(lo, rel=1e-12, abs=1e-12)
    assert ours.high == pytest.approx(hi, rel=1e-12, abs=1e-12)
    p = _core.bootstrap_interval(dist, theta_hat, [], level, "percentile")
    assert (p.low, p.high) == pytest.approx(ref.percentile_interval(dist, level), rel=1e-13)
    bsc = _core.bootstrap_interval(dist, theta_hat, [], level, "basic")
    assert (bsc.low, bsc.high) == pytest.approx(ref.basic_interval(dist, theta_hat, level), rel=1e-13)


@pytest.mark.parametrize("statistic", ["mean", "median", "std"])
def test_bca_equals_scipy_bootstrap_given_our_distribution(statistic: str) -> None:
    """scipy.stats.bootstrap(n_resamples=0, bootstrap_result=ours) recomputes BCa from our distribution
    with its own jackknife: the intervals must agree to 1e-12."""
    x = np.random.default_rng(3).lognormal(size=200)
    ours = sc.bootstrap_statistic(x, statistic, n_resamples=2000, seed=1, method="bca")
    fn = {"mean": np.mean, "median": np.median, "std": np.std}[statistic]
    prior = scipy.stats._resampling.BootstrapResult(
        confidence_interval=None, bootstrap_distribution=ours.distribution, standard_error=None
    )
    theirs = scipy.stats.bootstrap(
        (x,), fn, n_resamples=0, bootstrap_result=prior, method="BCa", confidence_level=0.95, rng=0
    )
    assert ours.ci.low == pytest.approx(theirs.confidence_interval.low, rel=1e-12)
    assert ours.ci.high == pytest.approx(theirs.confidence_interval.high, rel=1e-12)
    assert ours.se == pytest.approx(theirs.standard_error, rel=1e-12)


@pytest.mark.parametrize(
    ("statistic", "fn", "method"),
    [("mean", np.mean, "bca"), ("median", np.median, "percentile"), ("std", np.std, "basic"), ("var", np.var, "bca")],
)
def test_agrees_with_scipy_bootstrap_within_monte_carlo_error(statistic: str, fn: Any, method: str) -> None:
    x = np.random.default_rng(11).lognormal(size=400)
    ours = sc.bootstrap_statistic(x, statistic, n_resamples=4000, seed=2, method=method)
    theirs = scipy.stats.bootstrap((x,), fn, n_resamples=4000, method=method, rng=5)
    width = theirs.confidence_interval.high - theirs.confidence_interval.low
    assert abs(ours.ci.low - theirs.confidence_interval.low) < 0.1 * width
    assert abs(ours.ci.high - theirs.confidence_interval.high) < 0.1 * width
    assert ours.se == pytest.approx(theirs.standard_error, rel=0.1)


def test_paired_and_two_sample_statistics_agree_with_scipy() -> None:
    rng = np.random.default_rng(4)
    x = rng.normal(size=150)
    y = 0.6 * x + rng.normal(size=150)
    ours = sc.bootstrap_statistic((x, y), "correlation", n_resamples=3000, seed=3)
    theirs = scipy.stats.bootstrap(
        (x, y), lambda a, b, axis=-1: scipy.stats.pearsonr(a, b, axis=axis)[0], paired=True, n_resamples=3000, rng=1
    )
    width = theirs.confidence_interval.high - theirs.confidence_interval.low
    assert abs(ours.ci.low - theirs.confidence_interval.low) < 0.1 * width
    assert abs(ours.ci.high - theirs.confidence_interval.high) < 0.1 * width
    z = rng.normal(0.3, 2.0, size=90)
    diff = sc.bootstrap_statistic((x, z), "mean_difference", n_resamples=3000, seed=3)
    theirs = scipy.stats.bootstrap(
        (x, z), lambda a, b, axis=-1: a.mean(axis) - b.mean(axis), n_resamples=3000, rng=1, method="BCa"
    )
    width = theirs.confidence_interval.high - theirs.confidence_interval.low
    assert abs(diff.ci.low - theirs.confidence_interval.low) < 0.1 * width
    assert abs(diff.ci.high - theirs.confidence_interval.high) < 0.1 * width


@pytest.mark.parametrize(
    ("name", "kwargs", "fn"),
    [
        ("mean", {}, lambda a, axis=-1: np.mean(a, axis=axis)),
        ("median", {}, lambda a, axis=-1: np.median(a, axis=axis)),
        ("quantile", {"q": 0.9}, lambda a, axis=-1: np.quantile(a, 0.9, axis=axis)),
        ("std", {"ddof": 1.0}, lambda a, axis=-1: np.std(a, ddof=1, axis=axis)),
        ("trimmed_mean", {"proportiontocut": 0.2}, lambda a, axis=-1: scipy.stats.trim_mean(a, 0.2, axis=axis)),
    ],
)
def test_builtin_statistics_equal_the_same_callable(name: str, kwargs: dict[str, float], fn: Any) -> None:
    """Built-ins and callables see the same resamples (same streams), so distributions, jackknives and
    intervals agree to rounding."""
    x = np.random.default_rng(5).lognormal(size=61)
    a = sc.bootstrap_statistic(x, name, n_resamples=300, seed=9, **kwargs)
    b = sc.bootstrap_statistic(x, fn, n_resamples=300, seed=9, batch=64)
    np.testing.assert_allclose(a.distribution, b.distribution, rtol=1e-12)
    np.testing.assert_allclose(a.jackknife[0], b.jackknife[0], rtol=1e-12)
    assert a.ci == pytest.approx(b.ci, rel=1e-10)
    c = sc.bootstrap_statistic(x, lambda v: float(fn(v)), n_resamples=50, seed=9, method="percentile")
    np.testing.assert_allclose(c.distribution, a.distribution[:50], rtol=1e-12)


NUMPY_STATISTICS: dict[str, tuple[dict[str, float], Any]] = {
    "mean": ({}, np.mean),
    "median": ({}, np.median),
    "var": ({"ddof": 1.0}, lambda a: np.var(a, ddof=1)),
    "std": ({}, np.std),
    "quantile": ({"q": 0.3}, lambda a: np.quantile(a, 0.3)),
    "trimmed_mean": ({"proportiontocut": 0.15}, lambda a: scipy.stats.trim_mean(a, 0.15)),
}


@given(
    st.sampled_from(sorted(NUMPY_STATISTICS)),
    st.lists(st.integers(-5, 5), min_size=8, max_size=60),
    st.integers(0, 2**63),
)
def test_builtin_statistics_equal_numpy_on_random_data(name: str, values: list[int], seed: int) -> None:
    """Rust statistics, their resamples and their fast jackknives against numpy/scipy recomputation
    (integer data, so ties are common)."""
    x = np.array(values, dtype=np.float64) + np.linspace(0, 0.5, len(values)) * (seed % 2)
    kwargs, fn = NUMPY_STATISTICS[name]
    r = _core.bootstrap_statistic([x[None, :]], name, count=20, seed=seed, **kwargs)
    assert r.estimate[0] == pytest.approx(fn(x), rel=1e-12, abs=1e-12)
    idx = _core.bootstrap_indices([len(x)], seed=seed, first=0, count=20)[0]
    expect = np.array([fn(x[i]) for i in idx])
    np.testing.assert_allclose(r.distribution[0], expect, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(r.jackknife[0][0], ref.jackknife(fn, x), rtol=1e-10, atol=1e-10)


@pytest.mark.parametrize("paired", [False, True])
def test_two_sample_callables_see_the_builtin_resamples(paired: bool) -> None:
    rng = np.random.default_rng(12)
    x, y = rng.normal(size=40), rng.normal(1.0, 2.0, size=40 if paired else 33)
    a = sc.bootstrap_statistic((x, y), "mean_difference", n_resamples=200, seed=4, paired=paired)
    b = sc.bootstrap_statistic(
        (x, y), lambda u, v, axis=-1: u.mean(axis=axis) - v.mean(axis=axis), n_resamples=200, seed=4, paired=paired
    )
    np.testing.assert_allclose(a.distribution, b.distribution, rtol=1e-12, atol=1e-14)
    assert len(a.jackknife) == len(b.jackknife) == (1 if paired else 2)
    for ja, jb in zip(a.jackknife, b.jackknife, strict=True):
        np.testing.assert_allclose(ja, jb, rtol=1e-12, atol=1e-14)
    assert a.ci == pytest.approx(b.ci, rel=1e-10)


def test_linear_jackknife_matches_recomputation() -> None:
    x = np.random.default_rng(6).normal(size=40)
    r = sc.bootstrap_statistic(x, "mean", n_resamples=10, seed=0)
    np.testing.assert_allclose(r.jackknife[0], ref.jackknife(np.mean, x), rtol=1e-13)


def test_statistic_results_pickle_and_reinterpret() -> None:
    x = np.random.default_rng(8).normal(size=50)
    r = sc.bootstrap_statistic(x, "median", n_resamples=500, seed=1)
    r2 = pickle.loads(pickle.dumps(r))
    assert r2.ci == r.ci
    assert (
        r.interval(method="percentile")
        == sc.bootstrap_statistic(x, "median", n_resamples=500, seed=1, method="percentile").ci
    )
    assert "median" in repr(r)


# --- reproducibility -----------------------------------------------------------------------------------


def test_fit_samples_are_bit_identical_across_threads_and_chunks(runs: sc.Runs) -> None:
    outs = [sc.bootstrap(runs, n_resamples=64, seed=3, n_threads=t) for t in (1, 2, 8)]
    chunked = sc.bootstrap(runs, n_resamples=64, seed=3, map=map, chunk_size=10)
    for other in [*outs[1:], chunked]:
        for name in LAW.param_names:
            assert np.array_equal(outs[0].samples[name], other.samples[name])
    different = sc.bootstrap(runs, n_resamples=64, seed=4)
    assert not np.array_equal(outs[0].samples["alpha"], different.samples["alpha"])


def test_statistic_distribution_is_bit_identical_across_threads() -> None:
    x = np.random.default_rng(2).lognormal(size=3000)
    outs = [sc.bootstrap_statistic(x, "median", n_resamples=500, seed=5, n_threads=t) for t in (1, 2, 8)]
    assert all(np.array_equal(outs[0].distribution, o.distribution) for o in outs[1:])


# --- fit bootstrap ---------------------------------------------------------------------------------------


def test_pairs_refits_equal_scipy_reference_refits_of_the_same_resamples(runs: sc.Runs) -> None:
    b = sc.bootstrap(runs, n_resamples=12, seed=2)
    assert b.n_failed == 0
    idx = _core.bootstrap_indices([len(runs)], seed=2, first=0, count=12)[0]
    theta_hat = LAW.to_internal(b.params)
    tight = {"ftol": 1e-15, "gtol": 1e-12, "maxiter": 10000}
    theirs, _ = ref.bootstrap_fit("chinchilla", {"N": runs.N, "D": runs.D}, runs.loss, theta_hat, idx, options=tight)
    ours = np.column_stack(
        [np.log(b.samples["E"]), np.log(b.samples["A"]), np.log(b.samples["B"]), b.samples["alpha"], b.samples["beta"]]
    )
    # Huber objectives are flat along the ridges: compare objectives and the exponents.
    cols = {"N": runs.N, "D": runs.D}
    for r in range(12):
        w = np.bincount(idx[r], minlength=len(runs)).astype(float)
        f_ours = _reference.objective_and_grad("chinchilla", ours[r], cols, runs.loss, weight=w)[0]
        f_theirs = _reference.objective_and_grad("chinchilla", theirs[r], cols, runs.loss, weight=w)[0]
        assert f_ours <= f_theirs * (1 + 1e-6)
        assert np.abs(ours[r, 3:] - theirs[r, 3:]).max() < 1e-4


@pytest.mark.parametrize("scheme", ["cluster", "residual", "wild", "parametric"])
def test_every_scheme_gives_plausible_intervals(runs: sc.Runs, boot: sc.BootstrapResult, scheme: str) -> None:
    b = sc.bootstrap(
        runs, n_resamples=150, seed=1, scheme=scheme, wild_weights="webb" if scheme == "wild" else "rademacher"
    )
    assert b.n_failed == 0
    assert b.scheme == scheme
    for name in ("alpha", "beta", "E"):
        lo, hi = b.ci(name)
        assert lo < b.params[name] < hi
        # Same order of magnitude as the pairs bootstrap's spread.
        assert 0.2 < b.se(name) / boot.se(name) < 5


def test_robust_and_objective_options(runs: sc.Runs, boot: sc.BootstrapResult) -> None:
    r = sc.bootstrap(runs, n_resamples=40, seed=7, robust=True)
    assert r.n_failed == 0
    # The warm start already finds the replicate's best basin on this sweep.
    np.testing.assert_allclose(r.samples["alpha"], boot.samples["alpha"][:40], rtol=1e-4)
    f = sc.bootstrap(runs, n_resamples=40, seed=7, objective="lsq_log", fixed={"E": 1.69})
    assert np.all(f.samples["E"] == 1.69)
    assert f.n_failed == 0
    t = sc.bootstrap(runs, n_resamples=40, seed=7, tie=[("alpha", "beta")])
    assert np.array_equal(t.samples["alpha"], t.samples["beta"])


def test_derived_quantities_and_allocation(boot: sc.BootstrapResult) -> None:
    s = boot.samples
    np.testing.assert_allclose(boot.distribution("a")[1], s["beta"] / (s["alpha"] + s["beta"]))
    n_opt = boot.distribution("N_opt", compute=1e24)[1]
    for i in (0, 17, 123):
        expect = chinchilla_allocation({k: v[i] for k, v in s.items()}, 1e24)
        assert n_opt[i] == pytest.approx(expect[0][0], rel=1e-12)
    lo, hi = boot.ci("loss", N=70e9, D=1.4e12)
    assert lo < boot.distribution("loss", N=70e9, D=1.4e12)[0] < hi
    user = boot.ci(lambda p: p["alpha"] - p["beta"])
    assert user.low < boot.params["alpha"] - boot.params["beta"] < user.high
    alloc = boot.allocate(compute=[1e22, 1e24], level=0.9)
    assert np.all(alloc.N_ci[:, 0] < alloc.N)
    assert np.all(alloc.N_ci[:, 1] > alloc.N)
    assert np.all(alloc.D_ci[:, 0] < alloc.D)
    assert np.all(alloc.tokens_per_param_ci[:, 0] < alloc.tokens_per_param)
    assert alloc.N[1] == pytest.approx(chinchilla_allocation(boot.params, 1e24)[0][0])
    assert "C=1e+24" in repr(alloc)


def test_bca_for_fits_and_pickling(boot: sc.BootstrapResult) -> None:
    lo, hi = boot.ci("alpha", method="bca")
    assert lo < boot.params["alpha"] < hi
    assert len(boot.jackknife_theta()) == boot.fit.n_runs
    b2 = pickle.loads(pickle.dumps(boot))
    assert b2.ci("a", method="bca") == boot.ci("a", method="bca")
    assert "alpha" in repr(b2)


def test_large_tables_use_a_grouped_jackknife() -> None:
    b = sc.bootstrap(grid_runs(5, sizes=50, tokens=50), n_resamples=60, seed=1, objective="lsq_log")
    lo, hi = b.ci("beta", method="bca")
    assert lo < b.params["beta"] < hi
    assert len(b.jackknife_theta()) == 500


def test_progress_callback_is_called(runs: sc.Runs) -> None:
    calls: list[tuple[int, int]] = []
    sc.bootstrap(runs, n_resamples=3000, seed=0, progress=lambda done, total: calls.append((done, total)), n_threads=1)
    assert calls
    assert all(t == 3000 for _, t in calls)


def test_interrupt_stops_promptly(runs: sc.Runs) -> None:
    """A progress callback that raises (as Ctrl-C does between polls) cancels the work: the call returns
    at the next objective evaluation, not after the remaining replicates."""
    raised_at: list[float] = []

    def stop(done: int, total: int) -> None:
        raised_at.append(time.perf_counter())
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        sc.bootstrap(runs, n_resamples=1_000_000, seed=0, progress=stop)
    assert time.perf_counter() - raised_at[0] < 0.5
    x = np.random.default_rng(0).normal(size=100_000)
    raised_at.clear()
    with pytest.raises(KeyboardInterrupt):
        sc.bootstrap_statistic(x, "median", n_resamples=1_000_000, seed=0, progress=stop)
    assert time.perf_counter() - raised_at[0] < 0.5


# --- bad input -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kwargs", "name"),
    [
        ({"n_resamples": 0}, "n_resamples"),
        ({"level": 1.5}, "level"),
        ({"level": 0.0}, "level"),
        ({"scheme": "jackknife"}, "scheme"),
        ({"scheme": "cluster", "group": np.arange(90)}, "group"),
        ({"scheme": "cluster", "group": np.r_[np.zeros(89, dtype=int), 1]}, "group"),
        ({"scheme": "cluster"}, "group"),
        ({"seed": -1}, "seed"),
        ({"wild_weights": "gauss", "scheme": "wild"}, "wild_weights"),
    ],
)
def test_bad_bootstrap_input_names_the_argument(kwargs: dict[str, Any], name: str) -> None:
    runs = sc.datasets.chinchilla_sweep(seed=1)
    runs = sc.Runs(N=runs.N, D=runs.D, loss=runs.loss)
    with pytest.raises(sc.InvalidInputError, match=name):
        sc.bootstrap(runs, **{"n_resamples": 10, **kwargs})


def test_bad_ci_arguments(boot: sc.BootstrapResult) -> None:
    with pytest.raises(sc.InvalidInputError, match="method"):
        boot.ci("alpha", method="studentized")
    with pytest.raises(sc.InvalidInputError, match="level"):
        boot.ci("alpha", level=-0.1)
    with pytest.raises(sc.InvalidInputError, match="quantity"):
        boot.ci("gamma")
    with pytest.raises(sc.InvalidInputError, match="compute"):
        boot.ci("N_opt")


@pytest.mark.parametrize(
    ("args", "kwargs", "name"),
    [
        (([1.0, 2.0, 3.0],), {"n_resamples": 0}, "n_resamples"),
        (([1.0, 2.0, 3.0],), {"level": 1.0}, "level"),
        (([1.0, 2.0, 3.0],), {"method": "bc"}, "method"),
        (([1.0, 2.0, 3.0], "mode"), {}, "statistic"),
        (([1.0, 2.0, 3.0], lambda x: 1 / 0), {}, "statistic"),
        (([1.0, np.inf],), {}, "data"),
        (([1.0, 2.0, 3.0], "quantile"), {"q": 2.0}, "q"),
        ((([1.0, 2.0], [1.0, 2.0, 3.0]), "correlation"), {}, "data"),
    ],
)
def test_bad_statistic_input_names_the_argument(args: tuple[Any, ...], kwargs: dict[str, Any], name: str) -> None:
    with pytest.raises(sc.InvalidInputError, match=name):
        sc.bootstrap_statistic(*args, **{"n_resamples": 20, **kwargs})


def test_undefined_intervals_are_nan_as_in_scipy() -> None:
    """A statistic that is NaN, or BCa on constant data, gives a NaN interval (BCa: with a warning), as
    scipy.stats.bootstrap does, so that one such problem in a batch does not sink the others."""
    r = sc.bootstrap_statistic([1.0, 2.0, 3.0], lambda x: np.nan, n_resamples=20)
    assert np.isnan(r.ci.low) and np.isnan(r.ci.high)
    with pytest.warns(sc.statistic_bootstrap.DegenerateDataWarning, match="BCa"):
        c = sc.bootstrap_statistic([2.0, 2.0, 2.0, 2.0], "median", n_resamples=20)
    assert np.isnan(c.ci.low) and c.se == 0.0


def test_inputs_are_not_modified() -> None:
    x = np.random.default_rng(0).normal(size=30)
    before = x.copy()
    sc.bootstrap_statistic(x, "median", n_resamples=50, seed=0)
    assert np.array_equal(x, before)


# --- coverage ------------------------------------------------------------------------------------------


def coverage(n_sets: int, n_resamples: int, methods: tuple[str, ...]) -> dict[tuple[str, str], float]:
    hits: dict[tuple[str, str], int] = {}
    for k in range(n_sets):
        with warnings.catch_warnings():
            # The full-data fit sometimes stops by line search at its optimum (a fit-engine matter).
            warnings.simplefilter("ignore", sc.IdentifiabilityWarning)
            warnings.simplefilter("ignore", sc.ConvergenceWarning)
            b = sc.bootstrap(grid_runs(1000 + k), n_resamples=n_resamples, seed=k, objective="lsq_log")
        for name in ("alpha", "beta", "E"):
            for m in methods:
                lo, hi = b.ci(name, method=m)
                hits[(name, m)] = hits.get((name, m), 0) + int(lo <= HOFFMANN_PARAMS[name] <= hi)
    return {key: v / n_sets for key, v in hits.items()}


def test_coverage_small() -> None:
    """Fast version of the coverage simulation: 40 data sets, loose bounds."""
    cov = coverage(40, 200, ("percentile",))
    assert all(0.8 <= c <= 1.0 for c in cov.values()), cov


@pytest.mark.slow
def test_coverage_95_percent() -> None:
    """95 % percentile and BCa intervals for alpha, beta, E cover the planted truth in 92-98 % of 200
    simulated data sets."""
    cov = coverage(200, 1000, ("percentile", "bca"))
    assert all(0.92 <= c <= 0.98 for c in cov.values()), cov


def test_kde_of_a_bootstrap_distribution() -> None:
    runs = sc.datasets.chinchilla_sweep(0)
    boot = sc.bootstrap(runs, "chinchilla", n_resamples=200, seed=1)
    kde = boot.kde("alpha")
    x, density = kde.grid(512)
    assert np.trapezoid(density, x) == pytest.approx(1.0, abs=1e-3)
    lo, hi = boot.ci("alpha")
    assert lo < kde.mode() < hi
    assert isinstance(kde, sc.KDE)
