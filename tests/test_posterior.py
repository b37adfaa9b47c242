"""Posteriors: Laplace against finite differences, the ensemble sampler against emcee on the same
log-density, diagnostics against ArviZ's formulas, reproducibility, allocation and bad input."""

from __future__ import annotations

import pickle
import warnings

import numpy as np
import pytest
import scalecore as sc
from hypothesis import given
from hypothesis import strategies as st
from scalecore import _core
from scalecore._reference import posterior as ref

TRUE = {"E": 1.8, "A": 40.0, "alpha": 0.35}


def power_runs(seed: int, n: int = 24, noise: float = 0.02) -> sc.Runs:
    rng = np.random.default_rng(seed)
    x = np.geomspace(1e2, 1e6, n)
    y = (TRUE["E"] + TRUE["A"] * x ** -TRUE["alpha"]) * np.exp(noise * rng.standard_normal(n))
    return sc.Runs(x=x, loss=y)


def test_laplace_matches_finite_differences_of_the_reference_density() -> None:
    runs = power_runs(0)
    post = sc.posterior(runs, "power", prior={"E": "flat", "A": "flat", "alpha": "flat"}, seed=0)
    law = sc.laws.get("power")
    mode = law.to_internal(post.mode)
    # With flat priors the mode is the log-space least-squares fit.
    lsq = sc.fit(runs, "power", objective="lsq_log")
    np.testing.assert_allclose(mode, law.to_internal(lsq.params), atol=1e-6)
    cov = ref.laplace_covariance("power", mode, {"x": runs.x}, runs.loss)
    # Gauss-Newton against the full Hessian: equal up to the residual-curvature term, small at a good fit.
    np.testing.assert_allclose(post.covariance, cov, rtol=0.05, atol=1e-8 * np.abs(cov).max())
    assert post.draws.shape == (1, 20_000, 3)
    np.testing.assert_allclose(np.cov(post.draws[0].T), post.covariance, rtol=0.1, atol=0.05 * np.abs(cov).max())


def test_mcmc_agrees_with_emcee_on_the_same_log_density() -> None:
    emcee = pytest.importorskip("emcee")
    runs = power_runs(1)
    law = sc.laws.get("power")
    post = sc.posterior(runs, "power", method="mcmc", n_draws=64_000, seed=2)
    assert max(post.rhat.values()) < 1.01
    box = _core.law_box("power")
    cols = {"x": runs.x}
    rng = np.random.default_rng(5)
    start = law.to_internal(post.mode) + 1e-3 * rng.standard_normal((32, 3))
    sampler = emcee.EnsembleSampler(32, 3, ref.log_density, args=("power", cols, runs.loss, box))
    sampler.random_state = np.random.mtrand.RandomState(3).get_state()
    sampler.run_mcmc(start, 2000)
    chain = sampler.get_chain(discard=500)  # (steps, walkers, k)
    flat = chain.reshape(-1, 3)
    ess_ref = min(ref.ess(chain[:, :, j].T) for j in range(3))
    mine = post.draws.reshape(-1, 3)
    for j in range(3):
        # Monte Carlo error of the difference of two means: each sd / sqrt(ESS); allow 4.5 of them.
        sd = flat[:, j].std()
        tol = 4.5 * sd * np.sqrt(1 / ess_ref + 1 / min(post.ess.values()))
        assert abs(mine[:, j].mean() - flat[:, j].mean()) < tol, j
        for q in (0.025, 0.975):
            assert abs(np.quantile(mine[:, j], q) - np.quantile(flat[:, j], q)) < 2.5 * tol, (j, q)


def test_draws_are_reproducible_for_any_thread_count() -> None:
    runs = power_runs(2)
    a = sc.posterior(runs, "power", method="mcmc", n_draws=4000, seed=11, n_threads=1)
    b = sc.posterior(runs, "power", method="mcmc", n_draws=4000, seed=11, n_threads=2)
    assert np.array_equal(a.draws, b.draws)
    c = sc.posterior(runs, "power", method="mcmc", n_draws=4000, seed=12)
    assert not np.array_equal(a.draws, c.draws)
    assert np.array_equal(pickle.loads(pickle.dumps(a)).draws, a.draws)
    la = sc.posterior(runs, "power", seed=3, n_draws=100)
    assert np.array_equal(la.draws, sc.posterior(runs, "power", seed=3, n_draws=100, n_threads=1).draws)


