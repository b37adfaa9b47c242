"""Synthetic run tables with planted scaling-law parameters, shared by the fit tests."""

from __future__ import annotations

import numpy as np
import scalecore as sc


def planted_chinchilla(rng: np.random.Generator) -> dict[str, float]:
    return {
        "E": float(rng.uniform(1.0, 3.0)),
        "A": float(np.exp(rng.uniform(3.0, 9.0))),
        "B": float(np.exp(rng.uniform(3.0, 9.0))),
        "alpha": float(rng.uniform(0.2, 0.6)),
        "beta": float(rng.uniform(0.2, 0.6)),
    }


def chinchilla_runs(rng: np.random.Generator, params: dict[str, float], n: int, noise: float) -> sc.Runs:
    """Runs over 1e7..1e11 parameters and 20x..200x... tokens per parameter, multiplicative noise."""
    N = 10 ** rng.uniform(7.0, 10.5, n)
    D = N * 10 ** rng.uniform(0.0, 3.0, n)
    clean = params["E"] + params["A"] / N ** params["alpha"] + params["B"] / D ** params["beta"]
    return sc.Runs(N=N, D=D, loss=clean * np.exp(noise * rng.standard_normal(n)))


def theta_of(params: dict[str, float]) -> list[float]:
    return [np.log(params["E"]), np.log(params["A"]), np.log(params["B"]), params["alpha"], params["beta"]]
