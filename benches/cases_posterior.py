"""Posterior benchmarks: the core's ensemble sampler against emcee (the same stretch move, the same
log-density in NumPy: _reference/posterior.log_density) on the Chinchilla law and 240 simulated runs.

Samplers are compared per effective sample (the smallest ESS over the parameters, ArviZ's formula on
split chains), not per draw; answers agree when the posterior means differ by less than 5 Monte Carlo
standard errors and R-hat < 1.01 for ours."""

from __future__ import annotations

import time
from typing import Any

import numpy as np
import scalecore as sc
from run import Case  # type: ignore[import-not-found]
from scalecore import _core
from scalecore._reference import posterior as ref


def cases(quick: bool) -> list[Case]:
    runs = sc.datasets.chinchilla_sweep(seed=0, sizes_per_budget=27).subset(np.arange(240))
    n_draws = 20_000 if quick else 100_000
    law = sc.laws.get("chinchilla")
    cols = {"N": runs.N, "D": runs.D}
    box = _core.law_box("chinchilla")

    def ours() -> Any:
        t0 = time.perf_counter()
        post = sc.posterior(runs, "chinchilla", method="mcmc", n_draws=n_draws, seed=0)
        seconds = time.perf_counter() - t0
        return post.draws.reshape(-1, 5), min(post.ess.values()), max(post.rhat.values()), seconds

    def emcee_run() -> Any:
        import emcee

        mode = law.to_internal(sc.posterior(runs, "chinchilla", seed=0, n_draws=10).mode)
        walkers = 32
        steps = n_draws // walkers
        burn = max(200, steps // 2)
        rng = np.random.default_rng(0)
        start = mode + 1e-4 * rng.standard_normal((walkers, 5))
        t0 = time.perf_counter()
        sampler = emcee.EnsembleSampler(walkers, 5, ref.log_density, args=("chinchilla", cols, runs.loss, box))
        sampler.run_mcmc(start, burn + steps)
        seconds = time.perf_counter() - t0
        chain = sampler.get_chain(discard=burn)
        ess = min(ref.ess(chain[:, :, j].T) for j in range(5))
        return chain.reshape(-1, 5), ess, float("nan"), seconds

    def check(o: Any, t: Any) -> tuple[bool, str]:
        (d_o, ess_o, rhat_o, s_o), (d_t, ess_t, _, s_t) = o, t
        se = np.sqrt(d_o.var(axis=0) / ess_o + d_t.var(axis=0) / ess_t)
        z = float(np.max(np.abs(d_o.mean(axis=0) - d_t.mean(axis=0)) / se))
        per_ess = (s_t / ess_t) / (s_o / ess_o)
        return z < 5 and rhat_o < 1.01, (
            f"max |mean diff| {z:.2f} MC se, R-hat {rhat_o:.4f}, ESS ours {ess_o:.0f} emcee {ess_t:.0f}, "
            f"{per_ess:.1f}x per effective sample"
        )

    return [
        Case(
            name=f"posterior mcmc chinchilla, 240 runs, {n_draws} draws",
            ours=ours,
            baselines=[("emcee 3 (same log-density)", emcee_run)],
            check=check,
            target="< 10 s on 2 cores; >= 20x emcee per effective sample",
        )
    ]
