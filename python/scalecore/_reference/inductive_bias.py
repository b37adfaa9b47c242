"""Reference inductive-bias computation with SciPy (Boopathy et al. 2024; docs/methods.md section 8): the oracle
for tests and the baseline for benches.

The log-CDF is scipy.stats.ncx2.logcdf (log of Boost's CDF, -inf once the CDF underflows); the fit maximises the
likelihood of scipy.stats.ncx2.logpdf with Nelder-Mead over log-parameters from the same cumulant match."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from numpy.typing import NDArray
from scipy import optimize, stats


def ncx2_logcdf(x: Any, k: Any, lam: Any, scale: Any = 1.0) -> Any:
    return stats.ncx2.logcdf(x, k, lam, scale=scale)


def cumulant_start(x: NDArray[np.float64]) -> tuple[float, float, float]:
    """(k, lam, s) matching k1 = s(k + l), k2 = 2 s^2 (k + 2 l), k3 = 8 s^3 (k + 3 l); the central chi-squared
    with the same mean and variance when no root is admissible."""
    k1 = float(np.mean(x))
    k2 = float(np.mean((x - k1) ** 2))
    k3 = float(np.mean((x - k1) ** 3))
    disc = k2 * k2 - k1 * k3 / 2.0
    if disc >= 0:
        for s in ((k2 + math.sqrt(disc)) / (2 * k1), (k2 - math.sqrt(disc)) / (2 * k1)):
            if s > 0:
                lam = k2 / (2 * s * s) - k1 / s
                k = k1 / s - lam
                if k > 0 and lam >= 0:
                    return k, max(lam, 1e-3 * k), s
    s = k2 / (2 * k1)
    return k1 / s, 1e-3 * k1 / s, s


def fit_ncx2(errors: Any) -> tuple[float, float, float, float]:
    """(k, lam, scale, mean log-likelihood) by Nelder-Mead on the mean negative log-likelihood."""
    x = np.asarray(errors, dtype=np.float64)
    mean = float(x.mean())
    z = x / mean

    def nll(theta: NDArray[np.float64]) -> float:
        k, lam, s = np.exp(theta)
        v = float(-np.mean(stats.ncx2.logpdf(z, k, lam, scale=s)))
        return v if math.isfinite(v) else 1e300

    k0, l0, s0 = cumulant_start(z)
    res = optimize.minimize(
        nll, np.log([k0, l0, s0]), method="Nelder-Mead", options={"xatol": 1e-8, "fatol": 1e-12, "maxiter": 5000}
    )
    k, lam, s = np.exp(res.x)
    return float(k), float(lam), float(s * mean), float(-res.fun - math.log(mean))


def inductive_bias_bits(errors: Any, eps: float) -> float:
    k, lam, scale, _ = fit_ncx2(errors)
    return float(-stats.ncx2.logcdf(eps, k, lam, scale=scale) / math.log(2.0))
