"""Data sets the project generates itself (it ships no third-party data)."""

from __future__ import annotations

import numpy as np

from .runs import Runs

__all__ = ["HOFFMANN_PARAMS", "chinchilla_sweep"]

# Hoffmann et al. 2022, approach 3, unrounded (from the paper's source; docs/methods.md section 2).
HOFFMANN_PARAMS: dict[str, float] = {
    "E": float(np.exp(0.5267228)),
    "A": float(np.exp(6.0073404)),
    "B": float(np.exp(6.0179186)),
    "alpha": 0.33917084,
    "beta": 0.2849083,
}


def chinchilla_sweep(seed: int = 0, *, noise: float = 0.01, sizes_per_budget: int = 10) -> Runs:
    """A simulated IsoFLOP sweep like Hoffmann et al.'s approach 2.

    Nine budgets log-spaced from 6e18 to 3e21 FLOPs; at each, `sizes_per_budget` model sizes spread
    log-uniformly over a factor of about 16 around the law's compute-optimal size (jittered), D = C/(6N);
    losses from Hoffmann et al.'s published law times exp(noise * z), z standard normal. Deterministic
    for a seed (NumPy's PCG64). ``group`` is the budget index.
    """
    rng = np.random.Generator(np.random.PCG64(seed))
    p = HOFFMANN_PARAMS
    budgets = np.geomspace(6e18, 3e21, 9)
    s = p["alpha"] + p["beta"]
    G = (p["alpha"] * p["A"] / (p["beta"] * p["B"])) ** (1 / s)
    N, C, group = [], [], []
    for i, c in enumerate(budgets):
        n_opt = G * (c / 6.0) ** (p["beta"] / s)
        offsets = np.linspace(-1.2, 1.2, sizes_per_budget) + rng.uniform(-0.05, 0.05, sizes_per_budget)
        N.append(n_opt * 10.0**offsets)
        C.append(np.full(sizes_per_budget, c))
        group.append(np.full(sizes_per_budget, i))
    n = np.concatenate(N)
    c = np.concatenate(C)
    d = c / (6.0 * n)
    clean = p["E"] + p["A"] / n ** p["alpha"] + p["B"] / d ** p["beta"]
    loss = clean * np.exp(noise * rng.standard_normal(len(n)))
    return Runs(N=n, D=d, C=c, loss=loss, group=np.concatenate(group))
