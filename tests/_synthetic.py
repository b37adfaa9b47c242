"""Synthetic run tables with planted scaling-law parameters, shared by the fit tests."""

from __future__ import annotations

import numpy as np
import scalecore as sc


def planted_chinchilla(rng: np.random.Generator) -> dict[str, float]:
    """A random law whose two power-law terms are both visible in the data `chinchilla_runs` draws: at the
    middle of the runs' ranges each term is 0.05 to 2 times the irreducible loss (as in real sweeps;
    a term far below the noise makes its exponent, and so the optimum, arbitrary)."""
    E = float(rng.uniform(1.0, 3.0))
    alpha, beta = float(rng.uniform(0.2, 0.6)), float(rng.uniform(0.2, 0.6))
    n_mid, d_mid = 10**8.75, 10**10.25
    return {
        "E": E,
        "A": float(E * 10 ** rng.uniform(-1.3, 0.3) * n_mid**alpha),
        "B": float(E * 10 ** rng.uniform(-1.3, 0.3) * d_mid**beta),
        "alpha": alpha,
        "beta": beta,
    }


def chinchilla_runs(rng: np.random.Generator, params: dict[str, float], n: int, noise: float) -> sc.Runs:
    """Runs over 1e7..3e10 parameters and 1 to 1000 tokens per parameter, multiplicative log-normal noise."""
    N = 10 ** rng.uniform(7.0, 10.5, n)
    D = N * 10 ** rng.uniform(0.0, 3.0, n)
    clean = params["E"] + params["A"] / N ** params["alpha"] + params["B"] / D ** params["beta"]
    return sc.Runs(N=N, D=D, loss=clean * np.exp(noise * rng.standard_normal(n)))


def theta_of(params: dict[str, float]) -> list[float]:
    return [np.log(params["E"]), np.log(params["A"]), np.log(params["B"]), params["alpha"], params["beta"]]