@given(st.integers(0, 2**32 - 1), st.floats(0.0, 0.9), st.integers(2, 5), st.integers(8, 300))
def test_diagnostics_match_the_reference(seed: int, phi: float, chains: int, n: int) -> None:
    rng = np.random.default_rng(seed)
    x = np.zeros((chains, n))
    for t in range(1, n):
        x[:, t] = phi * x[:, t - 1] + rng.standard_normal(chains)
    x += rng.normal(0, 0.1, (chains, 1))
    draws = np.column_stack([x.reshape(-1), 2 * x.reshape(-1) + 1])
    rhat, ess = _core.mcmc_diagnostics(draws, n)
    assert rhat[0] == pytest.approx(ref.split_rhat(x), rel=1e-9)
    assert ess[0] == pytest.approx(ref.ess(x), rel=1e-7)
    assert ess[1] == pytest.approx(ess[0], rel=1e-7)


def test_allocation_intervals_from_the_posterior() -> None:
    runs = sc.datasets.chinchilla_sweep(seed=0)
    post = sc.posterior(runs, "chinchilla", method="laplace", n_draws=2000, seed=0)
    alloc = post.allocate(compute=[1e22, 1e24])
    assert np.all(alloc.N_ci[:, 0] < alloc.N) and np.all(alloc.N_ci[:, 1] > alloc.N)
    assert alloc.method == "posterior"
    lo, hi = post.ci("alpha")
    assert lo < post.mode["alpha"] < hi


def test_to_arviz_when_installed() -> None:
    az = pytest.importorskip("arviz")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", sc.PosteriorWarning)  # a short run: the export, not the mixing, is tested
        post = sc.posterior(power_runs(3), "power", method="mcmc", n_draws=8000, n_chains=2, n_walkers=32, seed=1)
    idata = post.to_arviz()
    assert isinstance(idata, az.InferenceData)
    assert set(idata.groups()) >= {"posterior", "sample_stats"}
    steps = post.draws.shape[1]
    for name in ("E", "A", "alpha"):
        var = idata.posterior[name]
        assert var.dims == ("chain", "draw") and var.shape == (64, steps)
        np.testing.assert_array_equal(var.values.reshape(-1), post.samples[name])
    assert idata.sample_stats["lp"].shape == (64, steps)
    assert float(az.summary(idata, var_names=["alpha"], round_to="none")["mean"].iloc[0]) == pytest.approx(
        post.mean("alpha")
    )
    laplace = sc.posterior(power_runs(3), "power", n_draws=500, seed=1).to_arviz()
    assert laplace.posterior["alpha"].shape == (1, 500) and "sample_stats" not in laplace.groups()


def test_bad_input_names_the_argument() -> None:
    runs = power_runs(4)
    with pytest.raises(sc.InvalidInputError, match="prior"):
        sc.posterior(runs, "power", prior={"alpha": ("normal", 0.3, 0.1), "E": ("flat", 10.0, 20.0)})
    with pytest.raises(sc.InvalidInputError, match="prior"):
        sc.posterior(runs, "power", prior={"gamma": "flat"})
    with pytest.raises(sc.InvalidInputError, match="prior"):
        sc.posterior(runs, "power", prior={"A": ("normal", 1.0, 1.0)})
    with pytest.raises(sc.InvalidInputError, match="prior"):
        sc.posterior(runs, "power", prior={"alpha": ("normal", 0.3, -1.0)})
    with pytest.raises(sc.InvalidInputError, match="method"):
        sc.posterior(runs, "power", method="nuts")
    with pytest.raises(sc.InvalidInputError, match="runs"):
        sc.posterior(runs.subset(np.arange(3)), "power")
    with pytest.raises(sc.InvalidInputError, match="n_walkers"):
        sc.posterior(runs, "power", method="mcmc", n_walkers=3, n_draws=100)
    with pytest.raises(sc.InvalidInputError, match="loss"):
        sc.posterior({"x": [1.0, 2.0, 3.0, 4.0, 5.0], "loss": [1.0, np.inf, 1.0, 1.0, 1.0]}, "power")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(sc.InvalidInputError, match="draws"):
            _core.mcmc_diagnostics(np.zeros((6, 1)), 2)
