"""Reference bootstrap in NumPy/SciPy (docs/methods.md section 3): test oracle and benchmark baseline.

- `bca_interval`: scipy.stats.bootstrap's BCa formula (scipy/stats/_resampling.py, `_bca_interval`)
  written out for a given bootstrap distribution and given jackknife values.
- `percentile_interval`, `basic_interval`: the other two methods as scipy computes them.
- `jackknife`: leave-one-out values of any statistic by recomputation (O(n^2)).
- `bootstrap_fit`: the plain Python way to bootstrap a scaling-law fit, a loop of scipy L-BFGS-B
  refits with analytic gradients, each warm-started from the full-data optimum.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np
from numpy.typing import NDArray
from scipy.optimize import minimize
from scipy.special import ndtr, ndtri

from .fit import objective_and_grad

FloatArray = NDArray[np.float64]


def percentile_interval(distribution: FloatArray, level: float) -> tuple[float, float]:
    alpha = (1 - level) / 2
    lo, hi = np.quantile(np.asarray(distribution), [alpha, 1 - alpha])
    return float(lo), float(hi)


def basic_interval(distribution: FloatArray, theta_hat: float, level: float) -> tuple[float, float]:
    lo, hi = percentile_interval(distribution, level)
    return 2 * theta_hat - hi, 2 * theta_hat - lo


def bca_levels(
    distribution: FloatArray, theta_hat: float, jackknife: Sequence[FloatArray], level: float
) -> tuple[float, float, float, float]:
    """(alpha_1, alpha_2, z0, a_hat), line by line as scipy's `_bca_interval`."""
    theta_b = np.asarray(distribution, dtype=np.float64)
    percentile = (np.count_nonzero(theta_b < theta_hat) + np.count_nonzero(theta_b <= theta_hat)) / (2 * len(theta_b))
    z0 = ndtri(percentile)
    nums, dens = [], []
    for theta_i in jackknife:
        theta_i = np.asarray(theta_i, dtype=np.float64)
        n = float(len(theta_i))
        u = (n - 1) * (theta_i.mean() - theta_i)
        nums.append(np.sum(u**3) / n**3)
        dens.append(np.sum(u**2) / n**2)
    a_hat = 1 / 6 * sum(nums) / sum(dens) ** (3 / 2)
    alpha = (1 - level) / 2
    z_alpha = float(ndtri(alpha))
    num1 = z0 + z_alpha
    alpha_1 = ndtr(z0 + num1 / (1 - a_hat * num1))
    num2 = z0 - z_alpha
    alpha_2 = ndtr(z0 + num2 / (1 - a_hat * num2))
    return float(alpha_1), float(alpha_2), float(z0), float(a_hat)


def bca_interval(
    distribution: FloatArray, theta_hat: float, jackknife: Sequence[FloatArray], level: float
) -> tuple[float, float]:
    a1, a2, _, _ = bca_levels(distribution, theta_hat, jackknife, level)
    lo, hi = np.quantile(np.asarray(distribution), [a1, a2])
    return float(lo), float(hi)


def jackknife(statistic: Callable[[FloatArray], float], x: FloatArray) -> FloatArray:
    """Leave-one-out values of `statistic` by recomputation."""
    x = np.asarray(x)
    return np.array([statistic(np.delete(x, i, axis=0)) for i in range(len(x))])


def _weighted_objective(
    law: str,
    columns: Mapping[str, FloatArray],
    loss: FloatArray,
    weight: FloatArray,
    objective: Mapping[str, Any],
    theta: FloatArray,
) -> tuple[float, FloatArray]:
    return objective_and_grad(law, theta, columns, loss, weight=weight, **objective)


def bootstrap_fit(
    law: str,
    columns: Mapping[str, FloatArray],
    loss: FloatArray,
    theta_hat: FloatArray,
    indices: NDArray[Any],
    options: Mapping[str, Any] | None = None,
    **objective: Any,
) -> tuple[FloatArray, NDArray[np.bool_]]:
    """Pairs bootstrap by scipy L-BFGS-B refits (analytic gradient; scipy's default tolerances unless
    `options` says otherwise), each warm-started from `theta_hat`; replicate r resamples the runs
    `indices[r]` (weights = counts).
    Returns the internal parameters (rows) and whether each refit reported success."""
    idx = np.asarray(indices)
    n = len(loss)
    out = np.empty((len(idx), len(theta_hat)))
    ok = np.empty(len(idx), dtype=bool)
    for r, rows in enumerate(idx):
        w = np.bincount(rows, minlength=n).astype(np.float64)
        res = minimize(
            functools.partial(_weighted_objective, law, columns, loss, w, objective),
            np.asarray(theta_hat, dtype=np.float64),
            jac=True,
            method="L-BFGS-B",
            options=dict(options or {}),
        )
        out[r] = res.x
        ok[r] = bool(res.success)
    return out, ok
